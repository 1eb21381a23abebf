#include "daemon/networks/ipam.h"

#include <gtest/gtest.h>

namespace berth::daemon::networks {
namespace {

Ipv4 ip(const char* s) {
    return *parse_ipv4(s);
}
Cidr cidr(const char* s) {
    return *Cidr::parse(s);
}

TEST(Ipam, ParsesAndFormats) {
    EXPECT_EQ(format_ipv4(ip("172.17.0.1")), "172.17.0.1");
    auto c = cidr("172.17.0.1/16");
    EXPECT_EQ(format_ipv4(c.network()), "172.17.0.0");
    EXPECT_EQ(format_ipv4(c.broadcast()), "172.17.255.255");
    EXPECT_EQ(c.str(), "172.17.0.1/16");
    for (const char* bad : {"", "10.1/8", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "300.0.0.0/8",
                            "10.0.0.0/1a", "a.b.c.d/8", "10.0.0.0/8/8"}) {
        auto r = Cidr::parse(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message().find("invalid CIDR address"), std::string::npos);
    }
    EXPECT_FALSE(parse_ipv4("1.2.3"));
    EXPECT_FALSE(parse_ipv4("1.2.3.4 "));
}

TEST(Ipam, Overlaps) {
    EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
    EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
    EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
    EXPECT_TRUE(cidr("0.0.0.0/0").overlaps(cidr("192.168.1.0/24")));
}

TEST(Ipam, PicksTheFirstFreeSubnet) {
    auto pools = default_pools();
    EXPECT_EQ(pick_subnet(pools, {})->str(), "172.17.0.0/16");
    EXPECT_EQ(pick_subnet(pools, {cidr("172.17.0.1/16"), cidr("172.18.5.0/24")})->str(), "172.19.0.0/16");
    // A host route covering all of 172.16/12 pushes new networks into 192.168/16 in /20s.
    EXPECT_EQ(pick_subnet(pools, {cidr("172.16.0.0/12")})->str(), "192.168.0.0/20");
    EXPECT_EQ(pick_subnet(pools, {cidr("172.16.0.0/12"), cidr("192.168.0.0/20")})->str(), "192.168.16.0/20");
    auto none = pick_subnet(pools, {cidr("0.0.0.0/0")});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().kind(), ErrorKind::Unavailable);
}

TEST(Ipam, LeasesSkipReservedAndNeverTwice) {
    Pool p(cidr("10.9.0.0/29"), ip("10.9.0.1"));
    // .0 network, .1 gateway, .7 broadcast: .2 to .6 usable.
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i) got.push_back(format_ipv4(*p.allocate()));
    EXPECT_EQ(got, (std::vector<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}));
    auto full = p.allocate();
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().kind(), ErrorKind::Unavailable);
    // A released address comes back only after the others (round robin).
    p.release(ip("10.9.0.3"));
    EXPECT_EQ(format_ipv4(*p.allocate()), "10.9.0.3");
}

TEST(Ipam, RoundRobinAfterRelease) {
    Pool p(cidr("10.9.0.0/24"), ip("10.9.0.1"));
    auto a = *p.allocate();
    auto b = *p.allocate();
    p.release(a);
    EXPECT_EQ(*p.allocate(), b + 1);  // not a again straight away
}

TEST(Ipam, FixedAddressesAndRanges) {
    Pool p(cidr("10.9.0.0/16"), ip("10.9.0.1"), cidr("10.9.5.0/24"));
    EXPECT_EQ(format_ipv4(*p.allocate()), "10.9.5.1");
    EXPECT_TRUE(p.claim(ip("10.9.0.20")));
    auto dup = p.claim(ip("10.9.0.20"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().kind(), ErrorKind::Conflict);
    EXPECT_FALSE(p.claim(ip("10.9.0.1")));   // the gateway
    EXPECT_FALSE(p.claim(ip("10.10.0.5")));  // outside the subnet
    EXPECT_FALSE(p.mark(ip("10.9.0.20")));   // already leased
    EXPECT_TRUE(p.mark(ip("10.9.5.2")));     // a stored lease: allocate skips it
    EXPECT_EQ(format_ipv4(*p.allocate()), "10.9.5.3");
}

TEST(Ipam, DockerMac) {
    EXPECT_EQ(mac_for(ip("172.17.0.2")), "02:42:ac:11:00:02");
}

}  // namespace
}  // namespace berth::daemon::networks

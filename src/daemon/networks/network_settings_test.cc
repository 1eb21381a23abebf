// NetworkSettings and EndpointSettings written in Docker's shape.
#include "daemon/networks/network_settings.h"

#include <gtest/gtest.h>

namespace berth::daemon::networks {
namespace {

TEST(NetworkSettings, EmptyHasDockersFieldsAndNulls) {
    Json j = to_json(NetworkSettings{});
    for (const char* k : {"Bridge", "SandboxID", "SandboxKey", "EndpointID", "Gateway", "IPAddress",
                          "MacAddress", "IPv6Gateway", "GlobalIPv6Address", "LinkLocalIPv6Address"})
        EXPECT_EQ(j.at(k), "") << k;
    EXPECT_TRUE(j.at("Ports").is_object() && j.at("Ports").empty());
    EXPECT_TRUE(j.at("Networks").is_object() && j.at("Networks").empty());
    EXPECT_TRUE(j.at("SecondaryIPAddresses").is_null());
    EXPECT_EQ(j.at("IPPrefixLen"), 0);
    EXPECT_EQ(j.at("HairpinMode"), false);
}

TEST(NetworkSettings, PortsPublishedAndExposed) {
    NetworkSettings s;
    s.ports["80/tcp"] = std::vector<PortBinding>{{"0.0.0.0", "8080"}, {"127.0.0.1", "8081"}};
    s.ports["53/udp"];  // exposed, not published
    Json j = to_json(s);
    EXPECT_TRUE(j["Ports"]["53/udp"].is_null());
    ASSERT_EQ(j["Ports"]["80/tcp"].size(), 2u);
    EXPECT_EQ(j["Ports"]["80/tcp"][1], (Json{{"HostIp", "127.0.0.1"}, {"HostPort", "8081"}}));
}

TEST(NetworkSettings, EndpointOnAPredefinedAndAUserNetwork) {
    EndpointSettings bridge;
    bridge.network_id = "n1";
    bridge.ip_address = "172.17.0.2";
    bridge.ip_prefix_len = 16;
    Json b = to_json(bridge);
    EXPECT_TRUE(b["IPAMConfig"].is_null());
    EXPECT_TRUE(b["Aliases"].is_null());
    EXPECT_TRUE(b["DNSNames"].is_null());
    EXPECT_TRUE(b["Links"].is_null());
    EXPECT_EQ(b["IPPrefixLen"], 16);

    EndpointSettings user = bridge;
    user.ipam_ipv4 = "10.9.0.9";
    user.aliases = std::vector<std::string>{"web", "0123456789ab"};
    user.dns_names = std::vector<std::string>{"c1"};
    Json u = to_json(user);
    EXPECT_EQ(u["IPAMConfig"], (Json{{"IPv4Address", "10.9.0.9"}}));
    EXPECT_EQ(u["Aliases"], (Json{"web", "0123456789ab"}));
    EXPECT_EQ(u["DNSNames"], (Json{"c1"}));

    NetworkSettings s;
    s.networks["bridge"] = bridge;
    s.networks["front"] = user;
    EXPECT_EQ(s.first_address(), "172.17.0.2");
    EXPECT_EQ(to_json(s)["Networks"]["front"], u);
    EXPECT_EQ(NetworkSettings{}.first_address(), "");
}

}  // namespace
}  // namespace berth::daemon::networks

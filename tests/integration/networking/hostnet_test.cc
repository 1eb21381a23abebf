// Root tests of src/network against the real kernel: namespaces made with `ip netns`, a
// bridge "bt-<pid>", an nft table "bt_<pid>". Everything is removed in TearDown, even when a
// test fails half-way. net.ipv4.ip_forward is left at 1 (as Docker leaves it): putting it
// back to 0 would cut off a berthd running on the same host.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "common/fd.h"
#include "common/file.h"
#include "hostnet/dns.h"
#include "hostnet/firewall.h"
#include "hostnet/link.h"
#include "support/support.h"

namespace berth::hostnet {
namespace {

using test::run_shell;

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

class NetworkTest : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        const std::string pid = std::to_string(getpid());
        const int x = getpid() % 250 + 1;
        bridge_ = "bt-" + pid;
        table_ = "bt_" + pid;
        ns_c_ = "btc" + pid;  // the "container"
        ns_o_ = "bto" + pid;  // another host, routed through a veth
        ns_d_ = "btd" + pid;  // a second container
        veth_c_ = "vbc" + pid;
        veth_o_ = "vbo" + pid;
        net_ = "10.199." + std::to_string(x) + ".";
        other_ = "10.198." + std::to_string(x) + ".";
        port_ = static_cast<uint16_t>(20000 + getpid() % 20000);
        armed_ = true;
    }
    void TearDown() override {
        if (!armed_) return;
        for (const auto& ns : {ns_c_, ns_o_, ns_d_})  // processes the tests started in them first
            run_shell("p=$(ip netns pids " + ns +
                      " 2>/dev/null); [ -n \"$p\" ] && kill -9 $p; ip netns del " + ns +
                      " 2>/dev/null; true");
        run_shell("for l in " + veth_c_ + " " + veth_c_ + "b " + veth_o_ + " " + bridge_ +
                  "; do ip link del $l 2>/dev/null; done; nft delete table bridge " + table_ +
                  " 2>/dev/null; nft delete table ip " + table_ + " 2>/dev/null; true");
    }

    std::string ns_path(const std::string& ns) { return "/run/netns/" + ns; }
    void add_ns(const std::string& ns) { ASSERT_EQ(run_shell("ip netns add " + ns).exit_code, 0); }

    // Bridge + container netns with eth0 = net_.2, gateway net_.1.
    void make_container(bool hairpin = false) {
        ASSERT_TRUE(ensure_bridge(bridge_, net_ + "1/24", 1500));
        add_ns(ns_c_);
        ASSERT_TRUE(loopback_up(ns_path(ns_c_)));
        auto r = create_endpoint({.bridge = bridge_,
                                  .host_name = veth_c_,
                                  .netns_path = ns_path(ns_c_),
                                  .address_cidr = net_ + "2/24",
                                  .gateway = net_ + "1",
                                  .hairpin = hairpin});
        ASSERT_TRUE(r) << r.error().str();
    }

    // Another "host": a netns with a veth to the host (other_.1 host side, other_.2 inside).
    void make_other_host() {
        add_ns(ns_o_);
        const std::string o = "ip netns exec " + ns_o_ + " ";
        auto r = run_shell("ip link add " + veth_o_ + " type veth peer name eth0 netns " + ns_o_ +
                           " && ip addr add " + other_ + "1/30 dev " + veth_o_ + " && ip link set " +
                           veth_o_ + " up && " + o + "ip addr add " + other_ + "2/30 dev eth0 && " + o +
                           "ip link set eth0 up && " + o + "ip link set lo up && " + o +
                           "ip route add default via " + other_ + "1");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    std::string wget(const std::string& ns, const std::string& url) {
        std::string prefix = ns.empty() ? "" : "ip netns exec " + ns + " ";
        auto r = run_shell(prefix + "curl -s --noproxy '*' -m 3 " + url + " 2>&1", 15);
        return r.exit_code == 0 ? r.out : "FAILED: " + r.out;
    }

    bool armed_ = false;
    std::string bridge_, table_, ns_c_, ns_o_, ns_d_, veth_c_, veth_o_, net_, other_;
    uint16_t port_ = 0;
};

TEST_F(NetworkTest, BridgeAndEndpoint) {
    ASSERT_NO_FATAL_FAILURE(make_container());
    // Idempotent: a second call neither fails nor adds the address twice.
    auto again = ensure_bridge(bridge_, net_ + "1/24", 1500);
    ASSERT_TRUE(again) << again.error().str();
    auto br = run_shell("ip -o -4 addr show dev " + bridge_);
    EXPECT_EQ(br.out.find(net_ + "1/24"), br.out.rfind(net_ + "1/24")) << br.out;
    EXPECT_TRUE(contains(br.out, net_ + "1/24")) << br.out;
    EXPECT_TRUE(*link_exists(bridge_));

    auto addr = run_shell("ip -n " + ns_c_ + " addr show eth0");
    EXPECT_TRUE(contains(addr.out, "inet " + net_ + "2/24")) << addr.out;
    char mac[32];
    snprintf(mac, sizeof mac, "02:42:0a:c7:%02x:02", getpid() % 250 + 1);
    EXPECT_TRUE(contains(addr.out, mac)) << addr.out;
    EXPECT_TRUE(contains(addr.out, "state UP")) << addr.out;
    auto route = run_shell("ip -n " + ns_c_ + " route");
    EXPECT_TRUE(contains(route.out, "default via " + net_ + "1 dev eth0")) << route.out;
    auto lo = run_shell("ip -n " + ns_c_ + " link show lo");
    EXPECT_TRUE(contains(lo.out, "UP")) << lo.out;
    auto master = run_shell("ip link show " + veth_c_);
    EXPECT_TRUE(contains(master.out, "master " + bridge_)) << master.out;
    auto ping = run_shell("ip netns exec " + ns_c_ + " busybox ping -c 1 -W 3 " + net_ + "1", 10);
    EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;

    auto next = next_ifname(ns_path(ns_c_));
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, "eth1");
    auto nets = host_ipv4_networks();
    ASSERT_TRUE(nets);
    EXPECT_NE(std::find(nets->begin(), nets->end(), net_ + "0/24"), nets->end());

    // A failed endpoint leaves nothing behind: eth0 is taken in the namespace.
    auto clash = create_endpoint({.bridge = bridge_,
                                  .host_name = veth_c_ + "b",
                                  .netns_path = ns_path(ns_c_),
                                  .address_cidr = net_ + "3/24"});
    EXPECT_FALSE(clash);
    EXPECT_FALSE(*link_exists(veth_c_ + "b"));
    // A failure after the pair exists (the default route is already there) is undone too.
    auto late = create_endpoint({.bridge = bridge_,
                                 .host_name = veth_c_ + "b",
                                 .netns_path = ns_path(ns_c_),
                                 .ifname = "eth1",
                                 .address_cidr = net_ + "3/24",
                                 .gateway = net_ + "1"});
    EXPECT_FALSE(late);
    EXPECT_FALSE(*link_exists(veth_c_ + "b"));
    EXPECT_FALSE(contains(run_shell("ip -n " + ns_c_ + " link").out, "eth1"));
    auto bad = create_endpoint({.bridge = bridge_,
                                .host_name = veth_c_ + "b",
                                .netns_path = ns_path(ns_c_),
                                .address_cidr = "10.1.2.3"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_FALSE(create_endpoint({.bridge = "nobridge-x",
                                  .host_name = veth_c_ + "b",
                                  .netns_path = ns_path(ns_c_),
                                  .address_cidr = net_ + "3/24"}));
    EXPECT_FALSE(ensure_bridge("lo", "10.0.0.1/8", 1500));  // exists, not a bridge

    ASSERT_TRUE(remove_interface(ns_path(ns_c_), "eth0"));
    EXPECT_FALSE(contains(run_shell("ip -n " + ns_c_ + " link").out, "eth0"));
    EXPECT_FALSE(*link_exists(veth_c_));  // the pair goes together
    EXPECT_TRUE(remove_interface(ns_path(ns_c_), "eth0"));
    EXPECT_TRUE(remove_endpoint(veth_c_));
    ASSERT_TRUE(delete_link(bridge_));
    EXPECT_FALSE(*link_exists(bridge_));
    EXPECT_TRUE(delete_link(bridge_));
}

TEST_F(NetworkTest, PublishedPortsAndNat) {
    ASSERT_NO_FATAL_FAILURE(make_container(/*hairpin=*/true));
    ASSERT_NO_FATAL_FAILURE(make_other_host());
    test::TempDir www("berth-net-www");
    ASSERT_TRUE(write_file_atomic(www.path() + "/index.html", "hello from the container\n"));
    auto httpd =
        run_shell("ip netns exec " + ns_c_ + " busybox httpd -p 80 -h " + www.path() + " >/dev/null 2>&1");
    ASSERT_EQ(httpd.exit_code, 0) << httpd.err;
    ASSERT_TRUE(enable_forwarding(bridge_));

    auto fw = Firewall::open(table_);
    ASSERT_TRUE(fw) << fw.error().str();
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24"}));
    const uint16_t local_only = port_ + 1;
    std::vector<PortMapping> ports = {{"tcp", "", port_, net_ + "2", 80},
                                      {"tcp", "127.0.0.1", local_only, net_ + "2", 80}};
    auto added = (*fw)->add_ports(ports);
    ASSERT_TRUE(added) << added.error().str();
    EXPECT_TRUE((*fw)->add_ports(ports));  // the same mapping again is fine
    auto clash = (*fw)->add_ports({{"tcp", "", port_, net_ + "9", 80}});
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().kind(), ErrorKind::Conflict);

    const std::string p = std::to_string(port_), lp = std::to_string(local_only);
    const std::string hello = "hello from the container\n";
    EXPECT_EQ(wget("", "http://" + net_ + "2/"), hello);  // direct
    EXPECT_EQ(wget("", "http://127.0.0.1:" + p + "/"), hello);
    EXPECT_EQ(wget("", "http://" + net_ + "1:" + p + "/"), hello);
    EXPECT_EQ(wget(ns_o_, "http://" + other_ + "1:" + p + "/"), hello);
    EXPECT_EQ(wget("", "http://127.0.0.1:" + lp + "/"), hello);
    EXPECT_NE(wget(ns_o_, "http://" + other_ + "1:" + lp + "/"), hello);  // bound to 127.0.0.1 only
    // Hairpin: the container reaches itself through the published port.
    EXPECT_EQ(wget(ns_c_, "http://" + net_ + "1:" + p + "/"), hello);

    // Egress: internal networks cannot leave the bridge; add_bridge replaces the rules.
    const std::string ping_other = "ip netns exec " + ns_c_ + " busybox ping -c 1 -W 2 " + other_ + "2";
    EXPECT_EQ(run_shell(ping_other, 10).exit_code, 0);
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24", .internal = true}));
    EXPECT_NE(run_shell(ping_other, 10).exit_code, 0);
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24"}));
    EXPECT_EQ(run_shell(ping_other, 10).exit_code, 0);
    auto listing = run_shell("nft list table ip " + table_);
    const std::string out_rule = "ip saddr " + net_ + "0/24 oifname";
    EXPECT_TRUE(contains(listing.out, out_rule)) << listing.out;
    EXPECT_EQ(listing.out.find(out_rule), listing.out.rfind(out_rule)) << listing.out;  // replaced, not added
    EXPECT_FALSE(contains(listing.out, "drop")) << listing.out;

    // Re-opening keeps elements (live-restore) and does not duplicate base rules.
    auto again = Firewall::open(table_);
    ASSERT_TRUE(again);
    EXPECT_EQ(wget("", "http://127.0.0.1:" + p + "/"), hello);
    auto l2 = run_shell("nft list chain ip " + table_ + " prerouting");
    EXPECT_EQ(l2.out.find("jump ports_dnat"), l2.out.rfind("jump ports_dnat")) << l2.out;

    ASSERT_TRUE((*fw)->remove_ports(ports));
    EXPECT_TRUE((*fw)->remove_ports(ports));  // already gone: fine
    EXPECT_NE(wget("", "http://127.0.0.1:" + p + "/"), hello);
    EXPECT_NE(wget(ns_o_, "http://" + other_ + "1:" + p + "/"), hello);

    ASSERT_TRUE((*fw)->remove_bridge({.bridge = bridge_}));
    EXPECT_FALSE(contains(run_shell("nft list table ip " + table_).out, "berth-bridge"));
    ASSERT_TRUE((*fw)->destroy());
    EXPECT_NE(run_shell("nft list table ip " + table_ + " 2>&1").exit_code, 0);
    EXPECT_TRUE((*fw)->destroy());
}

TEST_F(NetworkTest, InterContainerCommunication) {
    ASSERT_NO_FATAL_FAILURE(make_container());
    add_ns(ns_d_);
    auto d = create_endpoint({.bridge = bridge_,
                              .host_name = veth_c_ + "b",
                              .netns_path = ns_path(ns_d_),
                              .address_cidr = net_ + "3/24",
                              .gateway = net_ + "1"});
    ASSERT_TRUE(d) << d.error().str();
    auto fw = Firewall::open(table_);
    ASSERT_TRUE(fw) << fw.error().str();
    const std::string ping = "ip netns exec " + ns_c_ + " busybox ping -c 1 -W 2 " + net_ + "3";
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24", .icc = false}));
    EXPECT_NE(run_shell(ping, 10).exit_code, 0);
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24", .icc = true}));
    EXPECT_EQ(run_shell(ping, 10).exit_code, 0);
    ASSERT_TRUE((*fw)->add_bridge({.bridge = bridge_, .subnet = net_ + "0/24", .icc = false}));
    ASSERT_TRUE((*fw)->remove_bridge({.bridge = bridge_}));
    EXPECT_EQ(run_shell(ping, 10).exit_code, 0);
    ASSERT_TRUE((*fw)->destroy());
    EXPECT_NE(run_shell("nft list table bridge " + table_ + " 2>&1").exit_code, 0);
}

// A fake upstream resolver in the host namespace: every A query gets 198.51.100.7.
class FakeUpstream {
public:
    FakeUpstream() {
        fd_ = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeUpstream() {
        stop_ = true;
        thread_.join();
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_.get(), POLLIN, 0};
            if (poll(&p, 1, 50) != 1) continue;
            uint8_t buf[512];
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(fd_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n < 17) continue;
            // Echo the query as a response; an A question gets one answer.
            std::vector<uint8_t> r(buf, buf + n);
            r[2] |= 0x80;
            r[3] = 0x80;
            r[10] = r[11] = 0;  // no additional records (drop the client's OPT)
            size_t end = 12;
            while (end < r.size() && r[end] != 0) end += r[end] + 1;
            end += 5;
            if (end > r.size()) continue;
            r.resize(end);
            if (r[end - 3] == 1) {  // type A
                r[7] = 1;
                r.insert(r.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7});
            }
            sendto(fd_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
    }
    UniqueFd fd_;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST_F(NetworkTest, EmbeddedDns) {
    add_ns(ns_c_);
    ASSERT_TRUE(loopback_up(ns_path(ns_c_)));
    FakeUpstream upstream;
    auto dns = DnsServer::start(
        [](const std::string& id, const std::string& name) -> std::vector<std::string> {
            if (id == "c1" && (name == "web" || name == "web-alias")) return {"172.18.0.2"};
            return {};
        },
        {upstream.address()});
    ASSERT_TRUE(dns) << dns.error().str();
    auto added = (*dns)->add_container("c1", ns_path(ns_c_));
    ASSERT_TRUE(added) << added.error().str();
    const std::string lookup = "ip netns exec " + ns_c_ + " busybox nslookup ";
    auto known = run_shell(lookup + "WEB-alias. 127.0.0.11", 20);
    EXPECT_EQ(known.exit_code, 0) << known.out << known.err;
    EXPECT_TRUE(contains(known.out, "172.18.0.2")) << known.out;
    auto fwd = run_shell(lookup + "example.org 127.0.0.11", 20);
    EXPECT_EQ(fwd.exit_code, 0) << fwd.out << fwd.err;
    EXPECT_TRUE(contains(fwd.out, "198.51.100.7")) << fwd.out;
    // Adding the same container again replaces its sockets (the port is free again).
    ASSERT_TRUE((*dns)->add_container("c1", ns_path(ns_c_)));
    (*dns)->remove_container("c1");
    auto gone = run_shell(lookup + "web 127.0.0.11", 20);
    EXPECT_FALSE(contains(gone.out, "172.18.0.2")) << gone.out;
}

}  // namespace
}  // namespace berth::hostnet

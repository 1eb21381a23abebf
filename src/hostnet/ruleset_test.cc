#include "hostnet/ruleset.h"

#include <gtest/gtest.h>

namespace berth::hostnet::ruleset {
namespace {

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

TEST(Ruleset, TableNames) {
    EXPECT_TRUE(check_table_name("berth"));
    EXPECT_TRUE(check_table_name("bt_123"));
    EXPECT_FALSE(check_table_name(""));
    EXPECT_FALSE(check_table_name("a b"));
    EXPECT_FALSE(check_table_name("x; flush ruleset"));
}

TEST(Ruleset, BaseIsIdempotentText) {
    std::string s = base("berth");
    EXPECT_TRUE(has(s, "add table ip berth\n"));
    EXPECT_TRUE(
        has(s, "add map ip berth ports { type inet_proto . inet_service : ipv4_addr . inet_service; }"));
    EXPECT_TRUE(has(s, "flush chain ip berth prerouting\n"));
    EXPECT_TRUE(has(s, "dnat ip addr . port to ip daddr . meta l4proto . th dport map @addr_ports"));
    // Nothing that would wipe elements or bridge rules.
    EXPECT_FALSE(has(s, "flush chain ip berth postrouting"));
    EXPECT_FALSE(has(s, "flush map"));
    EXPECT_FALSE(has(s, "delete"));
}

TEST(Ruleset, BridgeRules) {
    auto s = bridge_rules("t", {.bridge = "berth0", .subnet = "172.17.0.1/16"});
    ASSERT_TRUE(s) << s.error().str();
    EXPECT_TRUE(has(*s,
                    "add rule ip t postrouting ip saddr 172.17.0.0/16 oifname != \"berth0\" masquerade "
                    "comment \"berth-bridge:berth0\"\n"));
    EXPECT_TRUE(has(*s, "ip saddr 127.0.0.0/8 oifname \"berth0\" masquerade"));
    EXPECT_FALSE(has(*s, "drop"));

    auto internal =
        bridge_rules("t", {.bridge = "br-1", .subnet = "10.5.0.0/24", .internal = true, .icc = false});
    ASSERT_TRUE(internal);
    EXPECT_FALSE(has(*internal, "10.5.0.0/24 oifname"));  // no masquerade out
    EXPECT_TRUE(has(*internal, "forward iifname \"br-1\" oifname != \"br-1\" drop"));
    EXPECT_TRUE(has(*internal, "forward oifname \"br-1\" iifname != \"br-1\" drop"));
    EXPECT_TRUE(has(*internal, "forward iifname \"br-1\" oifname \"br-1\" drop"));
    EXPECT_TRUE(has(*internal, "add rule bridge t forward ip saddr 10.5.0.0/24 ip daddr 10.5.0.0/24 drop"));
    EXPECT_FALSE(has(*s, "add rule bridge"));

    EXPECT_FALSE(bridge_rules("t", {.bridge = "evil\" accept", .subnet = "10.0.0.0/8"}));
    EXPECT_FALSE(bridge_rules("t", {.bridge = "b", .subnet = "10.0.0.0"}));
    EXPECT_FALSE(bridge_rules("t", {.bridge = "b", .subnet = "10.0.0.0/33"}));
    EXPECT_FALSE(bridge_rules("t", {.bridge = "b", .subnet = "10.0.0/8"}));
}

TEST(Ruleset, DeleteBridgeRulesFromListing) {
    const std::string listing = R"({"nftables": [{"metainfo": {}},
      {"rule": {"family": "ip", "table": "t", "chain": "postrouting", "handle": 7, "comment": "berth-bridge:b0"}},
      {"rule": {"family": "bridge", "table": "t", "chain": "forward", "handle": 9, "comment": "berth-bridge:b0"}},
      {"rule": {"family": "inet", "table": "t", "chain": "forward", "handle": 10, "comment": "berth-bridge:b0"}},
      {"rule": {"family": "ip", "table": "t", "chain": "postrouting", "handle": 8, "comment": "berth-bridge:b01"}},
      {"rule": {"family": "ip", "table": "t", "chain": "output", "handle": 3}}]})";
    auto s = delete_bridge_rules("t", "b0", listing);
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, "delete rule ip t postrouting handle 7\ndelete rule bridge t forward handle 9\n");
    EXPECT_FALSE(delete_bridge_rules("t", "b0", "not json"));
}

TEST(Ruleset, PortElements) {
    std::vector<PortMapping> ports = {{"tcp", "", 8080, "172.17.0.2", 80},
                                      {"udp", "127.0.0.1", 5353, "172.17.0.2", 53},
                                      {"sctp", "0.0.0.0", 9, "172.17.0.2", 9}};
    auto add = port_elements("t", ports, true);
    ASSERT_TRUE(add) << add.error().str();
    EXPECT_EQ(*add,
              "add element ip t ports { tcp . 8080 : 172.17.0.2 . 80 }\n"
              "add element ip t addr_ports { 127.0.0.1 . udp . 5353 : 172.17.0.2 . 53 }\n"
              "add element ip t ports { sctp . 9 : 172.17.0.2 . 9 }\n");
    auto del = port_elements("t", ports, false);
    ASSERT_TRUE(del);
    EXPECT_EQ(*del,
              "delete element ip t ports { tcp . 8080 }\n"
              "delete element ip t addr_ports { 127.0.0.1 . udp . 5353 }\n"
              "delete element ip t ports { sctp . 9 }\n");
    EXPECT_FALSE(port_elements("t", {{"icmp", "", 1, "1.2.3.4", 1}}, true));
    EXPECT_FALSE(port_elements("t", {{"tcp", "", 0, "1.2.3.4", 1}}, true));
    EXPECT_FALSE(port_elements("t", {{"tcp", "", 1, "1.2.3.4", 0}}, true));
    EXPECT_FALSE(port_elements("t", {{"tcp", "::1", 1, "1.2.3.4", 1}}, true));
    EXPECT_FALSE(port_elements("t", {{"tcp", "", 1, "1.2.3.4 }", 1}}, true));
}

}  // namespace
}  // namespace berth::hostnet::ruleset

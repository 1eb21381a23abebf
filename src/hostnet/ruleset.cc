// Private: nft command text for Firewall (see ruleset.h).
#include "hostnet/ruleset.h"

#include <arpa/inet.h>

#include <cstdio>

#include "common/json.h"

namespace berth::hostnet::ruleset {
namespace {

bool safe_name(const std::string& s, size_t max) {
    if (s.empty() || s.size() > max) return false;
    for (char c : s)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

Result<> check_bridge(const std::string& bridge) {
    if (!safe_name(bridge, 15))
        return Error::invalid("invalid bridge name \"" + bridge + "\" (1-15 of [A-Za-z0-9_.-])");
    return ok();
}

Result<uint32_t> parse_ipv4(const std::string& ip, const std::string& what) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
        return Error::invalid("invalid " + what + " \"" + ip + "\" (want an IPv4 address)");
    return ntohl(a.s_addr);
}

std::string ipv4_text(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
    return buf;
}

// "172.17.0.1/16" -> "172.17.0.0/16" (nft wants the network, not an address in it).
Result<std::string> network_of(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos)
        return Error::invalid("invalid subnet \"" + cidr + "\" (want a.b.c.d/len)");
    uint32_t ip = BERTH_TRY(parse_ipv4(cidr.substr(0, slash), "subnet"));
    std::string len = cidr.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(len) > 32)
        return Error::invalid("invalid subnet \"" + cidr + "\" (prefix length 0-32)");
    int n = std::stoi(len);
    uint32_t mask = n == 0 ? 0 : ~uint32_t(0) << (32 - n);
    return ipv4_text(ip & mask) + "/" + len;
}

Result<> check_proto(const std::string& proto) {
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
        return Error::invalid("invalid protocol \"" + proto + "\" (tcp, udp or sctp)");
    return ok();
}

bool any_address(const std::string& host_ip) {
    return host_ip.empty() || host_ip == "0.0.0.0";
}

}  // namespace

Result<> check_table_name(const std::string& table) {
    if (!safe_name(table, 64) || table.find('.') != std::string::npos || table.find('-') != std::string::npos)
        return Error::invalid("invalid nftables table name \"" + table + "\" (1-64 of [A-Za-z0-9_])");
    return ok();
}

std::string base(const std::string& t) {
    const std::string p = " ip " + t + " ";
    std::string s;
    s += "add table ip " + t + "\n";
    s += "add map" + p + "ports { type inet_proto . inet_service : ipv4_addr . inet_service; }\n";
    s += "add map" + p +
         "addr_ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n";
    s += "add chain" + p + "prerouting { type nat hook prerouting priority dstnat; policy accept; }\n";
    // The output hook has no "dstnat" keyword in nft 1.0.6; -100 is the same priority.
    s += "add chain" + p + "output { type nat hook output priority -100; policy accept; }\n";
    s += "add chain" + p + "postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";
    s += "add chain" + p + "forward { type filter hook forward priority filter; policy accept; }\n";
    s += "add chain" + p + "ports_dnat\n";
    // Containers on one bridge talk at layer 2, which the ip family never sees (without
    // br_netfilter); icc=false is enforced in a bridge-family table of the same name.
    s += "add table bridge " + t + "\n";
    s += "add chain bridge " + t + " forward { type filter hook forward priority filter; policy accept; }\n";
    for (const char* c : {"prerouting", "output", "ports_dnat"}) s += "flush chain" + p + c + "\n";
    // Only packets for one of the host's own addresses are published-port candidates.
    s += "add rule" + p + "prerouting fib daddr type local jump ports_dnat\n";
    s += "add rule" + p + "output fib daddr type local jump ports_dnat\n";
    // A map miss ends the rule without a verdict, so the specific-address map is tried
    // first and the any-address map second.
    s += "add rule" + p +
         "ports_dnat meta l4proto { tcp, udp, sctp } dnat ip addr . port to ip daddr . meta l4proto . th "
         "dport "
         "map @addr_ports\n";
    s += "add rule" + p +
         "ports_dnat meta l4proto { tcp, udp, sctp } dnat ip addr . port to meta l4proto . th dport map "
         "@ports\n";
    return s;
}

std::string bridge_comment(const std::string& bridge) {
    return "berth-bridge:" + bridge;
}

Result<std::string> bridge_rules(const std::string& t, const BridgeRules& r) {
    BERTH_TRY(check_bridge(r.bridge));
    std::string subnet = BERTH_TRY(network_of(r.subnet));
    const std::string br = "\"" + r.bridge + "\"";
    const std::string tag = " comment \"" + bridge_comment(r.bridge) + "\"\n";
    const std::string post = "add rule ip " + t + " postrouting ";
    const std::string fwd = "add rule ip " + t + " forward ";
    std::string s;
    if (r.internal) {
        s += fwd + "iifname " + br + " oifname != " + br + " drop" + tag;
        s += fwd + "oifname " + br + " iifname != " + br + " drop" + tag;
    } else if (r.masquerade) {
        s += post + "ip saddr " + subnet + " oifname != " + br + " masquerade" + tag;
    }
    if (!r.icc) {
        // Routed between two of its containers (through a published port) ...
        s += fwd + "iifname " + br + " oifname " + br + " drop" + tag;
        // ... or switched: subnets never overlap, so both ends in it means this bridge.
        s += "add rule bridge " + t + " forward ip saddr " + subnet + " ip daddr " + subnet + " drop" + tag;
    }
    // Ports published on 127.0.0.1: the DNATed packet leaves by the bridge with a loopback
    // source (route_localnet), which the container could not answer.
    s += post + "ip saddr 127.0.0.0/8 oifname " + br + " masquerade" + tag;
    // Hairpin: a container reaching a published port that leads back into its own bridge
    // must see the reply come through the NAT, so the source becomes the gateway. (iifname
    // is unknown in postrouting, hence the source subnet.) Reaching its own published port
    // also needs hairpin mode on its bridge port (VethConfig::hairpin).
    s += post + "oifname " + br + " ip saddr " + subnet + " ct status dnat masquerade" + tag;
    return s;
}

Result<std::string> delete_bridge_rules(const std::string& t, const std::string& bridge,
                                        const std::string& json_listing) {
    BERTH_TRY(check_bridge(bridge));
    Json j = BERTH_TRY(parse_json(json_listing, "nft listing"));
    const std::string want = bridge_comment(bridge);
    std::string s;
    if (!j.is_object() || !j.contains("nftables") || !j["nftables"].is_array()) return s;
    for (const Json& item : j["nftables"]) {
        if (!item.is_object() || !item.contains("rule")) continue;
        const Json& rule = item["rule"];
        if (!rule.is_object() || !rule.contains("comment") || !rule["comment"].is_string() ||
            rule["comment"].get<std::string>() != want || !rule.contains("chain") ||
            !rule["chain"].is_string() || !rule.contains("handle") || !rule["handle"].is_number_integer())
            continue;
        const std::string chain = rule["chain"].get<std::string>();
        const std::string family = string_field(rule, "family");
        if (!safe_name(chain, 64) || (family != "ip" && family != "bridge")) continue;
        s += "delete rule " + family + " " + t + " " + chain + " handle " +
             std::to_string(rule["handle"].get<int64_t>()) + "\n";
    }
    return s;
}

Result<std::string> port_elements(const std::string& t, const std::vector<PortMapping>& ports, bool add) {
    std::string s;
    for (const PortMapping& p : ports) {
        BERTH_TRY(check_proto(p.proto));
        if (p.host_port == 0) return Error::invalid("invalid host port 0 (" + p.proto + ")");
        std::string key = p.proto + " . " + std::to_string(p.host_port);
        std::string map = "ports";
        if (!any_address(p.host_ip)) {
            key = ipv4_text(BERTH_TRY(parse_ipv4(p.host_ip, "host IP"))) + " . " + key;
            map = "addr_ports";
        }
        std::string elem = key;
        if (add) {
            if (p.container_port == 0) return Error::invalid("invalid container port 0 (" + p.proto + ")");
            elem += " : " + ipv4_text(BERTH_TRY(parse_ipv4(p.container_ip, "container IP"))) + " . " +
                    std::to_string(p.container_port);
        }
        s += std::string(add ? "add" : "delete") + " element ip " + t + " " + map + " { " + elem + " }\n";
    }
    return s;
}

}  // namespace berth::hostnet::ruleset

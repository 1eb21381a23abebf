// docker CLI 28's validators and network attachment rules (opts/opts.go, opts/hosts.go,
// opts/network.go, container/opts.go parseNetworkOpts) with the same messages.
#include "cli/commands/netopts.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <regex>

#include "common/strings.h"

namespace berth::cli {
namespace {

// encoding/csv's reading of one record: commas split, double quotes group ("" is a quote).
Result<std::vector<std::string>> csv_fields(const std::string& v) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, was_quoted = false;
    for (size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (quoted) {
            if (c == '"' && i + 1 < v.size() && v[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == ',') {
            out.push_back(cur);
            cur.clear();
            was_quoted = false;
        } else if (c == '"' && cur.empty() && !was_quoted) {
            quoted = was_quoted = true;
        } else if (c == '"') {
            return Error::invalid("parse error on line 1, column " + std::to_string(i + 1) +
                                  ": bare \" in non-quoted-field");
        } else {
            cur += c;
        }
    }
    if (quoted)
        return Error::invalid("parse error on line 1, column " + std::to_string(v.size() + 1) +
                              ": extraneous or missing \" in quoted-field");
    out.push_back(cur);
    return out;
}

bool hex_digits(const std::string& s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<std::string> parse_ip(const std::string& s) {
    unsigned char buf[16];
    char text[INET6_ADDRSTRLEN];
    if (s.find(':') == std::string::npos) {
        if (::inet_pton(AF_INET, s.c_str(), buf) != 1) return std::nullopt;
        return std::string(::inet_ntop(AF_INET, buf, text, sizeof text));
    }
    if (::inet_pton(AF_INET6, s.c_str(), buf) != 1) return std::nullopt;
    // Go prints IPv4-mapped addresses in their IPv4 form.
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(buf, mapped, 12) == 0)
        return std::string(::inet_ntop(AF_INET, buf + 12, text, sizeof text));
    return std::string(::inet_ntop(AF_INET6, buf, text, sizeof text));
}

Result<std::string> validate_extra_host(const std::string& v) {
    auto sep = v.find('=');
    if (sep == std::string::npos) sep = v.find(':');  // IPv6 addresses: split on the first ':'
    std::string k = sep == std::string::npos ? v : v.substr(0, sep);
    std::string ip = sep == std::string::npos ? "" : v.substr(sep + 1);
    if (sep == std::string::npos || k.empty() || k.find(':') != std::string::npos)
        return Error::invalid("bad format for add-host: \"" + v + "\"");
    if (ip != "host-gateway") {
        if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
        if (!parse_ip(trim(ip))) return Error::invalid("invalid IP address in add-host: \"" + ip + "\"");
    }
    // The daemon only understands "host:ip" without brackets.
    return k + ":" + ip;
}

Result<std::string> validate_dns(const std::string& v) {
    auto ip = parse_ip(trim(v));
    if (!ip) return Error::invalid("IP address is not correctly formatted: " + v);
    return *ip;
}

Result<std::string> validate_dns_search(const std::string& v) {
    std::string d = trim(v, " ");
    if (d == ".") return d;
    // docker's domainRegexp, "(:?" typos included (they allow a literal ':').
    static const std::regex alpha("[a-zA-Z]");
    static const std::regex domain(
        R"(^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$)");
    std::smatch m;
    if (std::regex_search(d, alpha) && std::regex_search(d, m, domain) && m[1].length() < 255)
        return m[1].str();
    return Error::invalid(d + " is not a valid domain");
}

bool valid_mac(const std::string& raw) {
    std::string s = trim(raw);
    auto groups = [&](char sep, size_t width) {
        std::vector<std::string> g;
        size_t pos = 0;
        for (;;) {
            size_t e = s.find(sep, pos);
            g.push_back(s.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
            if (e == std::string::npos) break;
            pos = e + 1;
        }
        for (const auto& x : g)
            if (x.size() != width || !hex_digits(x)) return size_t{0};
        return g.size();
    };
    // 6, 8 or 20 octets: "aa:bb:..", "aa-bb-..", or "aabb.ccdd.eeff".
    for (char sep : {':', '-'}) {
        size_t n = groups(sep, 2);
        if (n == 6 || n == 8 || n == 20) return true;
    }
    size_t n = groups('.', 4);
    return n == 3 || n == 4 || n == 10;
}

Result<NetworkAttachment> parse_network_flag(const std::string& v) {
    NetworkAttachment a;
    static const std::regex long_syntax(R"(\w+=\w+(,\w+=\w+)*)");
    if (!std::regex_search(v, long_syntax)) {
        a.target = v;
        return a;
    }
    a.long_syntax = true;
    for (const auto& field : BERTH_TRY(csv_fields(v))) {
        // docker lower-cases whole fields (keys and values).
        std::string f = to_lower(field);
        auto eq = f.find('=');
        if (eq == std::string::npos || eq == 0) return Error::invalid("invalid field " + field);
        std::string key = trim(f.substr(0, eq)), val = trim(f.substr(eq + 1));
        if (key == "name") {
            a.target = val;
        } else if (key == "alias") {
            a.aliases.push_back(val);
        } else if (key == "ip") {
            a.ipv4 = val;
        } else if (key == "ip6") {
            a.ipv6 = val;
        } else if (key == "mac-address") {
            a.mac = val;
        } else if (key == "link-local-ip") {
            a.link_local_ips.push_back(val);
        } else if (key == "driver-opt") {
            auto e2 = val.find('=');
            if (e2 == std::string::npos || e2 == 0)
                return Error::invalid("invalid key value pair format in driver options");
            a.driver_opts[trim(val.substr(0, e2))] = trim(val.substr(e2 + 1));
        } else if (key == "gw-priority") {
            char* end = nullptr;
            long p = std::strtol(val.c_str(), &end, 10);
            if (val.empty() || *end != '\0')
                return Error::invalid("invalid gw-priority (" + val + "): invalid syntax");
            a.gw_priority = static_cast<int>(p);
        } else {
            return Error::invalid("invalid field key " + key);
        }
    }
    if (a.target.empty()) return Error::invalid("network name/id is not specified");
    return a;
}

bool is_user_defined(const std::string& mode) {
    return mode != "default" && mode != "bridge" && mode != "host" && mode != "none" &&
           mode.substr(0, mode.find(':')) != "container";
}

std::string network_mode(const NetworkFlags& f) {
    if (f.networks.empty()) return "default";
    auto a = parse_network_flag(f.networks[0]);
    return a ? a->target : f.networks[0];
}

Json endpoint_settings(const NetworkAttachment& a) {
    Json ipam = nullptr;
    if (!a.ipv4.empty() || !a.ipv6.empty() || !a.link_local_ips.empty()) {
        ipam = Json::object();
        if (!a.ipv4.empty()) ipam["IPv4Address"] = a.ipv4;
        if (!a.ipv6.empty()) ipam["IPv6Address"] = a.ipv6;
        if (!a.link_local_ips.empty()) ipam["LinkLocalIPs"] = a.link_local_ips;
    }
    return {{"IPAMConfig", ipam},
            {"Links", nullptr},
            {"Aliases", a.aliases.empty() ? Json() : Json(a.aliases)},
            {"MacAddress", a.mac},
            {"DriverOpts", a.driver_opts.empty() ? Json() : Json(a.driver_opts)},
            {"GwPriority", a.gw_priority},
            {"NetworkID", ""},
            {"EndpointID", ""},
            {"Gateway", ""},
            {"IPAddress", ""},
            {"IPPrefixLen", 0},
            {"IPv6Gateway", ""},
            {"GlobalIPv6Address", ""},
            {"GlobalIPv6PrefixLen", 0},
            {"DNSNames", nullptr}};
}

Result<Json> endpoints_config(const NetworkFlags& f) {
    std::vector<NetworkAttachment> nets;
    for (const auto& n : f.networks) nets.push_back(BERTH_TRY(parse_network_flag(n)));
    bool implicit = nets.empty();
    if (implicit) nets.push_back(NetworkAttachment{.target = "default"});
    // The plain flags (--network-alias, --ip, --ip6, --mac-address, --link-local-ip) go to
    // the first network, unless it sets the same thing itself.
    NetworkAttachment& first = nets[0];
    if (!first.aliases.empty() && !f.aliases.empty())
        return Error::invalid(
            "conflicting options: cannot specify both --network-alias and per-network alias");
    if (!first.ipv4.empty() && !f.ipv4.empty())
        return Error::invalid("conflicting options: cannot specify both --ip and per-network IPv4 address");
    if (!first.ipv6.empty() && !f.ipv6.empty())
        return Error::invalid("conflicting options: cannot specify both --ip6 and per-network IPv6 address");
    if (!first.mac.empty() && !f.mac.empty())
        return Error::invalid(
            "conflicting options: cannot specify both --mac-address and per-network MAC address");
    if (!first.link_local_ips.empty() && !f.link_local_ips.empty())
        return Error::invalid(
            "conflicting options: cannot specify both --link-local-ip and per-network link-local IP "
            "addresses");
    if (!f.aliases.empty()) first.aliases = f.aliases;
    if (!f.ipv4.empty()) first.ipv4 = f.ipv4;
    if (!f.ipv6.empty()) first.ipv6 = f.ipv6;
    if (!f.mac.empty()) first.mac = f.mac;
    if (!f.link_local_ips.empty()) first.link_local_ips = f.link_local_ips;

    Json endpoints = Json::object();
    bool user = false, non_user = false;
    for (size_t i = 0; i < nets.size(); ++i) {
        const auto& a = nets[i];
        if (trim(a.target).empty()) return Error::invalid("no name set for network");
        if (!implicit) (is_user_defined(a.target) ? user : non_user) = true;
        if (!is_user_defined(a.target) && !a.aliases.empty())
            return Error::invalid("network-scoped aliases are only supported for user-defined networks");
        if (!a.mac.empty() && !valid_mac(a.mac)) return Error::invalid(a.mac + " is not a valid mac address");
        if (endpoints.contains(a.target))
            return Error::invalid("network \"" + a.target + "\" is specified multiple times");
        bool empty = a.aliases.empty() && a.ipv4.empty() && a.ipv6.empty() && a.link_local_ips.empty() &&
                     a.mac.empty() && a.driver_opts.empty() && a.gw_priority == 0;
        // A single network without options: the daemon creates the endpoint itself.
        if (!implicit && i == 0 && nets.size() == 1 && empty) continue;
        endpoints[a.target] = endpoint_settings(a);
    }
    if (user && non_user)
        return Error::invalid(
            "conflicting options: cannot attach both user-defined and non-user-defined network-modes");
    return endpoints;
}

}  // namespace berth::cli

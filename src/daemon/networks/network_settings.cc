#include "daemon/networks/network_settings.h"

namespace berth::daemon::networks {

namespace {

Json strings_or_null(const std::optional<std::vector<std::string>>& v) {
    return v ? Json(*v) : Json(nullptr);
}

}  // namespace

std::string NetworkSettings::first_address() const {
    for (auto& [name, e] : networks)
        if (!e.ip_address.empty()) return e.ip_address;
    return "";
}

Json to_json(const EndpointSettings& e) {
    return {{"IPAMConfig", e.ipam_ipv4.empty() ? Json(nullptr) : Json{{"IPv4Address", e.ipam_ipv4}}},
            {"Links", nullptr},
            {"Aliases", strings_or_null(e.aliases)},
            {"MacAddress", e.mac_address},
            {"DriverOpts", nullptr},
            {"NetworkID", e.network_id},
            {"EndpointID", e.endpoint_id},
            {"Gateway", e.gateway},
            {"IPAddress", e.ip_address},
            {"IPPrefixLen", e.ip_prefix_len},
            {"IPv6Gateway", ""},
            {"GlobalIPv6Address", ""},
            {"GlobalIPv6PrefixLen", 0},
            {"DNSNames", strings_or_null(e.dns_names)}};
}

Json to_json(const std::map<std::string, EndpointSettings>& networks) {
    Json out = Json::object();
    for (auto& [name, e] : networks) out[name] = to_json(e);
    return out;
}

Json to_json(const NetworkSettings& s) {
    Json ports = Json::object();
    for (auto& [key, bindings] : s.ports) {
        if (!bindings) {
            ports[key] = nullptr;
            continue;
        }
        Json list = Json::array();
        for (auto& b : *bindings) list.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
        ports[key] = std::move(list);
    }
    return {{"Bridge", ""},
            {"SandboxID", s.sandbox_id},
            {"SandboxKey", s.sandbox_key},
            {"Ports", std::move(ports)},
            {"HairpinMode", false},
            {"LinkLocalIPv6Address", ""},
            {"LinkLocalIPv6PrefixLen", 0},
            {"SecondaryIPAddresses", nullptr},
            {"SecondaryIPv6Addresses", nullptr},
            {"EndpointID", s.endpoint_id},
            {"Gateway", s.gateway},
            {"GlobalIPv6Address", ""},
            {"GlobalIPv6PrefixLen", 0},
            {"IPAddress", s.ip_address},
            {"IPPrefixLen", s.ip_prefix_len},
            {"IPv6Gateway", ""},
            {"MacAddress", s.mac_address},
            {"Networks", to_json(s.networks)}};
}

}  // namespace berth::daemon::networks

// A container's networking, on top of the network service: what create accepts
// (NetworkMode, EndpointsConfig, PortBindings), the sandbox joined between the runtime's
// create and start, the NetworkSettings inspect and list show, and network connect and
// disconnect.
#include <algorithm>
#include <set>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "daemon/containers/manager_impl.h"
#include "daemon/networks/ipam.h"

namespace berth::daemon::containers {

namespace {

bool shares_netns(const std::string& mode) {
    return mode == "host" || mode.rfind("container:", 0) == 0;
}

Result<uint16_t> parse_port(const std::string& s, const std::string& what) {
    char* end = nullptr;
    long v = s.empty() ? -1 : strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || v < 0 || v > 65535) return Error::invalid("invalid " + what + ": " + s);
    return static_cast<uint16_t>(v);
}

// "80/tcp" -> (80, "tcp").
Result<std::pair<uint16_t, std::string>> parse_port_key(const std::string& key) {
    auto slash = key.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return Error::invalid("invalid proto: " + proto);
    uint16_t port = BERTH_TRY(parse_port(key.substr(0, slash), "containerPort"));
    if (port == 0) return Error::invalid("invalid containerPort: 0");
    return std::pair{port, proto};
}

// At create, a missing network or container is the request's fault: 400, not 404 (which
// docker run takes for a missing image, and pulls).
template <typename T>
Result<T> as_invalid(Result<T> r) {
    if (!r && r.error().kind() == ErrorKind::NotFound) return Error::invalid(r.error().message());
    return r;
}

networks::EndpointRequest endpoint_request(const std::string& network, const EndpointConfig& cfg) {
    networks::EndpointRequest r;
    r.network = network;
    r.aliases = cfg.aliases;
    r.ipv4 = cfg.ipv4_address;
    r.mac = cfg.mac_address;
    return r;
}

}  // namespace

Result<std::vector<networks::PortRequest>> port_requests(const Config& config, const HostConfig& hc) {
    std::vector<networks::PortRequest> out;
    std::set<std::string> bound;
    for (auto& [key, list] : hc.port_bindings) {
        auto [port, proto] = BERTH_TRY(parse_port_key(key));
        bound.insert(std::to_string(port) + "/" + proto);
        for (auto& b : list) {
            networks::PortRequest r;
            r.proto = proto;
            r.container_port = port;
            r.host_ip = b.host_ip;
            // IPv6 bindings ("::", as docker 28 adds next to 0.0.0.0): Berth's NAT is IPv4 only.
            if (r.host_ip.find(':') != std::string::npos) continue;
            if (!r.host_ip.empty() && !networks::parse_ipv4(r.host_ip))
                return Error::invalid("invalid host IP address: " + r.host_ip);
            const std::string& hp = b.host_port;
            if (!hp.empty()) {
                auto dash = hp.find('-');
                r.host_port_first = BERTH_TRY(parse_port(hp.substr(0, dash), "hostPort"));
                r.host_port_last = dash == std::string::npos
                                       ? r.host_port_first
                                       : BERTH_TRY(parse_port(hp.substr(dash + 1), "hostPort"));
                if (r.host_port_last < r.host_port_first) return Error::invalid("invalid hostPort: " + hp);
            }
            out.push_back(r);
        }
    }
    // -P: every exposed port without a binding gets an ephemeral host port.
    if (hc.publish_all_ports)
        for (auto& key : config.exposed_ports) {
            auto [port, proto] = BERTH_TRY(parse_port_key(key));
            if (bound.count(std::to_string(port) + "/" + proto)) continue;
            out.push_back({proto, port, "", 0, 0});
        }
    return out;
}

Result<> ManagerImpl::check_networking(Container& c, const EndpointsConfig& requested) {
    const HostConfig& hc = c.host_config;
    const std::string& mode = hc.network_mode;
    if (mode.rfind("container:", 0) == 0) {
        std::string ref = mode.substr(10);
        if (ref.empty()) return Error::invalid("invalid network mode: container: needs a container");
        BERTH_TRY(as_invalid(find(ref)));
    } else if (mode != "host" && mode != "none") {
        BERTH_TRY(as_invalid(networks_->find(mode)));
    }
    EndpointsConfig endpoints;
    for (auto& [name, kept] : requested) {
        if (shares_netns(mode) || mode == "none") {
            if (name != mode)
                return Error::invalid(
                    "conflicting options: cannot attach both user-defined and non-user-defined "
                    "network-modes");
            continue;
        }
        auto n = BERTH_TRY(as_invalid(networks_->find(name)));
        bool user_defined = n.value("UserDefined", false);
        if (!user_defined && !kept.ipv4_address.empty())
            return Error::invalid("user specified IP address is supported on user defined networks only");
        if (!user_defined && !kept.aliases.empty())
            return Error::invalid(
                "network-scoped alias is supported only for containers in user defined networks");
        endpoints[n.value("Name", name)] = kept;
    }
    if (!shares_netns(mode) && mode != "none") {
        std::string primary = BERTH_TRY(networks_->find(mode)).value("Name", mode);
        auto& ep = endpoints[primary];
        // Config.MacAddress (before API 1.44) is the primary network's.
        if (!c.config.mac_address.empty() && ep.mac_address.empty()) {
            auto checked = BERTH_TRY(
                read_endpoint_config({{"MacAddress", c.config.mac_address}}, "EndpointsConfig." + primary));
            ep.mac_address = checked.mac_address;
        }
        BERTH_TRY(port_requests(c.config, hc));
    }
    c.endpoints = endpoints;
    return ok();
}

std::string ManagerImpl::resolv_conf_for(const Container& c) {
    std::vector<std::string> nets;
    for (auto& [name, cfg] : c.endpoints) nets.push_back(name);
    return networks_->resolv_conf(nets, c.host_config.dns, c.host_config.dns_search,
                                  c.host_config.dns_options);
}

Result<> ManagerImpl::join_networks(Container& c) {
    const std::string& mode = c.host_config.network_mode;
    if (shares_netns(mode)) return ok();
    networks::SandboxRequest req;
    req.container_id = c.id;
    req.container_name = c.name;
    req.hostname = c.config.hostname;
    req.netns_path = "/proc/" + std::to_string(c.state.pid) + "/ns/net";
    if (mode != "none") {
        // The primary network first: its gateway is the default route.
        std::string primary = networks_->find(mode).value_or(Json::object()).value("Name", mode);
        if (auto it = c.endpoints.find(primary); it != c.endpoints.end())
            req.endpoints.push_back(endpoint_request(primary, it->second));
        for (auto& [name, cfg] : c.endpoints)
            if (name != primary) req.endpoints.push_back(endpoint_request(name, cfg));
        req.ports = BERTH_TRY(port_requests(c.config, c.host_config));
    }
    networks::NetworkSettings settings = BERTH_TRY(networks_->join(req));
    // /etc/hosts names the container's own address (written in place: it is bind-mounted).
    std::string ip = settings.first_address();
    if (!ip.empty()) {
        auto hosts = read_file(c.hosts_path).value_or("");
        std::string out;
        for (auto& line : split(hosts, '\n')) {
            if (line.rfind("127.0.1.1\t", 0) == 0) continue;
            out += line + "\n";
        }
        out += ip + "\t" + req.hostname + "\n";
        BERTH_TRY(rewrite_file(c.hosts_path, out));
    }
    return ok();
}

void ManagerImpl::leave_networks(Container& c) {
    if (auto r = networks_->leave(c.id); !r)
        log::warn("container " + c.short_id() + ": network: " + r.error().str());
}

networks::NetworkSettings ManagerImpl::network_settings(const Container& c, NetworkMemo* memo) {
    // Not running, the settings follow from the mode and the endpoint configs alone: a list
    // works them out once for each such pair.
    const std::string& mode = c.host_config.network_mode;
    std::string idle_key;
    if (memo && !c.state.running()) {
        idle_key = mode + "\n" + dump_json(to_json(c.endpoints));
        if (auto it = memo->idle.find(idle_key); it != memo->idle.end()) return it->second;
    }
    networks::NetworkSettings s = networks_->settings(c.state.running() ? c.id : "");
    if (s.networks.empty()) idle_endpoints(c, memo, s);
    // Exposed ports that are not published show as null while the container runs.
    if (c.state.running())
        for (auto& key : c.config.exposed_ports) {
            std::string k = key.find('/') == std::string::npos ? key + "/tcp" : key;
            s.ports.try_emplace(k);
        }
    if (!idle_key.empty()) memo->idle.emplace(std::move(idle_key), s);
    return s;
}

// The endpoints of a container without a sandbox: what its configs ask for, on networks
// looked up by name (once per list, through the memo).
void ManagerImpl::idle_endpoints(const Container& c, NetworkMemo* memo, networks::NetworkSettings& s) {
    const std::string& mode = c.host_config.network_mode;
    auto network_id = [&](const std::string& name) -> std::string {
        if (memo)
            if (auto it = memo->ids.find(name); it != memo->ids.end()) return it->second;
        std::string id;
        if (auto n = networks_->find(name)) id = n->value("Id", "");
        if (memo) memo->ids[name] = id;
        return id;
    };
    if (mode.rfind("container:", 0) == 0) return;  // it shares another's namespace: no networks of its own
    std::vector<std::string> names;
    for (auto& [name, cfg] : c.endpoints) names.push_back(name);
    if (names.empty()) names.push_back(mode);
    for (auto& name : names) {
        networks::EndpointSettings ep;
        ep.network_id = network_id(name);
        if (auto it = c.endpoints.find(name); it != c.endpoints.end()) {
            const EndpointConfig& cfg = it->second;
            if (!cfg.aliases.empty()) ep.aliases = cfg.aliases;
            ep.ipam_ipv4 = cfg.ipv4_address;
            ep.mac_address = cfg.mac_address;
        }
        s.networks[name] = std::move(ep);
    }
}

Json list_ports(const networks::NetworkSettings& settings) {
    Json out = Json::array();
    for (auto& [key, bindings] : settings.ports) {
        auto slash = key.find('/');
        int port = atoi(key.substr(0, slash).c_str());
        std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
        if (!bindings || bindings->empty()) {
            out.push_back({{"PrivatePort", port}, {"Type", proto}});
            continue;
        }
        for (auto& b : *bindings)
            out.push_back({{"IP", b.host_ip},
                           {"PrivatePort", port},
                           {"PublicPort", atoi(b.host_port.c_str())},
                           {"Type", proto}});
    }
    return out;
}

Result<> ManagerImpl::connect_network(const std::string& ref, const std::string& network,
                                      const EndpointConfig& cfg) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    Container& c = e->c;
    const std::string& mode = c.host_config.network_mode;
    auto n = BERTH_TRY(networks_->find(network));
    std::string name = n.value("Name", network);
    if (n.value("Driver", "") == "host" || n.value("Driver", "") == "null" || mode == "host")
        return Error(ErrorKind::PermissionDenied,
                     "container cannot be disconnected from host network or connected to host network");
    if (shares_netns(mode) || mode == "none")
        return Error(
            ErrorKind::PermissionDenied,
            "container sharing network namespace with another container or host cannot be connected to "
            "any other network");
    bool user_defined = n.value("UserDefined", false);
    if (!user_defined && !cfg.ipv4_address.empty())
        return Error::invalid("user specified IP address is supported on user defined networks only");
    if (c.endpoints.contains(name))
        return Error(ErrorKind::PermissionDenied,
                     "endpoint with name " + c.name + " already exists in network " + name);
    if (c.state.running()) {
        BERTH_TRY(networks_->connect({c.id, c.name}, "/proc/" + std::to_string(c.state.pid) + "/ns/net",
                                     endpoint_request(name, cfg)));
    }
    std::lock_guard lk(mu_);
    c.endpoints[name] = cfg;
    return save(c);
}

Result<> ManagerImpl::disconnect_network(const std::string& ref, const std::string& network, bool force) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    Container& c = e->c;
    auto n = networks_->find(network);
    if (!n && !force) return n.error();
    std::string name = n ? n->value("Name", network) : network;
    if (n && (n->value("Driver", "") == "host" || c.host_config.network_mode == "host"))
        return Error(ErrorKind::PermissionDenied,
                     "container cannot be disconnected from host network or connected to host network");
    if (!c.endpoints.contains(name)) {
        if (force) return ok();
        return Error(ErrorKind::PermissionDenied,
                     "container " + c.id + " is not connected to network " + name);
    }
    if (c.state.running()) BERTH_TRY(networks_->disconnect(c.id, name, force));
    std::lock_guard lk(mu_);
    c.endpoints.erase(name);
    return save(c);
}

}  // namespace berth::daemon::containers

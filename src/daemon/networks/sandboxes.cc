// Containers on networks: a sandbox joins (addresses leased, veths, published ports, DNS),
// connects and disconnects while running, leaves, and is restored after a daemon restart;
// the NetworkSettings they report (see service_impl.h).
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "common/id.h"
#include "common/log.h"
#include "daemon/networks/service_impl.h"
#include "hostnet/link.h"

namespace berth::daemon::networks {

namespace {

// "veth" + 7 hex digits, as Docker names the host end.
std::string veth_name() {
    return "veth" + random_id().substr(0, 7);
}

int socket_type(const std::string& proto) {
    return proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
}

// Holds host_ip:port for a published port (so another container, or a host program, cannot
// take it) by binding a socket to it; port 0 lets the kernel pick an ephemeral one.
Result<UniqueFd> reserve_port(const std::string& proto, const std::string& host_ip, uint16_t port,
                              uint16_t* bound) {
    Ipv4 addr = 0;
    if (!host_ip.empty() && host_ip != "0.0.0.0") addr = BERTH_TRY(parse_ipv4(host_ip));
    int type = socket_type(proto);
    UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, proto == "sctp" ? IPPROTO_SCTP : 0));
    if (!fd) return Error::sys("socket");
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(addr);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        std::string where = (host_ip.empty() ? "0.0.0.0" : host_ip) + ":" + std::to_string(port);
        if (errno == EADDRINUSE)
            return Error::conflict("Bind for " + where + " failed: port is already allocated");
        if (errno == EADDRNOTAVAIL)
            return Error::invalid("Bind for " + where + " failed: " + host_ip +
                                  " is not an address of this host");
        return Error::sys("bind", where);
    }
    socklen_t len = sizeof sa;
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    *bound = ntohs(sa.sin_port);
    return fd;
}

}  // namespace

Result<Endpoint> Service::reserve_endpoint(Network& n, const std::string& container_id,
                                           const std::string& container_name, const EndpointRequest& req) {
    if (!n.is_bridge())
        return Error::invalid("container cannot be connected to network " + n.name + " (" + n.driver + ")");
    for (auto& e : endpoints_[container_id])
        if (e.network_id == n.id)
            return Error(ErrorKind::PermissionDenied,
                         "endpoint with name " + container_name + " already exists in network " + n.name);
    if (!n.user_defined() && (!req.ipv4.empty() || !req.aliases.empty()))
        return Error::invalid(req.ipv4.empty() ? "network-scoped alias is supported only for containers in "
                                                 "user defined networks"
                                               : "user specified IP address is supported on user defined "
                                                 "networks only");
    Endpoint e;
    e.id = random_id();
    e.network_id = n.id;
    e.container_id = container_id;
    e.container_name = container_name;
    if (n.user_defined()) {
        e.aliases = req.aliases;
        e.aliases.push_back(container_id.substr(0, 12));
    }
    if (!req.ipv4.empty()) {
        e.ip = BERTH_TRY(parse_ipv4(req.ipv4));
        BERTH_TRY(n.pool->claim(e.ip));
        e.fixed_ip = true;
    } else {
        e.ip = BERTH_TRY(n.pool->allocate());
    }
    e.mac = req.mac.empty() ? mac_for(e.ip) : req.mac;
    e.host_veth = veth_name();
    endpoints_[container_id].push_back(e);
    return e;
}

void Service::unreserve(const Endpoint& e) {
    if (auto it = nets_.find(e.network_id); it != nets_.end() && it->second.pool)
        it->second.pool->release(e.ip);
    auto it = endpoints_.find(e.container_id);
    if (it == endpoints_.end()) return;
    std::erase_if(it->second, [&](const Endpoint& x) { return x.id == e.id; });
    if (it->second.empty()) endpoints_.erase(it);
}

EndpointSettings Service::endpoint_settings(const Network& n, const Endpoint& e) const {
    EndpointSettings s;
    if (e.fixed_ip) s.ipam_ipv4 = format_ipv4(e.ip);
    if (n.user_defined()) {
        s.aliases = e.aliases;
        s.dns_names = std::vector<std::string>{e.container_name};
    }
    s.mac_address = e.mac;
    s.network_id = n.id;
    s.endpoint_id = e.id;
    s.gateway = format_ipv4(n.gateway);
    s.ip_address = format_ipv4(e.ip);
    s.ip_prefix_len = n.subnet.prefix;
    return s;
}

NetworkSettings Service::settings_locked(const std::string& container_id) const {
    NetworkSettings s;
    if (auto sb = sandboxes_.find(container_id); sb != sandboxes_.end()) {
        s.sandbox_id = container_id;
        s.sandbox_key = sb->second.netns_path;
        for (auto& p : sb->second.ports) {
            auto& bindings = s.ports[std::to_string(p.container_port) + "/" + p.proto];
            if (!bindings) bindings.emplace();
            bindings->push_back({p.host_ip.empty() ? "0.0.0.0" : p.host_ip, std::to_string(p.host_port)});
        }
    }
    if (auto it = endpoints_.find(container_id); it != endpoints_.end())
        for (auto& e : it->second) {
            auto nit = nets_.find(e.network_id);
            if (nit == nets_.end()) continue;
            const Network& n = nit->second;
            s.networks[n.name] = endpoint_settings(n, e);
            if (n.name == "bridge") {  // Docker's top-level fields describe the default bridge only
                s.endpoint_id = e.id;
                s.gateway = format_ipv4(n.gateway);
                s.ip_address = format_ipv4(e.ip);
                s.ip_prefix_len = n.subnet.prefix;
                s.mac_address = e.mac;
            }
        }
    return s;
}

NetworkSettings Service::settings(const std::string& container_id) {
    std::lock_guard lk(mu_);
    return settings_locked(container_id);
}

// Under mu_: a previous run's sandbox that leave() never saw (a daemon crash) is replaced.
void Service::drop_stale_sandbox(const std::string& container_id) {
    if (!sandboxes_.count(container_id)) return;
    sandboxes_.erase(container_id);
    if (auto it = endpoints_.find(container_id); it != endpoints_.end()) {
        for (auto& e : it->second)
            if (auto nit = nets_.find(e.network_id); nit != nets_.end() && nit->second.pool)
                nit->second.pool->release(e.ip);
        endpoints_.erase(it);
    }
}

// Under mu_: an address on each requested network; the first one that is not internal gets
// the default route. On failure nothing stays reserved.
Result<std::vector<Endpoint>> Service::reserve_endpoints(const SandboxRequest& req, bool& dns) {
    drop_stale_sandbox(req.container_id);
    std::vector<Endpoint> eps;
    bool have_gateway = false;
    for (auto& r : req.endpoints) {
        Network* n = lookup(r.network);
        auto e = n ? reserve_endpoint(*n, req.container_id, req.container_name, r)
                   : Result<Endpoint>(Error::not_found("network " + r.network + " not found"));
        if (!e) {
            for (auto& x : eps) unreserve(x);
            return e.error();
        }
        if (!n->internal && !have_gateway) {
            e->gateway = format_ipv4(n->gateway);
            have_gateway = true;
        }
        e->ifname = "eth" + std::to_string(eps.size());
        endpoints_[req.container_id].back() = *e;
        dns = dns || n->user_defined();
        eps.push_back(std::move(*e));
    }
    return eps;
}

// Holds each published host port (the first free one of a range) as a bound socket; they
// map to the first endpoint's address.
Result<> Service::reserve_ports(const SandboxRequest& req, const Endpoint& first, Sandbox& sb) {
    for (auto& p : req.ports) {
        uint16_t from = p.host_port_first, to = std::max(p.host_port_last, p.host_port_first);
        Result<UniqueFd> fd = Error::internal("no port");
        uint16_t bound = 0;
        for (uint32_t port = from; port <= to; ++port) {
            fd = reserve_port(p.proto, p.host_ip, static_cast<uint16_t>(port), &bound);
            if (fd || fd.error().kind() != ErrorKind::Conflict) break;
        }
        if (!fd)
            return fd.error().with_context("driver failed programming external connectivity on endpoint " +
                                           req.container_name);
        sb.reservations.push_back(std::move(*fd));
        sb.ports.push_back({p.proto, p.host_ip == "0.0.0.0" ? "" : p.host_ip, bound, format_ipv4(first.ip),
                            p.container_port});
    }
    return ok();
}

// The kernel side of a join: loopback, one veth per endpoint, the port rules, DNS.
Result<> Service::plumb_sandbox(const SandboxRequest& req, const std::vector<Endpoint>& eps, bool dns,
                                Sandbox& sb) {
    BERTH_TRY_CTX(net::loopback_up(req.netns_path), "loopback");
    for (auto& e : eps) {
        Network n;
        {
            std::lock_guard lk(mu_);
            Network* found = lookup(e.network_id);
            if (!found) return Error::not_found("network " + e.network_id + " not found");
            n = *found;
        }
        net::VethConfig v{n.bridge,  e.host_veth, req.netns_path, e.ifname, Cidr{e.ip, n.subnet.prefix}.str(),
                          e.gateway, e.mac,       n.mtu};
        BERTH_TRY_CTX(net::create_endpoint(v), "network " + n.name);
    }
    if (fw_ && !sb.ports.empty()) BERTH_TRY_CTX(fw_->add_ports(sb.ports), "publishing ports");
    if (dns) {
        BERTH_TRY(start_dns());
        BERTH_TRY(dns_->add_container(req.container_id, req.netns_path));
        sb.dns = true;
    }
    return ok();
}

Result<NetworkSettings> Service::join(const SandboxRequest& req) {
    bool dns = false;
    std::vector<Endpoint> eps;
    {
        std::lock_guard lk(mu_);
        eps = BERTH_TRY(reserve_endpoints(req, dns));
    }
    Sandbox sb;
    sb.container_id = req.container_id;
    sb.container_name = req.container_name;
    sb.hostname = req.hostname;
    sb.netns_path = req.netns_path;
    auto undo = [&](Error err) -> Result<NetworkSettings> {
        for (auto& e : eps) (void)net::remove_endpoint(e.host_veth);  // best effort: they go with the netns
        // Left mapped, the ports would DNAT to an address handed back to the pool below.
        if (fw_ && !sb.ports.empty())
            if (auto r = fw_->remove_ports(sb.ports); !r)
                log::warn("container " + req.container_id + ": " + r.error().str());
        if (dns && dns_) dns_->remove_container(req.container_id);
        std::lock_guard lk(mu_);
        for (auto& e : eps) unreserve(e);
        return err;
    };
    if (!eps.empty())
        if (auto r = reserve_ports(req, eps[0], sb); !r) {  // nothing plumbed yet
            std::lock_guard lk(mu_);
            for (auto& e : eps) unreserve(e);
            return r.error();
        }
    if (auto r = plumb_sandbox(req, eps, dns, sb); !r) return undo(r.error());
    std::vector<Json> docs;
    for (auto& e : eps) docs.push_back(e.doc());
    if (auto r = store_->put_sandbox(sb.doc(), docs); !r) return undo(r.error());

    std::lock_guard lk(mu_);
    sandboxes_[req.container_id] = std::move(sb);
    for (auto& e : eps)
        if (Network* n = lookup(e.network_id)) publish("connect", *n, req.container_id);
    return settings_locked(req.container_id);
}

Result<EndpointSettings> Service::connect(const ContainerInfo& c, const std::string& netns_path,
                                          const EndpointRequest& req) {
    Endpoint e;
    Network n;
    {
        std::lock_guard lk(mu_);
        Network* found = BERTH_TRY(must_find(req.network));
        e = BERTH_TRY(reserve_endpoint(*found, c.id, c.name, req));
        n = *found;
    }
    bool dns = n.user_defined();
    auto give_back = [&](Error err) -> Result<EndpointSettings> {
        // A veth left in the running container keeps an address that goes back to the pool.
        if (auto r = net::remove_endpoint(e.host_veth); !r)
            log::warn("container " + c.id + ": " + r.error().str());
        std::lock_guard lk(mu_);
        unreserve(e);
        return err;
    };
    auto ifname = net::next_ifname(netns_path);
    if (!ifname) return give_back(ifname.error());
    e.ifname = *ifname;
    bool has_gateway = false;
    {
        std::lock_guard lk(mu_);
        for (auto& x : endpoints_[c.id]) has_gateway = has_gateway || !x.gateway.empty();
        if (!has_gateway && !n.internal) e.gateway = format_ipv4(n.gateway);
        for (auto& x : endpoints_[c.id])
            if (x.id == e.id) x = e;
    }
    net::VethConfig v{n.bridge,  e.host_veth, netns_path, e.ifname, Cidr{e.ip, n.subnet.prefix}.str(),
                      e.gateway, e.mac,       n.mtu};
    if (auto r = net::create_endpoint(v); !r) return give_back(r.error().with_context("network " + n.name));
    if (dns) {
        if (auto r = start_dns(); !r) return give_back(r.error());
        if (auto r = dns_->add_container(c.id, netns_path); !r) return give_back(r.error());
    }
    Json sandbox_doc;
    {
        std::lock_guard lk(mu_);
        auto& sb = sandboxes_[c.id];
        sb.container_id = c.id;
        sb.container_name = c.name;
        sb.netns_path = netns_path;
        sb.dns = sb.dns || dns;
        sandbox_doc = sb.doc();
    }
    if (auto r = store_->put_sandbox(sandbox_doc, {e.doc()}); !r) return give_back(r.error());
    std::lock_guard lk(mu_);
    publish("connect", n, c.id);
    return endpoint_settings(n, e);
}

Result<> Service::disconnect(const std::string& container_id, std::string_view network, bool force) {
    Endpoint e;
    Network copy;
    {
        std::lock_guard lk(mu_);
        Network* n = lookup(network);
        if (!n) {
            if (!force) return Error::not_found("network " + std::string(network) + " not found");
            return ok();
        }
        auto it = endpoints_.find(container_id);
        bool found = false;
        if (it != endpoints_.end())
            for (auto& x : it->second)
                if (x.network_id == n->id) e = x, found = true;
        if (!found)
            return Error(ErrorKind::PermissionDenied,
                         "container " + container_id + " is not connected to network " + n->name);
        copy.id = n->id;
        copy.name = n->name;
        copy.driver = n->driver;
    }
    // A veth left in the running container keeps an address that goes back to the pool.
    if (auto r = net::remove_endpoint(e.host_veth); !r)
        log::warn("container " + container_id + ": " + r.error().str());
    BERTH_TRY(store_->remove_endpoint(e.id));
    std::lock_guard lk(mu_);
    unreserve(e);
    publish("disconnect", copy, container_id);
    return ok();
}

Result<> Service::leave(const std::string& container_id) {
    std::vector<Endpoint> eps;
    Sandbox sb;
    std::vector<Network> nets;
    {
        std::lock_guard lk(mu_);
        auto it = endpoints_.find(container_id);
        if (it != endpoints_.end()) eps = it->second;
        auto sit = sandboxes_.find(container_id);
        if (sit == sandboxes_.end() && eps.empty()) return ok();
        if (sit != sandboxes_.end()) {
            sb = std::move(sit->second);
            sandboxes_.erase(sit);
        }
        for (auto& e : eps) {
            if (Network* n = lookup(e.network_id)) {
                Network copy;
                copy.id = n->id, copy.name = n->name, copy.driver = n->driver;
                nets.push_back(std::move(copy));
            }
            unreserve(e);
        }
    }
    if (fw_ && !sb.ports.empty())
        if (auto r = fw_->remove_ports(sb.ports); !r)
            log::warn("container " + container_id + ": " + r.error().str());
    sb.reservations.clear();
    if (dns_) dns_->remove_container(container_id);
    BERTH_TRY(store_->remove_sandbox(container_id));
    // The kernel takes ~30 ms to free a deleted interface: off the exit path. The veths go
    // with the container's namespace anyway; this only makes sure of it.
    std::vector<std::string> veths;
    for (auto& e : eps) veths.push_back(e.host_veth);
    if (!veths.empty())
        tasks_.run([veths] {
            // Usually gone with the namespace already: a failure here is that, not a leak.
            for (auto& v : veths)
                if (auto r = net::remove_endpoint(v); !r) log::debug("veth " + v + ": " + r.error().str());
        });
    for (auto& n : nets) publish("disconnect", n, container_id);
    return ok();
}

Result<NetworkSettings> Service::restore(const std::string& container_id, const std::string& netns_path) {
    std::vector<net::PortMapping> ports;
    bool dns = false;
    {
        std::lock_guard lk(mu_);
        auto it = sandboxes_.find(container_id);
        if (it == sandboxes_.end()) return settings_locked(container_id);
        it->second.netns_path = netns_path;
        ports = it->second.ports;
        dns = it->second.dns;
    }
    std::vector<UniqueFd> held;
    for (auto& p : ports) {
        uint16_t bound = 0;
        auto fd = reserve_port(p.proto, p.host_ip, p.host_port, &bound);
        if (fd)
            held.push_back(std::move(*fd));
        else
            log::warn("container " + container_id + ": " + fd.error().str());
    }
    if (fw_ && !ports.empty()) BERTH_TRY(fw_->add_ports(ports));
    if (dns) {
        BERTH_TRY(start_dns());
        BERTH_TRY(dns_->add_container(container_id, netns_path));
    }
    std::lock_guard lk(mu_);
    auto it = sandboxes_.find(container_id);
    if (it != sandboxes_.end()) it->second.reservations = std::move(held);
    return settings_locked(container_id);
}

void Service::rename(const std::string& container_id, const std::string& new_name) {
    Json sandbox;
    std::vector<Json> docs;
    {
        std::lock_guard lk(mu_);
        auto it = endpoints_.find(container_id);
        auto sb = sandboxes_.find(container_id);
        if (it == endpoints_.end() || sb == sandboxes_.end()) return;
        for (auto& e : it->second) {
            e.container_name = new_name;
            docs.push_back(e.doc());
        }
        sb->second.container_name = new_name;
        sandbox = sb->second.doc();
    }
    if (auto r = store_->put_sandbox(sandbox, docs); !r)
        log::warn("network: renaming " + container_id + ": " + r.error().str());
}

void Service::release_others(const std::vector<std::string>& running) {
    std::set<std::string> keep(running.begin(), running.end()), gone;
    {
        std::lock_guard lk(mu_);
        for (auto& [id, sb] : sandboxes_)
            if (!keep.count(id)) gone.insert(id);
        for (auto& [id, eps] : endpoints_)
            if (!keep.count(id)) gone.insert(id);
    }
    for (auto& id : gone)
        if (auto r = leave(id); !r)
            log::warn("releasing the network of container " + id + ": " + r.error().str());
}

}  // namespace berth::daemon::networks

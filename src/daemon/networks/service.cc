// NetworkService start-up (the predefined networks, bridges and rules, the leases and
// sandboxes of containers that may still run), lookups and events; see service_impl.h.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/file.h"
#include "common/id.h"
#include "common/log.h"
#include "common/time.h"
#include "daemon/networks/service_impl.h"
#include "hostnet/link.h"

namespace berth::daemon::networks {

namespace {

// The IPv4 address an existing interface has ("172.17.0.1/16"), as Docker adopts the
// address of a docker0 it finds rather than picking another subnet beside it.
std::optional<Cidr> interface_address(const std::string& name) {
    struct ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return std::nullopt;
    std::optional<Cidr> out;
    for (auto* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !a->ifa_netmask || name != a->ifa_name)
            continue;
        Ipv4 addr = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
        Ipv4 mask = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
        out = Cidr{addr, __builtin_popcount(mask)};
        break;
    }
    freeifaddrs(list);
    return out;
}

}  // namespace

Result<Network*> Service::add_network(Json doc, bool predefined) {
    Network n;
    n.id = doc.value("Id", "");
    n.name = doc.value("Name", "");
    n.driver = doc.value("Driver", "bridge");
    n.predefined = predefined;
    n.internal = doc.value("Internal", false);
    const Json& opts = doc["Options"];
    if (n.is_bridge()) {
        const Json& cfg = doc["IPAM"]["Config"].at(0);
        n.subnet = BERTH_TRY(Cidr::parse(cfg.value("Subnet", "")));
        n.gateway = BERTH_TRY(parse_ipv4(cfg.value("Gateway", "")));
        std::optional<Cidr> range;
        if (auto r = cfg.value("IPRange", ""); !r.empty()) range = BERTH_TRY(Cidr::parse(r));
        n.pool = std::make_shared<Pool>(n.subnet, n.gateway, range);
        n.bridge = opts.value(kBridgeNameOpt, "br-" + n.id.substr(0, 12));
        n.icc = opts.value(kIccOpt, "true") != "false";
        n.masquerade = opts.value(kMasqOpt, "true") != "false";
        n.mtu = atoi(opts.value(kMtuOpt, std::to_string(o_.mtu)).c_str());
        if (n.mtu < 68) n.mtu = o_.mtu;
    }
    n.doc = std::move(doc);
    auto [it, inserted] = nets_.emplace(n.id, std::move(n));
    return &it->second;
}

std::vector<Cidr> Service::taken_subnets(const std::string& except_id) {
    std::vector<Cidr> taken;
    for (auto& [id, n] : nets_)
        if (n.is_bridge() && id != except_id) taken.push_back(n.subnet.masked());
    return taken;
}

Result<> Service::setup_bridge(const Network& n) {
    Cidr gw{n.gateway, n.subnet.prefix};
    BERTH_TRY_CTX(net::ensure_bridge(n.bridge, gw.str(), n.mtu), "bridge " + n.bridge);
    if (o_.ip_forward) BERTH_TRY(net::enable_forwarding(n.bridge));
    if (fw_) BERTH_TRY_CTX(fw_->add_bridge(n.rules()), "firewall rules of " + n.bridge);
    return ok();
}

namespace {

// Docker's network object for a predefined network (bridge, host, none).
Json builtin_doc(const std::string& name, const std::string& id, const std::string& created, Json ipam_config,
                 Json options) {
    return {{"Name", name},
            {"Id", id},
            {"Created", created},
            {"Scope", "local"},
            {"Driver", name == "bridge" ? "bridge"
                       : name == "host" ? "host"
                                        : "null"},
            {"EnableIPv4", true},
            {"EnableIPv6", false},
            {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", std::move(ipam_config)}}},
            {"Internal", false},
            {"Attachable", false},
            {"Ingress", false},
            {"ConfigFrom", {{"Network", ""}}},
            {"ConfigOnly", false},
            {"Options", std::move(options)},
            {"Labels", Json::object()}};
}

}  // namespace

Result<> Service::init() {
    store_ = BERTH_TRY(Store::open(path_join(o_.data_root, "berth.db")));
    if (o_.iptables) fw_ = BERTH_TRY_CTX(net::Firewall::open(o_.nft_table), "nftables");

    std::lock_guard lk(mu_);
    BERTH_TRY(load_networks());
    BERTH_TRY(ensure_default_bridge());
    BERTH_TRY(ensure_builtin("host"));
    BERTH_TRY(ensure_builtin("none"));
    for (auto& [id, n] : nets_)
        if (n.is_bridge()) BERTH_TRY(setup_bridge(n));
    return load_sandboxes();
}

Result<> Service::load_networks() {
    for (auto& doc : BERTH_TRY(store_->networks())) {
        std::string name = doc.value("Name", "");
        bool predefined = name == "bridge" || name == "host" || name == "none";
        BERTH_TRY_CTX(add_network(std::move(doc), predefined), "network " + name);
    }
    return ok();
}

Network* Service::by_name(const std::string& name) {
    for (auto& [id, n] : nets_)
        if (n.name == name) return &n;
    return nullptr;
}

Result<std::vector<AddressPool>> Service::address_pools() const {
    std::vector<AddressPool> pools;
    for (auto& [base, size] : o_.address_pools)
        pools.push_back({BERTH_TRY_CTX(Cidr::parse(base), "default-address-pools"), size});
    if (pools.empty()) pools = default_pools();
    return pools;
}

// The default bridge: created once, its subnet following `bip` (or the address an existing
// berth0 has, or the first free default pool), and made again when `bip` changes.
Result<> Service::ensure_default_bridge() {
    Network* bridge = by_name("bridge");
    std::optional<Cidr> bip;
    if (!o_.bip.empty()) bip = BERTH_TRY_CTX(Cidr::parse(o_.bip), "bip");
    if (!bip && !bridge) bip = interface_address(o_.bridge_name);
    bool changed =
        bridge && bip && (bridge->subnet.masked() != bip->masked() || bridge->gateway != bip->addr);
    if (bridge && !changed) return ok();
    Cidr subnet;
    Ipv4 gw;
    if (bip) {
        subnet = bip->masked();
        gw = bip->addr == subnet.addr ? subnet.addr + 1 : bip->addr;
    } else {
        std::vector<Cidr> taken = taken_subnets(bridge ? bridge->id : "");
        for (auto& h : net::host_ipv4_networks().value_or(std::vector<std::string>{}))
            if (auto c = Cidr::parse(h)) taken.push_back(c->masked());
        subnet = BERTH_TRY_CTX(pick_subnet(BERTH_TRY(address_pools()), taken), "default bridge network");
        gw = subnet.addr + 1;
    }
    std::string id = bridge ? bridge->id : random_id();
    std::string created = bridge ? bridge->doc.value("Created", now_rfc3339_nano()) : now_rfc3339_nano();
    Json options = {{"com.docker.network.bridge.default_bridge", "true"},
                    {kIccOpt, o_.icc ? "true" : "false"},
                    {kMasqOpt, "true"},
                    {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
                    {kBridgeNameOpt, o_.bridge_name},
                    {kMtuOpt, std::to_string(o_.mtu)}};
    Json config = Json::array({{{"Subnet", subnet.str()}, {"Gateway", format_ipv4(gw)}}});
    Json doc = builtin_doc("bridge", id, created, std::move(config), std::move(options));
    if (bridge) nets_.erase(bridge->id);
    BERTH_TRY(store_->put_network(doc));
    BERTH_TRY(add_network(doc, true));
    return ok();
}

Result<> Service::ensure_builtin(const char* name) {
    if (by_name(name)) return ok();
    Json doc = builtin_doc(name, random_id(), now_rfc3339_nano(), Json::array(), Json::object());
    BERTH_TRY(store_->put_network(doc));
    BERTH_TRY(add_network(doc, true));
    return ok();
}

// Leases and sandboxes of containers that may still run (restore/release_others decide).
Result<> Service::load_sandboxes() {
    for (auto& doc : BERTH_TRY(store_->endpoints())) {
        auto e = Endpoint::from_doc(doc);
        if (!e) {
            log::warn("network: an endpoint record cannot be read, its lease is not restored: " +
                      e.error().str());
            continue;
        }
        auto it = nets_.find(e->network_id);
        if (it == nets_.end() || !it->second.pool) continue;
        it->second.pool->mark(e->ip);
        endpoints_[e->container_id].push_back(std::move(*e));
    }
    for (auto& doc : BERTH_TRY(store_->sandboxes())) {
        auto s = Sandbox::from_doc(doc);
        sandboxes_[s.container_id] = std::move(s);
    }
    return ok();
}

void Service::publish(const std::string& action, const Network& n, const std::string& container_id) {
    if (!events_) return;
    Event ev{.type = "network",
             .action = action,
             .actor_id = n.id,
             .attributes = {{"name", n.name}, {"type", n.driver}}};
    if (!container_id.empty()) ev.attributes["container"] = container_id;
    events_->publish(std::move(ev));
}

Network* Service::lookup(std::string_view name_or_id) {
    std::string key(name_or_id);
    if (key.empty()) return nullptr;
    if (auto it = nets_.find(key); it != nets_.end()) return &it->second;
    for (auto& [id, n] : nets_)
        if (n.name == key) return &n;
    Network* match = nullptr;
    for (auto& [id, n] : nets_) {
        if (id.rfind(key, 0) != 0) continue;
        if (match) return nullptr;  // ambiguous prefix
        match = &n;
    }
    return match;
}

Result<Network*> Service::must_find(std::string_view name_or_id) {
    if (Network* n = lookup(name_or_id)) return n;
    return Error::not_found("network " + std::string(name_or_id) + " not found");
}

Result<Json> Service::find(std::string_view name_or_id) {
    std::lock_guard lk(mu_);
    Network* n = BERTH_TRY(must_find(name_or_id));
    return Json{{"Id", n->id},
                {"Name", n->name},
                {"Driver", n->driver},
                {"UserDefined", n->user_defined()},
                {"Internal", n->internal},
                {"Gateway", n->is_bridge() ? format_ipv4(n->gateway) : ""}};
}

Result<std::unique_ptr<NetworkService>> NetworkService::open(const ServiceOptions& options,
                                                             EventBus* events) {
    auto s = std::make_unique<Service>(options, events);
    BERTH_TRY_CTX(s->init(), "network service");
    return std::unique_ptr<NetworkService>(std::move(s));
}

}  // namespace berth::daemon::networks

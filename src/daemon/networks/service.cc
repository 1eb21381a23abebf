// NetworkService: networks, leases and sandboxes (see network_service.h). Bookkeeping
// happens under one mutex; kernel work (netlink, nftables, DNS sockets) outside it, with the
// addresses and ports already reserved, so a failure only has to give them back.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "common/background.h"
#include "common/file.h"
#include "common/id.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "daemon/networks/ipam.h"
#include "daemon/networks/network_service.h"
#include "daemon/networks/store.h"
#include "hostnet/dns.h"
#include "hostnet/firewall.h"
#include "hostnet/link.h"

namespace berth::daemon::networks {

namespace {

namespace net = berth::hostnet;

constexpr const char* kBridgeNameOpt = "com.docker.network.bridge.name";
constexpr const char* kIccOpt = "com.docker.network.bridge.enable_icc";
constexpr const char* kMasqOpt = "com.docker.network.bridge.enable_ip_masquerade";
constexpr const char* kMtuOpt = "com.docker.network.driver.mtu";

struct Network {
    Json doc;  // Docker's network object, without Containers
    std::string id, name, driver, bridge;
    Cidr subnet;
    Ipv4 gateway = 0;
    bool internal = false, icc = true, masquerade = true, predefined = false;
    int mtu = 1500;
    std::unique_ptr<Pool> pool;

    bool is_bridge() const { return driver == "bridge"; }
    // Docker's embedded DNS and --ip/aliases belong to user-defined networks only.
    bool user_defined() const { return is_bridge() && !predefined; }
    net::BridgeRules rules() const { return {bridge, subnet.masked().str(), internal, icc, masquerade}; }
};

struct Endpoint {
    std::string id, network_id, container_id, container_name;
    std::vector<std::string> aliases;
    Ipv4 ip = 0;
    std::string mac, host_veth, ifname, gateway;  // gateway: "" unless it has the default route
    bool fixed_ip = false;

    Json doc() const {
        return {{"EndpointID", id},
                {"NetworkID", network_id},
                {"ContainerID", container_id},
                {"ContainerName", container_name},
                {"Aliases", aliases},
                {"IPAddress", format_ipv4(ip)},
                {"MacAddress", mac},
                {"HostVeth", host_veth},
                {"IfName", ifname},
                {"DefaultGateway", gateway},
                {"FixedIP", fixed_ip}};
    }
    static Result<Endpoint> from_doc(const Json& d) {
        Endpoint e;
        e.id = d.value("EndpointID", "");
        e.network_id = d.value("NetworkID", "");
        e.container_id = d.value("ContainerID", "");
        e.container_name = d.value("ContainerName", "");
        if (d.contains("Aliases") && d["Aliases"].is_array())
            for (auto& a : d["Aliases"]) e.aliases.push_back(a.get<std::string>());
        e.ip = BERTH_TRY(parse_ipv4(d.value("IPAddress", "")));
        e.mac = d.value("MacAddress", "");
        e.host_veth = d.value("HostVeth", "");
        e.ifname = d.value("IfName", "");
        e.gateway = d.value("DefaultGateway", "");
        e.fixed_ip = d.value("FixedIP", false);
        return e;
    }
};

struct Sandbox {
    std::string container_id, container_name, hostname, netns_path;
    std::vector<net::PortMapping> ports;
    std::vector<UniqueFd> reservations;  // the published host ports, held as bound sockets
    bool dns = false;

    Json doc() const {
        Json ports_doc = Json::array();
        for (auto& p : ports)
            ports_doc.push_back({{"Proto", p.proto},
                                 {"HostIp", p.host_ip},
                                 {"HostPort", p.host_port},
                                 {"ContainerIp", p.container_ip},
                                 {"ContainerPort", p.container_port}});
        return {{"ContainerID", container_id}, {"ContainerName", container_name},
                {"Hostname", hostname},        {"NetnsPath", netns_path},
                {"Ports", ports_doc},          {"DNS", dns}};
    }
    static Sandbox from_doc(const Json& d) {
        Sandbox s;
        s.container_id = d.value("ContainerID", "");
        s.container_name = d.value("ContainerName", "");
        s.hostname = d.value("Hostname", "");
        s.netns_path = d.value("NetnsPath", "");
        s.dns = d.value("DNS", false);
        if (d.contains("Ports") && d["Ports"].is_array())
            for (auto& p : d["Ports"])
                s.ports.push_back({p.value("Proto", "tcp"), p.value("HostIp", ""),
                                   static_cast<uint16_t>(p.value("HostPort", 0)), p.value("ContainerIp", ""),
                                   static_cast<uint16_t>(p.value("ContainerPort", 0))});
        return s;
    }
};

bool valid_network_name(const std::string& n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alnum = isalnum(static_cast<unsigned char>(c)) != 0;
        if (!(alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))) return false;
    }
    return true;
}

// "veth" + 7 hex digits, as Docker names the host end.
std::string veth_name() {
    return "veth" + random_id().substr(0, 7);
}

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

class Service final : public NetworkService {
public:
    Service(ServiceOptions o, EventBus* events) : o_(std::move(o)), events_(events) {}

    Result<> init();

    Result<Json> create(const Json& request) override;
    Result<Json> list(const Filters& filters) override;
    Result<Json> inspect(std::string_view name_or_id) override;
    Result<> remove(std::string_view name_or_id) override;
    Result<Json> prune(const Filters& filters) override;
    Result<Json> find(std::string_view name_or_id) override;
    Result<Json> join(const SandboxRequest& request) override;
    Result<Json> connect(const ContainerInfo& container, const std::string& netns_path,
                         const EndpointRequest& request) override;
    Result<> disconnect(const std::string& container_id, std::string_view network, bool force) override;
    Result<> leave(const std::string& container_id) override;
    Result<Json> restore(const std::string& container_id, const std::string& netns_path) override;
    void release_others(const std::vector<std::string>& running) override;
    void rename(const std::string& container_id, const std::string& new_name) override;
    Json settings(const std::string& container_id) override;
    std::string resolv_conf(const std::vector<std::string>& networks, const std::vector<std::string>& dns,
                            const std::vector<std::string>& search,
                            const std::vector<std::string>& options) override;
    size_t count() override {
        std::lock_guard lk(mu_);
        return nets_.size();
    }

private:
    // --- under mu_ ---
    Network* lookup(std::string_view name_or_id);
    Result<Network*> must_find(std::string_view name_or_id);
    std::vector<Cidr> taken_subnets(const std::string& except_id);
    Result<Network*> add_network(Json doc, bool predefined);
    // Reserves an address (and names) for one endpoint; the caller configures the kernel.
    Result<Endpoint> reserve_endpoint(Network& n, const std::string& container_id,
                                      const std::string& container_name, const EndpointRequest& req);
    void unreserve(const Endpoint& e);
    Json endpoint_settings(const Network& n, const Endpoint& e) const;
    Json settings_locked(const std::string& container_id) const;
    std::vector<std::string> resolve(const std::string& container_id, const std::string& name);

    // --- kernel work, no lock ---
    Result<> setup_bridge(const Network& n);
    Result<> start_dns();
    void publish(const std::string& action, const Network& n, const std::string& container_id = "");
    std::vector<std::string> host_nameservers();

    ServiceOptions o_;
    EventBus* events_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<net::Firewall> fw_;
    std::unique_ptr<net::DnsServer> dns_;
    std::mutex dns_mu_;

    std::mutex mu_;
    std::map<std::string, Network> nets_;                     // by ID
    std::map<std::string, std::vector<Endpoint>> endpoints_;  // by container ID
    std::map<std::string, Sandbox> sandboxes_;                // by container ID
    Background tasks_;  // deferred veth removal; joined when the service goes
};

// ---------------------------------------------------------------------------------------
// Start-up

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
        n.pool = std::make_unique<Pool>(n.subnet, n.gateway, range);
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

Result<> Service::init() {
    store_ = BERTH_TRY(Store::open(path_join(o_.data_root, "berth.db")));
    if (o_.iptables) fw_ = BERTH_TRY_CTX(net::Firewall::open(o_.nft_table), "nftables");

    std::lock_guard lk(mu_);
    for (auto& doc : BERTH_TRY(store_->networks())) {
        std::string name = doc.value("Name", "");
        bool predefined = name == "bridge" || name == "host" || name == "none";
        BERTH_TRY_CTX(add_network(std::move(doc), predefined), "network " + name);
    }
    auto by_name = [&](const std::string& name) -> Network* {
        for (auto& [id, n] : nets_)
            if (n.name == name) return &n;
        return nullptr;
    };
    // The predefined networks: created once, the bridge's subnet following `bip`.
    Network* bridge = by_name("bridge");
    std::optional<Cidr> bip;
    if (!o_.bip.empty()) bip = BERTH_TRY_CTX(Cidr::parse(o_.bip), "bip");
    if (!bip && !bridge) bip = interface_address(o_.bridge_name);
    bool bridge_changed =
        bridge && bip && (bridge->subnet.masked() != bip->masked() || bridge->gateway != bip->addr);
    if (!bridge || bridge_changed) {
        Cidr subnet;
        Ipv4 gw;
        if (bip) {
            subnet = bip->masked();
            gw = bip->addr == subnet.addr ? subnet.addr + 1 : bip->addr;
        } else {
            std::vector<Cidr> taken = taken_subnets(bridge ? bridge->id : "");
            for (auto& h : net::host_ipv4_networks().value_or(std::vector<std::string>{}))
                if (auto c = Cidr::parse(h)) taken.push_back(c->masked());
            std::vector<AddressPool> pools;
            for (auto& [base, size] : o_.address_pools) pools.push_back({BERTH_TRY(Cidr::parse(base)), size});
            if (pools.empty()) pools = default_pools();
            subnet = BERTH_TRY_CTX(pick_subnet(pools, taken), "default bridge network");
            gw = subnet.addr + 1;
        }
        std::string id = bridge ? bridge->id : random_id();
        Json doc = {
            {"Name", "bridge"},
            {"Id", id},
            {"Created", bridge ? bridge->doc.value("Created", now_rfc3339_nano()) : now_rfc3339_nano()},
            {"Scope", "local"},
            {"Driver", "bridge"},
            {"EnableIPv4", true},
            {"EnableIPv6", false},
            {"IPAM",
             {{"Driver", "default"},
              {"Options", nullptr},
              {"Config", Json::array({{{"Subnet", subnet.str()}, {"Gateway", format_ipv4(gw)}}})}}},
            {"Internal", false},
            {"Attachable", false},
            {"Ingress", false},
            {"ConfigFrom", {{"Network", ""}}},
            {"ConfigOnly", false},
            {"Options",
             {{"com.docker.network.bridge.default_bridge", "true"},
              {kIccOpt, o_.icc ? "true" : "false"},
              {kMasqOpt, "true"},
              {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
              {kBridgeNameOpt, o_.bridge_name},
              {kMtuOpt, std::to_string(o_.mtu)}}},
            {"Labels", Json::object()}};
        if (bridge) nets_.erase(bridge->id);
        BERTH_TRY(store_->put_network(doc));
        BERTH_TRY(add_network(doc, true));
    }
    for (const char* name : {"host", "none"}) {
        if (by_name(name)) continue;
        Json doc = {{"Name", name},
                    {"Id", random_id()},
                    {"Created", now_rfc3339_nano()},
                    {"Scope", "local"},
                    {"Driver", name == std::string("host") ? "host" : "null"},
                    {"EnableIPv4", true},
                    {"EnableIPv6", false},
                    {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", Json::array()}}},
                    {"Internal", false},
                    {"Attachable", false},
                    {"Ingress", false},
                    {"ConfigFrom", {{"Network", ""}}},
                    {"ConfigOnly", false},
                    {"Options", Json::object()},
                    {"Labels", Json::object()}};
        BERTH_TRY(store_->put_network(doc));
        BERTH_TRY(add_network(doc, true));
    }
    for (auto& [id, n] : nets_)
        if (n.is_bridge()) BERTH_TRY(setup_bridge(n));

    // Leases and sandboxes of containers that may still run (restore/release_others decide).
    for (auto& doc : BERTH_TRY(store_->endpoints())) {
        auto e = Endpoint::from_doc(doc);
        if (!e) continue;
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

std::vector<std::string> Service::host_nameservers() {
    // Queries are forwarded from the host's namespace, so loopback resolvers work too.
    std::vector<std::string> out;
    for (auto& line : split(read_file(o_.host_resolv_conf).value_or(""), '\n')) {
        auto t = trim(line);
        if (t.rfind("nameserver", 0) != 0) continue;
        std::string addr = trim(t.substr(10));
        if (parse_ipv4(addr)) out.push_back(addr);
    }
    return out;
}

Result<> Service::start_dns() {
    std::lock_guard lk(dns_mu_);
    if (dns_) return ok();
    dns_ = BERTH_TRY_CTX(net::DnsServer::start([this](const std::string& id,
                                                      const std::string& name) { return resolve(id, name); },
                                               host_nameservers()),
                         "embedded DNS server");
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

// ---------------------------------------------------------------------------------------
// Lookups

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

std::vector<std::string> Service::resolve(const std::string& container_id, const std::string& name) {
    std::lock_guard lk(mu_);
    auto mine = endpoints_.find(container_id);
    if (mine == endpoints_.end()) return {};
    std::vector<std::string> out;
    for (auto& own : mine->second) {
        auto nit = nets_.find(own.network_id);
        if (nit == nets_.end() || !nit->second.user_defined()) continue;
        const std::string suffix = "." + to_lower(nit->second.name);
        for (auto& [cid, eps] : endpoints_)
            for (auto& e : eps) {
                if (e.network_id != own.network_id) continue;
                std::string cname = to_lower(e.container_name);
                bool match = name == cname || name == cname + suffix || name == cid.substr(0, 12);
                for (auto& a : e.aliases) match = match || name == to_lower(a);
                if (match) out.push_back(format_ipv4(e.ip));
            }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// ---------------------------------------------------------------------------------------
// Networks: create, list, inspect, remove, prune

Result<Json> Service::create(const Json& req) {
    if (!req.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    auto str = [&](const char* key) -> Result<std::string> {
        if (!req.contains(key) || req[key].is_null()) return std::string();
        if (!req[key].is_string()) return Error::invalid(std::string(key) + ": expected string");
        return req[key].get<std::string>();
    };
    std::string name = BERTH_TRY(str("Name"));
    if (name.empty()) return Error::invalid("network name is required");
    if (!valid_network_name(name))
        return Error::invalid("invalid network name \"" + name +
                              "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    std::string driver = BERTH_TRY(str("Driver"));
    if (driver.empty()) driver = "bridge";
    if (driver == "host" || driver == "null")
        return Error(ErrorKind::PermissionDenied,
                     "only one instance of \"" + driver + "\" network is allowed");
    if (driver != "bridge") return Error::not_found("plugin \"" + driver + "\" not found");
    if (req.value("EnableIPv6", false) == true)
        return Error::unsupported("IPv6 networks are not supported by berth yet");
    Json options = req.contains("Options") && req["Options"].is_object() ? req["Options"] : Json::object();
    for (auto& [k, v] : options.items())
        if (!v.is_string()) return Error::invalid("Options." + k + ": expected string");
    Json labels = req.contains("Labels") && req["Labels"].is_object() ? req["Labels"] : Json::object();
    bool internal = req.value("Internal", false);

    Json ipam = req.contains("IPAM") && req["IPAM"].is_object() ? req["IPAM"] : Json::object();
    if (auto d = ipam.value("Driver", ""); !d.empty() && d != "default")
        return Error::not_found("plugin \"" + d + "\" not found");
    Json configs = ipam.contains("Config") && ipam["Config"].is_array() ? ipam["Config"] : Json::array();
    if (configs.size() > 1)
        return Error::unsupported("berth networks have one IPv4 subnet; got " +
                                  std::to_string(configs.size()) + " IPAM configs");
    std::optional<Cidr> subnet, range;
    std::optional<Ipv4> gateway;
    if (!configs.empty()) {
        const Json& c = configs[0];
        if (auto s = c.value("Subnet", ""); !s.empty()) {
            if (s.find(':') != std::string::npos)
                return Error::unsupported("IPv6 subnets are not supported yet");
            subnet = BERTH_TRY(Cidr::parse(s));
            if (subnet->prefix > 30)
                return Error::invalid("invalid subnet " + s + ": too small for a network");
        }
        if (auto r = c.value("IPRange", ""); !r.empty()) {
            if (!subnet) return Error::invalid("invalid pool request: an IP range needs a subnet");
            range = BERTH_TRY(Cidr::parse(r));
            if (!subnet->contains(range->masked()))
                return Error::invalid("invalid pool request: IP range " + r + " is not in subnet " +
                                      subnet->str());
        }
        if (auto g = c.value("Gateway", ""); !g.empty()) {
            if (!subnet) return Error::invalid("invalid pool request: a gateway needs a subnet");
            gateway = BERTH_TRY(parse_ipv4(g));
            if (!subnet->contains(*gateway)) return Error::invalid("no matching subnet for gateway " + g);
        }
    }
    std::vector<Cidr> host;
    if (!subnet)
        for (auto& h : net::host_ipv4_networks().value_or(std::vector<std::string>{}))
            if (auto c = Cidr::parse(h)) host.push_back(c->masked());

    Network* n = nullptr;
    {
        std::lock_guard lk(mu_);
        for (auto& [id, other] : nets_)
            if (other.name == name) return Error::conflict("network with name " + name + " already exists");
        std::vector<Cidr> taken = taken_subnets("");
        if (subnet) {
            for (auto& t : taken)
                if (subnet->masked().overlaps(t))
                    return Error(ErrorKind::PermissionDenied,
                                 "invalid pool request: Pool overlaps with other one on this address space");
        } else {
            taken.insert(taken.end(), host.begin(), host.end());
            std::vector<AddressPool> pools;
            for (auto& [base, size] : o_.address_pools) pools.push_back({BERTH_TRY(Cidr::parse(base)), size});
            if (pools.empty()) pools = default_pools();
            subnet = BERTH_TRY(pick_subnet(pools, taken));
        }
        Cidr masked = subnet->masked();
        Ipv4 gw = gateway ? *gateway : masked.addr + 1;
        Json cfg = {{"Subnet", masked.str()}, {"Gateway", format_ipv4(gw)}};
        if (range) cfg["IPRange"] = range->masked().str();
        std::string id = random_id();
        std::string bridge = options.value(kBridgeNameOpt, "br-" + id.substr(0, 12));
        if (bridge.size() > 15)
            return Error::invalid("bridge name " + bridge + " is longer than 15 characters");
        for (auto& [oid, other] : nets_)
            if (other.is_bridge() && other.bridge == bridge)
                return Error::conflict("bridge name " + bridge + " is already used by network " + other.name);
        Json doc = {
            {"Name", name},
            {"Id", id},
            {"Created", now_rfc3339_nano()},
            {"Scope", "local"},
            {"Driver", driver},
            {"EnableIPv4", true},
            {"EnableIPv6", false},
            {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", Json::array({cfg})}}},
            {"Internal", internal},
            {"Attachable", req.value("Attachable", false)},
            {"Ingress", false},
            {"ConfigFrom", {{"Network", ""}}},
            {"ConfigOnly", false},
            {"Options", options},
            {"Labels", labels}};
        n = BERTH_TRY(add_network(doc, false));
        if (auto r = store_->put_network(doc); !r) {
            nets_.erase(id);
            return r.error();
        }
    }
    if (auto r = setup_bridge(*n); !r) {
        std::string id = n->id;
        // Left behind, these go unseen: rules masquerading the subnet, a bridge holding its
        // address, and a record that init() sets up again at the next start.
        if (fw_)
            if (auto u = fw_->remove_bridge(n->rules()); !u)
                log::warn("network " + name + ": " + u.error().str());
        if (auto u = net::delete_link(n->bridge); !u) log::warn("network " + name + ": " + u.error().str());
        std::lock_guard lk(mu_);
        if (auto u = store_->remove_network(id); !u) log::warn("network " + name + ": " + u.error().str());
        nets_.erase(id);
        return r.error();
    }
    publish("create", *n);
    return Json{{"Id", n->id}, {"Warning", ""}};
}

Result<Json> Service::inspect(std::string_view name_or_id) {
    std::lock_guard lk(mu_);
    Network* n = BERTH_TRY(must_find(name_or_id));
    Json doc = n->doc;
    Json containers = Json::object();
    for (auto& [cid, eps] : endpoints_)
        for (auto& e : eps) {
            if (e.network_id != n->id) continue;
            containers[cid] = {{"Name", e.container_name},
                               {"EndpointID", e.id},
                               {"MacAddress", e.mac},
                               {"IPv4Address", Cidr{e.ip, n->subnet.prefix}.str()},
                               {"IPv6Address", ""}};
        }
    doc["Containers"] = containers;
    return doc;
}

Result<Json> Service::list(const Filters& filters) {
    for (auto& [key, values] : filters)
        if (key != "driver" && key != "id" && key != "label" && key != "name" && key != "scope" &&
            key != "type" && key != "dangling")
            return Error::invalid("invalid filter '" + key + "'");
    std::vector<std::string> ids;
    {
        std::lock_guard lk(mu_);
        for (auto& [id, n] : nets_) ids.push_back(id);
    }
    Json out = Json::array();
    for (auto& id : ids) {
        auto doc = inspect(id);
        if (!doc) continue;
        auto any = [&](const char* key, auto pred) {
            auto it = filters.find(key);
            if (it == filters.end() || it->second.empty()) return true;
            return std::any_of(it->second.begin(), it->second.end(), pred);
        };
        const Json& d = *doc;
        std::string name = d.value("Name", ""), driver = d.value("Driver", "");
        bool predefined = name == "bridge" || name == "host" || name == "none";
        bool ok_ =
            any("driver", [&](const std::string& v) { return v == driver; }) &&
            any("id", [&](const std::string& v) { return id.find(v) != std::string::npos; }) &&
            any("name", [&](const std::string& v) { return name.find(v) != std::string::npos; }) &&
            any("scope", [&](const std::string& v) { return v == "local"; }) &&
            any("type", [&](const std::string& v) { return v == (predefined ? "builtin" : "custom"); }) &&
            any("dangling", [&](const std::string& v) {
                bool dangling = !predefined && d["Containers"].empty();
                return (v == "true" || v == "1") == dangling;
            });
        if (auto it = filters.find("label");
            ok_ && it != filters.end() && !labels_match(d["Labels"], it->second))
            ok_ = false;
        if (ok_) out.push_back(d);
    }
    return out;
}

Result<> Service::remove(std::string_view name_or_id) {
    Network copy;
    {
        std::lock_guard lk(mu_);
        Network* n = BERTH_TRY(must_find(name_or_id));
        if (n->predefined)
            return Error(ErrorKind::PermissionDenied,
                         n->name + " is a pre-defined network and cannot be removed");
        for (auto& [cid, eps] : endpoints_)
            for (auto& e : eps)
                if (e.network_id == n->id)
                    return Error(ErrorKind::PermissionDenied, "error while removing network: network " +
                                                                  n->name + " id " + n->id +
                                                                  " has active endpoints");
        BERTH_TRY(store_->remove_network(n->id));
        copy.id = n->id;
        copy.name = n->name;
        copy.driver = n->driver;
        copy.bridge = n->bridge;
        copy.subnet = n->subnet;
        nets_.erase(n->id);
    }
    if (fw_) {
        if (auto r = fw_->remove_bridge(copy.rules()); !r)
            log::warn("network " + copy.name + ": " + r.error().str());
    }
    if (auto r = net::delete_link(copy.bridge); !r)
        log::warn("network " + copy.name + ": " + r.error().str());
    publish("destroy", copy);
    return ok();
}

Result<Json> Service::prune(const Filters& filters) {
    for (auto& [key, values] : filters)
        if (key != "until" && key != "label" && key != "label!")
            return Error::invalid("invalid filter '" + key + "'");
    std::vector<std::pair<std::string, std::string>> victims;
    {
        std::lock_guard lk(mu_);
        for (auto& [id, n] : nets_) {
            if (n.predefined) continue;
            bool used = false;
            for (auto& [cid, eps] : endpoints_)
                for (auto& e : eps) used = used || e.network_id == id;
            if (used) continue;
            bool keep = false;
            const Json& labels = n.doc["Labels"];
            if (auto it = filters.find("label"); it != filters.end() && !labels_match(labels, it->second))
                keep = true;
            if (auto it = filters.find("label!"); it != filters.end())
                for (auto& want : it->second) keep = keep || labels_match(labels, {want});
            if (auto it = filters.find("until"); it != filters.end())
                for (auto& until : it->second) {
                    auto created = parse_rfc3339(n.doc.value("Created", ""));
                    auto limit = parse_rfc3339(until);
                    if (created && limit && *created > *limit) keep = true;
                }
            if (!keep) victims.emplace_back(id, n.name);
        }
    }
    Json deleted = Json::array();
    for (auto& [id, name] : victims)
        if (remove(id)) deleted.push_back(name);
    return Json{{"NetworksDeleted", deleted}};
}

// ---------------------------------------------------------------------------------------
// Sandboxes

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

Json Service::endpoint_settings(const Network& n, const Endpoint& e) const {
    Json aliases = Json(nullptr);
    if (n.user_defined()) aliases = e.aliases;
    return {
        {"IPAMConfig", e.fixed_ip ? Json{{"IPv4Address", format_ipv4(e.ip)}} : Json(nullptr)},
        {"Links", nullptr},
        {"Aliases", aliases},
        {"MacAddress", e.mac},
        {"DriverOpts", nullptr},
        {"NetworkID", n.id},
        {"EndpointID", e.id},
        {"Gateway", format_ipv4(n.gateway)},
        {"IPAddress", format_ipv4(e.ip)},
        {"IPPrefixLen", n.subnet.prefix},
        {"IPv6Gateway", ""},
        {"GlobalIPv6Address", ""},
        {"GlobalIPv6PrefixLen", 0},
        {"DNSNames", n.user_defined() ? Json(std::vector<std::string>{e.container_name}) : Json(nullptr)}};
}

Json Service::settings_locked(const std::string& container_id) const {
    Json s = {{"Bridge", ""},
              {"SandboxID", ""},
              {"SandboxKey", ""},
              {"Ports", Json::object()},
              {"HairpinMode", false},
              {"LinkLocalIPv6Address", ""},
              {"LinkLocalIPv6PrefixLen", 0},
              {"SecondaryIPAddresses", nullptr},
              {"SecondaryIPv6Addresses", nullptr},
              {"EndpointID", ""},
              {"Gateway", ""},
              {"GlobalIPv6Address", ""},
              {"GlobalIPv6PrefixLen", 0},
              {"IPAddress", ""},
              {"IPPrefixLen", 0},
              {"IPv6Gateway", ""},
              {"MacAddress", ""},
              {"Networks", Json::object()}};
    auto sb = sandboxes_.find(container_id);
    if (sb != sandboxes_.end()) {
        s["SandboxID"] = container_id;
        s["SandboxKey"] = sb->second.netns_path;
        for (auto& p : sb->second.ports) {
            std::string key = std::to_string(p.container_port) + "/" + p.proto;
            if (!s["Ports"].contains(key) || s["Ports"][key].is_null()) s["Ports"][key] = Json::array();
            s["Ports"][key].push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                                       {"HostPort", std::to_string(p.host_port)}});
        }
    }
    if (auto it = endpoints_.find(container_id); it != endpoints_.end())
        for (auto& e : it->second) {
            auto nit = nets_.find(e.network_id);
            if (nit == nets_.end()) continue;
            const Network& n = nit->second;
            s["Networks"][n.name] = endpoint_settings(n, e);
            if (n.name == "bridge") {  // Docker's top-level fields describe the default bridge only
                s["EndpointID"] = e.id;
                s["Gateway"] = format_ipv4(n.gateway);
                s["IPAddress"] = format_ipv4(e.ip);
                s["IPPrefixLen"] = n.subnet.prefix;
                s["MacAddress"] = e.mac;
            }
        }
    return s;
}

Json Service::settings(const std::string& container_id) {
    std::lock_guard lk(mu_);
    return settings_locked(container_id);
}

Result<Json> Service::join(const SandboxRequest& req) {
    std::vector<Endpoint> eps;
    std::vector<std::string> net_names;
    bool dns = false;
    Sandbox sb;
    sb.container_id = req.container_id;
    sb.container_name = req.container_name;
    sb.hostname = req.hostname;
    sb.netns_path = req.netns_path;
    auto give_back = [&] {
        std::lock_guard lk(mu_);
        for (auto& e : eps) unreserve(e);
    };
    {
        std::lock_guard lk(mu_);
        if (sandboxes_.count(req.container_id)) {
            // A previous run's sandbox that leave() never saw (daemon crash): replace it.
            sandboxes_.erase(req.container_id);
            if (auto it = endpoints_.find(req.container_id); it != endpoints_.end()) {
                for (auto& e : it->second)
                    if (auto nit = nets_.find(e.network_id); nit != nets_.end() && nit->second.pool)
                        nit->second.pool->release(e.ip);
                endpoints_.erase(it);
            }
        }
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
            net_names.push_back(n->name);
            eps.push_back(std::move(*e));
        }
    }

    // Published ports go to the first endpoint's address.
    std::vector<std::string> ignored;
    if (!eps.empty()) {
        for (auto& p : req.ports) {
            uint16_t first = p.host_port_first, last = std::max(p.host_port_last, p.host_port_first);
            Result<UniqueFd> fd = Error::internal("no port");
            uint16_t bound = 0;
            for (uint32_t port = first; port <= last; ++port) {
                fd = reserve_port(p.proto, p.host_ip, static_cast<uint16_t>(port), &bound);
                if (fd || fd.error().kind() != ErrorKind::Conflict) break;
            }
            if (!fd) {
                give_back();
                return fd.error().with_context(
                    "driver failed programming external connectivity on endpoint " + req.container_name);
            }
            sb.reservations.push_back(std::move(*fd));
            sb.ports.push_back({p.proto, p.host_ip == "0.0.0.0" ? "" : p.host_ip, bound,
                                format_ipv4(eps[0].ip), p.container_port});
        }
    }

    auto undo = [&](Error err) -> Result<Json> {
        for (auto& e : eps) (void)net::remove_endpoint(e.host_veth);  // best effort: they go with the netns
        // Left mapped, the ports would DNAT to an address handed back to the pool below.
        if (fw_ && !sb.ports.empty())
            if (auto r = fw_->remove_ports(sb.ports); !r)
                log::warn("container " + req.container_id + ": " + r.error().str());
        if (dns && dns_) dns_->remove_container(req.container_id);
        give_back();
        return err;
    };
    BERTH_TRY_CTX(net::loopback_up(req.netns_path), "loopback");
    for (auto& e : eps) {
        Network* n;
        {
            std::lock_guard lk(mu_);
            n = lookup(e.network_id);
            if (!n) return undo(Error::not_found("network " + e.network_id + " not found"));
        }
        net::VethConfig v{
            n->bridge, e.host_veth, req.netns_path, e.ifname, Cidr{e.ip, n->subnet.prefix}.str(),
            e.gateway, e.mac,       n->mtu};
        if (auto r = net::create_endpoint(v); !r) return undo(r.error().with_context("network " + n->name));
    }
    if (fw_ && !sb.ports.empty())
        if (auto r = fw_->add_ports(sb.ports); !r) return undo(r.error().with_context("publishing ports"));
    if (dns) {
        if (auto r = start_dns(); !r) return undo(r.error());
        if (auto r = dns_->add_container(req.container_id, req.netns_path); !r) return undo(r.error());
        sb.dns = true;
    }
    std::vector<Json> docs;
    for (auto& e : eps) docs.push_back(e.doc());
    if (auto r = store_->put_sandbox(sb.doc(), docs); !r) return undo(r.error());

    Json settings;
    {
        std::lock_guard lk(mu_);
        sandboxes_[req.container_id] = std::move(sb);
        settings = settings_locked(req.container_id);
        for (auto& e : eps)
            if (Network* n = lookup(e.network_id)) publish("connect", *n, req.container_id);
    }
    return settings;
}

Result<Json> Service::connect(const ContainerInfo& c, const std::string& netns_path,
                              const EndpointRequest& req) {
    Endpoint e;
    Network* n;
    bool dns;
    {
        std::lock_guard lk(mu_);
        n = BERTH_TRY(must_find(req.network));
        e = BERTH_TRY(reserve_endpoint(*n, c.id, c.name, req));
        dns = n->user_defined();
    }
    auto give_back = [&](Error err) -> Result<Json> {
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
        if (!has_gateway && !n->internal) e.gateway = format_ipv4(n->gateway);
        for (auto& x : endpoints_[c.id])
            if (x.id == e.id) x = e;
    }
    net::VethConfig v{n->bridge, e.host_veth, netns_path, e.ifname, Cidr{e.ip, n->subnet.prefix}.str(),
                      e.gateway, e.mac,       n->mtu};
    if (auto r = net::create_endpoint(v); !r) return give_back(r.error().with_context("network " + n->name));
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
    publish("connect", *n, c.id);
    return endpoint_settings(*n, e);
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

Result<Json> Service::restore(const std::string& container_id, const std::string& netns_path) {
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

std::string Service::resolv_conf(const std::vector<std::string>& networks,
                                 const std::vector<std::string>& dns, const std::vector<std::string>& search,
                                 const std::vector<std::string>& options) {
    bool embedded = false;
    {
        std::lock_guard lk(mu_);
        for (auto& name : networks)
            if (Network* n = lookup(name)) embedded = embedded || n->user_defined();
    }
    std::string out;
    bool any_ns = false;
    std::string host = read_file(o_.host_resolv_conf).value_or("");
    for (auto& line : split(host, '\n')) {
        std::string t = trim(line);
        if (t.rfind("nameserver", 0) == 0) {
            // The container's own loopback is not the host's: loopback resolvers are left out
            // (the embedded server forwards to them from the host's namespace instead).
            std::string addr = trim(t.substr(10));
            if (embedded || !dns.empty() || addr.rfind("127.", 0) == 0 || addr == "::1") continue;
            any_ns = true;
        } else if ((t.rfind("search", 0) == 0 && !search.empty()) ||
                   (t.rfind("options", 0) == 0 && (!options.empty() || embedded))) {
            continue;
        }
        out += t + "\n";
    }
    if (embedded) {
        out += "nameserver 127.0.0.11\n";
        any_ns = true;
    } else {
        for (auto& d : dns) out += "nameserver " + d + "\n", any_ns = true;
    }
    if (!any_ns) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    if (!search.empty()) {
        out += "search";
        for (auto& s : search) out += " " + s;
        out += "\n";
    }
    std::vector<std::string> opts = options;
    if (embedded && std::none_of(opts.begin(), opts.end(), [](auto& o) { return o.rfind("ndots:", 0) == 0; }))
        opts.insert(opts.begin(), "ndots:0");
    if (!opts.empty()) {
        out += "options";
        for (auto& s : opts) out += " " + s;
        out += "\n";
    }
    return out;
}

}  // namespace

Result<std::unique_ptr<NetworkService>> NetworkService::open(const ServiceOptions& options,
                                                             EventBus* events) {
    auto s = std::make_unique<Service>(options, events);
    BERTH_TRY_CTX(s->init(), "network service");
    return std::unique_ptr<NetworkService>(std::move(s));
}

}  // namespace berth::daemon::networks

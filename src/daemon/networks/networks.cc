// The Engine API's /networks: create, inspect, list, remove and prune (see service_impl.h).
#include <algorithm>
#include <optional>

#include "common/id.h"
#include "common/log.h"
#include "common/time.h"
#include "daemon/networks/service_impl.h"
#include "hostnet/link.h"

namespace berth::daemon::networks {

bool valid_network_name(const std::string& n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alnum = isalnum(static_cast<unsigned char>(c)) != 0;
        if (!(alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))) return false;
    }
    return true;
}

struct CreateSpec {
    std::string name, driver;
    Json options, labels;
    bool internal = false, attachable = false;
    std::optional<Cidr> subnet, range;
    std::optional<Ipv4> gateway;
};

namespace {

Result<std::string> string_field_of(const Json& req, const char* key) {
    if (!req.contains(key) || req[key].is_null()) return std::string();
    if (!req[key].is_string()) return Error::invalid(std::string(key) + ": expected string");
    return req[key].get<std::string>();
}

Json object_field(const Json& req, const char* key) {
    return req.contains(key) && req[key].is_object() ? req[key] : Json::object();
}

// IPAM.Config[0]: the subnet, its range and gateway, each checked against the subnet.
Result<> read_ipam(const Json& req, CreateSpec& spec) {
    Json ipam = object_field(req, "IPAM");
    if (auto d = ipam.value("Driver", ""); !d.empty() && d != "default")
        return Error::not_found("plugin \"" + d + "\" not found");
    Json configs = ipam.contains("Config") && ipam["Config"].is_array() ? ipam["Config"] : Json::array();
    if (configs.size() > 1)
        return Error::unsupported("berth networks have one IPv4 subnet; got " +
                                  std::to_string(configs.size()) + " IPAM configs");
    if (configs.empty()) return ok();
    const Json& c = configs[0];
    if (auto s = c.value("Subnet", ""); !s.empty()) {
        if (s.find(':') != std::string::npos) return Error::unsupported("IPv6 subnets are not supported yet");
        spec.subnet = BERTH_TRY(Cidr::parse(s));
        if (spec.subnet->prefix > 30)
            return Error::invalid("invalid subnet " + s + ": too small for a network");
    }
    if (auto r = c.value("IPRange", ""); !r.empty()) {
        if (!spec.subnet) return Error::invalid("invalid pool request: an IP range needs a subnet");
        spec.range = BERTH_TRY(Cidr::parse(r));
        if (!spec.subnet->contains(spec.range->masked()))
            return Error::invalid("invalid pool request: IP range " + r + " is not in subnet " +
                                  spec.subnet->str());
    }
    if (auto g = c.value("Gateway", ""); !g.empty()) {
        if (!spec.subnet) return Error::invalid("invalid pool request: a gateway needs a subnet");
        spec.gateway = BERTH_TRY(parse_ipv4(g));
        if (!spec.subnet->contains(*spec.gateway))
            return Error::invalid("no matching subnet for gateway " + g);
    }
    return ok();
}

Result<CreateSpec> read_create_request(const Json& req) {
    if (!req.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    CreateSpec spec;
    spec.name = BERTH_TRY(string_field_of(req, "Name"));
    if (spec.name.empty()) return Error::invalid("network name is required");
    if (!valid_network_name(spec.name))
        return Error::invalid("invalid network name \"" + spec.name +
                              "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    spec.driver = BERTH_TRY(string_field_of(req, "Driver"));
    if (spec.driver.empty()) spec.driver = "bridge";
    if (spec.driver == "host" || spec.driver == "null")
        return Error(ErrorKind::PermissionDenied,
                     "only one instance of \"" + spec.driver + "\" network is allowed");
    if (spec.driver != "bridge") return Error::not_found("plugin \"" + spec.driver + "\" not found");
    if (req.value("EnableIPv6", false) == true)
        return Error::unsupported("IPv6 networks are not supported by berth yet");
    spec.options = object_field(req, "Options");
    for (auto& [k, v] : spec.options.items())
        if (!v.is_string()) return Error::invalid("Options." + k + ": expected string");
    spec.labels = object_field(req, "Labels");
    spec.internal = req.value("Internal", false);
    spec.attachable = req.value("Attachable", false);
    BERTH_TRY(read_ipam(req, spec));
    return spec;
}

}  // namespace

Result<Json> Service::create(const Json& req) {
    CreateSpec spec = BERTH_TRY(read_create_request(req));
    std::vector<Cidr> host;  // the host's own networks, which a picked subnet must avoid
    if (!spec.subnet)
        for (auto& h : net::host_ipv4_networks().value_or(std::vector<std::string>{}))
            if (auto c = Cidr::parse(h)) host.push_back(c->masked());
    Network n;
    {
        std::lock_guard lk(mu_);
        n = BERTH_TRY(add_user_network(spec, host));
    }
    if (auto r = setup_bridge(n); !r) {
        undo_bridge(n);
        return r.error();
    }
    publish("create", n);
    return Json{{"Id", n.id}, {"Warning", ""}};
}

// Under mu_: the subnet and bridge name checked against the other networks, the network
// recorded. Returns a copy for the kernel work that follows outside the lock.
Result<Network> Service::add_user_network(const CreateSpec& spec, const std::vector<Cidr>& host) {
    if (by_name(spec.name)) return Error::conflict("network with name " + spec.name + " already exists");
    std::vector<Cidr> taken = taken_subnets("");
    Cidr subnet;
    if (spec.subnet) {
        for (auto& t : taken)
            if (spec.subnet->masked().overlaps(t))
                return Error(ErrorKind::PermissionDenied,
                             "invalid pool request: Pool overlaps with other one on this address space");
        subnet = spec.subnet->masked();
    } else {
        taken.insert(taken.end(), host.begin(), host.end());
        subnet = BERTH_TRY(pick_subnet(BERTH_TRY(address_pools()), taken)).masked();
    }
    Ipv4 gw = spec.gateway ? *spec.gateway : subnet.addr + 1;
    Json cfg = {{"Subnet", subnet.str()}, {"Gateway", format_ipv4(gw)}};
    if (spec.range) cfg["IPRange"] = spec.range->masked().str();
    std::string id = random_id();
    std::string bridge = spec.options.value(kBridgeNameOpt, "br-" + id.substr(0, 12));
    if (bridge.size() > 15) return Error::invalid("bridge name " + bridge + " is longer than 15 characters");
    for (auto& [oid, other] : nets_)
        if (other.is_bridge() && other.bridge == bridge)
            return Error::conflict("bridge name " + bridge + " is already used by network " + other.name);
    Json doc = {
        {"Name", spec.name},
        {"Id", id},
        {"Created", now_rfc3339_nano()},
        {"Scope", "local"},
        {"Driver", spec.driver},
        {"EnableIPv4", true},
        {"EnableIPv6", false},
        {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", Json::array({cfg})}}},
        {"Internal", spec.internal},
        {"Attachable", spec.attachable},
        {"Ingress", false},
        {"ConfigFrom", {{"Network", ""}}},
        {"ConfigOnly", false},
        {"Options", spec.options},
        {"Labels", spec.labels}};
    Network* n = BERTH_TRY(add_network(doc, false));
    if (auto r = store_->put_network(doc); !r) {
        nets_.erase(id);
        return r.error();
    }
    return *n;
}

// A network whose bridge could not be set up: left behind, these would go unseen: rules
// masquerading the subnet, a bridge holding its address, and a record that init() sets up
// again at the next start.
void Service::undo_bridge(const Network& n) {
    if (fw_)
        if (auto u = fw_->remove_bridge(n.rules()); !u)
            log::warn("network " + n.name + ": " + u.error().str());
    if (auto u = net::delete_link(n.bridge); !u) log::warn("network " + n.name + ": " + u.error().str());
    std::lock_guard lk(mu_);
    if (auto u = store_->remove_network(n.id); !u) log::warn("network " + n.name + ": " + u.error().str());
    nets_.erase(n.id);
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

}  // namespace berth::daemon::networks

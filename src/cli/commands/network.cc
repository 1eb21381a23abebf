// network create/ls/inspect/rm/prune/connect/disconnect: docker CLI 28's flags, request
// bodies (NetworkCreateRequest, EndpointSettings), tables and messages over /networks.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/netopts.h"
#include "cli/commands/ports.h"
#include "cli/format/template.h"
#include "common/strings.h"

namespace berth::cli {
const char* const kFormatHelp =
    "Format output using a custom template:\n'table':            Print output in table format with column "
    "headers (default)\n'table TEMPLATE':   Print output in table format using the given Go "
    "template\n'json':   "
    "          Print in JSON format\n'TEMPLATE':         Print output using the given Go template.";
const char* const kInspectFormatHelp =
    "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         "
    "Print "
    "output using the given Go template.";

std::pair<std::string, std::string> split_kv(const std::string& kv) {
    auto eq = kv.find('=');
    return {kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1)};
}

Json kv_map(const std::vector<std::string>& items) {
    Json m = Json::object();
    for (const auto& i : items) {
        auto [k, v] = split_kv(i);
        m[k] = v;
    }
    return m;
}

namespace {

// An address family and bytes: enough of Go's net.IP/IPNet for docker's subnet checks.
struct Addr {
    int family = 0;
    unsigned char bytes[16] = {};
    size_t len() const { return family == AF_INET ? 4 : 16; }
};

std::optional<Addr> parse_addr(const std::string& s) {
    Addr a;
    a.family = s.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (::inet_pton(a.family, s.c_str(), a.bytes) != 1) return std::nullopt;
    return a;
}

struct Cidr {
    Addr net;
    int bits = 0;
    bool contains(const Addr& a) const {
        if (a.family != net.family) return false;
        for (int i = 0; i < bits; ++i) {
            int byte = i / 8, bit = 7 - i % 8;
            if (((a.bytes[byte] >> bit) & 1) != ((net.bytes[byte] >> bit) & 1)) return false;
        }
        return true;
    }
};

// net.ParseCIDR, with Go's error text.
Result<Cidr> parse_cidr(const std::string& s) {
    auto bad = Error::invalid("invalid CIDR address: " + s);
    auto slash = s.find('/');
    if (slash == std::string::npos) return bad;
    auto a = parse_addr(s.substr(0, slash));
    std::string b = s.substr(slash + 1);
    if (!a || b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos) return bad;
    int bits = std::stoi(b);
    if (bits > static_cast<int>(a->len() * 8)) return bad;
    return Cidr{*a, bits};
}

// docker's subnetMatches: does `data` (an address or a CIDR) fall inside `subnet`?
Result<bool> subnet_matches(const std::string& subnet, const std::string& data) {
    auto s = parse_cidr(subnet);
    if (!s) return Error::invalid("invalid subnet: " + s.error().str());
    std::optional<Addr> ip;
    if (data.find('/') != std::string::npos)
        ip = BERTH_TRY(parse_cidr(data)).net;
    else
        ip = parse_addr(data);
    return ip && s->contains(*ip);
}

struct CreateOpts {
    std::string driver = "bridge", scope, config_from, ipam_driver = "default";
    std::vector<std::string> opts, labels, subnets, ip_ranges, gateways, aux_addresses, ipam_opts;
    bool internal = false, attachable = false, ingress = false, config_only = false;
    bool ipv4 = true, ipv6 = false, ipv4_set = false, ipv6_set = false;
};

// docker's createIPAMConfig: subnets with their range, gateway and aux addresses.
Result<Json> ipam_config(const CreateOpts& o) {
    if (o.subnets.size() < o.ip_ranges.size() || o.subnets.size() < o.gateways.size())
        return Error::invalid("every ip-range or gateway must have a corresponding subnet");
    std::vector<Json> configs;
    for (size_t i = 0; i < o.subnets.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            bool a = BERTH_TRY(subnet_matches(o.subnets[i], o.subnets[j]));
            bool b = BERTH_TRY(subnet_matches(o.subnets[j], o.subnets[i]));
            if (a || b) return Error::invalid("multiple overlapping subnet configuration is not supported");
        }
        configs.push_back({{"Subnet", o.subnets[i]}});
    }
    auto assign = [&](const std::string& value, const char* key, const char* what,
                      const char* multiple) -> Result<> {
        bool match = false;
        for (size_t i = 0; i < o.subnets.size(); ++i) {
            if (std::string(key) == "IPRange") BERTH_TRY(parse_cidr(value));
            if (!BERTH_TRY(subnet_matches(o.subnets[i], value))) continue;
            if (configs[i].contains(key))
                return Error::invalid(std::string("cannot configure multiple ") + multiple + " (" + value +
                                      ", " + configs[i][key].get<std::string>() + ") " +
                                      (std::string(key) == "IPRange" ? "on" : "for") + " the same subnet (" +
                                      o.subnets[i] + ")");
            configs[i][key] = value;
            match = true;
        }
        if (!match) return Error::invalid(std::string("no matching subnet for ") + what + " " + value);
        return ok();
    };
    for (const auto& r : o.ip_ranges) BERTH_TRY(assign(r, "IPRange", "range", "ranges"));
    for (const auto& g : o.gateways) BERTH_TRY(assign(g, "Gateway", "gateway", "gateways"));
    for (const auto& aux : o.aux_addresses) {
        auto [name, addr] = split_kv(aux);
        bool match = false;
        for (size_t i = 0; i < o.subnets.size(); ++i) {
            if (!BERTH_TRY(subnet_matches(o.subnets[i], addr))) continue;
            configs[i]["AuxiliaryAddresses"][name] = addr;
            match = true;
        }
        if (!match) return Error::invalid("no matching subnet for aux-address " + addr);
    }
    return Json{{"Driver", o.ipam_driver}, {"Options", kv_map(o.ipam_opts)}, {"Config", configs}};
}

int cmd_create(Context& ctx, const CreateOpts& o, const std::string& name) {
    // opts.ValidateLabel runs while docker parses flags: pflag's wording, usage, exit 125.
    for (const auto& l : o.labels) {
        std::string key = split_kv(l).first;
        size_t s = key.find_first_not_of(" \t");
        std::string msg;
        if (s == std::string::npos)
            msg = "invalid label '" + l + "': empty name";
        else if (key.find_first_of(" \t", s) != std::string::npos)
            msg = "label '" + key.substr(s) + "' contains whitespaces";
        if (!msg.empty()) {
            ctx.io.err
                << "invalid argument \"" << l << "\" for \"--label\" flag: " << msg
                << "\n\nUsage:  berth network create [OPTIONS] NETWORK\n\nRun 'berth network create --help' "
                   "for more information\n";
            return 125;
        }
    }
    auto ipam = ipam_config(o);
    if (!ipam) return ctx.fail(ipam.error().str());
    Json body = {{"Name", name},
                 {"Driver", o.driver},
                 {"Scope", o.scope},
                 {"IPAM", *ipam},
                 {"Internal", o.internal},
                 {"Attachable", o.attachable},
                 {"Ingress", o.ingress},
                 {"ConfigOnly", o.config_only},
                 {"ConfigFrom", o.config_from.empty() ? Json() : Json{{"Network", o.config_from}}},
                 {"Options", kv_map(o.opts)},
                 {"Labels", kv_map(o.labels)}};
    // Only the flags given: the daemon applies its defaults otherwise.
    if (o.ipv4_set) body["EnableIPv4"] = o.ipv4;
    if (o.ipv6_set) body["EnableIPv6"] = o.ipv6;
    auto r = ctx.client().post_json("/networks/create", {}, body);
    if (!r) return ctx.fail(r.error());
    ctx.io.out << r->value("Id", std::string()) << "\n";
    if (auto w = r->value("Warning", std::string()); !w.empty()) ctx.io.err << "WARNING: " << w << "\n";
    return 0;
}

struct ListOpts {
    bool quiet = false, no_trunc = false;
    std::string format;
    std::vector<std::string> filters;
};

std::string bool_of(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_boolean() && j[key].get<bool>() ? "true" : "false";
}

// The fields of docker's networkContext.
Json network_row(const Json& n, bool trunc) {
    std::string id = string_field(n, "Id");
    std::string labels;
    if (n.contains("Labels") && n["Labels"].is_object())
        for (const auto& [k, v] : n["Labels"].items())
            labels += (labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : "");
    int64_t created = parse_rfc3339(string_field(n, "Created"));
    return {{"ID", trunc ? short_id(id) : id},
            {"Name", string_field(n, "Name")},
            {"Driver", string_field(n, "Driver")},
            {"Scope", string_field(n, "Scope")},
            {"IPv4", n.contains("EnableIPv4") ? bool_of(n, "EnableIPv4") : "true"},
            {"IPv6", bool_of(n, "EnableIPv6")},
            {"Internal", bool_of(n, "Internal")},
            {"Labels", labels},
            {"CreatedAt", created < 0 ? "" : go_time_string(created)}};
}

int cmd_ls(Context& ctx, const ListOpts& o) {
    client::Query q;
    if (auto r = q.add_filters(o.filters); !r) return ctx.fail(r.error());
    auto list = ctx.client().get_json("/networks", q);
    if (!list) return ctx.fail(list.error());
    std::vector<Json> nets;
    if (list->is_array()) nets.assign(list->begin(), list->end());
    std::stable_sort(nets.begin(), nets.end(), [](const Json& a, const Json& b) {
        return natural_less(string_field(a, "Name"), string_field(b, "Name"));
    });
    std::vector<Json> rows;
    for (const auto& n : nets) rows.push_back(network_row(n, !o.no_trunc));
    std::string fmt = o.format;
    if (o.quiet && (fmt.empty() || fmt == "table")) fmt = "{{.ID}}";
    auto out = render_list(fmt, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows,
                           {{"ID", "NETWORK ID"},
                            {"Name", "NAME"},
                            {"Driver", "DRIVER"},
                            {"Scope", "SCOPE"},
                            {"IPv4", "IPV4"},
                            {"IPv6", "IPV6"},
                            {"Internal", "INTERNAL"},
                            {"Labels", "LABELS"},
                            {"CreatedAt", "CREATED AT"}});
    if (!out) return ctx.fail(out.error().str());
    ctx.io.out << *out;
    return 0;
}

int cmd_inspect(Context& ctx, const std::string& format, bool verbose,
                const std::vector<std::string>& names) {
    client::Query q;
    q.add_if(verbose, "verbose", "true");
    return print_inspected(
        ctx, format, names,
        [&](const std::string& n) { return get_object(ctx, "/networks/" + percent_encode(n), q); },
        [](const Error& e) { return e.str(); });  // docker keeps "Error response from daemon: " here
}

int cmd_rm(Context& ctx, bool force, const std::vector<std::string>& names) {
    int status = 0;
    for (const auto& n : names) {
        auto r = ctx.client().call("DELETE", "/networks/" + percent_encode(n));
        if (!r) {
            if (force && r.error().kind() == ErrorKind::NotFound) continue;
            ctx.io.err << r.error().str() << "\n";
            status = 1;
            continue;
        }
        ctx.io.out << n << "\n";
    }
    if (status) ctx.io.err << "exit status " << status << "\n";  // docker's StatusError text
    return status;
}

int cmd_prune(Context& ctx, bool force, const std::vector<std::string>& filters) {
    if (!force &&
        !ctx.confirm("WARNING! This will remove all custom networks not used by at least one container."))
        return 0;
    client::Query q;
    if (auto r = q.add_filters(filters); !r) return ctx.fail(r.error());
    auto rep = ctx.client().post_json("/networks/prune", q);
    if (!rep) return ctx.fail(rep.error());
    const Json& del = rep->value("NetworksDeleted", Json::array());
    if (del.is_array() && !del.empty()) {
        // docker prints the report followed by an empty line.
        ctx.io.out << "Deleted Networks:\n";
        for (const auto& id : del)
            if (id.is_string()) ctx.io.out << id.get<std::string>() << "\n";
        ctx.io.out << "\n";
    }
    return 0;
}

struct ConnectOpts {
    std::string ip, ip6;
    std::vector<std::string> links, aliases, link_local_ips, driver_opts;
    int64_t gw_priority = 0;
};

// StringSlice flags (--alias a,b): comma-separated values as pflag reads them.
std::vector<std::string> comma_list(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
        size_t pos = 0;
        for (;;) {
            size_t e = v.find(',', pos);
            out.push_back(v.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
            if (e == std::string::npos) break;
            pos = e + 1;
        }
    }
    return out;
}

int cmd_connect(Context& ctx, const ConnectOpts& o, const std::string& network,
                const std::string& container) {
    NetworkAttachment a;
    a.aliases = comma_list(o.aliases);
    a.ipv4 = o.ip;
    a.ipv6 = o.ip6;
    a.gw_priority = static_cast<int>(o.gw_priority);
    for (const auto& d : comma_list(o.driver_opts)) {
        auto eq = d.find('=');
        std::string k = eq == std::string::npos ? d : d.substr(0, eq);
        k.erase(0, k.find_first_not_of(" \t"));
        while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
        if (eq == std::string::npos || k.empty())
            return ctx.fail("invalid key/value pair format in driver options");
        std::string v = d.substr(eq + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
        a.driver_opts[k] = v;
    }
    Json ep = endpoint_settings(a);
    // docker always sends an IPAMConfig here, and the links list.
    Json ipam = Json::object();
    if (!o.ip.empty()) ipam["IPv4Address"] = o.ip;
    if (!o.ip6.empty()) ipam["IPv6Address"] = o.ip6;
    auto lls = comma_list(o.link_local_ips);
    if (!lls.empty()) ipam["LinkLocalIPs"] = lls;
    ep["IPAMConfig"] = ipam;
    ep["Links"] = o.links.empty() ? Json() : Json(o.links);
    ep["Aliases"] = a.aliases;
    if (!ep["DriverOpts"].is_object()) ep["DriverOpts"] = Json::object();
    Json body = {{"Container", container}, {"EndpointConfig", ep}};
    auto r =
        ctx.client().call("POST", "/networks/" + percent_encode(network) + "/connect", {}, dump_json(body));
    if (!r) return ctx.fail(r.error());
    return 0;
}

int cmd_disconnect(Context& ctx, bool force, const std::string& network, const std::string& container) {
    Json body = {{"Container", container}, {"Force", force}};
    auto r = ctx.client().call("POST", "/networks/" + percent_encode(network) + "/disconnect", {},
                               dump_json(body));
    if (!r) return ctx.fail(r.error());
    return 0;
}

}  // namespace

void add_network_commands(Context& ctx, CLI::App* network) {
    auto co = std::make_shared<CreateOpts>();
    Cmd create(ctx, network, "create", "Create a network", "[OPTIONS] NETWORK", 1, 1);
    create.flag("--attachable", co->attachable, "Enable manual container attachment")
        .strs("--aux-address", co->aux_addresses, "Auxiliary IPv4 or IPv6 addresses used by Network driver",
              "map")
        .str("--config-from", co->config_from, "The network from which to copy the configuration")
        .flag("--config-only", co->config_only, "Create a configuration only network")
        .str("-d,--driver", co->driver, "Driver to manage the Network (default \"bridge\")")
        .strs("--gateway", co->gateways, "IPv4 or IPv6 Gateway for the master subnet", "strings")
        .flag("--ingress", co->ingress, "Create swarm routing-mesh network")
        .flag("--internal", co->internal, "Restrict external access to the network")
        .strs("--ip-range", co->ip_ranges, "Allocate container ip from a sub-range", "strings")
        .str("--ipam-driver", co->ipam_driver, "IP Address Management Driver (default \"default\")")
        .strs("--ipam-opt", co->ipam_opts, "Set IPAM driver specific options", "map");
    CLI::App* app = create.app();
    // --ipv4/--ipv6 are booleans whose "was it given" matters (--ipv4=false).
    app->add_flag("--ipv4{true}", co->ipv4, "Enable or disable IPv4 address assignment (default true)")
        ->each([co](const std::string&) { co->ipv4_set = true; });
    app->add_flag("--ipv6{true}", co->ipv6, "Enable or disable IPv6 address assignment")
        ->each([co](const std::string&) { co->ipv6_set = true; });
    create.strs("--label", co->labels, "Set metadata on a network")
        .strs("-o,--opt", co->opts, "Set driver specific options", "map")
        .str("--scope", co->scope, "Control the network's scope")
        .strs("--subnet", co->subnets, "Subnet in CIDR format that represents a network segment", "strings")
        .action([&ctx, co](const auto& a) {
            CreateOpts o = *co;
            o.subnets = comma_list(o.subnets);
            o.ip_ranges = comma_list(o.ip_ranges);
            o.gateways = comma_list(o.gateways);
            return cmd_create(ctx, o, a[0]);
        });

    auto lo = std::make_shared<ListOpts>();
    Cmd(ctx, network, "ls", "List networks", "[OPTIONS]", 0, 0)
        .alias("list")
        .strs("-f,--filter", lo->filters, "Provide filter values (e.g. \"driver=bridge\")", "filter")
        .str("--format", lo->format, kFormatHelp)
        .flag("--no-trunc", lo->no_trunc, "Do not truncate the output")
        .flag("-q,--quiet", lo->quiet, "Only display network IDs")
        .action([&ctx, lo](const auto&) { return cmd_ls(ctx, *lo); });

    auto io = std::make_shared<std::pair<std::string, bool>>();
    Cmd(ctx, network, "inspect", "Display detailed information on one or more networks",
        "[OPTIONS] NETWORK [NETWORK...]", 1, -1)
        .str("-f,--format", io->first, kInspectFormatHelp)
        .flag("-v,--verbose", io->second, "Verbose output for diagnostics")
        .action([&ctx, io](const auto& a) { return cmd_inspect(ctx, io->first, io->second, a); });

    auto rm_force = std::make_shared<bool>(false);
    Cmd(ctx, network, "rm", "Remove one or more networks", "NETWORK [NETWORK...]", 1, -1)
        .alias("remove")
        .flag("-f,--force", *rm_force, "Do not error if the network does not exist")
        .action([&ctx, rm_force](const auto& a) { return cmd_rm(ctx, *rm_force, a); });

    auto po = std::make_shared<std::pair<bool, std::vector<std::string>>>();
    Cmd(ctx, network, "prune", "Remove all unused networks", "[OPTIONS]", 0, 0)
        .strs("--filter", po->second, "Provide filter values (e.g. \"until=<timestamp>\")", "filter")
        .flag("-f,--force", po->first, "Do not prompt for confirmation")
        .action([&ctx, po](const auto&) { return cmd_prune(ctx, po->first, po->second); });

    auto cn = std::make_shared<ConnectOpts>();
    Cmd(ctx, network, "connect", "Connect a container to a network", "[OPTIONS] NETWORK CONTAINER", 2, 2)
        .strs("--alias", cn->aliases, "Add network-scoped alias for the container", "strings")
        .strs("--driver-opt", cn->driver_opts, "driver options for the network", "strings")
        .num("--gw-priority", cn->gw_priority,
             "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
        .str("--ip", cn->ip, "IPv4 address (e.g., \"172.30.100.104\")")
        .str("--ip6", cn->ip6, "IPv6 address (e.g., \"2001:db8::33\")")
        .strs("--link", cn->links, "Add link to another container")
        .strs("--link-local-ip", cn->link_local_ips, "Add a link-local address for the container", "strings")
        .action([&ctx, cn](const auto& a) { return cmd_connect(ctx, *cn, a[0], a[1]); });

    auto df = std::make_shared<bool>(false);
    Cmd(ctx, network, "disconnect", "Disconnect a container from a network", "[OPTIONS] NETWORK CONTAINER", 2,
        2)
        .flag("-f,--force", *df, "Force the container to disconnect from a network")
        .action([&ctx, df](const auto& a) { return cmd_disconnect(ctx, *df, a[0], a[1]); });
}

}  // namespace berth::cli

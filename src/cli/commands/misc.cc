// top, port, diff.
#include <algorithm>

#include "cli/commands/context.h"
#include "cli/commands/ports.h"
#include "cli/format/template.h"

namespace berth::cli {
namespace {

int cmd_top(Context& ctx, const std::vector<std::string>& a) {
    client::Query q;
    if (a.size() > 1) {
        std::string args;
        for (size_t i = 1; i < a.size(); ++i) args += (i > 1 ? " " : "") + a[i];
        q.add("ps_args", args);
    }
    auto r = ctx.client().get_json("/containers/" + a[0] + "/top", q);
    if (!r) return ctx.fail(r.error());
    std::string text;
    const Json& titles = r->value("Titles", Json::array());
    for (size_t i = 0; i < titles.size(); ++i) text += (i ? "\t" : "") + format::go_print_value(titles[i]);
    text += "\n";
    const Json& procs = r->value("Processes", Json::array());
    if (procs.is_array())
        for (const auto& p : procs) {
            for (size_t i = 0; i < p.size(); ++i) text += (i ? "\t" : "") + format::go_print_value(p[i]);
            text += "\n";
        }
    // docker: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
    ctx.io.out << format::tabwrite(text, 20, 3);
    return 0;
}

// docker's `port`: "80/tcp -> 0.0.0.0:8080" lines (or the addresses of one private port),
// in natural order.
int cmd_port(Context& ctx, const std::vector<std::string>& a) {
    auto info = ctx.client().get_json("/containers/" + a[0] + "/json");
    if (!info) return ctx.fail(info.error());
    Json ports = Json::object();
    if (info->contains("NetworkSettings") && (*info)["NetworkSettings"].is_object())
        ports = (*info)["NetworkSettings"].value("Ports", Json::object());
    if (!ports.is_object()) ports = Json::object();
    std::vector<std::string> out;
    auto addr = [](const Json& b) {
        return join_host_port(b.value("HostIp", std::string()), b.value("HostPort", std::string()));
    };
    if (a.size() > 1) {
        std::string port = a[1].substr(0, a[1].find('/'));
        std::string proto = a[1].find('/') == std::string::npos ? "" : a[1].substr(a[1].find('/') + 1);
        if (proto.empty()) proto = "tcp";
        bool digits = !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || port.size() > 5 || std::stoul(port) > 65535)
            return ctx.fail("Error: invalid port (" + port + "): strconv.ParseUint: parsing \"" + port +
                            "\": " + (digits ? "value out of range" : "invalid syntax"));
        std::string key = port + "/" + proto;
        const Json* binds = ports.contains(key) ? &ports[key] : nullptr;
        if (!binds || !binds->is_array() || binds->empty())
            return ctx.fail("Error: No public port '" + a[1] + "' published for " + a[0]);
        for (const auto& b : *binds) out.push_back(addr(b));
    } else {
        for (const auto& [key, binds] : ports.items())
            if (binds.is_array())
                for (const auto& b : binds) out.push_back(key + " -> " + addr(b));
    }
    std::sort(out.begin(), out.end(), natural_less);
    for (const auto& l : out) ctx.io.out << l << "\n";
    return 0;
}

int cmd_diff(Context& ctx, const std::string& name) {
    auto r = ctx.client().get_json("/containers/" + name + "/changes");
    if (!r) return ctx.fail(r.error());
    if (r->is_array())
        for (const auto& c : *r) {
            int kind = c.value("Kind", 0);
            const char* k = kind == 0 ? "C" : kind == 1 ? "A" : "D";
            ctx.io.out << k << " " << c.value("Path", std::string()) << "\n";
        }
    return 0;
}

}  // namespace

void add_misc_commands(Context& ctx, CLI::App& root, CLI::App* container) {
    for (CLI::App* parent : {&root, container}) {
        bool top = parent == &root;
        auto other = [&](const std::string& n) { return top ? "berth container " + n : "berth " + n; };
        Cmd(ctx, parent, "top", "Display the running processes of a container", "CONTAINER [ps OPTIONS]", 1,
            -1)
            .also_known_as(other("top"))
            .stop_at_first_arg()
            .action([&ctx](const auto& a) { return cmd_top(ctx, a); });
        Cmd(ctx, parent, "port", "List port mappings or a specific mapping for the container",
            "CONTAINER [PRIVATE_PORT[/PROTO]]", 1, 2)
            .also_known_as(other("port"))
            .action([&ctx](const auto& a) { return cmd_port(ctx, a); });
        Cmd(ctx, parent, "diff", "Inspect changes to files or directories on a container's filesystem",
            "CONTAINER", 1, 1)
            .also_known_as(other("diff"))
            .action([&ctx](const auto& a) { return cmd_diff(ctx, a[0]); });
    }
}

}  // namespace berth::cli

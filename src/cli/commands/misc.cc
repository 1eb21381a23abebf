// top, port, diff.
#include "cli/commands/context.h"
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

int cmd_port(Context& ctx, const std::vector<std::string>& a) {
    auto info = ctx.client().get_json("/containers/" + a[0] + "/json");
    if (!info) return ctx.fail(info.error());
    const Json& ports = info->value("NetworkSettings", Json::object()).value("Ports", Json::object());
    std::string want;
    if (a.size() > 1) {
        want = a[1];
        if (want.find('/') == std::string::npos) want += "/tcp";
    }
    bool found = false;
    if (ports.is_object())
        for (const auto& [key, binds] : ports.items()) {
            if (!want.empty() && key != want) continue;
            if (!binds.is_array()) continue;
            for (const auto& b : binds) {
                std::string ip = b.value("HostIp", std::string());
                std::string port = b.value("HostPort", std::string());
                if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
                if (want.empty())
                    ctx.io.out << key << " -> " << ip << ":" << port << "\n";
                else
                    ctx.io.out << ip << ":" << port << "\n";
                found = true;
            }
        }
    if (!want.empty() && !found)
        return ctx.fail("Error: No public port '" + want + "' published for " + a[0]);
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

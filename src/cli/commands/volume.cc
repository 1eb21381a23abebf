// volume create/ls/inspect/rm/prune: docker's columns, --format, messages and exit codes.
#include <algorithm>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/ports.h"
#include "cli/format/template.h"
#include "common/strings.h"

namespace berth::cli {
namespace {

struct VolumeCreateOpts {
    std::string driver = "local", name;
    std::vector<std::string> labels, opts;
};

int cmd_volume_create(Context& ctx, const VolumeCreateOpts& o, const std::vector<std::string>& args) {
    std::string name = args.empty() ? o.name : args[0];
    if (!args.empty() && !o.name.empty() && o.name != args[0])
        return ctx.fail(
            "conflicting options: cannot specify a volume-name through both --name and as a positional arg");
    Json body = {
        {"Name", name}, {"Driver", o.driver}, {"DriverOpts", kv_map(o.opts)}, {"Labels", kv_map(o.labels)}};
    auto v = ctx.client().post_json("/volumes/create", {}, body);
    if (!v) return ctx.fail(v.error());
    ctx.io.out << string_field(*v, "Name") << "\n";
    return 0;
}

// docker's volumeContext fields, as strings.
Json volume_row(const Json& v) {
    std::string labels;
    if (v.contains("Labels") && v["Labels"].is_object())
        for (const auto& [k, val] : v["Labels"].items())
            labels += (labels.empty() ? "" : ",") + k + "=" + (val.is_string() ? val.get<std::string>() : "");
    const Json* usage = v.contains("UsageData") && v["UsageData"].is_object() ? &v["UsageData"] : nullptr;
    return {{"Name", string_field(v, "Name")},
            {"Driver", string_field(v, "Driver")},
            {"Scope", string_field(v, "Scope")},
            {"Mountpoint", string_field(v, "Mountpoint")},
            {"Labels", labels},
            {"Links", usage ? std::to_string(usage->value("RefCount", int64_t{0})) : "N/A"},
            {"Size", usage ? human_size(static_cast<double>(usage->value("Size", int64_t{0})), 4) : "N/A"},
            {"Availability", "N/A"},  // cluster volumes' fields, as docker fills them for local ones
            {"Group", "N/A"},
            {"Status", "N/A"}};
}

struct VolumeListOpts {
    bool quiet = false;
    std::vector<std::string> filters;
    std::string format;
};

int cmd_volume_ls(Context& ctx, const VolumeListOpts& o) {
    client::Query q;
    if (auto r = q.add_filters(o.filters); !r) return ctx.fail(r.error());
    auto list = ctx.client().get_json("/volumes", q);
    if (!list) return ctx.fail(list.error());
    std::vector<Json> vols;
    if (const Json& v = list->value("Volumes", Json::array()); v.is_array()) vols.assign(v.begin(), v.end());
    std::stable_sort(vols.begin(), vols.end(), [](const Json& a, const Json& b) {
        return natural_less(string_field(a, "Name"), string_field(b, "Name"));
    });
    std::vector<Json> rows;
    for (const auto& v : vols) rows.push_back(volume_row(v));
    std::string fmt = o.format;
    if (o.quiet && (fmt.empty() || fmt == "table")) fmt = "{{.Name}}";
    auto out = render_list(fmt, "table {{.Driver}}\t{{.Name}}", rows,
                           {{"Name", "VOLUME NAME"},
                            {"Driver", "DRIVER"},
                            {"Scope", "SCOPE"},
                            {"Mountpoint", "MOUNTPOINT"},
                            {"Labels", "LABELS"},
                            {"Links", "LINKS"},
                            {"Size", "SIZE"}});
    if (!out) return ctx.fail(out.error().str());
    ctx.io.out << *out;
    return 0;
}

int cmd_volume_inspect(Context& ctx, const std::string& format, const std::vector<std::string>& names) {
    return print_inspected(
        ctx, format, names,
        [&](const std::string& n) { return get_object(ctx, "/volumes/" + percent_encode(n)); },
        [](const Error& e) { return e.str(); });
}

int cmd_volume_rm(Context& ctx, bool force, const std::vector<std::string>& names) {
    int status = 0;
    for (const auto& n : names) {
        client::Query q;
        q.add_if(force, "force", "1");
        auto r = ctx.client().call("DELETE", "/volumes/" + percent_encode(n), q);
        if (!r) {
            ctx.io.err << r.error().str() << "\n";
            status = 1;
            continue;
        }
        ctx.io.out << n << "\n";
    }
    if (status) ctx.io.err << "exit status " << status << "\n";  // docker's StatusError text
    return status;
}

int cmd_volume_prune(Context& ctx, bool force, bool all, const std::vector<std::string>& filters) {
    std::string warning =
        all ? "WARNING! This will remove all local volumes not used by at least one container."
            : "WARNING! This will remove anonymous local volumes not used by at least one container.";
    if (!force && !ctx.confirm(warning)) return 0;
    client::Query q;
    std::vector<std::string> f = filters;
    if (all) f.push_back("all=true");
    if (auto r = q.add_filters(f); !r) return ctx.fail(r.error());
    auto rep = ctx.client().post_json("/volumes/prune", q);
    if (!rep) return ctx.fail(rep.error());
    const Json& del = rep->value("VolumesDeleted", Json::array());
    if (del.is_array() && !del.empty()) {
        ctx.io.out << "Deleted Volumes:\n";
        for (const auto& n : del)
            if (n.is_string()) ctx.io.out << n.get<std::string>() << "\n";
        ctx.io.out << "\n";
    }
    ctx.io.out << "Total reclaimed space: "
               << human_size(static_cast<double>(rep->value("SpaceReclaimed", int64_t{0})), 4) << "\n";
    return 0;
}

}  // namespace

void add_volume_commands(Context& ctx, CLI::App* volume) {
    auto co = std::make_shared<VolumeCreateOpts>();
    Cmd(ctx, volume, "create", "Create a volume", "[OPTIONS] [VOLUME]", 0, 1)
        .str("-d,--driver", co->driver, "Specify volume driver name (default \"local\")")
        .strs("--label", co->labels, "Set metadata for a volume", "list")
        .str("--name", co->name, "Specify volume name")
        .strs("-o,--opt", co->opts, "Set driver specific options", "map")
        .action([&ctx, co](const auto& a) { return cmd_volume_create(ctx, *co, a); });

    auto lo = std::make_shared<VolumeListOpts>();
    Cmd(ctx, volume, "ls", "List volumes", "[OPTIONS]", 0, 0)
        .alias("list")
        .strs("-f,--filter", lo->filters, "Provide filter values (e.g. \"dangling=true\")", "filter")
        .str("--format", lo->format, kFormatHelp)
        .flag("-q,--quiet", lo->quiet, "Only display volume names")
        .action([&ctx, lo](const auto&) { return cmd_volume_ls(ctx, *lo); });

    auto fmt = std::make_shared<std::string>();
    Cmd(ctx, volume, "inspect", "Display detailed information on one or more volumes",
        "[OPTIONS] VOLUME [VOLUME...]", 1, -1)
        .str("-f,--format", *fmt, kInspectFormatHelp)
        .action([&ctx, fmt](const auto& a) { return cmd_volume_inspect(ctx, *fmt, a); });

    auto rm_force = std::make_shared<bool>(false);
    Cmd(ctx, volume, "rm", "Remove one or more volumes", "[OPTIONS] VOLUME [VOLUME...]", 1, -1)
        .alias("remove")
        .flag("-f,--force", *rm_force, "Force the removal of one or more volumes")
        .action([&ctx, rm_force](const auto& a) { return cmd_volume_rm(ctx, *rm_force, a); });

    struct VolumePruneOpts {
        bool force = false, all = false;
        std::vector<std::string> filters;
    };
    auto po = std::make_shared<VolumePruneOpts>();
    Cmd(ctx, volume, "prune", "Remove unused local volumes", "[OPTIONS]", 0, 0)
        .flag("-a,--all", po->all, "Remove all unused volumes, not just anonymous ones")
        .strs("--filter", po->filters, "Provide filter values (e.g. \"label=<label>\")", "filter")
        .flag("-f,--force", po->force, "Do not prompt for confirmation")
        .action([&ctx, po](const auto&) { return cmd_volume_prune(ctx, po->force, po->all, po->filters); });
}

}  // namespace berth::cli

// ps / container ls: docker's columns, humanised fields and --format.
#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/ports.h"
#include "cli/commands/rows.h"
#include "cli/format/template.h"
#include "cli/format/value.h"

namespace berth::cli {
namespace {

struct PsOpts {
    bool all = false, quiet = false, latest = false, no_trunc = false, size = false;
    int64_t last = -1;
    std::vector<std::string> filters;
    std::string format;
};

int cmd_ps(Context& ctx, const PsOpts& o) {
    client::Query q;
    bool all = o.all || o.latest || o.last > 0;
    q.add_if(all, "all", "1");
    if (o.latest)
        q.add("limit", "1");
    else if (o.last > 0)
        q.add("limit", std::to_string(o.last));
    q.add_if(o.size, "size", "1");
    if (auto r = q.add_filters(o.filters); !r) return ctx.fail(r.error());
    auto list = ctx.client().get_json("/containers/json", q);
    if (!list) return ctx.fail(list.error());
    std::vector<Json> rows;
    if (list->is_array())
        for (const auto& c : *list) rows.push_back(ps_row(c, !o.no_trunc));
    std::string fmt = o.format;
    if (o.quiet && (fmt.empty() || fmt == "table")) fmt = "{{.ID}}";
    std::string def =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (o.size) def += "\t{{.Size}}";
    auto out = render_list(fmt, def, rows, kPsHeaders);
    if (!out) {
        ctx.io.out << out.error().str() << "\n";  // docker prints template errors and fails
        return 1;
    }
    ctx.io.out << *out;
    return 0;
}

void define_ps(Context& ctx, CLI::App* parent, const std::string& name) {
    auto o = std::make_shared<PsOpts>();
    Cmd c(ctx, parent, name, "List containers", "[OPTIONS]", 0, 0);
    if (name == "ls")
        c.alias("ps").alias("list").also_known_as("berth ps");
    else
        c.also_known_as("berth container ls")
            .also_known_as("berth container list")
            .also_known_as("berth container ps");
    c.flag("-a,--all", o->all, "Show all containers (default shows just running)")
        .strs("-f,--filter", o->filters, "Filter output based on conditions provided", "filter")
        .str("--format", o->format, kFormatHelp)
        .num("-n,--last", o->last, "Show n last created containers (includes all states) (default -1)")
        .flag("-l,--latest", o->latest, "Show the latest created container (includes all states)")
        .flag("--no-trunc", o->no_trunc, "Don't truncate output")
        .flag("-q,--quiet", o->quiet, "Only display container IDs")
        .flag("-s,--size", o->size, "Display total file sizes")
        .action([&ctx, o](const auto&) { return cmd_ps(ctx, *o); });
}

}  // namespace

// The fields docker's ContainerContext exposes, as strings.
Json ps_row(const Json& c, bool trunc) {
    Json r;
    std::string id = string_field(c, "Id");
    r["ID"] = trunc ? short_id(id) : id;
    std::string image = string_field(c, "Image");
    if (trunc && image.rfind("sha256:", 0) == 0) image = short_id(image);
    r["Image"] = image;
    std::string cmd = string_field(c, "Command");
    r["Command"] = format::go_quote(trunc ? ellipsis(cmd, 20) : cmd);
    int64_t created = c.value("Created", int64_t{0});
    r["CreatedAt"] = go_time_string(created);
    r["RunningFor"] = human_duration(now_seconds() - created) + " ago";
    r["Ports"] = ports_column(c.value("Ports", Json::array()));
    r["State"] = string_field(c, "State");
    r["Status"] = string_field(c, "Status");
    int64_t srw = c.value("SizeRw", int64_t{0}), sroot = c.value("SizeRootFs", int64_t{0});
    std::string size = human_size(static_cast<double>(srw));
    if (sroot > 0) size += " (virtual " + human_size(static_cast<double>(sroot)) + ")";
    r["Size"] = size;
    std::vector<std::string> names;
    if (c.contains("Names") && c["Names"].is_array())
        for (const auto& n : c["Names"])
            if (n.is_string()) {
                std::string s = n.get<std::string>();
                if (!s.empty() && s[0] == '/') s.erase(0, 1);
                names.push_back(s);
            }
    if (trunc) {
        for (const auto& n : names)
            if (n.find('/') == std::string::npos) {
                names = {n};
                break;
            }
    }
    std::string joined;
    for (size_t i = 0; i < names.size(); ++i) joined += (i ? "," : "") + names[i];
    r["Names"] = joined;
    std::string labels;
    if (c.contains("Labels") && c["Labels"].is_object())
        for (const auto& [k, v] : c["Labels"].items())
            labels += (labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : "");
    r["Labels"] = labels;
    r["Platform"] = nullptr;  // docker's newer CLIs: nil unless the daemon names the image's platform
    std::string mounts;
    int volumes = 0;
    if (c.contains("Mounts") && c["Mounts"].is_array())
        for (const auto& m : c["Mounts"]) {
            std::string name = string_field(m, "Name");
            if (name.empty()) name = string_field(m, "Source");
            if (trunc) name = ellipsis(name, 15);
            mounts += (mounts.empty() ? "" : ",") + name;
            if (string_field(m, "Driver") == "local") ++volumes;
        }
    r["Mounts"] = mounts;
    r["LocalVolumes"] = std::to_string(volumes);
    std::string nets;
    if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object() &&
        c["NetworkSettings"].contains("Networks") && c["NetworkSettings"]["Networks"].is_object())
        for (const auto& [k, v] : c["NetworkSettings"]["Networks"].items())
            nets += (nets.empty() ? "" : ",") + k;
    r["Networks"] = nets;
    return r;
}

const std::map<std::string, std::string> kPsHeaders = {{"ID", "CONTAINER ID"},
                                                       {"Image", "IMAGE"},
                                                       {"Command", "COMMAND"},
                                                       {"CreatedAt", "CREATED AT"},
                                                       {"RunningFor", "CREATED"},
                                                       {"Ports", "PORTS"},
                                                       {"State", "STATE"},
                                                       {"Status", "STATUS"},
                                                       {"Size", "SIZE"},
                                                       {"Names", "NAMES"},
                                                       {"Labels", "LABELS"},
                                                       {"Mounts", "MOUNTS"},
                                                       {"LocalVolumes", "LOCAL VOLUMES"},
                                                       {"Networks", "NETWORKS"}};

void add_container_list(Context& ctx, CLI::App& root, CLI::App* container) {
    define_ps(ctx, &root, "ps");
    define_ps(ctx, container, "ls");
}

}  // namespace berth::cli

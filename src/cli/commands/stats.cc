// stats: docker's CPU/memory/network/block I/O columns from /containers/{id}/stats samples.
#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "common/strings.h"

namespace berth::cli {
namespace {

struct StatsOpts {
    bool all = false, no_stream = false, no_trunc = false;
    std::string format;
};

uint64_t u64(const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<uint64_t>() : 0;
}

std::string percent(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", v);
    return buf;
}

// One row as docker's stats formatter computes it (cli/command/container/stats_helpers.go).
Json stats_row(const Json& s, const std::string& id, bool trunc) {
    const Json empty = Json::object();
    const Json& cpu = s.value("cpu_stats", empty);
    const Json& pre = s.value("precpu_stats", empty);
    double cpu_delta = static_cast<double>(u64(cpu.value("cpu_usage", empty), "total_usage")) -
                       static_cast<double>(u64(pre.value("cpu_usage", empty), "total_usage"));
    double sys_delta =
        static_cast<double>(u64(cpu, "system_cpu_usage")) - static_cast<double>(u64(pre, "system_cpu_usage"));
    double online = static_cast<double>(u64(cpu, "online_cpus"));
    if (online == 0 && cpu.contains("cpu_usage") && cpu["cpu_usage"].contains("percpu_usage") &&
        cpu["cpu_usage"]["percpu_usage"].is_array())
        online = static_cast<double>(cpu["cpu_usage"]["percpu_usage"].size());
    double cpu_pct = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * online * 100.0 : 0.0;

    const Json& mem = s.value("memory_stats", empty);
    const Json& ms = mem.value("stats", empty);
    double usage = static_cast<double>(u64(mem, "usage"));
    if (ms.contains("total_inactive_file") && static_cast<double>(u64(ms, "total_inactive_file")) < usage)
        usage -= static_cast<double>(u64(ms, "total_inactive_file"));
    else if (ms.contains("inactive_file") && static_cast<double>(u64(ms, "inactive_file")) < usage)
        usage -= static_cast<double>(u64(ms, "inactive_file"));
    double limit = static_cast<double>(u64(mem, "limit"));
    double mem_pct = limit != 0 ? usage / limit * 100.0 : 0.0;

    double rx = 0, tx = 0;
    if (s.contains("networks") && s["networks"].is_object())
        for (const auto& [name, n] : s["networks"].items()) {
            rx += static_cast<double>(u64(n, "rx_bytes"));
            tx += static_cast<double>(u64(n, "tx_bytes"));
        }
    double blk_r = 0, blk_w = 0;
    const Json& blk = s.value("blkio_stats", empty).value("io_service_bytes_recursive", Json());
    if (blk.is_array())
        for (const auto& e : blk) {
            std::string op = to_lower(e.value("op", std::string()));
            if (op == "read") blk_r += static_cast<double>(u64(e, "value"));
            if (op == "write") blk_w += static_cast<double>(u64(e, "value"));
        }
    std::string name = s.value("name", std::string());
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    Json r;
    r["ID"] = trunc ? short_id(id) : id;
    r["Container"] = id;
    r["Name"] = name;
    r["CPUPerc"] = percent(cpu_pct);
    r["MemUsage"] = bytes_size(usage) + " / " + bytes_size(limit);
    r["MemPerc"] = percent(mem_pct);
    r["NetIO"] = human_size(rx) + " / " + human_size(tx);
    r["BlockIO"] = human_size(blk_r) + " / " + human_size(blk_w);
    r["PIDs"] = std::to_string(u64(s.value("pids_stats", empty), "current"));
    return r;
}

int cmd_stats(Context& ctx, const StatsOpts& o, const std::vector<std::string>& names) {
    for (;;) {
        std::vector<std::string> ids = names;
        if (ids.empty()) {
            client::Query q;
            q.add_if(o.all, "all", "1");
            auto list = ctx.client().get_json("/containers/json", q);
            if (!list) return ctx.fail(list.error());
            if (list->is_array())
                for (const auto& c : *list) ids.push_back(c.value("Id", std::string()));
        }
        std::vector<Json> rows;
        int status = 0;
        for (const auto& id : ids) {
            client::Query q;
            q.add("stream", "0");
            auto s = ctx.client().get_json("/containers/" + id + "/stats", q);
            if (!s) {
                status = ctx.fail(s.error());
                continue;
            }
            rows.push_back(stats_row(*s, s->value("id", id), !o.no_trunc));
        }
        auto out =
            render_list(o.format,
                        "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"
                        "{{.BlockIO}}\t{{.PIDs}}",
                        rows,
                        {{"ID", "CONTAINER ID"},
                         {"Container", "CONTAINER"},
                         {"Name", "NAME"},
                         {"CPUPerc", "CPU %"},
                         {"MemUsage", "MEM USAGE / LIMIT"},
                         {"MemPerc", "MEM %"},
                         {"NetIO", "NET I/O"},
                         {"BlockIO", "BLOCK I/O"},
                         {"PIDs", "PIDS"}});
        if (!out) return ctx.fail(out.error());
        if (!o.no_stream && ::isatty(ctx.io.out_fd)) write_out(ctx, "\033[2J\033[H");
        write_out(ctx, *out);
        if (o.no_stream || status != 0) return status;
        ::sleep(1);
    }
}

}  // namespace

void add_stats_commands(Context& ctx, CLI::App& root, CLI::App* container) {
    for (CLI::App* parent : {&root, container}) {
        auto o = std::make_shared<StatsOpts>();
        Cmd(ctx, parent, "stats", "Display a live stream of container(s) resource usage statistics",
            "[OPTIONS] [CONTAINER...]", 0, -1)
            .also_known_as(parent == &root ? "berth container stats" : "berth stats")
            .flag("-a,--all", o->all, "Show all containers (default shows just running)")
            .str("--format", o->format, "Format output using a custom template")
            .flag("--no-stream", o->no_stream, "Disable streaming stats and only pull the first result")
            .flag("--no-trunc", o->no_trunc, "Do not truncate output")
            .action([&ctx, o](const auto& a) { return cmd_stats(ctx, *o, a); });
    }
}

}  // namespace berth::cli

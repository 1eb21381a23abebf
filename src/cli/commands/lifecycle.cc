// start, stop, kill, restart, pause, unpause, wait, rm, rename, container prune.
#include <unistd.h>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"

namespace berth::cli {
namespace {

// Runs `op` for each container; errors are printed, the rest still run; exit 1 if any failed.
int for_each(Context& ctx, const std::vector<std::string>& names,
             const std::function<Result<std::string>(const std::string&)>& op) {
    int status = 0;
    for (const auto& n : names) {
        auto r = op(n);
        if (!r) {
            status = ctx.fail(r.error());
            continue;
        }
        if (!r->empty()) ctx.io.out << *r << "\n";
        ctx.io.out.flush();
    }
    return status;
}

Result<std::string> post(Context& ctx, const std::string& path, const client::Query& q,
                         const std::string& echo) {
    BERTH_TRY(ctx.client().call("POST", path, q));
    return echo;
}

struct StopOpts {
    int64_t time = -1;
    std::string signal;
};

void define_stop_like(Context& ctx, CLI::App* parent, const std::string& name, const std::string& desc,
                      const std::string& alias_of) {
    auto o = std::make_shared<StopOpts>();
    Cmd(ctx, parent, name, desc, "[OPTIONS] CONTAINER [CONTAINER...]", 1, -1)
        .also_known_as(alias_of)
        .str("-s,--signal", o->signal, "Signal to send to the container")
        .num("-t,--time", o->time, "Seconds to wait before killing the container")
        .action([&ctx, o, name](const auto& a) {
            return for_each(ctx, a, [&](const std::string& c) {
                client::Query q;
                if (o->time >= 0) q.add("t", std::to_string(o->time));
                q.add_if(!o->signal.empty(), "signal", o->signal);
                return post(ctx, "/containers/" + c + "/" + name, q, c);
            });
        });
}

int cmd_container_prune(Context& ctx, bool force, const std::vector<std::string>& filters) {
    if (!force && !ctx.confirm("WARNING! This will remove all stopped containers.")) return 0;
    client::Query q;
    if (auto r = q.add_filters(filters); !r) return ctx.fail(r.error());
    auto rep = ctx.client().post_json("/containers/prune", q);
    if (!rep) return ctx.fail(rep.error());
    const Json& del = rep->value("ContainersDeleted", Json::array());
    if (del.is_array() && !del.empty()) {
        ctx.io.out << "Deleted Containers:\n";
        for (const auto& d : del) ctx.io.out << (d.is_string() ? d.get<std::string>() : "") << "\n";
        ctx.io.out << "\n";
    }
    ctx.io.out << "Total reclaimed space: "
               << human_size(static_cast<double>(rep->value("SpaceReclaimed", int64_t{0})), 4) << "\n";
    return 0;
}

void define_kill(Context& ctx, CLI::App* parent, const std::string& alias_of) {
    auto sig = std::make_shared<std::string>();
    Cmd(ctx, parent, "kill", "Kill one or more running containers", "[OPTIONS] CONTAINER [CONTAINER...]", 1,
        -1)
        .also_known_as(alias_of)
        .str("-s,--signal", *sig, "Signal to send to the container")
        .action([&ctx, sig](const auto& a) {
            return for_each(ctx, a, [&](const std::string& c) {
                client::Query q;
                q.add_if(!sig->empty(), "signal", *sig);
                return post(ctx, "/containers/" + c + "/kill", q, c);
            });
        });
}

// pause and unpause: a POST to /containers/NAME/VERB for each container.
void define_pause_like(Context& ctx, CLI::App* parent, const std::string& v, const std::string& alias_of) {
    Cmd(ctx, parent, v,
        v == "pause" ? "Pause all processes within one or more containers"
                     : "Unpause all processes within one or more containers",
        "CONTAINER [CONTAINER...]", 1, -1)
        .also_known_as(alias_of)
        .action([&ctx, v](const auto& a) {
            return for_each(
                ctx, a, [&](const std::string& c) { return post(ctx, "/containers/" + c + "/" + v, {}, c); });
        });
}

// Prints each exit code; an error the daemon reports in the wait body fails that container.
void define_wait(Context& ctx, CLI::App* parent, const std::string& alias_of) {
    Cmd(ctx, parent, "wait", "Block until one or more containers stop, then print their exit codes",
        "CONTAINER [CONTAINER...]", 1, -1)
        .also_known_as(alias_of)
        .action([&ctx](const auto& a) {
            return for_each(ctx, a, [&](const std::string& c) -> Result<std::string> {
                Json r = BERTH_TRY(ctx.client().post_json("/containers/" + c + "/wait"));
                if (r.contains("Error") && r["Error"].is_object() && r["Error"].contains("Message"))
                    return Error::internal(r["Error"]["Message"].get<std::string>());
                return std::to_string(r.value("StatusCode", int64_t{0}));
            });
        });
}

struct RmOpts {
    bool force = false, volumes = false, link = false;
};

// rm (top level) or container rm, which is also spelt container remove.
void define_rm(Context& ctx, CLI::App* parent, bool top) {
    auto rm = std::make_shared<RmOpts>();
    Cmd c(ctx, parent, top ? "rm" : "rm", "Remove one or more containers",
          "[OPTIONS] CONTAINER [CONTAINER...]", 1, -1);
    if (!top)
        c.alias("remove").also_known_as("berth rm");
    else
        c.also_known_as("berth container rm").also_known_as("berth container remove");
    c.flag("-f,--force", rm->force, "Force the removal of a running container (uses SIGKILL)")
        .flag("-l,--link", rm->link, "Remove the specified link")
        .flag("-v,--volumes", rm->volumes, "Remove anonymous volumes associated with the container")
        .action([&ctx, rm](const auto& a) {
            return for_each(ctx, a, [&](const std::string& n) -> Result<std::string> {
                client::Query q;
                q.add_if(rm->force, "force", "1").add_if(rm->volumes, "v", "1").add_if(rm->link, "link", "1");
                BERTH_TRY(ctx.client().call("DELETE", "/containers/" + n, q));
                return n;
            });
        });
}

// As docker: the daemon's error, then "failed to rename container named ...".
void define_rename(Context& ctx, CLI::App* parent, const std::string& alias_of) {
    Cmd(ctx, parent, "rename", "Rename a container", "CONTAINER NEW_NAME", 2, 2)
        .also_known_as(alias_of)
        .action([&ctx](const auto& a) {
            client::Query q;
            q.add("name", a[1]);
            auto r = ctx.client().call("POST", "/containers/" + a[0] + "/rename", q);
            if (r) return 0;
            ctx.fail(r.error());
            return ctx.fail("Error: failed to rename container named " + a[0]);
        });
}

struct PruneOpts {
    bool force = false;
    std::vector<std::string> filters;
};

void define_container_prune(Context& ctx, CLI::App* container) {
    auto p = std::make_shared<PruneOpts>();
    Cmd(ctx, container, "prune", "Remove all stopped containers", "[OPTIONS]", 0, 0)
        .strs("--filter", p->filters, "Provide filter values (e.g. \"until=<timestamp>\")", "filter")
        .flag("-f,--force", p->force, "Do not prompt for confirmation")
        .action([&ctx, p](const auto&) { return cmd_container_prune(ctx, p->force, p->filters); });
}

}  // namespace

// Each command is defined twice: at the top level and under `container`.
void add_lifecycle_commands(Context& ctx, CLI::App& root, CLI::App* container) {
    for (CLI::App* parent : {&root, container}) {
        bool top = parent == &root;
        auto other = [&](const std::string& n) { return top ? "berth container " + n : "berth " + n; };

        define_stop_like(ctx, parent, "stop", "Stop one or more running containers", other("stop"));
        define_stop_like(ctx, parent, "restart", "Restart one or more containers", other("restart"));
        define_kill(ctx, parent, other("kill"));
        for (const char* verb : {"pause", "unpause"}) define_pause_like(ctx, parent, verb, other(verb));
        define_wait(ctx, parent, other("wait"));
        define_rm(ctx, parent, top);
        define_rename(ctx, parent, other("rename"));
    }
    define_container_prune(ctx, container);
}

}  // namespace berth::cli

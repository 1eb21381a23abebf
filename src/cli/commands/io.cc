// Commands that stream a container's I/O: start (-a -i), attach, logs, exec.
#include <unistd.h>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/stream.h"
#include "common/stdcopy.h"

namespace berth::cli {
namespace {

// Exit status from a wait request sent earlier.
Result<int> wait_status(client::Stream& wait) {
    auto r = BERTH_TRY(wait.finish());
    if (r.status >= 400) return client::Client::daemon_error(r);
    Json j = BERTH_TRY(parse_json(r.body, "wait response"));
    return static_cast<int>(j.value("StatusCode", int64_t{0}));
}

struct AttachOpts {
    bool no_stdin = false, sig_proxy = true;
    std::string detach_keys;
};

// Attach to a container, optionally start it, stream, and return its exit code.
int attach_container(Context& ctx, const std::string& name, bool want_stdin, bool sig_proxy,
                     const std::string& detach_keys, bool start) {
    auto info = ctx.client().get_json("/containers/" + name + "/json");
    if (!info) return ctx.fail(info.error());
    const Json& cfg = info->value("Config", Json::object());
    bool tty = cfg.value("Tty", false);
    bool open_stdin = cfg.value("OpenStdin", false);
    std::string id = info->value("Id", name);
    if (!start) {
        const Json& st = info->value("State", Json::object());
        if (!st.value("Running", false))
            return ctx.fail("You cannot attach to a stopped container, start it first");
        if (st.value("Paused", false))
            return ctx.fail("You cannot attach to a paused container, unpause it first");
    }
    bool send_stdin = want_stdin && open_stdin;
    client::Query q;
    q.add("stream", "1").add_if(send_stdin, "stdin", "1").add("stdout", "1").add("stderr", "1");
    if (!detach_keys.empty()) q.add("detachKeys", detach_keys);
    auto conn = ctx.client().hijack("POST", "/containers/" + id + "/attach", q);
    if (!conn) return ctx.fail(conn.error());
    client::Query wq;
    wq.add("condition", "next-exit");
    auto wait = ctx.client().send("POST", "/containers/" + id + "/wait", wq);
    if (!wait) return ctx.fail(wait.error());
    if (start) {
        auto s = ctx.client().call("POST", "/containers/" + id + "/start");
        if (!s) return ctx.fail(s.error());
    }
    if (tty && ::isatty(ctx.io.out_fd)) resize_tty(ctx, "/containers/" + id + "/resize");
    PumpOptions po;
    po.send_stdin = send_stdin;
    po.tty = tty;
    po.detach_keys = detach_keys;
    po.resize_path = "/containers/" + id + "/resize";
    if (sig_proxy) po.sig_proxy_container = id;
    auto end = pump(ctx, *conn, po);
    if (!end) return ctx.fail(end.error());
    if (*end == PumpEnd::Detached) return 0;
    auto code = wait_status(*wait);
    if (!code) {
        // The container may be gone already (--rm); its exit status is then unknown.
        if (code.error().kind() == ErrorKind::NotFound) return 0;
        return ctx.fail(code.error());
    }
    return *code;
}

struct LogsOpts {
    bool follow = false, timestamps = false, details = false;
    std::string since, until, tail = "all";
};

int cmd_logs(Context& ctx, const LogsOpts& o, const std::string& name) {
    auto info = ctx.client().get_json("/containers/" + name + "/json");
    if (!info) return ctx.fail(info.error());
    bool tty = info->value("Config", Json::object()).value("Tty", false);
    client::Query q;
    q.add("stdout", "1").add("stderr", "1");
    q.add_if(o.follow, "follow", "1")
        .add_if(o.timestamps, "timestamps", "1")
        .add_if(o.details, "details", "1");
    if (!o.since.empty()) q.add("since", since_value(o.since));
    if (!o.until.empty()) q.add("until", since_value(o.until));
    q.add("tail", o.tail);
    auto s = ctx.client().stream("GET", "/containers/" + info->value("Id", name) + "/logs", q);
    if (!s) return ctx.fail(s.error());
    StdcopyDecoder demux;
    for (;;) {
        auto d = s->read();
        if (!d) return ctx.fail(d.error());
        if (d->empty()) return 0;
        if (tty) {
            write_out(ctx, *d);
            continue;
        }
        std::vector<StdFrame> frames;
        if (auto r = demux.feed(*d, frames); !r) return ctx.fail(r.error());
        for (const auto& f : frames) {
            if (f.stream == StdStream::Stderr)
                write_err(ctx, f.payload);
            else
                write_out(ctx, f.payload);
        }
    }
}

struct ExecOpts {
    bool detach = false, interactive = false, tty = false, privileged = false;
    std::string workdir, user, detach_keys;
    std::vector<std::string> env, env_file;
};

int cmd_exec(Context& ctx, const ExecOpts& o, const std::vector<std::string>& args) {
    if (o.interactive && o.tty && !o.detach && !::isatty(ctx.io.in_fd)) {
        ctx.io.err << "the input device is not a TTY\n";
        return 1;
    }
    std::vector<std::string> cmd(args.begin() + 1, args.end());
    auto env_files = read_kv_files(o.env_file, true);
    if (!env_files) return ctx.fail(env_files.error());
    std::vector<std::string> env = *env_files;
    for (const auto& e : o.env) {
        if (e.find('=') == std::string::npos) {
            if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
            continue;
        }
        env.push_back(e);
    }
    Json body = {{"User", o.user},
                 {"Privileged", o.privileged},
                 {"Tty", o.tty},
                 {"AttachStdin", o.interactive && !o.detach},
                 {"AttachStdout", !o.detach},
                 {"AttachStderr", !o.detach},
                 {"Detach", o.detach},
                 {"Env", env},
                 {"WorkingDir", o.workdir},
                 {"Cmd", cmd}};
    if (!o.detach_keys.empty()) body["DetachKeys"] = o.detach_keys;
    auto created = ctx.client().post_json("/containers/" + args[0] + "/exec", {}, body);
    if (!created) return ctx.fail(created.error());
    std::string exec_id = created->value("Id", std::string());
    Json start = {{"Detach", o.detach}, {"Tty", o.tty}};
    if (o.detach) {
        auto r = ctx.client().call("POST", "/exec/" + exec_id + "/start", {}, dump_json(start));
        return r ? 0 : ctx.fail(r.error());
    }
    auto conn = ctx.client().hijack("POST", "/exec/" + exec_id + "/start", {}, dump_json(start));
    if (!conn) return ctx.fail(conn.error());
    if (o.tty) resize_tty(ctx, "/exec/" + exec_id + "/resize");
    PumpOptions po;
    po.send_stdin = o.interactive;
    po.tty = o.tty;
    po.detach_keys = o.detach_keys;
    po.resize_path = "/exec/" + exec_id + "/resize";
    auto end = pump(ctx, *conn, po);
    if (!end) return ctx.fail(end.error());
    if (*end == PumpEnd::Detached) return 0;
    // The stream can end a moment before the daemon records the exit code: look again
    // while the exec still shows as running (up to ~2 s).
    auto info = ctx.client().get_json("/exec/" + exec_id + "/json");
    for (int i = 0; i < 40 && info && info->value("Running", false); ++i) {
        ::usleep(50000);
        info = ctx.client().get_json("/exec/" + exec_id + "/json");
    }
    if (!info) return ctx.fail(info.error());
    const Json& code = (*info)["ExitCode"];
    return code.is_number() ? code.get<int>() : 0;
}

}  // namespace

void add_io_commands(Context& ctx, CLI::App& root, CLI::App* container) {
    for (CLI::App* parent : {&root, container}) {
        bool top = parent == &root;
        auto other = [&](const std::string& n) { return top ? "berth container " + n : "berth " + n; };

        struct StartOpts {
            bool attach = false, interactive = false;
            std::string detach_keys;
        };
        auto so = std::make_shared<StartOpts>();
        Cmd(ctx, parent, "start", "Start one or more stopped containers",
            "[OPTIONS] CONTAINER [CONTAINER...]", 1, -1)
            .also_known_as(other("start"))
            .flag("-a,--attach", so->attach, "Attach STDOUT/STDERR and forward signals")
            .str("--detach-keys", so->detach_keys, "Override the key sequence for detaching a container")
            .flag("-i,--interactive", so->interactive, "Attach container's STDIN")
            .action([&ctx, so](const auto& a) {
                if (so->attach || so->interactive) {
                    if (a.size() > 1)
                        return ctx.fail("you cannot start and attach multiple containers at once");
                    return attach_container(ctx, a[0], so->interactive, true, so->detach_keys, true);
                }
                int status = 0;
                for (const auto& n : a) {
                    auto r = ctx.client().call("POST", "/containers/" + n + "/start");
                    if (!r)
                        status = ctx.fail(r.error());
                    else
                        ctx.io.out << n << "\n";
                }
                return status;
            });

        auto ao = std::make_shared<AttachOpts>();
        Cmd at(ctx, parent, "attach",
               "Attach local standard input, output, and error streams to a running container",
               "[OPTIONS] CONTAINER", 1, 1);
        at.also_known_as(other("attach"))
            .str("--detach-keys", ao->detach_keys, "Override the key sequence for detaching a container")
            .flag("--no-stdin", ao->no_stdin, "Do not attach STDIN");
        at.app()->add_flag("--sig-proxy", ao->sig_proxy,
                           "Proxy all received signals to the process (default true)");
        at.action([&ctx, ao](const auto& a) {
            return attach_container(ctx, a[0], !ao->no_stdin, ao->sig_proxy, ao->detach_keys, false);
        });

        auto lo = std::make_shared<LogsOpts>();
        Cmd(ctx, parent, "logs", "Fetch the logs of a container", "[OPTIONS] CONTAINER", 1, 1)
            .also_known_as(other("logs"))
            .flag("--details", lo->details, "Show extra details provided to logs")
            .flag("-f,--follow", lo->follow, "Follow log output")
            .str("--since", lo->since,
                 "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
                 "minutes)")
            .str("-n,--tail", lo->tail, "Number of lines to show from the end of the logs (default \"all\")")
            .flag("-t,--timestamps", lo->timestamps, "Show timestamps")
            .str("--until", lo->until,
                 "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for "
                 "42 minutes)")
            .action([&ctx, lo](const auto& a) { return cmd_logs(ctx, *lo, a[0]); });

        auto eo = std::make_shared<ExecOpts>();
        Cmd ex(ctx, parent, "exec", "Execute a command in a running container",
               "[OPTIONS] CONTAINER COMMAND [ARG...]", 2, -1);
        ex.also_known_as(other("exec"))
            .stop_at_first_arg()
            .flag("-d,--detach", eo->detach, "Detached mode: run command in the background")
            .str("--detach-keys", eo->detach_keys, "Override the key sequence for detaching a container")
            .strs("-e,--env", eo->env, "Set environment variables")
            .strs("--env-file", eo->env_file, "Read in a file of environment variables")
            .flag("-i,--interactive", eo->interactive, "Keep STDIN open even if not attached")
            .flag("--privileged", eo->privileged, "Give extended privileges to the command")
            .flag("-t,--tty", eo->tty, "Allocate a pseudo-TTY")
            .str("-u,--user", eo->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
            .str("-w,--workdir", eo->workdir, "Working directory inside the container")
            .action([&ctx, eo](const auto& a) { return cmd_exec(ctx, *eo, a); });
    }
}

}  // namespace berth::cli

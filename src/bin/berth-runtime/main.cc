// berth-runtime: an OCI runtime with runc's command line; a thin front over
// src/runtime/container (every operation is a library call).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "runtime/container/container.h"
#include "runtime/spec/spec.h"

using namespace berth;
using namespace berth::runtime;

namespace {

int fail(const Error& e) {
    log::error(e.str());
    return 1;
}

int check(const Result<>& r) {
    return r ? 0 : fail(r.error());
}

void print_json(const Json& j) {
    std::cout << dump_json(j, 2) << std::endl;
}

int cmd_spec(const std::string& bundle, bool rootless) {
    std::string path = path_join(bundle, "config.json");
    if (path_exists(path)) return fail(Error::exists("File " + path + " exists. Remove it first"));
    return check(write_file_atomic(path, dump_json(spec::default_spec_json(rootless), 2) + "\n"));
}

int cmd_list(const GlobalOptions& g, const std::string& format, bool quiet) {
    auto l = list(g);
    if (!l) return fail(l.error());
    if (quiet) {
        for (auto& c : *l) std::cout << c.id << "\n";
        return 0;
    }
    if (format == "json") {
        Json arr = Json::array();
        for (auto& c : *l) arr.push_back(c.to_oci_json());
        std::cout << dump_json(arr) << "\n";
        return 0;
    }
    printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (auto& c : *l)
        printf("%-12s %-8d %-10s %-40s %-30s %s\n", c.id.c_str(), c.pid, status_name(c.status),
               c.bundle.c_str(), c.created.c_str(), c.owner.empty() ? "root" : c.owner.c_str());
    return 0;
}

int cmd_ps(const GlobalOptions& g, std::vector<std::string> rest, const std::string& format) {
    if (rest.empty()) return fail(Error::invalid("ps: container id required"));
    auto pids = processes(g, rest[0]);
    if (!pids) return fail(pids.error());
    if (format == "json") {
        std::cout << dump_json(Json(*pids)) << "\n";
        return 0;
    }
    // Like runc: run ps(1) with the given options (default -ef) and keep our pids' lines.
    std::string cmd = "ps";
    if (rest.size() == 1) rest.push_back("-ef");
    for (size_t i = 1; i < rest.size(); ++i) cmd += " '" + rest[i] + "'";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return fail(Error::sys("popen ps"));
    char line[4096];
    int pid_col = -1;
    bool header = true;
    while (fgets(line, sizeof line, p)) {
        auto fields = split(line, ' ');
        if (header) {
            for (size_t i = 0; i < fields.size(); ++i)
                if (trim(fields[i]) == "PID") pid_col = static_cast<int>(i);
            fputs(line, stdout);
            header = false;
            if (pid_col < 0) return fail(Error::invalid("ps: no PID column in ps output"));
            continue;
        }
        if (static_cast<int>(fields.size()) <= pid_col) continue;
        pid_t pid = atoi(fields[pid_col].c_str());
        for (pid_t want : *pids)
            if (pid == want) fputs(line, stdout);
    }
    pclose(p);
    return 0;
}

// What every subcommand shares: the global options, the exit status and what
// protect_binary needs.
struct Cli {
    GlobalOptions g;
    int rc = 0;
    int argc;
    char** argv;

    // CVE-2019-5736: re-executes from a read-only bind mount before entering a
    // container (see protect_binary); false, with rc set, when that fails.
    bool protect() {
        auto r = protect_binary(argc, argv);
        if (!r) {
            rc = fail(r.error());
            return false;
        }
        return true;
    }
};

// The options of berth-runtime itself, before the subcommand.
struct GlobalFlags {
    std::string log_path, log_format = "text";
    bool debug = false, systemd_cgroup = false;
};

void add_global_flags(CLI::App& app, Cli& cli, GlobalFlags& f) {
    app.add_option("--root", cli.g.root, "root directory for storage of container state")
        ->capture_default_str();
    app.add_option("--log", f.log_path, "log file (default stderr)");
    app.add_option("--log-format", f.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", f.debug, "enable debug logging");
    app.add_flag("--systemd-cgroup", f.systemd_cgroup, "accepted for runc compatibility (cgroupfs is used)");
}

void setup_logging(const GlobalFlags& f) {
    if (f.debug) log::set_level(log::Level::Debug);
    log::set_json(f.log_format == "json");
    if (!f.log_path.empty() && !log::set_file(f.log_path))
        std::cerr << "cannot open log " << f.log_path << "\n";
}

// Each define_* adds one subcommand's flags and callback. A subcommand's option
// values live in a shared_ptr its callback holds, so they last as long as the app.

void define_spec(CLI::App* c, Cli& cli) {
    struct Opts {
        std::string bundle = ".";
        bool rootless = false;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("-b,--bundle", o->bundle, "path to the bundle");
    c->add_flag("--rootless", o->rootless, "a spec for a rootless container");
    c->callback([&cli, o] { cli.rc = cmd_spec(o->bundle, o->rootless); });
}

void add_create_flags(CLI::App* c, CreateOptions& co) {
    c->add_option("id", co.id, "container id")->required();
    c->add_option("-b,--bundle", co.bundle, "path to the bundle (default: current directory)");
    c->add_option("--console-socket", co.console_socket, "unix socket receiving the pty master");
    c->add_option("--pid-file", co.pid_file, "file to write the init's pid to");
    c->add_option("--preserve-fds", co.preserve_fds, "pass N extra fds (3..) to the container");
    c->add_flag("--no-pivot", co.no_pivot, "accepted for runc compatibility");
    c->add_flag("--no-new-keyring", co.no_new_keyring, "accepted for runc compatibility");
}

void define_create(CLI::App* c, Cli& cli) {
    auto co = std::make_shared<CreateOptions>();
    add_create_flags(c, *co);
    c->callback([&cli, co] {
        if (cli.protect()) cli.rc = check(create(cli.g, *co));
    });
}

void define_run(CLI::App* c, Cli& cli) {
    struct Opts {
        CreateOptions co;
        bool detach = false, keep = false;
    };
    auto o = std::make_shared<Opts>();
    add_create_flags(c, o->co);
    c->add_flag("-d,--detach", o->detach, "detach from the container's process");
    c->add_flag("--keep", o->keep, "do not delete the container after it exits");
    c->callback([&cli, o] {
        if (!cli.protect()) return;
        auto r = run(cli.g, o->co, o->detach, o->keep);
        cli.rc = r ? *r : fail(r.error());
    });
}

// Adds the required container id argument most subcommands take.
std::shared_ptr<std::string> add_id(CLI::App* c) {
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id)->required();
    return id;
}

void define_start(CLI::App* c, Cli& cli) {
    auto id = add_id(c);
    c->callback([&cli, id] { cli.rc = check(start(cli.g, *id)); });
}

void define_state(CLI::App* c, Cli& cli) {
    auto id = add_id(c);
    c->callback([&cli, id] {
        auto s = state(cli.g, *id);
        if (s)
            print_json(s->to_oci_json());
        else
            cli.rc = fail(s.error());
    });
}

void define_list(CLI::App* c, Cli& cli) {
    struct Opts {
        std::string format = "table";
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    c->alias("ls");
    c->add_option("-f,--format", o->format)->check(CLI::IsMember({"table", "json"}));
    c->add_flag("-q,--quiet", o->quiet, "display only container ids");
    c->callback([&cli, o] { cli.rc = cmd_list(cli.g, o->format, o->quiet); });
}

void define_kill(CLI::App* c, Cli& cli) {
    struct Opts {
        std::string id, sig = "SIGTERM";
        bool all = false;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("id", o->id)->required();
    c->add_option("signal", o->sig, "signal name or number (default SIGTERM)");
    c->add_flag("-a,--all", o->all, "send to every process in the container");
    c->callback([&cli, o] {
        auto s = parse_signal(o->sig);
        cli.rc = s ? check(kill(cli.g, o->id, *s, o->all)) : fail(s.error());
    });
}

void define_delete(CLI::App* c, Cli& cli) {
    struct Opts {
        std::string id;
        bool force = false;
    };
    auto o = std::make_shared<Opts>();
    c->alias("rm");
    c->add_option("id", o->id)->required();
    c->add_flag("-f,--force", o->force, "kill the container first if it is running");
    c->callback([&cli, o] {
        auto r = remove(cli.g, o->id, o->force);
        if (!r && o->force && r.error().kind() == ErrorKind::NotFound)
            return;  // runc: delete -f is idempotent
        cli.rc = check(r);
    });
}

void define_pause(CLI::App* c, Cli& cli) {
    auto id = add_id(c);
    c->callback([&cli, id] { cli.rc = check(pause(cli.g, *id)); });
}

void define_resume(CLI::App* c, Cli& cli) {
    auto id = add_id(c);
    c->callback([&cli, id] { cli.rc = check(resume(cli.g, *id)); });
}

void define_ps(CLI::App* c, Cli& cli) {
    auto format = std::make_shared<std::string>("table");
    c->add_option("-f,--format", *format)->check(CLI::IsMember({"table", "json"}));
    // The container id and ps(1)'s options are left unparsed, for cmd_ps.
    c->prefix_command();
    c->callback([&cli, c, format] { cli.rc = cmd_ps(cli.g, c->remaining(), *format); });
}

void define_exec(CLI::App* c, Cli& cli) {
    auto eo = std::make_shared<ExecOptions>();
    c->add_option("-p,--process", eo->process_file, "a JSON file holding the process");
    c->add_option("--console-socket", eo->console_socket);
    c->add_option("--cwd", eo->cwd, "working directory");
    c->add_option("-e,--env", eo->env, "KEY=VALUE to add to the environment");
    c->add_flag("-t,--tty", eo->tty, "allocate a pseudo-TTY");
    c->add_option("-u,--user", eo->user, "uid[:gid]");
    c->add_option("-c,--cap", eo->cap_add, "add a capability");
    c->add_flag("-d,--detach", eo->detach, "detach from the process");
    c->add_option("--pid-file", eo->pid_file);
    c->add_flag("--no-new-privs", eo->no_new_privs);
    c->add_option("--preserve-fds", eo->preserve_fds);
    // The container id and the command are left unparsed: ID CMD...
    c->prefix_command();
    c->callback([&cli, c, eo] {
        auto rest = c->remaining();
        if (rest.empty()) {
            cli.rc = fail(Error::invalid("exec: container id required"));
            return;
        }
        eo->id = rest[0];
        eo->args.assign(rest.begin() + 1, rest.end());
        if (!cli.protect()) return;
        auto r = exec(cli.g, *eo);
        cli.rc = r ? *r : fail(r.error());
    });
}

void define_events(CLI::App* c, Cli& cli) {
    struct Opts {
        std::string id;
        bool stats = false;
    };
    auto o = std::make_shared<Opts>();
    c->add_option("id", o->id)->required();
    c->add_flag("--stats", o->stats, "print stats once and exit");
    c->callback([&cli, o] {
        auto s = stats(cli.g, o->id);
        if (s)
            std::cout << dump_json(*s) << "\n";
        else
            cli.rc = fail(s.error());
    });
}

void define_features(CLI::App* c, Cli&) {
    c->callback([] { print_json(features()); });
}

struct Subcommand {
    const char* name;
    const char* description;
    void (*define)(CLI::App*, Cli&);
};

// In the order `berth-runtime --help` lists them.
const Subcommand kSubcommands[] = {
    {"spec", "create a new specification file (config.json)", define_spec},
    {"create", "create a container", define_create},
    {"run", "create and run a container", define_run},
    {"start", "start a created container", define_start},
    {"state", "print the state of a container", define_state},
    {"list", "list containers", define_list},
    {"kill", "send a signal to a container's init", define_kill},
    {"delete", "delete a container", define_delete},
    {"pause", "freeze every process of a container", define_pause},
    {"resume", "thaw a paused container", define_resume},
    {"ps", "list the processes of a container: ps ID [ps options]", define_ps},
    {"exec", "run a process in a running container: exec [opts] ID CMD...", define_exec},
    {"events", "print container resource usage (--stats)", define_events},
    {"features", "show the runtime's features", define_features},
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berth-runtime: an OCI container runtime (runc's command line)", "berth-runtime"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", "berth-runtime version 0.1.0\nspec: 1.1.0");
    Cli cli{.argc = argc, .argv = argv};
    GlobalFlags flags;
    add_global_flags(app, cli, flags);
    for (const auto& s : kSubcommands) s.define(app.add_subcommand(s.name, s.description), cli);

    app.parse_complete_callback([&flags] { setup_logging(flags); });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return cli.rc;
}

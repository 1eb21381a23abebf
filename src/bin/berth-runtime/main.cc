// berth-runtime: an OCI runtime with runc's command line; a thin front over
// src/runtime/container (every operation is a library call).
#include <unistd.h>

#include <cstdio>
#include <iostream>

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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berth-runtime: an OCI container runtime (runc's command line)", "berth-runtime"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", "berth-runtime version 0.1.0\nspec: 1.1.0");
    GlobalOptions g;
    std::string log_path, log_format = "text";
    bool debug = false, systemd_cgroup = false;
    app.add_option("--root", g.root, "root directory for storage of container state")->capture_default_str();
    app.add_option("--log", log_path, "log file (default stderr)");
    app.add_option("--log-format", log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", debug, "enable debug logging");
    app.add_flag("--systemd-cgroup", systemd_cgroup, "accepted for runc compatibility (cgroupfs is used)");

    int rc = 0;
    auto setup_logging = [&] {
        if (debug) log::set_level(log::Level::Debug);
        log::set_json(log_format == "json");
        if (!log_path.empty() && !log::set_file(log_path))
            std::cerr << "cannot open log " << log_path << "\n";
    };
    auto protect = [&] {
        auto r = protect_binary(argc, argv);
        if (!r) {
            rc = fail(r.error());
            return false;
        }
        return true;
    };

    std::string spec_bundle = ".";
    bool rootless = false;
    auto* spec_cmd = app.add_subcommand("spec", "create a new specification file (config.json)");
    spec_cmd->add_option("-b,--bundle", spec_bundle, "path to the bundle");
    spec_cmd->add_flag("--rootless", rootless, "a spec for a rootless container");
    spec_cmd->callback([&] { rc = cmd_spec(spec_bundle, rootless); });

    CreateOptions co;
    auto add_create_flags = [&](CLI::App* c) {
        c->add_option("id", co.id, "container id")->required();
        c->add_option("-b,--bundle", co.bundle, "path to the bundle (default: current directory)");
        c->add_option("--console-socket", co.console_socket, "unix socket receiving the pty master");
        c->add_option("--pid-file", co.pid_file, "file to write the init's pid to");
        c->add_option("--preserve-fds", co.preserve_fds, "pass N extra fds (3..) to the container");
        c->add_flag("--no-pivot", co.no_pivot, "accepted for runc compatibility");
        c->add_flag("--no-new-keyring", co.no_new_keyring, "accepted for runc compatibility");
    };
    auto* create_cmd = app.add_subcommand("create", "create a container");
    add_create_flags(create_cmd);
    create_cmd->callback([&] {
        if (protect()) rc = check(create(g, co));
    });

    bool detach = false, keep = false;
    auto* run_cmd = app.add_subcommand("run", "create and run a container");
    add_create_flags(run_cmd);
    run_cmd->add_flag("-d,--detach", detach, "detach from the container's process");
    run_cmd->add_flag("--keep", keep, "do not delete the container after it exits");
    run_cmd->callback([&] {
        if (!protect()) return;
        auto r = run(g, co, detach, keep);
        rc = r ? *r : fail(r.error());
    });

    std::string id;
    auto* start_cmd = app.add_subcommand("start", "start a created container");
    start_cmd->add_option("id", id)->required();
    start_cmd->callback([&] { rc = check(start(g, id)); });

    auto* state_cmd = app.add_subcommand("state", "print the state of a container");
    state_cmd->add_option("id", id)->required();
    state_cmd->callback([&] {
        auto s = state(g, id);
        if (s)
            print_json(s->to_oci_json());
        else
            rc = fail(s.error());
    });

    std::string format = "table";
    bool quiet = false;
    auto* list_cmd = app.add_subcommand("list", "list containers");
    list_cmd->alias("ls");
    list_cmd->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
    list_cmd->add_flag("-q,--quiet", quiet, "display only container ids");
    list_cmd->callback([&] { rc = cmd_list(g, format, quiet); });

    std::string sig = "SIGTERM";
    bool all = false;
    auto* kill_cmd = app.add_subcommand("kill", "send a signal to a container's init");
    kill_cmd->add_option("id", id)->required();
    kill_cmd->add_option("signal", sig, "signal name or number (default SIGTERM)");
    kill_cmd->add_flag("-a,--all", all, "send to every process in the container");
    kill_cmd->callback([&] {
        auto s = parse_signal(sig);
        rc = s ? check(kill(g, id, *s, all)) : fail(s.error());
    });

    bool force = false;
    auto* delete_cmd = app.add_subcommand("delete", "delete a container");
    delete_cmd->alias("rm");
    delete_cmd->add_option("id", id)->required();
    delete_cmd->add_flag("-f,--force", force, "kill the container first if it is running");
    delete_cmd->callback([&] {
        auto r = remove(g, id, force);
        if (!r && force && r.error().kind() == ErrorKind::NotFound) return;  // runc: delete -f is idempotent
        rc = check(r);
    });

    auto* pause_cmd = app.add_subcommand("pause", "freeze every process of a container");
    pause_cmd->add_option("id", id)->required();
    pause_cmd->callback([&] { rc = check(pause(g, id)); });
    auto* resume_cmd = app.add_subcommand("resume", "thaw a paused container");
    resume_cmd->add_option("id", id)->required();
    resume_cmd->callback([&] { rc = check(resume(g, id)); });

    auto* ps_cmd = app.add_subcommand("ps", "list the processes of a container: ps ID [ps options]");
    ps_cmd->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
    ps_cmd->prefix_command();
    ps_cmd->callback([&] { rc = cmd_ps(g, ps_cmd->remaining(), format); });

    ExecOptions eo;
    auto* exec_cmd =
        app.add_subcommand("exec", "run a process in a running container: exec [opts] ID CMD...");
    exec_cmd->add_option("-p,--process", eo.process_file, "a JSON file holding the process");
    exec_cmd->add_option("--console-socket", eo.console_socket);
    exec_cmd->add_option("--cwd", eo.cwd, "working directory");
    exec_cmd->add_option("-e,--env", eo.env, "KEY=VALUE to add to the environment");
    exec_cmd->add_flag("-t,--tty", eo.tty, "allocate a pseudo-TTY");
    exec_cmd->add_option("-u,--user", eo.user, "uid[:gid]");
    exec_cmd->add_option("-c,--cap", eo.cap_add, "add a capability");
    exec_cmd->add_flag("-d,--detach", eo.detach, "detach from the process");
    exec_cmd->add_option("--pid-file", eo.pid_file);
    exec_cmd->add_flag("--no-new-privs", eo.no_new_privs);
    exec_cmd->add_option("--preserve-fds", eo.preserve_fds);
    exec_cmd->prefix_command();
    exec_cmd->callback([&] {
        auto rest = exec_cmd->remaining();
        if (rest.empty()) {
            rc = fail(Error::invalid("exec: container id required"));
            return;
        }
        eo.id = rest[0];
        eo.args.assign(rest.begin() + 1, rest.end());
        if (!protect()) return;
        auto r = exec(g, eo);
        rc = r ? *r : fail(r.error());
    });

    bool stats_flag = false;
    auto* events_cmd = app.add_subcommand("events", "print container resource usage (--stats)");
    events_cmd->add_option("id", id)->required();
    events_cmd->add_flag("--stats", stats_flag, "print stats once and exit");
    events_cmd->callback([&] {
        auto s = stats(g, id);
        if (s)
            std::cout << dump_json(*s) << "\n";
        else
            rc = fail(s.error());
    });

    auto* features_cmd = app.add_subcommand("features", "show the runtime's features");
    features_cmd->callback([&] { print_json(features()); });

    app.parse_complete_callback(setup_logging);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return rc;
}

// exec: a new process in a running container. The parent enters the container's pid
// namespace (which only affects its children), forks, moves the child into the cgroup,
// and the child joins the other namespaces (user first) before the common process setup.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "common/sys.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

namespace {

Result<spec::User> parse_user_flag(const std::string& u) {
    spec::User out;
    auto parts = split(u, ':', false);
    if (parts.empty() || parts.size() > 2)
        return Error::invalid("--user: expected uid[:gid], got \"" + u + "\"");
    char* end;
    out.uid = static_cast<uint32_t>(strtoul(parts[0].c_str(), &end, 10));
    if (parts[0].empty() || *end)
        return Error::invalid("--user: uid must be numeric, got \"" + parts[0] + "\"");
    if (parts.size() == 2) {
        out.gid = static_cast<uint32_t>(strtoul(parts[1].c_str(), &end, 10));
        if (parts[1].empty() || *end)
            return Error::invalid("--user: gid must be numeric, got \"" + parts[1] + "\"");
    }
    return out;
}

// The process to run: from --process, or the container's own process with overrides.
Result<spec::Process> exec_process_spec(const ExecOptions& o, const spec::Spec& s) {
    if (!o.process_file.empty()) {
        auto doc = BERTH_TRY_CTX(read_json_file(o.process_file), "--process");
        return BERTH_TRY_CTX(spec::parse_process(doc, "process"), o.process_file);
    }
    if (o.args.empty()) return Error::invalid("exec: no command given (args or --process)");
    spec::Process p = s.process ? *s.process : spec::Process{};
    p.args = o.args;
    p.terminal = o.tty;
    p.console_size.reset();  // the container's initial size is not the exec's
    for (auto& e : o.env) {
        if (e.find('=') == std::string::npos) return Error::invalid("--env: \"" + e + "\" is not KEY=VALUE");
        p.env.push_back(e);
    }
    if (!o.cwd.empty()) p.cwd = o.cwd;
    if (!o.user.empty()) p.user = BERTH_TRY(parse_user_flag(o.user));
    if (o.no_new_privs) p.no_new_privileges = true;
    if (!o.cap_add.empty()) {
        if (!p.capabilities) p.capabilities = spec::Capabilities{};
        for (auto& c : o.cap_add)
            for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                              &p.capabilities->permitted, &p.capabilities->ambient})
                set->push_back(c);
    }
    return p;
}

struct ExecChild {
    const std::vector<std::pair<spec::NamespaceType, std::string>>* join;
    ProcessContext ctx;
    int sync_fd;
    int console_fd;
    bool pty_to_parent;
};

[[noreturn]] void exec_child_main(const ExecChild& a) {
    auto setup = [&]() -> Result<> {
        BERTH_TRY(sync_expect(a.sync_fd, SyncMsg::CgroupJoined));
        BERTH_TRY(join_namespaces(*a.join));
        if (a.ctx.process->terminal) {
            auto [master, slave] = BERTH_TRY_CTX(open_pty(), "create pty");
            if (auto& cs = a.ctx.process->console_size)
                BERTH_TRY(set_winsize(master.get(), cs->height, cs->width));
            if (a.console_fd >= 0)
                BERTH_TRY(send_fd(a.console_fd, master.get(), "/dev/ptmx"));
            else if (a.pty_to_parent)
                BERTH_TRY(send_fd(a.sync_fd, master.get(), "/dev/ptmx"));
            BERTH_TRY(become_tty(slave.get()));
        }
        return ok();
    };
    if (auto r = setup(); !r) child_fail(a.sync_fd, std::move(r.error()).with_context("exec setup"));
    Error e = exec_process(a.ctx);
    child_fail(a.sync_fd, e, e.kind() == ErrorKind::NotFound ? 127 : 126);
}

}  // namespace

Result<int> exec(const GlobalOptions& g, const ExecOptions& o) {
    auto l = BERTH_TRY(load_container(g, o.id));
    const SavedState& saved = l.saved;
    Status st = l.status;
    if (st != Status::Running)
        return Error::conflict("cannot exec in container \"" + o.id + "\": it is " + status_name(st));
    if (!l.cgroup) return Error::internal("container \"" + o.id + "\": its cgroup cannot be opened");
    auto s = BERTH_TRY(spec::parse_spec(saved.config, saved.bundle));
    spec::Process proc = BERTH_TRY(exec_process_spec(o, s));
    bool foreground_tty = proc.terminal && o.console_socket.empty() && !o.detach;
    if (proc.terminal && o.console_socket.empty() && o.detach)
        return Error::invalid("exec -t -d needs --console-socket");
    seccomp::Filter filter;
    if (s.linux && s.linux->seccomp)
        filter = BERTH_TRY(seccomp::Filter::compile_cached(*s.linux->seccomp, path_join(g.root, ".seccomp")));

    // Join every namespace the container has, by its init's /proc entries.
    std::vector<std::pair<spec::NamespaceType, std::string>> join;
    std::string proc_ns = "/proc/" + std::to_string(saved.pid) + "/ns/";
    bool userns = false;
    if (s.linux)
        for (auto& ns : s.linux->namespaces) {
            if (ns.type == spec::NamespaceType::Pid) continue;
            join.emplace_back(ns.type, proc_ns + spec::namespace_proc_name(ns.type));
            userns |= ns.type == spec::NamespaceType::User;
        }
    std::stable_partition(join.begin(), join.end(),
                          [](auto& p) { return p.first == spec::NamespaceType::User; });

    UniqueFd console;
    if (proc.terminal && !o.console_socket.empty())
        console = BERTH_TRY_CTX(connect_unix(o.console_socket), "--console-socket");
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) return Error::sys("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);
    if (s.linux && s.linux->has_namespace(spec::NamespaceType::Pid))
        BERTH_TRY_CTX(setns_path(proc_ns + "pid", CLONE_NEWPID), "join pid namespace");

    ExecChild args{&join, ProcessContext{&proc, &filter, userns, o.preserve_fds}, child_end.get(),
                   console.get(), foreground_tty};
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork");
    if (pid == 0) {
        parent_end.reset();
        exec_child_main(args);
    }
    child_end.reset();
    ScopeExit kill_child([&] {
        (void)::kill(pid, SIGKILL);        // ESRCH only: it is gone already
        (void)::waitpid(pid, nullptr, 0);  // reaping; its status is moot
    });
    BERTH_TRY_CTX(l.cgroup->add_process(pid), "join container cgroup");
    BERTH_TRY(sync_send(parent_end.get(), SyncMsg::CgroupJoined));
    UniqueFd master;
    if (foreground_tty) master = BERTH_TRY(recv_fd(parent_end.get()));
    BERTH_TRY(sync_wait_exec(parent_end.get()));
    if (!o.pid_file.empty()) BERTH_TRY_CTX(write_file_atomic(o.pid_file, std::to_string(pid)), "--pid-file");
    kill_child.dismiss();
    if (o.detach) return 0;
    int status = 0;
    if (master)
        status = proxy_pty(master.get(), pid);
    else
        (void)sys::retry_eintr([&] { return ::waitpid(pid, &status, 0); });  // see proxy_pty
    return wait_status_to_exit_code(status);
}

}  // namespace berth::runtime

// Exec instances: POST /containers/{id}/exec records one; /exec/{id}/start runs it through
// `berth-runtime exec` (a child of the daemon, so the process joins the container's
// namespaces and cgroup without the daemon's threads ever entering them), with pipes or a
// pty as its stdio.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "common/sys.h"
#include "daemon/containers/manager_impl.h"
#include "daemon/containers/oci_spec.h"
#include "runtime/container/container.h"

extern char** environ;

namespace berth::daemon::containers {

namespace {

std::string short_cmd(const ExecConfig& cfg) {
    std::string s;
    for (auto& a : cfg.cmd) s += (s.empty() ? "" : " ") + a;
    return s;
}

// A listening unix socket for --console-socket (the runtime sends the pty master on it).
Result<UniqueFd> listen_console(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::invalid("console socket path too long: " + path);
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    (void)::unlink(path.c_str());  // a stale socket of an earlier exec; bind reports one left
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::sys("bind", path);
    if (::listen(fd.get(), 1) != 0) return Error::sys("listen", path);
    return fd;
}

}  // namespace

Result<std::string> ManagerImpl::exec_create(const std::string& ref, const ExecConfig& config) {
    auto e = BERTH_TRY(find(ref));
    auto inst = std::make_shared<ExecInstance>();
    inst->id = generate_id();
    inst->container_id = e->c.id;
    inst->config = config;
    {
        std::lock_guard lk(mu_);
        if (e->c.state.status == Status::Paused)
            return Error::conflict("Container " + e->c.id + " is paused, unpause the container before exec");
        if (e->c.state.status != Status::Running)
            return Error::conflict("Container " + e->c.id + " is not running");
        execs_[inst->id] = inst;
        e->exec_ids.insert(inst->id);
    }
    publish(e->c, "exec_create: " + short_cmd(inst->config), {{"execID", inst->id}});
    return inst->id;
}

namespace {

// The OCI process of an exec: the container's environment, user and working directory
// unless the exec sets its own; Docker's TERM and HOME defaults.
Result<Json> exec_process(const Container& c, const ExecConfig& cfg, const std::string& rootfs) {
    std::vector<std::string> env = c.config.env;
    for (auto& kv : cfg.env) {
        auto key = kv.substr(0, kv.find('='));
        std::erase_if(env, [&](auto& x) { return x.substr(0, x.find('=')) == key; });
        env.push_back(kv);
    }
    auto has = [&](const char* prefix) {
        return std::any_of(env.begin(), env.end(), [&](auto& x) { return x.rfind(prefix, 0) == 0; });
    };
    if (cfg.tty && !has("TERM=")) env.push_back("TERM=xterm");
    std::string user = cfg.user.empty() ? c.config.user : cfg.user;
    auto resolved = BERTH_TRY(resolve_user(rootfs, user, c.host_config.group_add));
    if (!has("HOME=")) env.push_back("HOME=" + resolved.home);
    std::string cwd = cfg.working_dir.empty() ? c.config.working_dir : cfg.working_dir;
    if (cwd.empty()) cwd = "/";
    HostConfig hc = c.host_config;
    hc.privileged |= cfg.privileged;
    auto caps = BERTH_TRY(effective_capabilities(hc));
    Json process = {{"terminal", cfg.tty},
                    {"user", {{"uid", resolved.uid}, {"gid", resolved.gid}}},
                    {"args", cfg.cmd},
                    {"env", env},
                    {"cwd", cwd},
                    {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}}};
    if (!resolved.additional_gids.empty()) process["user"]["additionalGids"] = resolved.additional_gids;
    if (cfg.tty) set_console_size(process, cfg.console_size);
    for (auto& o : hc.security_opt)
        if (o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true")
            process["noNewPrivileges"] = true;
    return process;
}

// The exec's stdio: pipes (none when detached: /dev/null), or with a tty the listening
// socket on which the runtime will send the pty master.
struct ExecStdio {
    UniqueFd in_r, in_w, out_r, out_w, err_r, err_w, console;
};

Result<ExecStdio> open_exec_stdio(bool tty, bool detach, const std::string& console_path) {
    ExecStdio io;
    if (tty) {
        io.console = BERTH_TRY(listen_console(console_path));
    } else if (!detach) {
        int p[2];
        for (auto [r, w] : {std::pair{&io.in_r, &io.in_w}, std::pair{&io.out_r, &io.out_w},
                            std::pair{&io.err_r, &io.err_w}}) {
            if (pipe2(p, O_CLOEXEC) != 0) return Error::sys("pipe");
            r->reset(p[0]);
            w->reset(p[1]);
        }
    }
    return io;
}

// Starts argv with the child's ends of the pipes as 0/1/2 (/dev/null where there is none),
// every signal at its default and none blocked.
Result<pid_t> spawn_with_stdio(std::vector<std::string> argv, const ExecStdio& io) {
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    int devnull = null_fd.get();
    posix_spawn_file_actions_adddup2(&fa, io.in_r ? io.in_r.get() : devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, io.out_w ? io.out_w.get() : devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, io.err_w ? io.err_w.get() : devnull, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int err = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return Error::sys("spawn", argv[0], err);
    return pid;
}

// Waits (10 s at most) for the runtime to connect and pass the pty master, or to fail
// first; a runtime that never sends one is killed. `pid` becomes 0 once reaped here.
Result<UniqueFd> receive_exec_pty(int console, const std::string& console_path, pid_t& pid) {
    pollfd pfd{console, POLLIN, 0};
    UniqueFd conn;
    for (int waited = 0; waited < 10000 && !conn; waited += 50) {
        if (poll(&pfd, 1, 50) > 0) conn.reset(accept4(console, nullptr, nullptr, SOCK_CLOEXEC));
        int status;
        if (!conn && waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            break;
        }
    }
    (void)::unlink(console_path.c_str());  // in the exec's own run dir, removed with the container
    auto pty =
        conn ? runtime::receive_console(conn.get()) : Result<UniqueFd>(Error::internal("exec did not start"));
    if (!pty && pid > 0) {
        (void)::kill(pid, SIGKILL);                                        // ESRCH only: it is gone already
        (void)sys::retry_eintr([&] { return waitpid(pid, nullptr, 0); });  // reaping; its status is moot
    }
    return pty;
}

}  // namespace

Result<std::shared_ptr<ExecInstance>> ManagerImpl::claim_exec(const std::string& exec_id) {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return Error::not_found("No such exec instance: " + exec_id);
    auto inst = it->second;
    if (inst->running || inst->exit_code != -1)
        return Error::conflict("Exec command " + exec_id + " has already run");
    inst->running = true;
    return inst;
}

Result<ExecStart> ManagerImpl::exec_start(const std::string& exec_id, bool detach) {
    auto inst = BERTH_TRY(claim_exec(exec_id));
    auto fail = [&](Error err) -> Error {
        std::lock_guard lk(mu_);
        inst->running = false;
        return err;
    };
    auto ef = find(inst->container_id);
    if (!ef) return fail(ef.error());
    Container c;
    {
        std::lock_guard lk(mu_);
        c = (*ef)->c;
    }
    if (c.state.status != Status::Running)
        return fail(Error::conflict("Container " + c.id + " is not running"));
    const ExecConfig& cfg = inst->config;
    auto process = exec_process(c, cfg, rootfs_dir(c.id));
    if (!process) return fail(process.error());
    std::string process_file = run_dir(c.id) + "/exec-" + exec_id + ".json";
    if (auto r = write_file_atomic(process_file, dump_json(*process), 0600, Durability::Atomic); !r)
        return fail(r.error());
    if (auto r =
            check_executable(rootfs_dir(c.id), cfg.cmd[0], (*process)["env"].get<std::vector<std::string>>(),
                             (*process)["cwd"].get<std::string>());
        !r) {
        // As runc: the exec fails to start; the client reads the message and exit code 126/127.
        std::lock_guard lk(mu_);
        inst->running = false;
        inst->exit_code = r.error().kind() == ErrorKind::PermissionDenied ? 126 : 127;
        (void)::unlink(process_file.c_str());  // in the container's run dir, removed with it
        return Error(r.error().kind(), "OCI runtime exec failed: " + r.error().message());
    }

    std::string console_path = shim_dir(c.id) + "/exec-" + exec_id.substr(0, 12) + ".sock";
    auto io = open_exec_stdio(cfg.tty, detach, console_path);
    if (!io) return fail(io.error());
    std::vector<std::string> argv = {opts_.runtime_path, "--root",    runtime_root(), "exec",
                                     "--process",        process_file};
    if (cfg.tty) argv.insert(argv.end(), {"--console-socket", console_path});
    argv.push_back(c.id);
    auto spawned = spawn_with_stdio(std::move(argv), *io);
    if (!spawned) return fail(spawned.error());
    pid_t pid = *spawned;
    io->in_r.reset();
    io->out_w.reset();
    io->err_w.reset();
    ExecStart out;
    out.tty = cfg.tty;
    if (cfg.tty) {
        auto pty = receive_exec_pty(io->console.get(), console_path, pid);
        if (!pty) return fail(pty.error().with_context("exec"));
        out.pty = std::move(*pty);
    }
    {
        std::lock_guard lk(mu_);
        inst->pid = pid;
        if (out.pty) inst->pty_fd = dup(out.pty.get());
    }
    publish(c, "exec_start: " + short_cmd(cfg), {{"execID", exec_id}});
    out.stdin_fd = std::move(io->in_w);
    out.stdout_fd = std::move(io->out_r);
    out.stderr_fd = std::move(io->err_r);

    auto finish = [this, inst, c, pid, process_file] { finish_exec(inst, c, pid, process_file); };
    if (detach) {
        if (!tasks_.run(finish))
            log::warn("exec " + exec_id + ": not waited for, the daemon is shutting down");
    } else {
        out.on_done = finish;
    }
    return out;
}

// Reaps the runtime (its exit status is the process's) and records it. Waits for the exec
// or the daemon's shutdown, whichever is first: a detached exec may outlive a live-restored
// daemon, and shutdown() joins this task.
void ManagerImpl::finish_exec(const std::shared_ptr<ExecInstance>& inst, const Container& c, pid_t pid,
                              const std::string& process_file) {
    UniqueFd pidfd(pidfd_open(pid));
    if (pidfd && !tasks_.wait_readable(pidfd.get())) return;  // shutting down; the exec goes on
    int status = 0;
    if (sys::retry_eintr([&] { return waitpid(pid, &status, 0); }) < 0)
        log::warn("exec " + inst->id + ": waitpid: " + std::string(strerror(errno)));
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    (void)::unlink(process_file.c_str());  // in the container's run dir, removed with it
    {
        std::lock_guard lk(mu_);
        inst->running = false;
        inst->exit_code = code;
        inst->pid = 0;
        if (inst->pty_fd >= 0) ::close(inst->pty_fd), inst->pty_fd = -1;
    }
    cv_.notify_all();
    publish(c, "exec_die", {{"execID", inst->id}, {"exitCode", std::to_string(code)}});
}

Result<Json> ManagerImpl::exec_inspect(const std::string& exec_id) {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return Error::not_found("No such exec instance: " + exec_id);
    auto& x = *it->second;
    auto& cfg = x.config;
    auto& args = cfg.cmd;
    return Json{{"ID", x.id},
                {"Running", x.running},
                {"ExitCode", x.exit_code < 0 ? Json(nullptr) : Json(x.exit_code)},
                {"ProcessConfig",
                 {{"tty", cfg.tty},
                  {"entrypoint", args.empty() ? "" : args[0]},
                  {"arguments", args.size() > 1 ? std::vector<std::string>(args.begin() + 1, args.end())
                                                : std::vector<std::string>{}},
                  {"privileged", cfg.privileged},
                  {"user", cfg.user}}},
                {"OpenStdin", cfg.attach_stdin},
                {"OpenStderr", cfg.attach_stderr},
                {"OpenStdout", cfg.attach_stdout},
                {"CanRemove", false},
                {"ContainerID", x.container_id},
                {"DetachKeys", cfg.detach_keys},
                {"Pid", x.pid}};
}

Result<> ManagerImpl::exec_resize(const std::string& exec_id, int height, int width) {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return Error::not_found("No such exec instance: " + exec_id);
    if (it->second->pty_fd < 0) return ok();
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(height);
    ws.ws_col = static_cast<unsigned short>(width);
    if (ioctl(it->second->pty_fd, TIOCSWINSZ, &ws) != 0) return Error::sys("resize exec tty");
    return ok();
}

}  // namespace berth::daemon::containers

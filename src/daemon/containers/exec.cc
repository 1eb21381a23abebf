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
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::sys("bind", path);
    if (::listen(fd.get(), 1) != 0) return Error::sys("listen", path);
    return fd;
}

}  // namespace

Result<std::string> ManagerImpl::exec_create(const std::string& ref, const Json& body) {
    auto e = BERTH_TRY(find(ref));
    auto config = BERTH_TRY(read_exec_config(body));
    auto inst = std::make_shared<ExecInstance>();
    inst->id = generate_id();
    inst->container_id = e->c.id;
    inst->config = std::move(config);
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

Result<ExecStart> ManagerImpl::exec_start(const std::string& exec_id, bool detach) {
    std::shared_ptr<ExecInstance> inst;
    {
        std::lock_guard lk(mu_);
        auto it = execs_.find(exec_id);
        if (it == execs_.end()) return Error::not_found("No such exec instance: " + exec_id);
        inst = it->second;
        if (inst->running || inst->exit_code != -1)
            return Error::conflict("Exec command " + exec_id + " has already run");
        inst->running = true;
    }
    auto fail = [&](Error err) -> Error {
        std::lock_guard lk(mu_);
        inst->running = false;
        return err;
    };
    auto ef = find(inst->container_id);
    if (!ef) return fail(ef.error());
    auto e = *ef;
    Container c;
    {
        std::lock_guard lk(mu_);
        c = e->c;
    }
    if (c.state.status != Status::Running)
        return fail(Error::conflict("Container " + c.id + " is not running"));
    const ExecConfig& cfg = inst->config;
    bool tty = cfg.tty;

    // The process: the container's environment and user unless the exec sets its own.
    std::vector<std::string> env = c.config.env;
    for (auto& kv : cfg.env) {
        auto key = kv.substr(0, kv.find('='));
        std::erase_if(env, [&](auto& x) { return x.substr(0, x.find('=')) == key; });
        env.push_back(kv);
    }
    if (tty && std::none_of(env.begin(), env.end(), [](auto& x) { return x.rfind("TERM=", 0) == 0; }))
        env.push_back("TERM=xterm");
    std::string user = cfg.user.empty() ? c.config.user : cfg.user;
    auto resolved = resolve_user(rootfs_dir(c.id), user, c.host_config.group_add);
    if (!resolved) return fail(resolved.error());
    if (std::none_of(env.begin(), env.end(), [](auto& x) { return x.rfind("HOME=", 0) == 0; }))
        env.push_back("HOME=" + resolved->home);
    std::string cwd = cfg.working_dir.empty() ? c.config.working_dir : cfg.working_dir;
    if (cwd.empty()) cwd = "/";
    HostConfig hc = c.host_config;
    hc.privileged |= cfg.privileged;
    auto caps = effective_capabilities(hc);
    if (!caps) return fail(caps.error());
    const std::vector<std::string>& args = cfg.cmd;
    Json process = {{"terminal", tty},
                    {"user", {{"uid", resolved->uid}, {"gid", resolved->gid}}},
                    {"args", args},
                    {"env", env},
                    {"cwd", cwd},
                    {"capabilities", {{"bounding", *caps}, {"effective", *caps}, {"permitted", *caps}}}};
    if (!resolved->additional_gids.empty()) process["user"]["additionalGids"] = resolved->additional_gids;
    if (tty) set_console_size(process, cfg.console_size);
    for (auto& o : hc.security_opt)
        if (o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true")
            process["noNewPrivileges"] = true;
    std::string dir = run_dir(c.id);
    std::string process_file = dir + "/exec-" + exec_id + ".json";
    if (auto r = write_file_atomic(process_file, dump_json(process), 0600, Durability::Atomic); !r)
        return fail(r.error());

    ExecStart out;
    out.tty = tty;
    if (auto r = check_executable(rootfs_dir(c.id), args[0], env, cwd); !r) {
        // As runc: the exec fails to start; the client reads the message and exit code 126/127.
        std::lock_guard lk(mu_);
        inst->running = false;
        inst->exit_code = r.error().kind() == ErrorKind::PermissionDenied ? 126 : 127;
        ::unlink(process_file.c_str());
        return Error(r.error().kind(), "OCI runtime exec failed: " + r.error().message());
    }

    // stdio: pipes, or the pty the runtime sends over a console socket.
    UniqueFd in_r, in_w, out_r, out_w, err_r, err_w, console;
    std::string console_path = shim_dir(c.id) + "/exec-" + exec_id.substr(0, 12) + ".sock";
    if (tty) {
        auto l = listen_console(console_path);
        if (!l) return fail(l.error());
        console = std::move(*l);
    } else if (!detach) {
        int p[2];
        for (auto [r, w] : {std::pair{&in_r, &in_w}, std::pair{&out_r, &out_w}, std::pair{&err_r, &err_w}}) {
            if (pipe2(p, O_CLOEXEC) != 0) return fail(Error::sys("pipe"));
            r->reset(p[0]);
            w->reset(p[1]);
        }
    }
    std::vector<std::string> argv = {opts_.runtime_path, "--root",    runtime_root(), "exec",
                                     "--process",        process_file};
    if (tty) argv.insert(argv.end(), {"--console-socket", console_path});
    argv.push_back(c.id);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    UniqueFd null_fd(devnull);
    posix_spawn_file_actions_adddup2(&fa, in_r ? in_r.get() : devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w ? out_w.get() : devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w ? err_w.get() : devnull, 2);
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
    if (err != 0) return fail(Error::sys("spawn", argv[0], err));
    in_r.reset();
    out_w.reset();
    err_w.reset();
    if (tty) {
        // Wait for the runtime to connect and pass the pty master (or to fail first).
        pollfd pfd{console.get(), POLLIN, 0};
        UniqueFd conn;
        for (int waited = 0; waited < 10000 && !conn; waited += 50) {
            if (poll(&pfd, 1, 50) > 0) conn.reset(accept4(console.get(), nullptr, nullptr, SOCK_CLOEXEC));
            int status;
            if (!conn && waitpid(pid, &status, WNOHANG) == pid) {
                pid = 0;
                break;
            }
        }
        ::unlink(console_path.c_str());
        auto pty = conn ? runtime::receive_console(conn.get())
                        : Result<UniqueFd>(Error::internal("exec did not start"));
        if (!pty) {
            if (pid > 0) ::kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
            return fail(pty.error().with_context("exec"));
        }
        out.pty = std::move(*pty);
        std::lock_guard lk(mu_);
        inst->pty_fd = dup(out.pty.get());
    }
    {
        std::lock_guard lk(mu_);
        inst->pid = pid;
    }
    publish(c, "exec_start: " + short_cmd(cfg), {{"execID", exec_id}});
    out.stdin_fd = std::move(in_w);
    out.stdout_fd = std::move(out_r);
    out.stderr_fd = std::move(err_r);

    // Reaps the runtime (its exit status is the process's) and records it.
    auto finish = [this, inst, c, pid, process_file, exec_id] {
        // Waits for the exec or the daemon's shutdown, whichever is first: a detached exec
        // may outlive a live-restored daemon, and shutdown() joins this task.
        UniqueFd pidfd(pidfd_open(pid));
        if (pidfd && !tasks_.wait_readable(pidfd.get())) return;  // shutting down; the exec goes on
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        ::unlink(process_file.c_str());
        {
            std::lock_guard lk(mu_);
            inst->running = false;
            inst->exit_code = code;
            inst->pid = 0;
            if (inst->pty_fd >= 0) ::close(inst->pty_fd), inst->pty_fd = -1;
        }
        cv_.notify_all();
        publish(c, "exec_die", {{"execID", exec_id}, {"exitCode", std::to_string(code)}});
    };
    if (detach) {
        if (!tasks_.run(finish))
            log::warn("exec " + exec_id + ": not waited for, the daemon is shutting down");
    } else {
        out.on_done = finish;
    }
    return out;
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

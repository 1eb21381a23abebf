// Start, stop, kill, pause, wait, and what happens when a container exits (the monitor
// thread watching every shim through a pidfd).
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "daemon/config/config.h"
#include "daemon/containers/manager_impl.h"
#include "daemon/containers/oci_spec.h"
#include "runtime/container/container.h"
#include "runtime/rootfs/rootfs.h"
#include "shim/shim.h"

namespace berth::daemon::containers {

int pidfd_open(pid_t pid) {
    return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

namespace {

using namespace std::chrono_literals;

Error not_running(const Container& c) {
    return Error::conflict("Container " + c.id + " is not running");
}

// Docker reports a missing or non-executable command at start with the runtime's wording,
// which the docker CLI maps to exit codes 127 and 126; check before the shim is spawned.
}  // namespace

Result<> check_executable(const std::string& rootfs, const std::string& program,
                          const std::vector<std::string>& env, const std::string& cwd) {
    std::vector<std::string> dirs;
    if (program.find('/') != std::string::npos) {
        dirs.push_back("");
    } else {
        std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (auto& kv : env)
            if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
        for (auto& d : split(path, ':')) dirs.push_back(d + "/");
    }
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::sys("open", rootfs);
    struct Prog {
        const std::string& path;
    } c{program};
    for (auto& d : dirs) {
        std::string p = d + c.path;
        if (p[0] != '/') p = (cwd.empty() ? "/" : cwd + "/") + p;
        auto fd = runtime::rootfs::open_in_root(root.get(), p, O_PATH | O_CLOEXEC);
        if (!fd) continue;
        struct stat st;
        if (fstat(fd->get(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
            if (!d.empty() || c.path.find('/') != std::string::npos)
                return Error(ErrorKind::PermissionDenied, "failed to create task for container: exec: \"" +
                                                              c.path + "\": permission denied");
            continue;
        }
        return ok();
    }
    if (c.path.find('/') != std::string::npos)
        return Error::invalid("failed to create task for container: exec: \"" + c.path + "\": stat " +
                              c.path + ": no such file or directory");
    return Error::invalid("failed to create task for container: exec: \"" + c.path +
                          "\": executable file not found in $PATH");
}

namespace {

int signal_of(const Container& c, const std::string& requested) {
    std::string s = requested.empty() ? c.config.stop_signal : requested;
    if (s.empty()) return SIGTERM;
    auto sig = runtime::parse_signal(s);
    return sig ? *sig : SIGTERM;
}

}  // namespace

Result<bool> ManagerImpl::start(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    if (e->c.state.status == Status::Running) return false;
    if (e->c.state.status == Status::Paused)
        return Error::conflict("cannot start a paused container, try unpause instead");
    if (e->c.state.status == Status::Removing || e->removed)
        return Error::conflict("container is marked for removal and cannot be started");
    if (e->c.state.status == Status::Dead) return Error::conflict("cannot start a dead container");
    auto r = start_locked(*e);
    if (!r) {
        // As Docker: a container that cannot start is removed when it asked for AutoRemove.
        if (e->c.host_config.auto_remove)
            if (auto rm = remove_locked(e, true); !rm)
                log::warn("auto-remove " + e->c.short_id() + ": " + rm.error().str());
        return r.error();
    }
    return true;
}

Result<> ManagerImpl::start_locked(Entry& e) {
    Container& c = e.c;
    const std::string id = c.id;
    auto fail = [&](Error err, int code) -> Result<> {
        (void)images_->unmount_rootfs(id, rootfs_dir(id));  // the next start and remove unmount it again
        {
            std::lock_guard lk(mu_);
            c.state.error = err.message();
            c.state.exit_code = code;
            e.start_failures++;
            persist(c);
        }
        cv_.notify_all();
        return err;
    };
    if (auto r = prepare_rootfs(c); !r) return fail(r.error(), 128);
    if (auto r = check_executable(rootfs_dir(id), c.path, c.config.env, c.config.working_dir); !r)
        return fail(r.error(), r.error().kind() == ErrorKind::PermissionDenied ? 126 : 127);
    auto netns = shared_netns(c);
    if (!netns) return fail(netns.error(), 128);
    SpecInputs in{&c, rootfs_dir(id), opts_.cgroup_parent, cgroup_v2_, *netns, opts_.shim_path};
    in.volumes_root = volumes_root();
    auto spec = build_oci_spec(in);
    if (!spec) return fail(spec.error(), 128);
    if (auto r =
            write_file_atomic(bundle_dir(id) + "/config.json", dump_json(*spec), 0600, Durability::Atomic);
        !r)
        return fail(r.error(), 128);
    auto so = shim_options(c);
    if (!so) return fail(so.error(), 128);
    auto spawned = shim::spawn_shim(opts_.shim_path, *so);
    if (!spawned) return fail(spawned.error().with_context("failed to create task for container"), 128);
    return run_spawned(e, *spawned);
}

// The container's directories, and its rootfs mounted afresh.
Result<> ManagerImpl::prepare_rootfs(const Container& c) {
    const std::string& id = c.id;
    // A stale exit.json left here would be read as this start's exit if the shim fails early.
    if (auto r = remove_all(shim_dir(id)); !r)
        log::warn("container " + c.short_id() + ": " + r.error().str());
    for (auto [dir, mode] :
         {std::pair{bundle_dir(id), 0700}, std::pair{rootfs_dir(id), 0755}, std::pair{shim_dir(id), 0700}})
        BERTH_TRY(mkdir_all(dir, mode));
    // Left by a crash between mount and exit; if it stays, the mount below goes over it.
    (void)images_->unmount_rootfs(id, rootfs_dir(id));  // see start_locked's fail
    // An AutoRemove container's layer is thrown away, never trusted after a crash: volatile
    // spares its unmount a sync of the whole filesystem under it (tens of ms under writes).
    return images_->mount_rootfs(id, rootfs_dir(id), c.host_config.auto_remove);
}

// --network container:<x> joins x's network namespace, which must be running: its path,
// or "" for any other mode.
Result<std::string> ManagerImpl::shared_netns(const Container& c) {
    const std::string& mode = c.host_config.network_mode;
    if (mode.rfind("container:", 0) != 0) return std::string();
    auto other = BERTH_TRY(find(mode.substr(10)));
    pid_t pid;
    {
        std::lock_guard lk(mu_);
        pid = other->c.state.running() ? other->c.state.pid : 0;
    }
    if (pid <= 0)
        return Error::conflict("cannot join network namespace of a non running container: " +
                               mode.substr(10));
    return "/proc/" + std::to_string(pid) + "/ns/net";
}

Result<shim::Options> ManagerImpl::shim_options(const Container& c) {
    shim::Options so;
    so.id = c.id;
    so.bundle = bundle_dir(c.id);
    so.state_dir = shim_dir(c.id);
    so.runtime_root = runtime_root();
    so.log_path = c.log_path;
    const StringMap& log_opts = c.host_config.log_config.config;
    so.log_max_size = opts_.log_max_size;
    so.log_max_file = opts_.log_max_file;
    if (auto it = log_opts.find("max-size"); it != log_opts.end() && !it->second.empty()) {
        auto n = parse_byte_size(it->second);
        if (!n) return Error::invalid("invalid max-size \"" + it->second + "\"");
        so.log_max_size = *n;
    }
    if (auto it = log_opts.find("max-file"); it != log_opts.end() && !it->second.empty())
        so.log_max_file = std::max(1, atoi(it->second.c_str()));
    so.tty = c.config.tty;
    so.open_stdin = c.config.open_stdin;
    so.stdin_once = c.config.stdin_once;
    return so;
}

// The shim holds the created container, its init waiting: networks join, early attach
// clients connect, then the init starts (or is killed when that fails).
Result<> ManagerImpl::run_spawned(Entry& e, const shim::Spawned& spawned) {
    Container& c = e.c;
    {
        std::lock_guard lk(mu_);
        c.state.shim_pid = spawned.shim_pid;
        c.state.pid = spawned.init_pid;
        e.shim_ready = true;
    }
    cv_.notify_all();
    // The network is set up while the init still waits: it starts with its interfaces.
    auto joined = join_networks(c);
    // Attach clients that asked before start connect now, while the init still waits.
    {
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, 5s, [&] { return e.pending_attach == 0; });
        e.shim_ready = false;
    }
    auto started = joined ? runtime::start({runtime_root()}, c.id) : Result<>(joined.error());
    record_start(c, started);
    // The shim's pidfd: its exit ends the container, whether start worked or not.
    std::shared_ptr<Entry> self;
    {
        std::lock_guard lk(mu_);
        if (auto it = entries_.find(c.id); it != entries_.end()) self = it->second;
    }
    if (self) watch_shim(self);
    cv_.notify_all();
    if (!started) {
        // An init left waiting keeps its shim, so no exit is ever seen; "not running" is fine.
        auto k = runtime::kill({runtime_root()}, c.id, SIGKILL, true);
        if (!k && k.error().kind() != ErrorKind::Conflict)
            log::warn("container " + c.short_id() + ": " + k.error().str());
        return started.error().with_context("failed to start container " + c.id);
    }
    publish(c, "start");
    return ok();
}

void ManagerImpl::record_start(Container& c, const Result<>& started) {
    std::lock_guard lk(mu_);
    if (started) {
        c.state.status = Status::Running;
        c.state.started_at = now_rfc3339_nano();
        c.state.finished_at = kZeroTime;
        c.state.exit_code = 0;
        c.state.error.clear();
        c.state.oom_killed = false;
        c.manually_stopped = false;
    } else {
        // Never ran (a published port taken, a network gone): it keeps its state, as
        // with docker, and `ps` must not show it Up while its init is being killed.
        c.state.exit_code = 128;
        c.state.error = started.error().message();
    }
    persist(c);
}

void ManagerImpl::watch_shim(const std::shared_ptr<Entry>& e) {
    int fd = pidfd_open(e->c.state.shim_pid);
    if (fd < 0) {
        // Gone already (or pidfds unsupported): record its exit off this caller's locks.
        if (!tasks_.run([this, e] { handle_exit(e); }))
            log::warn("container " + e->c.short_id() + ": exit not recorded, the daemon is shutting down");
        return;
    }
    {
        std::lock_guard lk(mu_);
        e->shim_pidfd = UniqueFd(fd);
    }
    // The epoll entry carries the fd; the monitor finds the entry by it.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(fd) + 1;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
    // Not watched by the monitor (no memory for the entry): a task of its own waits instead,
    // so this container's exit is still recorded.
    log::warn("container " + e->c.short_id() + ": epoll_ctl: " + std::strerror(errno) +
              "; waiting on its own");
    bool queued = tasks_.run([this, e, fd] {
        if (tasks_.wait_readable(fd)) handle_exit(e);
    });
    if (!queued)
        log::error("container " + e->c.short_id() + ": its exit will not be recorded (shutting down)");
}

void ManagerImpl::monitor_loop() {
    epoll_event evs[16];
    for (;;) {
        int n = epoll_wait(epoll_fd_, evs, 16, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            // Only a broken epoll fd gets here: say so, since no exit is seen after this.
            log::error(std::string("container exit monitor stopped: epoll_wait: ") + std::strerror(errno) +
                       "; container exits are no longer recorded until berthd restarts");
            return;
        }
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.u64 == 0) return;  // shutdown
            int fd = static_cast<int>(evs[i].data.u64 - 1);
            (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // the fd closes next: it leaves anyway
            std::shared_ptr<Entry> owner;
            {
                std::lock_guard lk(mu_);
                for (auto& [id, e] : entries_)
                    if (e->shim_pidfd.get() == fd) owner = e;
            }
            if (owner) handle_exit(owner);
        }
    }
}

void ManagerImpl::handle_exit(const std::shared_ptr<Entry>& e) {
    Container& c = e->c;
    auto es = release_exited(*e);
    bool restart, auto_remove, stopping;
    {
        std::lock_guard lk(mu_);
        c.state.status = Status::Exited;
        c.state.pid = 0;
        c.state.shim_pid = 0;
        c.state.exit_code = es ? es->exit_code : 255;
        c.state.finished_at = es ? es->finished_at : now_rfc3339_nano();
        c.state.oom_killed = es && es->oom_killed;
        if (!es) c.state.error = "the container's shim exited without recording a status";
        e->exits++;
        const std::string& policy = c.host_config.restart_policy.name;
        int64_t max_retries = c.host_config.restart_policy.maximum_retry_count;
        auto_remove = c.host_config.auto_remove;
        stopping = stopping_;
        restart = !stopping && !c.manually_stopped &&
                  (policy == "always" || policy == "unless-stopped" ||
                   (policy == "on-failure" && c.state.exit_code != 0 &&
                    (max_retries == 0 || c.restart_count < max_retries)));
        persist(c);
    }
    cv_.notify_all();
    if (c.state.oom_killed) publish(c, "oom");
    publish(c, "die", {{"exitCode", std::to_string(c.state.exit_code)}});
    if (restart) {
        schedule_restart(e);
    } else if (auto_remove && !stopping) {
        tasks_.run([this, e] {
            std::lock_guard op(e->op);
            if (auto r = remove_locked(e, true); !r)
                log::warn("auto-remove " + e->c.short_id() + ": " + r.error().str());
        });
    }
}

// The shim is gone: its exit status read (and whether the OOM killer ended it), the runtime
// container removed, the rootfs unmounted and the networks left.
Result<shim::ExitStatus> ManagerImpl::release_exited(Entry& e) {
    Container& c = e.c;
    pid_t shim_pid;
    {
        std::lock_guard lk(mu_);
        shim_pid = c.state.shim_pid;
        e.shim_pidfd.reset();
    }
    if (shim_pid > 0) (void)waitpid(shim_pid, nullptr, WNOHANG);  // ECHILD once we restarted since
    auto es = shim::read_exit_status(shim_dir(c.id));
    if (!es) (void)runtime::kill({runtime_root()}, c.id, SIGKILL, true);  // the forced remove kills too
    // The shim's monitor stays small by leaving the runtime container (cgroups, state) to
    // us: its cgroup still tells whether the kernel's OOM killer ended it.
    if (es && !es->oom_killed) {
        if (auto st = runtime::stats({runtime_root()}, c.id)) {
            const auto& mem = (*st)["data"]["memory"];
            if (mem.is_object()) es->oom_killed = mem.value("oom_kills", 0) > 0;
        }
    }
    // Failing, processes of a container recorded as exited may live on; none left is fine.
    auto removed = runtime::remove({runtime_root()}, c.id, true);
    if (!removed && removed.error().kind() != ErrorKind::NotFound)
        log::warn("container " + c.short_id() + ": " + removed.error().str());
    (void)images_->unmount_rootfs(c.id, rootfs_dir(c.id));  // the next start and remove unmount it again
    leave_networks(c);
    return es;
}

void ManagerImpl::schedule_restart(const std::shared_ptr<Entry>& e) {
    int count;
    {
        std::lock_guard lk(mu_);
        e->c.state.status = Status::Restarting;
        count = ++e->c.restart_count;
        persist(e->c);
    }
    // Docker's backoff: 100 ms doubling per restart, capped at a minute.
    int shift = std::min(count, 10);
    auto delay = std::min<std::chrono::milliseconds>(100ms * (1 << shift) / 2, 60s);
    // Owned, so shutdown() cancels a back-off of up to a minute instead of racing it.
    tasks_.run_after(delay, [this, e] {
        std::lock_guard op(e->op);
        {
            std::lock_guard lk(mu_);
            if (e->removed || e->c.state.status != Status::Restarting || stopping_) return;
        }
        if (auto r = start_locked(*e); !r) {
            std::lock_guard lk(mu_);
            e->c.state.status = Status::Exited;
            e->c.state.error = r.error().str();
            persist(e->c);
        }
    });
}

Result<bool> ManagerImpl::stop(const std::string& ref, std::optional<int> timeout,
                               const std::string& signal) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    if (!e->c.state.running()) {
        if (e->c.state.status == Status::Restarting) {
            std::lock_guard lk(mu_);
            e->c.state.status = Status::Exited;
            e->c.manually_stopped = true;
            persist(e->c);
            return true;
        }
        return false;
    }
    BERTH_TRY(stop_locked(*e, timeout ? *timeout : -2, signal));
    return true;
}

// timeout: seconds; -1 waits forever; -2 means the container's StopTimeout (default 10).
Result<> ManagerImpl::stop_locked(Entry& e, int timeout, const std::string& signal) {
    Container& c = e.c;
    if (timeout == -2) timeout = c.config.stop_timeout.value_or(10);
    int sig = signal_of(c, signal);
    uint64_t exits;
    {
        std::lock_guard lk(mu_);
        if (!c.state.running()) return ok();
        c.manually_stopped = true;
        persist(c);
        exits = e.exits;
    }
    auto exited = [&](std::chrono::steady_clock::duration d) {
        std::unique_lock lk(mu_);
        return cv_.wait_for(lk, d, [&] { return e.exits != exits || !c.state.running(); });
    };
    if (sig != SIGKILL) {
        (void)runtime::kill({runtime_root()}, c.id, sig, false);  // unsignalled, it gets SIGKILL below
        publish(c, "kill", {{"signal", std::to_string(sig)}});
        // Left frozen, it cannot act on the signal: the SIGKILL after the timeout still ends it.
        if (c.state.status == Status::Paused) (void)runtime::resume({runtime_root()}, c.id);  // see above
        if (timeout < 0 ? exited(std::chrono::hours(24 * 365)) : exited(std::chrono::seconds(timeout))) {
            publish(c, "stop");
            return ok();
        }
    }
    (void)runtime::kill({runtime_root()}, c.id, SIGKILL, true);  // failing, it shows as the error below
    publish(c, "kill", {{"signal", "9"}});
    if (c.state.status == Status::Paused) (void)runtime::resume({runtime_root()}, c.id);  // kill_all thaws
    if (!exited(30s)) return Error::internal("container " + c.id + " did not exit after SIGKILL");
    publish(c, "stop");
    return ok();
}

Result<> ManagerImpl::kill(const std::string& ref, const std::string& signal) {
    auto e = BERTH_TRY(find(ref));
    int sig = SIGKILL;
    if (!signal.empty()) {
        auto s = runtime::parse_signal(signal);
        if (!s) return Error::invalid("Invalid signal: " + signal);
        sig = *s;
    }
    std::lock_guard op(e->op);
    if (!e->c.state.running())
        return Error::conflict("Cannot kill container: " + ref + ": " + not_running(e->c).message());
    if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT) {
        std::lock_guard lk(mu_);
        e->c.manually_stopped = sig == SIGKILL || e->c.manually_stopped;
    }
    BERTH_TRY_CTX(runtime::kill({runtime_root()}, e->c.id, sig, sig == SIGKILL),
                  "Cannot kill container: " + ref);
    publish(e->c, "kill", {{"signal", std::to_string(sig)}});
    return ok();
}

Result<> ManagerImpl::restart(const std::string& ref, std::optional<int> timeout, const std::string& signal) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    if (e->c.state.running()) BERTH_TRY(stop_locked(*e, timeout ? *timeout : -2, signal));
    BERTH_TRY(start_locked(*e));
    publish(e->c, "restart");
    return ok();
}

Result<> ManagerImpl::pause(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    if (e->c.state.status == Status::Paused)
        return Error::conflict("Container " + e->c.id + " is already paused");
    if (e->c.state.status != Status::Running) return not_running(e->c);
    BERTH_TRY(runtime::pause({runtime_root()}, e->c.id));
    {
        std::lock_guard lk(mu_);
        e->c.state.status = Status::Paused;
        BERTH_TRY_CTX(save(e->c),
                      "container " + e->c.short_id() + " is paused, but its state was not written");
    }
    publish(e->c, "pause");
    return ok();
}

Result<> ManagerImpl::unpause(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    if (e->c.state.status != Status::Paused)
        return Error::conflict("Container " + e->c.id + " is not paused");
    BERTH_TRY(runtime::resume({runtime_root()}, e->c.id));
    {
        std::lock_guard lk(mu_);
        e->c.state.status = Status::Running;
        BERTH_TRY_CTX(save(e->c),
                      "container " + e->c.short_id() + " runs again, but its state was not written");
    }
    publish(e->c, "unpause");
    return ok();
}

Result<Json> ManagerImpl::wait(const std::string& ref, WaitCondition cond,
                               const std::function<bool()>& cancelled) {
    auto e = BERTH_TRY(find(ref));
    std::unique_lock lk(mu_);
    uint64_t exits = e->exits;
    auto done = [&] {
        switch (cond) {
            case WaitCondition::NotRunning:
                return !e->c.state.running() && e->c.state.status != Status::Restarting;
            case WaitCondition::NextExit:
                return e->exits != exits || e->removed;
            case WaitCondition::Removed:
                return e->removed;
        }
        return true;
    };
    while (!done()) {
        if (stopping_) return Error(ErrorKind::Unavailable, "the daemon is shutting down");
        cv_.wait_for(lk, 500ms);
        if (cancelled && cancelled()) return Error::invalid("client went away");
    }
    Json out = {{"StatusCode", e->c.state.exit_code}};
    if (!e->c.state.error.empty()) out["Error"] = {{"Message", e->c.state.error}};
    return out;
}

}  // namespace berth::daemon::containers

// create, start and run: the container's init is cloned into its namespaces, set up by
// init_main() in the child, and synchronised with the parent step by step (sync.cc).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "common/file.h"
#include "common/log.h"
#include "common/scope.h"
#include "common/sys.h"
#include "common/time.h"
#include "runtime/caps/caps.h"
#include "runtime/container/internal.h"
#include "runtime/rootfs/rootfs.h"

namespace berth::runtime {

namespace {

enum class Mode { Create, Run };

// Everything the child needs; the child sees a copy of the parent's memory (no CLONE_VM).
struct InitArgs {
    const spec::Spec* spec = nullptr;
    const NsPlan* plan = nullptr;
    const seccomp::Filter* filter = nullptr;
    int sync_fd = -1;
    int fifo_fd = -1;            // O_PATH fd of exec.fifo (create), -1 (run)
    int console_fd = -1;         // connected --console-socket
    bool pty_to_parent = false;  // run in the foreground with a terminal: parent proxies
    int preserve_fds = 0;
    ContainerState state;  // for hooks run by the child
};

// The device rules the cgroup gets: the spec's own, then (as runc does) the devices every
// container needs (/dev/null, zero, full, random, urandom, tty, console, ptmx, pts, tun),
// mknod of any device (access is still checked on open), and every linux.devices entry.
spec::Resources effective_resources(const spec::Spec& s) {
    spec::Resources r = s.linux->resources ? *s.linux->resources : spec::Resources{};
    auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                     const char* access) {
        r.devices.push_back({true, type, major, minor, access});
    };
    allow("c", std::nullopt, std::nullopt, "m");
    allow("b", std::nullopt, std::nullopt, "m");
    for (auto [major, minor] :
         {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}})
        allow("c", major, minor, "rwm");
    allow("c", 136, std::nullopt, "rwm");
    for (auto& d : s.linux->devices)
        if (d.type == 'c' || d.type == 'b' || d.type == 'u')
            allow(d.type == 'b' ? "b" : "c", d.major, d.minor, "rwm");
    return r;
}

Result<> write_sysctls(const std::map<std::string, std::string>& sysctl) {
    for (auto& [key, value] : sysctl) {
        std::string path = "/proc/sys/" + key;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        auto r = write_file(path, value);
        if (!r) return std::move(r.error()).with_context("linux.sysctl \"" + key + "\"");
    }
    return ok();
}

Result<> setup_terminal(const InitArgs& a) {
    auto [master, slave] = BERTH_TRY_CTX(open_pty(), "create pty");
    if (auto& cs = a.spec->process->console_size) BERTH_TRY(set_winsize(master.get(), cs->height, cs->width));
    if (a.console_fd >= 0)
        BERTH_TRY(send_fd(a.console_fd, master.get(), "/dev/ptmx"));
    else if (a.pty_to_parent)
        BERTH_TRY(send_fd(a.sync_fd, master.get(), "/dev/ptmx"));
    BERTH_TRY(become_tty(slave.get()));
    return ok();
}

Result<> init_setup(const InitArgs& a) {
    const spec::Spec& s = *a.spec;
    const NsPlan& plan = *a.plan;
    if (plan.new_userns) {
        BERTH_TRY(sync_expect(a.sync_fd, SyncMsg::MapsWritten));
        if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
            return Error::sys("become root in the user namespace (is uid/gid 0 mapped?)");
    }
    BERTH_TRY(sync_expect(a.sync_fd, SyncMsg::CgroupJoined));
    BERTH_TRY(join_namespaces(plan.join));
    if (plan.unshare_flags && ::unshare(plan.unshare_flags) != 0) return Error::sys("unshare namespaces");
    if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) != 0)
        return Error::sys("sethostname", s.hostname);
    if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) != 0)
        return Error::sys("setdomainname", s.domainname);
    BERTH_TRY(sync_send(a.sync_fd, SyncMsg::NsReady));
    BERTH_TRY(sync_expect(a.sync_fd, SyncMsg::HooksDone));
    BERTH_TRY(run_hooks(s.hooks.create_container, a.state, "createContainer"));

    rootfs::Options ropts;
    ropts.in_user_namespace = plan.new_userns || s.linux->find_namespace(spec::NamespaceType::User);
    ropts.new_cgroup_namespace = s.linux->has_namespace(spec::NamespaceType::Cgroup);
    BERTH_TRY_CTX(rootfs::prepare_rootfs(s, ropts), "prepare rootfs");
    BERTH_TRY(write_sysctls(s.linux->sysctl));
    if (s.process->terminal) BERTH_TRY(setup_terminal(a));
    BERTH_TRY_CTX(rootfs::finalize_rootfs(s), "finalize rootfs");
    BERTH_TRY(sync_send(a.sync_fd, SyncMsg::Created));

    if (a.fifo_fd >= 0) {
        // Blocks until `start` opens the fifo for reading.
        std::string self = "/proc/self/fd/" + std::to_string(a.fifo_fd);
        auto fifo = BERTH_TRY_CTX(open_file(self, O_WRONLY), "wait for start on exec.fifo");
        BERTH_TRY(write_all(fifo.get(), "0", "exec.fifo"));
        ::close(a.fifo_fd);
    } else {
        BERTH_TRY(sync_expect(a.sync_fd, SyncMsg::Go));
    }
    BERTH_TRY(run_hooks(s.hooks.start_container, a.state, "startContainer"));
    return ok();
}

[[noreturn]] void init_main(const InitArgs& a) {
    // A failed setup ends here: the error goes to the parent over the sync socket.
    auto r = init_setup(a);
    if (!r) child_fail(a.sync_fd, std::move(r.error()).with_context("container init"));
    ProcessContext ctx{&*a.spec->process, a.filter, a.plan->new_userns, a.preserve_fds};
    Error e = exec_process(ctx);
    child_fail(a.sync_fd, e, e.kind() == ErrorKind::NotFound ? 127 : 126);
}

struct Created {
    pid_t pid = 0;
    UniqueFd sync;
    UniqueFd pty_master;
    SavedState saved;
    spec::Spec spec;
    std::unique_ptr<cgroups::Cgroup> cgroup;
};

Result<pid_t> clone_child(int flags) {
    long pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) return Error::sys("clone");
    return static_cast<pid_t>(pid);
}

Result<> check_spec(const spec::Spec& s) {
    if (!s.process) return Error::invalid("process: required to create a container");
    if (!s.linux) return Error::invalid("linux: required");
    if (!s.linux->has_namespace(spec::NamespaceType::Mount))
        return Error::invalid("linux.namespaces: a mount namespace is required");
    struct stat st;
    if (::stat(s.root.path.c_str(), &st) != 0) return Error::sys("root.path", s.root.path);
    if (!S_ISDIR(st.st_mode)) return Error::invalid("root.path: " + s.root.path + " is not a directory");
    if (s.process->capabilities) BERTH_TRY(caps::validate(*s.process->capabilities));
    return ok();
}

// Reads the bundle's config.json into `out` and checks it can be created as asked;
// returns the bundle's absolute path.
Result<std::string> load_bundle_spec(const CreateOptions& o, bool proxy_tty, spec::Spec& out) {
    char bundle_abs[PATH_MAX];
    if (!::realpath(o.bundle.c_str(), bundle_abs)) return Error::sys("bundle", o.bundle);
    out = BERTH_TRY(spec::load_spec(bundle_abs));
    BERTH_TRY(check_spec(out));
    bool has_console = !o.console_socket.empty() || o.console_socket_fd >= 0;
    if (out.process->terminal && !has_console && !proxy_tty)
        return Error::invalid("process.terminal is true: --console-socket is required");
    return std::string(bundle_abs);
}

// The container's state directory; its existence is what claims the id.
Result<std::string> make_container_dir(const GlobalOptions& g, const std::string& id) {
    BERTH_TRY(mkdir_all(g.root, 0711));
    std::string dir = container_dir(g, id);
    if (::mkdir(dir.c_str(), 0711) != 0) {
        if (errno == EEXIST) return Error::exists("container with id \"" + id + "\" already exists");
        return Error::sys("mkdir", dir);
    }
    return dir;
}

// exec.fifo, which `start` opens to let the waiting init go on; held as an O_PATH fd.
Result<UniqueFd> make_exec_fifo(const GlobalOptions& g, const std::string& id) {
    std::string fp = fifo_path(g, id);
    if (::mkfifo(fp.c_str(), 0600) != 0) return Error::sys("mkfifo", fp);
    return open_file(fp, O_PATH);
}

// The parent's half of the handshake with init_setup: puts the child in its cgroup (and
// writes its id maps), runs the runtime's hooks, and waits until the container is created.
Result<> sync_until_created(Created& c, int sync_fd, const NsPlan& plan, const InitArgs& args) {
    const spec::Spec& s = c.spec;
    if (s.process->oom_score_adj)
        BERTH_TRY_CTX(write_file("/proc/" + std::to_string(c.pid) + "/oom_score_adj",
                                 std::to_string(*s.process->oom_score_adj)),
                      "process.oomScoreAdj");
    BERTH_TRY_CTX(c.cgroup->add_process(c.pid), "join cgroup");
    if (plan.new_userns) {
        BERTH_TRY(write_id_maps(c.pid, *s.linux));
        BERTH_TRY(sync_send(sync_fd, SyncMsg::MapsWritten));
    }
    BERTH_TRY(sync_send(sync_fd, SyncMsg::CgroupJoined));
    BERTH_TRY(sync_expect(sync_fd, SyncMsg::NsReady));
    BERTH_TRY(run_hooks(s.hooks.prestart, args.state, "prestart"));
    BERTH_TRY(run_hooks(s.hooks.create_runtime, args.state, "createRuntime"));
    BERTH_TRY(sync_send(sync_fd, SyncMsg::HooksDone));
    if (args.pty_to_parent) c.pty_master = BERTH_TRY(recv_fd(sync_fd));
    BERTH_TRY(sync_expect(sync_fd, SyncMsg::Created));
    return ok();
}

// Records the created container (state.json, and --pid-file if asked for).
Result<> save_created(const GlobalOptions& g, const CreateOptions& o, const std::string& bundle, bool userns,
                      Created& c) {
    c.saved.id = o.id;
    c.saved.pid = c.pid;
    c.saved.pid_start = process_start_time(c.pid).value_or(0);
    c.saved.bundle = bundle;
    c.saved.created = now_rfc3339_nano();
    c.saved.cgroup = c.cgroup->to_json();
    c.saved.config = c.spec.raw;
    c.saved.userns = userns;
    BERTH_TRY(save_state(g, c.saved));
    if (!o.pid_file.empty())
        BERTH_TRY_CTX(write_file_atomic(o.pid_file, std::to_string(c.pid)), "--pid-file");
    return ok();
}

Result<Created> create_container(const GlobalOptions& g, const CreateOptions& o, Mode mode, bool proxy_tty) {
    BERTH_TRY(validate_id(o.id));
    Created c;
    const std::string bundle_abs = BERTH_TRY(load_bundle_spec(o, proxy_tty, c.spec));
    const spec::Spec& s = c.spec;
    bool has_console = !o.console_socket.empty() || o.console_socket_fd >= 0;
    seccomp::Filter filter;
    if (s.linux->seccomp)
        filter = BERTH_TRY(seccomp::Filter::compile_cached(*s.linux->seccomp, path_join(g.root, ".seccomp")));
    NsPlan plan = BERTH_TRY(plan_namespaces(&*s.linux));

    std::string dir = BERTH_TRY(make_container_dir(g, o.id));
    // A leftover directory would make every later create of this id fail with "already exists".
    ScopeExit remove_dir([&] {
        if (auto r = remove_all(dir); !r) log::warn("container " + o.id + ": " + r.error().str());
    });
    UniqueFd fifo;
    if (mode == Mode::Create) fifo = BERTH_TRY(make_exec_fifo(g, o.id));
    const spec::Resources resources = effective_resources(s);
    c.cgroup =
        BERTH_TRY_CTX(cgroups::Cgroup::create(s.linux->cgroups_path, o.id, &resources), "create cgroup");
    ScopeExit destroy_cgroup([&] {
        if (auto r = c.cgroup->destroy(); !r) log::warn("container " + o.id + ": " + r.error().str());
    });

    UniqueFd console;
    if (s.process->terminal && !o.console_socket.empty())
        console = BERTH_TRY_CTX(connect_unix(o.console_socket), "--console-socket");
    int console_fd = console ? console.get() : (s.process->terminal ? o.console_socket_fd : -1);
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) return Error::sys("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);
    if (!plan.pid_path.empty()) BERTH_TRY_CTX(setns_path(plan.pid_path, CLONE_NEWPID), "join pid namespace");

    InitArgs args;
    args.spec = &s;
    args.plan = &plan;
    args.filter = &filter;
    args.sync_fd = child_end.get();
    args.fifo_fd = fifo.get();
    args.console_fd = console_fd;
    args.pty_to_parent = proxy_tty && s.process->terminal && !has_console;
    args.preserve_fds = o.preserve_fds;
    args.state.id = o.id;
    args.state.status = Status::Creating;
    args.state.bundle = bundle_abs;
    args.state.annotations = s.raw.value("annotations", Json::object());

    c.pid = BERTH_TRY(clone_child(plan.clone_flags));
    if (c.pid == 0) {
        parent_end.reset();
        init_main(args);
    }
    child_end.reset();
    ScopeExit kill_child([&] {
        (void)::kill(c.pid, SIGKILL);        // ESRCH only: it is gone already
        (void)::waitpid(c.pid, nullptr, 0);  // reaping; its status is moot
    });
    args.state.pid = c.pid;
    BERTH_TRY(sync_until_created(c, parent_end.get(), plan, args));
    BERTH_TRY(save_created(g, o, bundle_abs, plan.new_userns, c));
    c.sync = std::move(parent_end);
    kill_child.dismiss();
    destroy_cgroup.dismiss();
    remove_dir.dismiss();
    return c;
}

volatile sig_atomic_t g_forward_pid = 0;
void forward_signal(int sig) {
    if (g_forward_pid > 0) (void)::kill(g_forward_pid, sig);  // a signal handler: nothing to do on ESRCH
}

void install_forwarding(pid_t pid) {
    g_forward_pid = pid;
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP})
        sigaction(sig, &sa, nullptr);
}

}  // namespace

Result<> create(const GlobalOptions& g, const CreateOptions& opts) {
    auto c = create_container(g, opts, Mode::Create, false);
    if (!c) return std::move(c.error()).with_context("create container " + opts.id);
    return ok();
}

Result<> start(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    const SavedState& s = l.saved;
    Status st = l.status;
    if (st != Status::Created)
        return Error::conflict("cannot start container \"" + id + "\": it is " + status_name(st) +
                               ", not created");
    std::string fp = fifo_path(g, id);
    auto fifo = BERTH_TRY(open_file(fp, O_RDONLY | O_NONBLOCK));
    // The init opens the fifo for writing (blocking until we read) and writes one byte. It
    // may not have reached that open yet: EOF then only means "no writer yet" while the init
    // lives (a loaded host showed this).
    for (;;) {
        char b;
        ssize_t n = ::read(fifo.get(), &b, 1);
        if (n == 1) break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            (void)::unlink(fp.c_str());  // failing anyway: the read error is the one to report
            return Error::sys("read", fp);
        }
        // Wakes as soon as the byte arrives (no writer has come and gone, so no POLLHUP).
        struct pollfd pfd {
            fifo.get(), POLLIN, 0
        };
        (void)::poll(&pfd, 1, n == 0 ? 1 : 50);  // only a wait: the reads below decide
        // The init may have written its byte, exec'd and exited since our read: the byte then
        // waits in the fifo, and the start did happen. Liveness first, then the read: an init
        // found gone had done all its writing, so an empty fifo then means it never started.
        bool alive = process_start_time(s.pid).has_value();
        if (::read(fifo.get(), &b, 1) == 1) break;
        if (!alive) {
            (void)::unlink(fp.c_str());  // failing anyway: this error is the one to report
            return Error::internal("container \"" + id + "\": init exited before start");
        }
    }
    // The fifo's absence is what marks the container started (runc's rule).
    if (::unlink(fp.c_str()) != 0 && errno != ENOENT) log::warn("unlink " + fp + ": " + std::strerror(errno));
    auto spec = spec::parse_spec(s.config, s.bundle);
    if (spec) {
        auto st2 = to_container_state(g, s, Status::Running);
        if (auto r = run_hooks(spec->hooks.poststart, st2, "poststart"); !r) log::warn(r.error().str());
    }
    return ok();
}

Result<int> run(const GlobalOptions& g, const CreateOptions& opts, bool detach, bool keep) {
    auto created = create_container(g, opts, Mode::Run, !detach);
    if (!created) return std::move(created.error()).with_context("run container " + opts.id);
    Created& c = *created;
    if (!detach) install_forwarding(c.pid);
    BERTH_TRY(sync_send(c.sync.get(), SyncMsg::Go));
    // EOF on the sync socket means execve succeeded (the child's end is close-on-exec).
    auto exec_result = sync_wait_exec(c.sync.get());
    bool exec_failed = !exec_result;
    auto st = to_container_state(g, c.saved, Status::Running);
    if (!exec_failed) {
        if (auto r = run_hooks(c.spec.hooks.poststart, st, "poststart"); !r) log::warn(r.error().str());
    }
    if (detach) {
        if (exec_failed) {
            (void)::waitpid(c.pid, nullptr, 0);  // reaping the failed exec; its status is moot
            if (auto r = remove(g, opts.id, true); !r) log::warn(r.error().str());
            return std::move(exec_result.error());
        }
        return 0;
    }
    int status = 0;
    if (c.pty_master)
        status = proxy_pty(c.pty_master.get(), c.pid);
    else
        (void)sys::retry_eintr([&] { return ::waitpid(c.pid, &status, 0); });  // see proxy_pty
    g_forward_pid = 0;
    if (!keep) {
        auto r = remove(g, opts.id, true);
        if (!r) log::warn(r.error().str());
    }
    if (exec_failed) return std::move(exec_result.error());
    return wait_status_to_exit_code(status);
}

}  // namespace berth::runtime

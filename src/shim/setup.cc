// The shim's first phase: create the container in-process with the runtime library, with
// our pipes (or a pty) as its stdio, report to berthd, then re-exec into the monitor.
#include "shim/setup.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "runtime/container/container.h"

namespace berth::shim {

namespace {

constexpr int kReadyFd = 3;

Result<UniqueFd> listen_unix(const std::string& path) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::invalid("socket path too long: " + path);
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error::sys("socket");
    UniqueFd sock(fd);
    (void)unlink(path.c_str());  // a stale socket of an earlier run; bind reports one left
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Error::sys("bind", path);
    if (chmod(path.c_str(), 0600) != 0) return Error::sys("chmod", path);
    if (listen(fd, 16) != 0) return Error::sys("listen", path);
    return sock;
}

struct Pipe {
    UniqueFd rd, wr;
};

Result<Pipe> make_pipe() {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return Error::sys("pipe");
    return Pipe{UniqueFd(p[0]), UniqueFd(p[1])};
}

// A copy of fd that survives exec (for the monitor). F_DUPFD picks a free number >= 100,
// so it never replaces an fd still in use; the copy has no close-on-exec flag.
int keep(int fd) {
    if (fd < 0) return -1;
    return fcntl(fd, F_DUPFD, 100);
}

// The monitor is the process a container could reach through /proc/PID/exe (with
// --pid=host): like berth-shim itself (runtime::protect_binary), it runs from a read-only
// bind mount in our private mount namespace, so it cannot be overwritten from inside.
Result<> protect_monitor(const std::string& path) {
    if (access(path.c_str(), X_OK) != 0)
        return Error::sys("berth-monitor (installed next to berth-shim)", path);
    struct statvfs vfs;
    if (statvfs(path.c_str(), &vfs) != 0) return Error::sys("statvfs", path);
    if (vfs.f_flag & ST_RDONLY) return ok();
    // protect_binary normally moved us into a mount namespace of our own already; if we
    // still share berthd's, make one (the bind mount must not show on the host).
    struct stat ours, parent;
    if (stat("/proc/self/ns/mnt", &ours) != 0 ||
        stat(("/proc/" + std::to_string(getppid()) + "/ns/mnt").c_str(), &parent) != 0 ||
        ours.st_ino == parent.st_ino) {
        if (unshare(CLONE_NEWNS) != 0) return Error::sys("unshare mount namespace (monitor protection)");
        if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return Error::sys("make / rslave");
    }
    if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0)
        return Error::sys("bind mount", path);
    if (mount(nullptr, path.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
              nullptr) != 0)
        return Error::sys("remount read-only", path);
    return ok();
}

void report(const std::string& line) {
    (void)write_all(kReadyFd, line + "\n", "ready pipe");  // berthd reads no line as "shim exited"
    close(kReadyFd);
}

Result<MonitorFds> create_container(const Options& o, pid_t* init_pid) {
    runtime::GlobalOptions g{o.runtime_root};
    runtime::CreateOptions co;
    co.id = o.id;
    co.bundle = o.bundle;
    MonitorFds fds;
    UniqueFd listener = BERTH_TRY(listen_unix(path_join(o.state_dir, kAttachSocket)));
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (o.tty) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return Error::sys("socketpair");
        UniqueFd ours(sp[0]), theirs(sp[1]);
        co.console_socket_fd = theirs.get();
        dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
        BERTH_TRY(runtime::create(g, co));
        auto master = BERTH_TRY(runtime::receive_console(ours.get()));
        int m = keep(master.get());
        fds.out = m;
        fds.in = o.open_stdin ? m : -1;
    } else {
        auto out = BERTH_TRY(make_pipe());
        auto err = BERTH_TRY(make_pipe());
        Pipe in;
        if (o.open_stdin) in = BERTH_TRY(make_pipe());
        // The init inherits fds 0-2 from us.
        if (dup2(o.open_stdin ? in.rd.get() : devnull, 0) < 0 || dup2(out.wr.get(), 1) < 0 ||
            dup2(err.wr.get(), 2) < 0)
            return Error::sys("dup2 the container's stdio");
        BERTH_TRY(runtime::create(g, co));
        dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
        fds.out = keep(out.rd.get());
        fds.err = keep(err.rd.get());
        fds.in = o.open_stdin ? keep(in.wr.get()) : -1;
    }
    close(devnull);
    fds.listener = keep(listener.get());
    auto st = BERTH_TRY(runtime::state(g, o.id));
    *init_pid = st.pid;
    return fds;
}

}  // namespace

int setup_main(const Options& o, const char* self) {
    fcntl(kReadyFd, F_SETFD, FD_CLOEXEC);  // the container's process never keeps it
    // Orphans of the container are reparented to us, and we reap them.
    // Without it orphans go to the host's init, which reaps them too: only tidiness is lost.
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);  // see above
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);  // kept across exec: no exit is missed
    // The tiny monitor binary next to ours, which we exec once the container exists.
    std::string monitor_path(self);
    monitor_path.erase(monitor_path.rfind('/') + 1);
    monitor_path += kMonitorBinary;
    pid_t init = 0;
    auto fds = [&]() -> Result<MonitorFds> {
        BERTH_TRY(protect_monitor(monitor_path));
        return create_container(o, &init);
    }();
    if (!fds) {
        const Error& e = fds.error();
        std::string text;
        for (auto it = e.context().rbegin(); it != e.context().rend(); ++it) text += *it + ": ";
        text += e.message();
        report("error " + std::to_string(static_cast<int>(e.kind())) + " " + std::to_string(e.sys_errno()) +
               " " + text);
        return 1;
    }
    // Informational only: berthd keeps the shim pid it spawned and never reads this file.
    (void)write_file_atomic(path_join(o.state_dir, "shim.pid"), std::to_string(getpid()));  // see above
    report("ok " + std::to_string(init));
    auto args = monitor_args(o, *fds, init);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(monitor_path.c_str(), argv.data());
    return 1;  // berthd sees the shim exit without exit.json, and reports it
}

}  // namespace berth::shim

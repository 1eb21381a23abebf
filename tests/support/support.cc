#include "support/support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/spec/spec.h"

namespace berth::test {

TempDir::TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) abort();
    path_ = tmpl;
}

TempDir::~TempDir() {
    (void)remove_all(path_);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          int timeout_seconds) {
    CommandResult res;
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return res;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        setpgid(0, 0);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    (void)write_all(in[1], input);
    close(in[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                .count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(fds, 2, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? res.out : res.err).append(buf, r);
            }
        }
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        res.err += "\n[run_command: timed out after " + std::to_string(timeout_seconds) + "s]";
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        res.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res.signal = WTERMSIG(status);
    return res;
}

CommandResult run_shell(const std::string& cmd, int timeout_seconds) {
    return run_command({"/bin/sh", "-c", cmd}, {}, timeout_seconds);
}

std::string run_in_child(const std::function<std::string()>& fn) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return "pipe failed";
    pid_t pid = fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        close(p[0]);
        std::string out = fn();
        bool sent = static_cast<bool>(write_all(p[1], out));
        _exit(sent ? 0 : 1);
    }
    close(p[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out += " [child failed]";
    return out;
}

std::string source_dir() {
    const char* s = getenv("BERTH_SOURCE_DIR");
    return s ? s : BERTH_SOURCE_DIR_DEFAULT;
}

std::string build_dir() {
    const char* s = getenv("BERTH_BUILD_DIR");
    return s ? s : BERTH_BUILD_DIR_DEFAULT;
}

std::string binary(const std::string& name) {
    return build_dir() + "/src/bin/" + name + "/" + name;
}

const std::string& Bundle::shared_rootfs() {
    static std::once_flag once;
    static std::string rootfs;
    static TempDir* dir;
    std::call_once(once, [] {
        dir = new TempDir("berth-busybox");  // lives for the process; removed at exit
        // Reachable by containers whose root is mapped to another host uid (user namespaces).
        chmod(dir->path().c_str(), 0755);
        std::atexit([] { delete dir; });
        auto r = run_command({source_dir() + "/tests/fixtures/make-busybox-bundle", dir->path()});
        if (r.exit_code != 0) {
            fprintf(stderr, "make-busybox-bundle failed: %s\n", r.err.c_str());
            abort();
        }
        rootfs = dir->path() + "/rootfs";
    });
    return rootfs;
}

Bundle::Bundle() : dir_("berth-bundle") {
    config_ = runtime::spec::default_spec_json();
    config_["root"]["path"] = shared_rootfs();
    config_["process"]["terminal"] = false;
}

const std::string& Bundle::rootfs() const {
    return shared_rootfs();
}

void Bundle::set_args(const std::vector<std::string>& args) {
    config_["process"]["args"] = args;
}

void Bundle::write_config() const {
    if (!write_file_atomic(dir_.path() + "/config.json", dump_json(config_, 2))) abort();
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

std::vector<std::string> visible_entries(const std::string& dir) {
    std::vector<std::string> out;
    for (auto& n : list_dir(dir))
        if (n[0] != '.') out.push_back(std::move(n));
    std::sort(out.begin(), out.end());
    return out;
}

int bind_unix_socket(const std::string& path, int type, int backlog) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return -1;
    int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        (backlog > 0 && ::listen(fd, backlog) != 0)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    fd_ = bind_unix_socket(path_, SOCK_DGRAM);
}

NotifySocket::~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
}

bool NotifySocket::wait_for(const std::string& state, pid_t child, int timeout_ms) {
    if (fd_ < 0) return false;
    // The child's pidfd becomes readable when it exits: one poll waits for either.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool found = false;
    while (!found) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd fds[2] = {{fd_, POLLIN, 0}, {pidfd, POLLIN, 0}};
        int n = ::poll(fds, pidfd >= 0 ? 2 : 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (fds[0].revents & POLLIN) {
            char buf[4096];
            ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
            if (got > 0) {
                std::string msg(buf, static_cast<size_t>(got));
                received_ += msg + "\n";
                for (const auto& line : split(msg, '\n')) found |= line == state;
            }
            continue;
        }
        if (pidfd >= 0 && (fds[1].revents & POLLIN)) break;  // exited before it was ready
    }
    if (pidfd >= 0) ::close(pidfd);
    return found;
}

}  // namespace berth::test

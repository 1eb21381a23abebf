// The monitor's event loop: container output -> json-file log + attach clients; attach
// clients' input -> container stdin; SIGCHLD -> reap (we are a subreaper) and, when the
// init is gone, record the exit status (berthd deletes the runtime container).
#include "shim/monitor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "common/file.h"
#include "common/stdcopy.h"
#include "common/strings.h"
#include "shim/clock.h"
#include "shim/json_log.h"

namespace berth::shim {

namespace {

// Static, not on the stack or the heap: its pages are touched only once output flows.
char g_buf[32 * 1024];

struct Client {
    int fd = -1;
    bool in = false, out = false, err = false;
    bool header_done = false;
    std::string header;
};

class Monitor {
public:
    Monitor(const Options& o, const MonitorFds& f, pid_t init) : o_(o), f_(f), init_(init) {}
    [[noreturn]] void run();

private:
    bool add(int fd) {
        struct epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        return epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) == 0;
    }
    void del(int fd) { (void)epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr); }  // closed next: it leaves anyway
    void on_output(int fd, int stream);
    void broadcast(int stream, std::string_view data);
    void on_accept();
    void on_client(Client& c);
    void handle_header(Client& c);
    void drop(Client& c);
    void close_stdin();
    bool reap();
    [[noreturn]] void finish();

    const Options& o_;
    MonitorFds f_;
    pid_t init_;
    int ep_ = -1;
    int sigfd_ = -1;
    int status_ = 0;
    JsonLogWriter log_;
    std::vector<Client> clients_;
};

void Monitor::broadcast(int stream, std::string_view data) {
    std::string framed;
    for (auto& c : clients_) {
        if (!c.header_done || c.fd < 0) continue;
        if ((stream == 1 && !c.out) || (stream == 2 && !c.err)) continue;
        std::string_view send = data;
        if (!o_.tty) {
            if (framed.empty()) framed = stdcopy_encode(static_cast<StdStream>(stream), data);
            send = framed;
        }
        if (!write_all(c.fd, send, "attach client")) drop(c);
    }
}

void Monitor::on_output(int fd, int stream) {
    ssize_t n = read(fd, g_buf, sizeof g_buf);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        // EOF (or EIO on a pty whose last slave closed).
        del(fd);
        if (fd == f_.out) f_.out = -1;
        if (fd == f_.err) f_.err = -1;
        if (fd != f_.in) close(fd);
        return;
    }
    std::string_view data(g_buf, static_cast<size_t>(n));
    log_.write(stream, data);
    broadcast(stream, data);
}

void Monitor::on_accept() {
    int fd = accept4(f_.listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    struct timeval tv {
        2, 0
    };  // a stuck client must not stall the container's output
    // Not watched, a client would never be served: refused at once instead (it sees EOF).
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 || !add(fd)) {
        close(fd);
        return;
    }
    clients_.push_back(Client{fd});
}

void Monitor::handle_header(Client& c) {
    auto words = split(trim(c.header), ' ');
    if (words.empty()) return drop(c);
    if (words[0] == "resize" && words.size() == 3 && o_.tty) {
        struct winsize ws {};
        ws.ws_row = static_cast<unsigned short>(atoi(words[1].c_str()));
        ws.ws_col = static_cast<unsigned short>(atoi(words[2].c_str()));
        ioctl(f_.out, TIOCSWINSZ, &ws);
        return drop(c);
    }
    if (words[0] != "attach") return drop(c);
    for (size_t i = 1; i < words.size(); ++i) {
        if (words[i] == "stdin=1")
            c.in = true;
        else if (words[i] == "stdout=1")
            c.out = true;
        else if (words[i] == "stderr=1")
            c.err = true;
    }
    c.header_done = true;
    if (!write_all(c.fd, "ok\n", "attach client")) drop(c);
}

void Monitor::on_client(Client& c) {
    ssize_t n = read(c.fd, g_buf, sizeof g_buf);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        // The client closed its sending side: stdin ends (with stdin_once), but the client
        // keeps receiving output until the container exits.
        bool was_stdin = c.in;
        c.in = false;
        if (c.header_done && (c.out || c.err))
            del(c.fd);
        else
            drop(c);
        if (was_stdin && o_.stdin_once) close_stdin();
        return;
    }
    std::string_view data(g_buf, static_cast<size_t>(n));
    if (!c.header_done) {
        auto nl = data.find('\n');
        c.header.append(data.substr(0, nl));
        if (nl == std::string_view::npos) {
            if (c.header.size() > 256) drop(c);
            return;
        }
        handle_header(c);
        data.remove_prefix(nl + 1);
        if (c.fd < 0 || data.empty()) return;
    }
    if (c.in && f_.in >= 0) (void)write_all(f_.in, data, "container stdin");  // no reader left: input lost
}

void Monitor::drop(Client& c) {
    if (c.fd < 0) return;
    del(c.fd);
    close(c.fd);
    c.fd = -1;
}

void Monitor::close_stdin() {
    if (f_.in < 0) return;
    if (o_.tty) {
        char eot = 4;                  // end of input on a terminal
        (void)!write(f_.in, &eot, 1);  // fails only once the pty is gone: nothing left to end
        return;
    }
    close(f_.in);
    f_.in = -1;
}

bool Monitor::reap() {
    struct signalfd_siginfo si;
    while (read(sigfd_, &si, sizeof si) == sizeof si) {
    }
    bool init_exited = false;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0) break;
        if (p == init_) {
            status_ = st;
            init_exited = true;
        }
    }
    return init_exited;
}

void Monitor::finish() {
    // Drain what the container wrote before it exited (non-blocking: a daemonised
    // grandchild may keep the pipe open forever).
    for (int fd : {f_.out, f_.err}) {
        if (fd < 0) continue;
        int stream = fd == f_.out ? 1 : 2;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        for (;;) {
            ssize_t n = read(fd, g_buf, sizeof g_buf);
            if (n <= 0) break;
            log_.write(stream, std::string_view(g_buf, static_cast<size_t>(n)));
            broadcast(stream, std::string_view(g_buf, static_cast<size_t>(n)));
        }
    }
    log_.flush();
    int code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    // berthd reads the OOM kill from the container's cgroup when it sees us exit.
    // If this fails berthd records 255 and "the container's shim exited without recording a status".
    std::string exit_text = exit_status_text(code, rfc3339_nano_now());
    (void)write_file_atomic(path_join(o_.state_dir, kExitFile), exit_text);  // see above
    _exit(0);
}

void Monitor::run() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    // Nobody to tell here (stderr is /dev/null, the ready pipe is closed): output then reaches
    // attach clients only.
    if (!o_.log_path.empty()) (void)log_.open(o_.log_path, o_.log_max_size, o_.log_max_file);  // see above
    // Unwatched, the init's exit or its output would never be seen: end the container now,
    // and berthd records that its shim left no status.
    if (sigfd_ < 0 || ep_ < 0 || !add(sigfd_) || (f_.out >= 0 && !add(f_.out)) ||
        (f_.err >= 0 && !add(f_.err)) || (f_.listener >= 0 && !add(f_.listener))) {
        (void)kill(init_, SIGKILL);  // ESRCH only: it is gone already
        _exit(1);
    }
    if (reap()) finish();  // the init may have exited before the loop started
    for (;;) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep_, evs, 16, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == sigfd_) {
                if (reap()) finish();
            } else if (fd == f_.out) {
                on_output(fd, 1);
            } else if (fd == f_.err) {
                on_output(fd, 2);
            } else if (fd == f_.listener) {
                on_accept();
            } else {
                for (auto& c : clients_)
                    if (c.fd == fd) on_client(c);
                std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
            }
        }
    }
}

bool parse_int(const char* s, int* out) {
    auto end = s + strlen(s);
    auto [p, ec] = std::from_chars(s, end, *out);
    return ec == std::errc() && p == end && p != s;
}

}  // namespace

std::vector<std::string> monitor_args(const Options& opts, const MonitorFds& fds, pid_t init_pid) {
    std::vector<std::string> a = {"berth-shim",
                                  "monitor",
                                  std::to_string(init_pid),
                                  std::to_string(fds.out),
                                  std::to_string(fds.err),
                                  std::to_string(fds.in),
                                  std::to_string(fds.listener)};
    auto rest = opts.to_args();
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
}

int monitor_main(int argc, char** argv) {
    int init = 0;
    MonitorFds fds;
    if (argc < 7 || strcmp(argv[1], "monitor") != 0 || !parse_int(argv[2], &init) || init <= 0 ||
        !parse_int(argv[3], &fds.out) || !parse_int(argv[4], &fds.err) || !parse_int(argv[5], &fds.in) ||
        !parse_int(argv[6], &fds.listener)) {
        static const char usage[] =
            "usage: berth-monitor monitor INIT OUT ERR IN LISTENER OPTIONS... "
            "(started by berth-shim)\n";
        (void)!write(2, usage, sizeof usage - 1);  // stderr is all there is; nothing to do if it fails
        return 2;
    }
    auto opts = Options::from_args(std::vector<std::string>(argv + 7, argv + argc));
    if (!opts) {
        std::string msg = opts.error().str() + "\n";
        (void)!write(2, msg.data(), msg.size());  // stderr is all there is; nothing to do if it fails
        return 2;
    }
    monitor(*opts, fds, init);
}

void monitor(const Options& opts, const MonitorFds& fds, pid_t init_pid) {
    Monitor m(opts, fds, init_pid);
    m.run();
}

}  // namespace berth::shim

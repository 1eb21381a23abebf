// Terminals: a pty opened inside the container, its master handed over a unix socket with
// SCM_RIGHTS (runc's --console-socket protocol), or proxied to our own stdio by `run`.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/sys.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

Result<std::pair<UniqueFd, UniqueFd>> open_pty() {
    // /dev/ptmx is a symlink to pts/ptmx in the container's /dev (newinstance devpts).
    auto master = BERTH_TRY(open_file("/dev/ptmx", O_RDWR | O_NOCTTY));
    if (unlockpt(master.get()) != 0) return Error::sys("unlockpt", "/dev/ptmx");
    int slave = ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return Error::sys("ioctl TIOCGPTPEER", "/dev/ptmx");
    return std::make_pair(std::move(master), UniqueFd(slave));
}

Result<UniqueFd> connect_unix(const std::string& path) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::invalid("socket path too long: " + path);
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error::sys("socket");
    UniqueFd sock(fd);
    int r = sys::retry_eintr([&] { return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr); });
    if (r < 0) return Error::sys("connect", path);
    return sock;
}

Result<> send_fd(int sock, int fd, std::string_view name) {
    struct msghdr msg {};
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct iovec iov {
        const_cast<char*>(name.data()), name.size()
    };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n = sys::retry_eintr([&] { return ::sendmsg(sock, &msg, MSG_NOSIGNAL); });
    if (n < 0) return Error::sys("send pty master over console socket");
    return ok();
}

Result<UniqueFd> recv_fd(int sock) {
    struct msghdr msg {};
    char control[CMSG_SPACE(sizeof(int))] = {};
    char name[256];
    struct iovec iov {
        name, sizeof name
    };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = sys::retry_eintr([&] { return ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); });
    if (n < 0) return Error::sys("receive pty master");
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
        return Error::internal("no fd received on the console socket");
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return UniqueFd(fd);
}

Result<UniqueFd> receive_console(int sock) {
    return recv_fd(sock);
}

Result<> become_tty(int slave) {
    if (setsid() < 0) return Error::sys("setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0) return Error::sys("ioctl TIOCSCTTY");
    for (int i = 0; i < 3; ++i)
        if (dup2(slave, i) < 0) return Error::sys("dup2 pty slave");
    return ok();
}

Result<> set_winsize(int fd, unsigned rows, unsigned cols) {
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(rows);
    ws.ws_col = static_cast<unsigned short>(cols);
    if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return Error::sys("ioctl TIOCSWINSZ");
    return ok();
}

namespace {
volatile sig_atomic_t g_winch = 0;
void on_winch(int) {
    g_winch = 1;
}

void copy_winsize(int from, int to) {
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// Returns false on EOF or error.
bool pump(int from, int to) {
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
    return static_cast<bool>(write_all(to, std::string_view(buf, static_cast<size_t>(n))));
}
}  // namespace

int proxy_pty(int master, pid_t pid) {
    struct termios saved;
    bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
        copy_winsize(0, master);
        struct sigaction sa {};
        sa.sa_handler = on_winch;
        sigaction(SIGWINCH, &sa, nullptr);
    }
    bool stdin_open = true;
    int status = 0;
    for (;;) {
        if (g_winch) {
            g_winch = 0;
            copy_winsize(0, master);
        }
        struct pollfd fds[2] = {{master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(master, 1)) break;  // EIO: the last slave fd closed
        }
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (!pump(0, master)) {
                stdin_open = false;
                char eot = 4;  // ^D: end of input for the program on the pty
                ssize_t w = write(master, &eot, 1);
                (void)w;  // fails only if the pty is gone, and then the program is too
            }
        }
    }
    if (raw) tcsetattr(0, TCSANOW, &saved);
    (void)sys::retry_eintr([&] { return waitpid(pid, &status, 0); });  // our child: status stays 0 if gone
    return status;
}

}  // namespace berth::runtime

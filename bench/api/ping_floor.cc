// berth-bench-pingfloor: the cheapest HTTP server possible over a unix socket, as a floor for
// bench/api/run. One thread, level-triggered epoll, and for every request (every blank line
// ending a header block) the same fixed `_ping` answer: no parsing, no routing, no
// allocation. Whatever rate it reaches with berth-bench-apiload beside it on the same cores
// is what any server could reach here, so it shows how much of a daemon's ratio is left to win.
//   berth-bench-pingfloor /tmp/floor.sock     # serves until killed; removes a stale socket
// It serves GET/HEAD requests without bodies only (what the load generator sends).
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 2\r\n\r\nOK";

// Counts header terminators across reads: `tail` keeps the last bytes seen on a connection.
struct Terminators {
    unsigned tail = 0;  // how many of "\r\n\r\n" the previous bytes already matched
    int feed(const char* p, std::size_t n) {
        static constexpr char kEnd[] = "\r\n\r\n";
        int found = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (p[i] == kEnd[tail]) {
                if (++tail == 4) {
                    ++found;
                    tail = 0;
                }
            } else {
                tail = p[i] == '\r' ? 1 : 0;
            }
        }
        return found;
    }
};

int listen_unix(const char* path) {
    sockaddr_un addr{};
    if (std::strlen(path) >= sizeof(addr.sun_path)) return -1;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path);
    ::unlink(path);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: berth-bench-pingfloor SOCKET_PATH\n");
        return 2;
    }
    int listener = listen_unix(argv[1]);
    if (listener < 0) {
        std::fprintf(stderr, "berth-bench-pingfloor: cannot listen on %s: %s\n", argv[1],
                     std::strerror(errno));
        return 1;
    }
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event lev{};
    lev.events = EPOLLIN;
    lev.data.fd = listener;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
    std::unordered_map<int, Terminators> conns;
    epoll_event events[64];
    static char buf[65536];
    for (;;) {
        int n = ::epoll_wait(ep, events, 64, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 1;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0) continue;
                epoll_event cev{};
                cev.events = EPOLLIN;
                cev.data.fd = c;
                ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                conns[c] = {};
                continue;
            }
            ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                conns.erase(fd);
                ::close(fd);  // also leaves the epoll set
                continue;
            }
            int requests = conns[fd].feed(buf, static_cast<std::size_t>(r));
            // A short send only happens with a full socket buffer, which a client that waits
            // for each answer never causes; the floor does not queue.
            for (int q = 0; q < requests; ++q) ::send(fd, kResponse.data(), kResponse.size(), MSG_NOSIGNAL);
        }
    }
}

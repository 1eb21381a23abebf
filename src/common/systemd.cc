#include "common/systemd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/fd.h"

namespace berth::systemd {

namespace {
constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START
}

std::vector<int> listen_fds() {
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    std::vector<int> out;
    if (pid && fds && std::strtol(pid, nullptr, 10) == ::getpid()) {
        long n = std::strtol(fds, nullptr, 10);
        for (long i = 0; i < n && i < 1024; ++i) {
            int fd = kListenFdsStart + static_cast<int>(i);
            if (::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0) out.push_back(fd);
        }
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return out;
}

Result<> notify(std::string_view state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return ok();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    size_t len = std::strlen(path);
    if (len >= sizeof addr.sun_path || (path[0] != '/' && path[0] != '@'))
        return Error::invalid(std::string("NOTIFY_SOCKET \"") + path + "\" is not a unix socket path");
    std::memcpy(addr.sun_path, path, len);
    if (path[0] == '@') addr.sun_path[0] = 0;  // abstract namespace
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket", path);
    auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 addr_len) < 0)
        return Error::sys("sendto", path);
    return ok();
}

}  // namespace berth::systemd

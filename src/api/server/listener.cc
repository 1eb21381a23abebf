// Listening sockets and the accept loop (see listener.h).
#include "api/server/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "api/server/connection.h"
#include "common/fd.h"
#include "common/file.h"
#include "common/log.h"

namespace berth::api::detail {

namespace {

constexpr int kBacklog = 128;

template <class Protocol>
class AcceptLoop final : public Listener, public std::enable_shared_from_this<AcceptLoop<Protocol>> {
public:
    using Socket = typename Protocol::socket;
    using MakeTransport = std::function<std::unique_ptr<Transport>(Socket)>;

    AcceptLoop(ServerCore& core, Protocol proto, MakeTransport make)
        : core_(core),
          proto_(proto),
          strand_(asio::make_strand(core.ioc)),
          acceptor_(strand_),
          retry_(strand_),
          make_(std::move(make)) {}

    Result<> assign(UniqueFd fd) {
        error_code ec;
        acceptor_.assign(proto_, fd.get(), ec);
        if (ec) return Error::internal("assign listening socket: " + ec.message());
        fd.release();
        acceptor_.non_blocking(true, ec);
        return ok();
    }

    void set_unlink_path(std::string path, dev_t dev, ino_t ino) {
        unlink_path_ = std::move(path);
        dev_ = dev;
        ino_ = ino;
    }

    void start() {
        asio::post(strand_, [self = this->shared_from_this()] { self->wait(); });
    }

    void close() override {
        asio::post(strand_, [self = this->shared_from_this()] { self->close_now(); });
    }

private:
    void close_now() {
        if (closed_) return;
        closed_ = true;
        error_code ec;
        retry_.cancel();
        acceptor_.close(ec);
        struct stat st;
        // Remove the socket file only while it is still ours (a new daemon may own it now).
        if (!unlink_path_.empty() && ::lstat(unlink_path_.c_str(), &st) == 0 && st.st_dev == dev_ &&
            st.st_ino == ino_) {
            (void)::unlink(unlink_path_.c_str());  // at exit: a socket left is replaced at the next start
        }
    }

    void wait() {
        if (closed_) return;
        acceptor_.async_wait(asio::socket_base::wait_read,
                             [self = this->shared_from_this()](const error_code& ec) {
                                 if (ec || self->closed_) return;
                                 self->accept_ready();
                             });
    }

    void accept_ready() {
        for (;;) {
            int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) {
                int err = errno;
                if (err == EINTR || err == ECONNABORTED) continue;
                if (err == EAGAIN || err == EWOULDBLOCK) break;
                // EMFILE and friends: back off instead of spinning on a ready socket.
                log::warn(std::string("api: accept: ") + std::strerror(err));
                retry_.expires_after(std::chrono::milliseconds(200));
                retry_.async_wait([self = this->shared_from_this()](const error_code& ec) {
                    if (!ec) self->wait();
                });
                return;
            }
            UniqueFd owned(fd);
            bool stopping;
            {
                std::lock_guard lock(core_.mu);
                stopping = core_.stopping;
            }
            if (stopping) continue;  // closes it
            Socket s(asio::make_strand(core_.ioc));
            error_code ec;
            s.assign(proto_, owned.get(), ec);
            if (ec) continue;
            owned.release();
            auto conn = std::make_shared<Connection>(core_, make_(std::move(s)));
            conn->start();
        }
        wait();
    }

    ServerCore& core_;
    Protocol proto_;
    asio::strand<asio::io_context::executor_type> strand_;
    typename Protocol::acceptor acceptor_;
    asio::steady_timer retry_;
    MakeTransport make_;
    bool closed_ = false;
    std::string unlink_path_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};

// A stale socket (its server died) is removed; a live one means another daemon runs.
Result<> clear_stale_socket(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return ok();
        return Error::sys("lstat", path);
    }
    if (!S_ISSOCK(st.st_mode)) {
        return Error::exists(path + " exists and is not a socket; refusing to replace it");
    }
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return Error::sys("socket", path);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        return Error::conflict("another server is listening on " + path);
    }
    if (errno != ECONNREFUSED && errno != ENOENT) return Error::sys("connect", path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::sys("unlink", path);
    return ok();
}

// The gid of a group named in /etc/group. Read directly rather than with getgrnam_r: that
// loads the NSS modules (libnss_systemd and its libraries) into the daemon for good, which
// costs ~0.5 MB of memory for one look-up at start.
std::optional<gid_t> etc_group_gid(const std::string& name) {
    auto text = read_file("/etc/group");
    if (!text) return std::nullopt;
    std::string_view rest = *text;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        // name:password:gid:members
        auto c1 = line.find(':');
        if (c1 == std::string_view::npos || line.substr(0, c1) != name) continue;
        auto c2 = line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        auto c3 = line.find(':', c2 + 1);
        std::string_view gid = line.substr(c2 + 1, c3 == std::string_view::npos ? c3 : c3 - c2 - 1);
        gid_t value = 0;
        auto [end, ec] = std::from_chars(gid.data(), gid.data() + gid.size(), value);
        if (ec == std::errc() && end == gid.data() + gid.size() && !gid.empty()) return value;
    }
    return std::nullopt;
}

Result<> apply_owner_and_mode(const UnixListenerConfig& cfg) {
    if (!cfg.group.empty()) {
        if (auto gid = etc_group_gid(cfg.group)) {
            if (::chown(cfg.path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
                return Error::sys("chown", cfg.path);
            }
        } else {
            log::debug("api: group " + cfg.group + " not found in /etc/group; socket keeps its group");
        }
    }
    if (::chmod(cfg.path.c_str(), cfg.mode) != 0) return Error::sys("chmod", cfg.path);
    return ok();
}

}  // namespace

Result<std::shared_ptr<Listener>> listen_unix(ServerCore& core, const UnixListenerConfig& cfg) {
    sockaddr_un addr{};
    if (cfg.path.empty() || cfg.path.size() >= sizeof addr.sun_path) {
        return Error::invalid("unix socket path empty or too long: " + cfg.path);
    }
    if (auto slash = cfg.path.rfind('/'); slash != std::string::npos && slash > 0) {
        BERTH_TRY(mkdir_all(cfg.path.substr(0, slash), 0755));
    }
    BERTH_TRY(clear_stale_socket(cfg.path));

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket", cfg.path);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, cfg.path.c_str(), cfg.path.size() + 1);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return Error::sys("bind", cfg.path);
    }
    struct stat st;
    if (::lstat(cfg.path.c_str(), &st) != 0) return Error::sys("lstat", cfg.path);
    if (auto r = apply_owner_and_mode(cfg); !r) {
        (void)::unlink(cfg.path.c_str());  // undoing the bind: its error is the one to report
        return r.error();
    }
    if (::listen(fd.get(), kBacklog) != 0) {
        (void)::unlink(cfg.path.c_str());  // undoing the bind: its error is the one to report
        return Error::sys("listen", cfg.path);
    }
    using Proto = asio::local::stream_protocol;
    auto loop = std::make_shared<AcceptLoop<Proto>>(
        core, Proto(), [](Proto::socket s) { return make_unix_transport(std::move(s)); });
    if (auto r = loop->assign(std::move(fd)); !r) {
        (void)::unlink(cfg.path.c_str());  // undoing the bind: its error is the one to report
        return r.error();
    }
    loop->set_unlink_path(cfg.path, st.st_dev, st.st_ino);
    loop->start();
    return std::shared_ptr<Listener>(loop);
}

Result<std::shared_ptr<Listener>> adopt_unix_listener(ServerCore& core, int fd) {
    // A socket systemd (or another parent) opened for us: it must be a listening unix
    // stream socket. A TCP one would skip the TLS set-up that -H tcp:// enforces.
    std::string where = "fd " + std::to_string(fd);
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return Error::sys("getsockopt", where);
    len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0)
        return Error::sys("getsockopt", where);
    sockaddr_storage ss{};
    len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return Error::sys("getsockname", where);
    if (ss.ss_family != AF_UNIX || type != SOCK_STREAM || !listening)
        return Error::invalid(where +
                              " is not a listening unix stream socket (only unix sockets are taken from "
                              "systemd; use -H tcp:// with TLS for TCP)");
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    using Proto = asio::local::stream_protocol;
    auto loop = std::make_shared<AcceptLoop<Proto>>(
        core, Proto(), [](Proto::socket s) { return make_unix_transport(std::move(s)); });
    BERTH_TRY(loop->assign(UniqueFd(fd)));
    loop->start();  // the path stays: it belongs to the socket unit, not to us
    return std::shared_ptr<Listener>(loop);
}

Result<std::pair<std::shared_ptr<Listener>, uint16_t>> listen_tcp(ServerCore& core,
                                                                  const TcpListenerConfig& cfg,
                                                                  std::shared_ptr<asio::ssl::context> tls) {
    using tcp = asio::ip::tcp;
    error_code ec;
    tcp::endpoint ep;
    auto addr = asio::ip::make_address(cfg.address, ec);
    if (!ec) {
        ep = tcp::endpoint(addr, cfg.port);
    } else {
        tcp::resolver resolver(core.ioc);
        auto results = resolver.resolve(cfg.address, std::to_string(cfg.port), ec);
        if (ec || results.empty()) {
            return Error::invalid("cannot resolve listen address " + cfg.address + ": " + ec.message());
        }
        ep = results.begin()->endpoint();
    }
    std::string where = cfg.address + ":" + std::to_string(cfg.port);
    UniqueFd fd(::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket", where);
    int one = 1;
    // Without it a restart waits out TIME_WAIT; bind then says what is wrong.
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // see above
    if (::bind(fd.get(), ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
        return Error::sys("bind", where);
    }
    if (::listen(fd.get(), kBacklog) != 0) return Error::sys("listen", where);

    AcceptLoop<tcp>::MakeTransport make;
    if (tls) {
        make = [tls](tcp::socket s) { return make_tls_transport(std::move(s), *tls); };
    } else {
        make = [](tcp::socket s) { return make_tcp_transport(std::move(s)); };
    }
    auto loop = std::make_shared<AcceptLoop<tcp>>(core, ep.protocol(), std::move(make));
    int raw = fd.get();
    BERTH_TRY(loop->assign(std::move(fd)));
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    uint16_t port = cfg.port;
    if (::getsockname(raw, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
        port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    loop->start();
    return std::make_pair(std::shared_ptr<Listener>(loop), port);
}

}  // namespace berth::api::detail

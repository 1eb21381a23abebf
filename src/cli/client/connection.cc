// Connecting to the daemon: unix sockets, TCP, and TLS with client certificates.
#include "cli/client/connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/sys.h"

namespace berth::cli::client {
namespace {

std::string ssl_error_text() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown TLS error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

Error cannot_connect(const std::string& host_text, const std::string& detail) {
    Error e(ErrorKind::Unavailable,
            "Cannot connect to the Berth daemon at " + host_text + ". Is the berth daemon running?");
    if (!detail.empty()) e.with_context(detail);
    return e;
}

Result<UniqueFd> connect_unix(const std::string& path, const std::string& host_text) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return Error::invalid("socket path too long: " + path);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EACCES)
            return Error(
                ErrorKind::PermissionDenied,
                "permission denied while trying to connect to the Berth daemon socket at " + host_text);
        return cannot_connect(host_text, "");
    }
    return fd;
}

Result<UniqueFd> connect_tcp(const std::string& host, uint16_t port, const std::string& host_text) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0)
        return Error(ErrorKind::Unavailable,
                     "error during connect: lookup " + host + ": " + gai_strerror(rc));
    UniqueFd fd;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        UniqueFd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!s) continue;
        if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
            fd = std::move(s);
            break;
        }
    }
    ::freeaddrinfo(res);
    if (!fd) return cannot_connect(host_text, "");
    int one = 1;
    (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // only latency, if refused
    return fd;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const HostSpec& host, const TlsOptions& tls,
                                                     const std::string& host_text) {
    std::unique_ptr<Connection> c(new Connection());
    if (host.kind == HostSpec::Kind::Unix) {
        c->fd_ = BERTH_TRY(connect_unix(host.path, host_text));
        return c;
    }
    c->fd_ = BERTH_TRY(connect_tcp(host.host, host.port, host_text));
    if (!tls.enabled) return c;

    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (!c->ctx_) return Error::internal("TLS: " + ssl_error_text());
    SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
    if (!tls.cert_file.empty() && SSL_CTX_use_certificate_chain_file(c->ctx_, tls.cert_file.c_str()) != 1)
        return Error::invalid("could not load X509 key pair (" + tls.cert_file + "): " + ssl_error_text());
    if (!tls.key_file.empty() &&
        SSL_CTX_use_PrivateKey_file(c->ctx_, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        return Error::invalid("could not load X509 key pair (" + tls.key_file + "): " + ssl_error_text());
    if (tls.verify) {
        if (!tls.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(c->ctx_, tls.ca_file.c_str(), nullptr) != 1)
                return Error::invalid("could not read CA certificate " + tls.ca_file + ": " +
                                      ssl_error_text());
        } else {
            SSL_CTX_set_default_verify_paths(c->ctx_);
        }
        SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
    }
    c->ssl_ = SSL_new(c->ctx_);
    if (!c->ssl_) return Error::internal("TLS: " + ssl_error_text());
    SSL_set_fd(c->ssl_, c->fd_.get());
    SSL_set_tlsext_host_name(c->ssl_, host.host.c_str());
    if (tls.verify) SSL_set1_host(c->ssl_, host.host.c_str());
    if (SSL_connect(c->ssl_) != 1)
        return Error(ErrorKind::Unavailable,
                     "error during connect: TLS handshake with " + host_text + ": " + ssl_error_text());
    return c;
}

Connection::~Connection() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
}

Result<> Connection::write_all(std::string_view data) {
    while (!data.empty()) {
        ssize_t n;
        if (ssl_) {
            n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
            if (n <= 0) return Error(ErrorKind::Unavailable, "TLS write: " + ssl_error_text());
        } else {
            n = sys::retry_eintr([&] { return ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL); });
            if (n < 0) return Error::sys("write to daemon");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
}

Result<bool> Connection::fill() {
    char tmp[65536];
    for (;;) {
        ssize_t n;
        if (ssl_) {
            n = SSL_read(ssl_, tmp, sizeof tmp);
            if (n <= 0) {
                int err = SSL_get_error(ssl_, static_cast<int>(n));
                if (err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) return false;
                return Error(ErrorKind::Unavailable, "TLS read: " + ssl_error_text());
            }
        } else {
            n = sys::retry_eintr([&] { return ::read(fd_.get(), tmp, sizeof tmp); });
            if (n < 0) {
                if (errno == ECONNRESET) return false;
                return Error::sys("read from daemon");
            }
            if (n == 0) return false;
        }
        buf.append(tmp, static_cast<size_t>(n));
        return true;
    }
}

void Connection::shutdown_write() {
    if (ssl_) SSL_shutdown(ssl_);  // close_notify, as Go's tls.Conn.CloseWrite
    ::shutdown(fd_.get(), SHUT_WR);
}

bool Connection::tls_pending() const {
    return ssl_ && SSL_pending(ssl_) > 0;
}

}  // namespace berth::cli::client

// berthd's HTTP layer: listeners (unix socket, TCP with mutual TLS, plain TCP only when
// asked), HTTP/1.1 keep-alive connections handled one request at a time, and dispatch of
// routed requests to handlers.
//
// Threads: a few io threads (1-2) run all socket work; handlers run on a small elastic pool
// of worker threads (created on demand, gone after a short idle time) so they may block on
// the daemon's work and use the blocking stream calls in request.h. An idle daemon therefore
// holds only its io threads.
//
//   Router router;
//   router.add("GET", "/_ping", ping);
//   HttpServer server(ServerConfig{}, std::move(router));
//   BERTH_TRY(server.listen_unix({.path = "/run/berth/berth.sock", .group = "docker"}));
//   BERTH_TRY(server.start());
//   ...
//   server.stop();  // graceful: stop accepting, close idle connections, wait for the rest
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/server/errors.h"
#include "api/server/query.h"
#include "api/server/request.h"
#include "api/server/router.h"
#include "common/error.h"

namespace berth::api {

struct UnixListenerConfig {
    std::string path;
    mode_t mode = 0660;
    // chown the socket to this group when it exists (docker's "docker" group); else skipped.
    std::string group;
};

struct TlsConfig {
    std::string ca_file;    // clients must present a certificate signed by this CA
    std::string cert_file;  // server certificate chain (PEM)
    std::string key_file;   // server private key (PEM)
};

struct TcpListenerConfig {
    std::string address = "127.0.0.1";
    uint16_t port = 2376;  // 0 picks a free port (tests); listen_tcp returns it
    TlsConfig tls;
    // Plain TCP without TLS: only when set explicitly (the daemon warns loudly).
    bool insecure = false;
};

struct ServerConfig {
    int io_threads = 1;
    std::size_t max_body_bytes = 64u << 20;   // whole-body routes; larger -> 413
    std::size_t max_header_bytes = 1u << 20;  // as Go's http.Server
    std::chrono::milliseconds shutdown_timeout{10000};
    std::chrono::milliseconds tls_handshake_timeout{30000};
    // Idle keep-alive connections are closed after this; 0 keeps them (docker's default).
    std::chrono::milliseconds idle_timeout{0};
    std::chrono::milliseconds worker_idle_linger{10000};  // idle handler threads exit after
    std::string server_header = "Berth/0.1.0 (linux)";
    bool experimental = false;
};

class HttpServer {
public:
    HttpServer(ServerConfig config, Router router);
    ~HttpServer();  // stop()
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Listeners may be added before or after start(). A unix path left by a dead server is
    // removed; one where a server still answers is a Conflict; a non-socket is refused.
    Result<> listen_unix(const UnixListenerConfig& config);
    // An already listening unix socket handed down by systemd (berth.socket). The server
    // owns the fd once this succeeds; the socket's path is left for systemd to remove.
    Result<> listen_fd(int fd);
    // TLS with client certificate verification (TLS 1.2+) unless config.insecure.
    // Returns the bound port.
    Result<uint16_t> listen_tcp(const TcpListenerConfig& config);

    Result<> start();
    // Graceful: stop accepting, close idle and hijacked connections, tell streaming
    // handlers their client is gone, give in-flight requests shutdown_timeout, then close
    // the rest. Handlers must return once their streams report a disconnect. Idempotent.
    void stop();

    const Router& router() const;
    // Connections currently open (for tests and metrics).
    std::size_t connection_count() const;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::api

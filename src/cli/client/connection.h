// Internal: one byte stream to the daemon (unix socket, TCP, or TLS over TCP) with a read
// buffer shared by the HTTP parser and, after an upgrade, the hijacked stream.
// Hand-written over the fd and OpenSSL rather than Asio/Beast streams because attach and
// exec poll() this fd together with stdin and take the connection over raw after a
// "101 UPGRADED" answer, which wants the fd and the already-buffered bytes in hand.
#pragma once

#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "cli/client/client.h"
#include "common/error.h"
#include "common/fd.h"

namespace berth::cli::client {

class Connection {
public:
    static Result<std::unique_ptr<Connection>> open(const HostSpec& host, const TlsOptions& tls,
                                                    const std::string& host_text);
    ~Connection();

    int fd() const { return fd_.get(); }
    Result<> write_all(std::string_view data);
    // Reads into buf (appends); returns false at EOF.
    Result<bool> fill();
    void shutdown_write();
    // Bytes the TLS layer has decrypted but not handed out yet.
    bool tls_pending() const;

    std::string buf;  // received, not yet consumed

private:
    Connection() = default;
    UniqueFd fd_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

}  // namespace berth::cli::client

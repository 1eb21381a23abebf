// Private: listening sockets (unix, TCP, TCP+TLS). Sockets are made with SOCK_CLOEXEC and
// accepted with accept4 so no listening or client fd leaks into the shims berthd spawns.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "api/server/core.h"

namespace berth::api::detail {

class Listener {
public:
    virtual ~Listener() = default;
    // Any thread: stop accepting (and remove the unix socket file we created).
    virtual void close() = 0;
};

Result<std::shared_ptr<Listener>> listen_unix(ServerCore& core, const UnixListenerConfig& cfg);
// Takes over an inherited listening unix socket (socket activation); anything else is
// refused.
Result<std::shared_ptr<Listener>> adopt_unix_listener(ServerCore& core, int fd);
// `tls` null means plain TCP. Returns the listener and its bound port.
Result<std::pair<std::shared_ptr<Listener>, uint16_t>> listen_tcp(
    ServerCore& core, const TcpListenerConfig& cfg, std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace berth::api::detail

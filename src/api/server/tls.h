// Private: the server's TLS context (mutual TLS, 1.2 or newer).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "api/server/http_server.h"

namespace berth::api::detail {

// Loads the CA (clients must present a certificate it signed), the certificate chain and
// the key; refuses TLS below 1.2.
Result<std::unique_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsConfig& cfg);

}  // namespace berth::api::detail

// Server TLS context setup with OpenSSL through Asio (error_code overloads, no throws).
#include "api/server/tls.h"

#include <openssl/ssl.h>

namespace berth::api::detail {

namespace ssl = boost::asio::ssl;

namespace {
Error tls_error(std::string what, const std::string& path, const boost::system::error_code& ec) {
    return Error::invalid("tls: " + what + " " + path + ": " + ec.message());
}
}  // namespace

Result<std::unique_ptr<ssl::context>> make_server_tls_context(const TlsConfig& cfg) {
    if (cfg.ca_file.empty() || cfg.cert_file.empty() || cfg.key_file.empty()) {
        return Error::invalid("tls: CA, certificate and key files are all required");
    }
    std::unique_ptr<ssl::context> ctx;
    try {
        ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    } catch (const std::exception& e) {
        return Error::internal(std::string("tls: create context: ") + e.what());
    }
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    if (ec) return tls_error("set options", "", ec);
    if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
        return Error::internal("tls: cannot require TLS 1.2");
    }
    ctx->load_verify_file(cfg.ca_file, ec);
    if (ec) return tls_error("load CA", cfg.ca_file, ec);
    ctx->use_certificate_chain_file(cfg.cert_file, ec);
    if (ec) return tls_error("load certificate", cfg.cert_file, ec);
    ctx->use_private_key_file(cfg.key_file, ssl::context::pem, ec);
    if (ec) return tls_error("load key", cfg.key_file, ec);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
        return Error::invalid("tls: key " + cfg.key_file + " does not match " + cfg.cert_file);
    }
    // Tell clients which CA we accept, so they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cfg.ca_file.c_str())) {
        SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return tls_error("set verify mode", "", ec);
    return ctx;
}

}  // namespace berth::api::detail

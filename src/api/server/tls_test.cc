// TCP listeners: mutual TLS with certificates made by the openssl command line, and plain
// TCP only when `insecure` is set.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "api/server/test_client.h"
#include "support/support.h"

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

// CA, server (SAN 127.0.0.1) and client certificates, as `docker` TLS setups use.
bool make_certs(const std::string& d) {
    std::string script =
        "set -e; cd '" + d +
        "';"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 "
        "  -subj /CN=berth-test-ca 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr "
        "  -subj /CN=localhost 2>/dev/null;"
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
        "  -out server.pem -days 1 -extfile server.ext 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr "
        "  -subj /CN=client 2>/dev/null;"
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
        "  -out cert.pem -days 1 -extfile client.ext 2>/dev/null;";
    auto r = berth::test::run_shell(script, 120);
    if (r.exit_code != 0) ADD_FAILURE() << "openssl: " << r.err;
    return r.exit_code == 0;
}

Router ping_router() {
    Router r;
    (void)r.add("GET", "/_ping", [](Request&) -> Result<Response> { return Response::text(200, "OK"); });
    return r;
}

// A TLS client; returns what the server answered to GET /_ping, or "" on any failure.
std::string tls_ping(uint16_t port, const std::string& dir, bool with_client_cert) {
    asio::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx.load_verify_file(dir + "/ca.pem", ec);
    if (ec) return "";
    if (with_client_cert) {
        ctx.use_certificate_chain_file(dir + "/cert.pem", ec);
        if (ec) return "";
        ctx.use_private_key_file(dir + "/key.pem", ssl::context::pem, ec);
        if (ec) return "";
    }
    ctx.set_verify_mode(ssl::verify_peer);
    ssl::stream<asio::ip::tcp::socket> s(ioc, ctx);
    s.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) return "";
    s.handshake(ssl::stream_base::client, ec);
    if (ec) return "";
    std::string req = "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req), ec);
    if (ec) return "";
    std::string out;
    char buf[4096];
    for (;;) {
        std::size_t n = s.read_some(asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    // A rejected client (TLS 1.3 reports it after the handshake) reads an alert, no HTTP.
    return out;
}

TEST(TlsListener, RequiresClientCertificate) {
    berth::test::TempDir dir("berth-api-tls");
    ASSERT_TRUE(make_certs(dir.path()));
    HttpServer server(ServerConfig{}, ping_router());
    TcpListenerConfig cfg;
    cfg.port = 0;
    cfg.tls = {dir.path() + "/ca.pem", dir.path() + "/server.pem", dir.path() + "/server-key.pem"};
    auto port = server.listen_tcp(cfg);
    ASSERT_TRUE(port) << port.error().str();
    ASSERT_NE(*port, 0);
    ASSERT_TRUE(server.start());

    std::string good = tls_ping(*port, dir.path(), true);
    EXPECT_EQ(good.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << good;
    EXPECT_NE(good.find("\r\n\r\nOK"), std::string::npos);

    std::string bad = tls_ping(*port, dir.path(), false);
    EXPECT_EQ(bad.find("HTTP/1.1"), std::string::npos) << bad;

    // A plain-text client gets nothing useful either, and the server goes on.
    auto plain = test::RawClient::connect_tcp(*port);
    ASSERT_TRUE(plain.ok());
    plain.send("GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n");
    auto r = plain.read_response(false, 3000);
    EXPECT_FALSE(r && r->status == 200);
    EXPECT_EQ(tls_ping(*port, dir.path(), true).rfind("HTTP/1.1 200", 0), 0u);
    server.stop();
}

TEST(TlsListener, BadFilesAreErrors) {
    berth::test::TempDir dir("berth-api-tls");
    HttpServer server(ServerConfig{}, ping_router());
    TcpListenerConfig cfg;
    cfg.port = 0;
    EXPECT_FALSE(server.listen_tcp(cfg));  // no TLS files and not insecure
    cfg.tls = {dir.path() + "/ca.pem", dir.path() + "/none.pem", dir.path() + "/none-key.pem"};
    auto r = server.listen_tcp(cfg);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("ca.pem"), std::string::npos) << r.error().str();
}

TEST(TcpListener, PlainOnlyWhenInsecure) {
    HttpServer server(ServerConfig{}, ping_router());
    TcpListenerConfig cfg;
    cfg.port = 0;
    cfg.insecure = true;
    auto port = server.listen_tcp(cfg);
    ASSERT_TRUE(port) << port.error().str();
    ASSERT_TRUE(server.start());
    auto c = test::RawClient::connect_tcp(*port);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("GET /v1.47/_ping HTTP/1.1\r\nHost: d\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "OK");
    server.stop();
}

}  // namespace
}  // namespace berth::api

// Host parsing, query encoding and stdcopy demultiplexing of the Engine API client.
#include "cli/client/client.h"

#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "support/support.h"

namespace berth::cli::client {
namespace {

TEST(ParseHost, Forms) {
    auto u = parse_host("unix:///run/berth/berth.sock");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->kind, HostSpec::Kind::Unix);
    EXPECT_EQ(u->path, "/run/berth/berth.sock");
    auto t = parse_host("tcp://10.0.0.1:2376");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, HostSpec::Kind::Tcp);
    EXPECT_EQ(t->host, "10.0.0.1");
    EXPECT_EQ(t->port, 2376);
    auto d = parse_host("tcp://example.org", /*tls=*/true);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->port, 2376);
    auto v6 = parse_host("tcp://[::1]:1234");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 1234);
    EXPECT_FALSE(parse_host("tcp://h:99999"));
    EXPECT_FALSE(parse_host("bogus"));
    EXPECT_EQ(parse_host("ssh://x").error().kind(), ErrorKind::Unsupported);
}

TEST(Query, FiltersLikeDocker) {
    Query q;
    q.add("all", "1");
    ASSERT_TRUE(q.add_filters({"label=a=b", "status=running"}));
    EXPECT_EQ(q.str(),
              "?all=1&filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%2C%22status%22%3A%7B%22running%22%"
              "3Atrue%7D%7D");
    Query bad;
    EXPECT_FALSE(bad.add_filters({"nonsense"}));
}

// A CA, a server certificate for 127.0.0.1 and a client certificate (docker's TLS setup).
bool make_certs(const std::string& d) {
    std::string script =
        "set -e; cd '" + d +
        "';"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=ca "
        "2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost "
        "2>/dev/null;"
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days "
        "1 "
        "  -extfile server.ext 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client 2>/dev/null;"
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 "
        "  -extfile client.ext 2>/dev/null;"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-key.pem -out other-ca.pem -days 1 -subj "
        "/CN=o "
        "  2>/dev/null;";
    auto r = test::run_shell(script, 120);
    if (r.exit_code != 0) ADD_FAILURE() << "openssl: " << r.err;
    return r.exit_code == 0;
}

TEST(Client, TlsWithClientCertificates) {
    test::TempDir dir("berth-cli-tls");
    ASSERT_TRUE(make_certs(dir.path()));
    api::Router router;
    ASSERT_TRUE(router.add("GET", "/_ping", [](api::Request&) -> Result<api::Response> {
        auto r = api::Response::text(200, "OK");
        r.headers.set("Api-Version", "1.44");
        return r;
    }));
    ASSERT_TRUE(router.add("GET", "/version", [](api::Request& req) -> Result<api::Response> {
        return api::Response::json(200, Json{{"Version", "x"}, {"Asked", req.api_version}});
    }));
    ASSERT_TRUE(router.add("GET", "/events", [](api::Request& req) -> Result<api::Response> {
        auto s = BERTH_TRY(req.start_stream(200, {}));
        BERTH_TRY(s->write("{\"a\":1}\n{\"a\""));
        BERTH_TRY(s->write(":2}\n"));
        s->finish();
        return api::Response{};
    }));
    api::ServerConfig cfg;
    cfg.shutdown_timeout = std::chrono::milliseconds(500);
    api::HttpServer server(cfg, std::move(router));
    api::TcpListenerConfig tcp;
    tcp.port = 0;
    tcp.tls = {dir.path() + "/ca.pem", dir.path() + "/server.pem", dir.path() + "/server-key.pem"};
    auto port = server.listen_tcp(tcp);
    ASSERT_TRUE(port) << port.error().str();
    ASSERT_TRUE(server.start());

    ClientOptions o;
    o.host = "tcp://127.0.0.1:" + std::to_string(*port);
    o.tls = {true, true, dir.path() + "/ca.pem", dir.path() + "/cert.pem", dir.path() + "/key.pem"};
    Client c(o);
    auto v = c.get_json("/version");
    ASSERT_TRUE(v) << v.error().str();
    EXPECT_EQ((*v)["Asked"], "1.44");  // negotiated down through /_ping
    auto s = c.stream("GET", "/events");
    ASSERT_TRUE(s) << s.error().str();
    auto l1 = s->read_line();
    auto l2 = s->read_line();
    auto l3 = s->read_line();
    ASSERT_TRUE(l1 && *l1 && l2 && *l2 && l3);
    EXPECT_EQ(**l1, "{\"a\":1}");
    EXPECT_EQ(**l2, "{\"a\":2}");
    EXPECT_FALSE(*l3);

    // No client certificate: the daemon refuses the handshake.
    ClientOptions nocert = o;
    nocert.tls.cert_file.clear();
    nocert.tls.key_file.clear();
    EXPECT_FALSE(Client(nocert).get_json("/version"));
    // A CA that did not sign the daemon's certificate: verification fails.
    ClientOptions wrong_ca = o;
    wrong_ca.tls.ca_file = dir.path() + "/other-ca.pem";
    EXPECT_FALSE(Client(wrong_ca).get_json("/version"));
    server.stop();
}

}  // namespace
}  // namespace berth::cli::client

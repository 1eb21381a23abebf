// End to end over a temp unix socket with a hand-written client: ping, HEAD, keep-alive,
// pipelining, errors, limits, streaming, hijack, streamed bodies, shutdown, socket files.
#include "api/server/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "api/server/test_client.h"
#include "common/file.h"
#include "support/support.h"

namespace berth::api {
namespace {

using test::RawClient;
using namespace std::chrono_literals;

std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: docker\r\n" + extra + "\r\n";
}

class HttpServerTest : public ::testing::Test {
protected:
    static constexpr std::size_t kBigBody = 8u << 20;  // far more than a socket buffer

    void SetUp() override {
        sock_ = dir_.path() + "/api.sock";
        Router r;
        ASSERT_TRUE(r.add("GET", "/_ping", [](Request&) -> Result<Response> {
            Response resp = Response::text(200, "OK");
            resp.headers.set("Cache-Control", "no-cache, no-store, must-revalidate");
            return resp;
        }));
        ASSERT_TRUE(r.add("POST", "/echo",
                          [](Request& req) -> Result<Response> { return Response::text(200, req.body); }));
        ASSERT_TRUE(r.add("GET", "/containers/{id}/json", [](Request& req) -> Result<Response> {
            return Response::json(200, Json{{"Id", req.param("id")},
                                            {"Version", req.api_version},
                                            {"All", req.query.get_bool("all")}});
        }));
        ASSERT_TRUE(r.add("GET", "/big", [](Request&) -> Result<Response> {
            std::string body(kBigBody, '\0');
            for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
            return Response::text(200, std::move(body));
        }));
        ASSERT_TRUE(
            r.add("GET", "/throw", [](Request&) -> Result<Response> { throw std::runtime_error("boom"); }));
        ASSERT_TRUE(r.add("GET", "/missing", [](Request&) -> Result<Response> {
            return Error::not_found("No such container: nope");
        }));
        ASSERT_TRUE(r.add("GET", "/slow", [this](Request&) -> Result<Response> {
            slow_started_ = true;
            slow_started_.notify_all();
            std::this_thread::sleep_for(300ms);  // a request still in flight when stop() comes
            return Response::text(200, "slow");
        }));
        ASSERT_TRUE(r.add("GET", "/stream", [](Request& req) -> Result<Response> {
            auto s = BERTH_TRY(req.start_stream(200, {}));
            for (const char* piece : {"one\n", "two\n", "three\n"}) {
                BERTH_TRY(s->write(piece));
                std::this_thread::sleep_for(20ms);
            }
            s->finish();
            return Response{};
        }));
        ASSERT_TRUE(r.add("GET", "/events", [this](Request& req) -> Result<Response> {
            auto s = BERTH_TRY(req.start_stream(200, {}));
            BERTH_TRY(s->write("{\"status\":\"start\"}\n"));
            auto gone = std::make_shared<std::promise<void>>();
            s->on_disconnect([gone] { gone->set_value(); });
            // Like the /events handler: block until the client leaves.
            if (gone->get_future().wait_for(5s) == std::future_status::ready) {
                events_saw_disconnect_ = true;
            }
            return Response{};
        }));
        ASSERT_TRUE(r.add("POST", "/hijack", [](Request& req) -> Result<Response> {
            auto s = BERTH_TRY(req.hijack(kMultiplexedStream));
            char buf[1024];
            for (;;) {
                std::size_t n = BERTH_TRY(s->read(buf));
                if (n == 0) break;
                BERTH_TRY(s->write(std::string_view(buf, n)));
            }
            BERTH_TRY(s->write("bye"));
            s->close_write();
            return Response{};
        }));
        RouteOptions streamed;
        streamed.stream_body = true;
        ASSERT_TRUE(r.add(
            "POST", "/load",
            [](Request& req) -> Result<Response> {
                BodyReader* body = req.body_reader();
                if (!body) return Error::internal("no body reader");
                std::size_t total = 0, reads = 0;
                unsigned sum = 0;
                char buf[4096];
                for (;;) {
                    std::size_t n = BERTH_TRY(body->read(buf));
                    if (n == 0) break;
                    ++reads;
                    total += n;
                    for (std::size_t i = 0; i < n; ++i) sum += static_cast<unsigned char>(buf[i]);
                }
                return Response::json(200, Json{{"total", total}, {"sum", sum}, {"reads", reads}});
            },
            streamed));

        ServerConfig cfg;
        cfg.max_body_bytes = 1024;
        cfg.io_threads = 2;  // exercise the strands
        cfg.shutdown_timeout = 3000ms;
        server_ = std::make_unique<HttpServer>(cfg, std::move(r));
        ASSERT_TRUE(server_->listen_unix({.path = sock_, .mode = 0660, .group = "no-such-group-x"}));
        ASSERT_TRUE(server_->start());
    }

    void TearDown() override {
        if (server_) server_->stop();
    }

    RawClient client() {
        RawClient c = RawClient::connect_unix(sock_);
        EXPECT_TRUE(c.ok());
        return c;
    }

    void expect_ping_works() {
        RawClient c = client();
        ASSERT_TRUE(c.send(get("/_ping")));
        auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "OK");
    }

    berth::test::TempDir dir_{"berth-api"};
    std::string sock_;
    std::unique_ptr<HttpServer> server_;
    std::atomic<bool> events_saw_disconnect_{false};
    std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, PingHasDockerHeaders) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/_ping")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "OK");
    EXPECT_EQ(r->header("Api-Version"), "1.47");
    EXPECT_EQ(r->header("Docker-Experimental"), "false");
    EXPECT_EQ(r->header("Ostype"), "linux");
    EXPECT_EQ(r->header("Server"), "Berth/0.1.0 (linux)");
    EXPECT_EQ(r->header("Content-Length"), "2");
    EXPECT_EQ(r->header("Cache-Control"), "no-cache, no-store, must-revalidate");
}

TEST_F(HttpServerTest, HeadPingSendsNoBody) {
    RawClient c = client();
    ASSERT_TRUE(c.send("HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"));
    auto r = c.read_response(/*head_only=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Api-Version"), "1.47");
    // The next response must start right away: no stray body bytes in between.
    ASSERT_TRUE(c.send(get("/_ping")));
    auto r2 = c.read_response();
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->head.rfind("HTTP/1.1 200", 0), 0u) << r2->head;
    EXPECT_EQ(r2->body, "OK");
}

TEST_F(HttpServerTest, KeepAliveAndPipelining) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/_ping")));
    auto a = c.read_response();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, "OK");
    ASSERT_TRUE(c.send(get("/v1.40/containers/abc/json?all=1")));
    auto b = c.read_response();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 200);
    auto j = parse_json(b->body);
    ASSERT_TRUE(j) << b->body;
    EXPECT_EQ((*j)["Id"], "abc");
    EXPECT_EQ((*j)["Version"], "1.40");
    EXPECT_EQ((*j)["All"], true);
    // Three requests in one write come back in order.
    ASSERT_TRUE(c.send(get("/_ping") + get("/containers/x/json") +
                       "POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\nhello"));
    auto p1 = c.read_response();
    auto p2 = c.read_response();
    auto p3 = c.read_response();
    ASSERT_TRUE(p1 && p2 && p3);
    EXPECT_EQ(p1->body, "OK");
    EXPECT_NE(p2->body.find("\"x\""), std::string::npos);
    EXPECT_EQ(p3->body, "hello");
}

// The first part of a response goes out at once, the rest (the socket buffer is full while
// the client waits) asynchronously; both in order, and the connection then goes on.
TEST_F(HttpServerTest, ResponseLargerThanTheSocketBufferArrivesWholeAndInOrder) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/big") + get("/_ping")));
    std::this_thread::sleep_for(100ms);
    auto big = c.read_response();
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 200);
    ASSERT_EQ(big->body.size(), kBigBody);
    bool pattern = true;
    for (std::size_t i = 0; i < big->body.size() && pattern; ++i) {
        pattern = big->body[i] == static_cast<char>('a' + i % 26);
    }
    EXPECT_TRUE(pattern);
    auto ping = c.read_response();
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->body, "OK");
    ASSERT_TRUE(c.send(get("/_ping")));
    auto again = c.read_response();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, "OK");
}

TEST_F(HttpServerTest, NotFoundAndVersionErrorsAreJson) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/nope")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->body, "{\"message\":\"page not found\"}\n");
    EXPECT_EQ(r->header("Api-Version"), "1.47");

    ASSERT_TRUE(c.send("DELETE /_ping HTTP/1.1\r\nHost: d\r\n\r\n"));
    auto wrong = c.read_response();
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 404);

    ASSERT_TRUE(c.send(get("/v1.99/_ping")));
    auto hi = c.read_response();
    ASSERT_TRUE(hi);
    EXPECT_EQ(hi->status, 400);
    EXPECT_EQ(hi->body,
              "{\"message\":\"client version 1.99 is too new. Maximum supported API version is "
              "1.47\"}\n");
    ASSERT_TRUE(c.send(get("/v1.12/_ping")));
    auto lo = c.read_response();
    ASSERT_TRUE(lo);
    EXPECT_EQ(lo->status, 400);
    EXPECT_NE(lo->body.find("client version 1.12 is too old. Minimum supported API version is "
                            "1.24, please upgrade your client to a newer version"),
              std::string::npos);
    ASSERT_TRUE(c.send(get("/_ping?bad=%zz")));
    auto bad = c.read_response();
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
}

TEST_F(HttpServerTest, HandlerErrorsAndCrashes) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/missing")));
    auto nf = c.read_response();
    ASSERT_TRUE(nf);
    EXPECT_EQ(nf->status, 404);
    EXPECT_EQ(nf->body, "{\"message\":\"No such container: nope\"}\n");
    ASSERT_TRUE(c.send(get("/throw")));
    auto boom = c.read_response();
    ASSERT_TRUE(boom);
    EXPECT_EQ(boom->status, 500);
    EXPECT_NE(boom->body.find("boom"), std::string::npos);
    // Same connection, and others, keep working.
    ASSERT_TRUE(c.send(get("/_ping")));
    auto ok = c.read_response();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->body, "OK");
    expect_ping_works();
}

TEST_F(HttpServerTest, OversizeBodyIs413AndServerLives) {
    {
        RawClient c = client();
        std::string body(4000, 'a');
        ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 4000\r\n\r\n"));
        c.send(body);  // the server may already have answered and closed
        auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_NE(r->body.find("too large"), std::string::npos);
        EXPECT_TRUE(c.wait_eof());
    }
    {
        // Chunked: no Content-Length, the limit trips while reading.
        RawClient c = client();
        std::string req = "POST /echo HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'b') + "\r\n";
        req += "0\r\n\r\n";
        c.send(req);
        auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    {
        // Under the limit works, including a chunked body.
        RawClient c = client();
        ASSERT_TRUE(
            c.send("POST /echo HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
        auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "abcde");
    }
    expect_ping_works();
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
    RawClient c = client();
    ASSERT_TRUE(c.send("THIS IS NOT HTTP\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find("message"), std::string::npos);
    EXPECT_TRUE(c.wait_eof());
    expect_ping_works();
}

TEST_F(HttpServerTest, ChunkedStreamDeliversThreeChunksThenKeepsAlive) {
    RawClient c = client();
    ASSERT_TRUE(c.send(get("/stream")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(r->header("Api-Version"), "1.47");
    EXPECT_EQ(r->chunks, (std::vector<std::string>{"one\n", "two\n", "three\n"}));
    ASSERT_TRUE(c.send(get("/_ping")));
    auto p = c.read_response();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->body, "OK");
}

TEST_F(HttpServerTest, StreamingHandlerLearnsOfDisconnect) {
    {
        RawClient c = client();
        ASSERT_TRUE(c.send(get("/events")));
        auto first = c.read_until("start\"}\n");
        ASSERT_TRUE(first);
    }  // client closes
    for (int i = 0; i < 100 && !events_saw_disconnect_; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(events_saw_disconnect_);
}

TEST_F(HttpServerTest, HijackWithUpgradeEchoes) {
    RawClient c = client();
    // Bytes sent right behind the request must reach the handler too.
    ASSERT_TRUE(
        c.send("POST /v1.47/hijack HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
               "Upgrade: tcp\r\nContent-Length: 0\r\n\r\nearly"));
    auto r = c.read_response(/*head_only=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head.rfind("HTTP/1.1 101 UPGRADED\r\n", 0), 0u) << r->head;
    EXPECT_EQ(r->header("Content-Type"), "application/vnd.docker.multiplexed-stream");
    EXPECT_EQ(r->header("Upgrade"), "tcp");
    EXPECT_EQ(r->header("Api-Version"), "1.47");
    auto early = c.read_exact(5);
    ASSERT_TRUE(early);
    EXPECT_EQ(*early, "early");
    ASSERT_TRUE(c.send("hello"));
    auto echo = c.read_exact(5);
    ASSERT_TRUE(echo);
    EXPECT_EQ(*echo, "hello");
    c.shutdown_write();  // docker's CloseWrite
    auto bye = c.read_exact(3);
    ASSERT_TRUE(bye);
    EXPECT_EQ(*bye, "bye");
    EXPECT_TRUE(c.wait_eof());
}

TEST_F(HttpServerTest, HijackWithoutUpgradeAnswers200) {
    RawClient c = client();
    ASSERT_TRUE(c.send("POST /hijack HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n"));
    auto r = c.read_response(/*head_only=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(c.send("ping"));
    auto echo = c.read_exact(4);
    ASSERT_TRUE(echo);
    EXPECT_EQ(*echo, "ping");
    c.shutdown_write();
    auto bye = c.read_exact(3);
    ASSERT_TRUE(bye);
    EXPECT_TRUE(c.wait_eof());
}

TEST_F(HttpServerTest, StreamedBodyIsReadInPiecesBeyondTheLimit) {
    RawClient c = client();
    std::string req = "POST /load HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n";
    unsigned sum = 0;
    std::size_t total = 0;
    for (int i = 0; i < 50; ++i) {
        std::string piece(2000, static_cast<char>('a' + i % 26));
        for (char ch : piece) sum += static_cast<unsigned char>(ch);
        total += piece.size();
        char hex[16];
        std::snprintf(hex, sizeof hex, "%zx\r\n", piece.size());
        req += hex + piece + "\r\n";
    }
    req += "0\r\n\r\n";
    ASSERT_TRUE(c.send(req));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = parse_json(r->body);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["total"], total);
    EXPECT_EQ((*j)["sum"], sum);
    EXPECT_GT((*j)["reads"].get<int>(), 1);
    // With Content-Length too, on the same connection.
    std::string body(5000, 'z');
    ASSERT_TRUE(c.send("POST /load HTTP/1.1\r\nHost: d\r\nContent-Length: 5000\r\n\r\n" + body));
    auto r2 = c.read_response();
    ASSERT_TRUE(r2);
    EXPECT_EQ((*parse_json(r2->body))["total"], 5000);
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightAndClosesIdle) {
    RawClient idle = client();
    RawClient busy = client();
    ASSERT_TRUE(idle.send(get("/_ping")));
    ASSERT_TRUE(idle.read_response());
    ASSERT_TRUE(busy.send(get("/slow")));
    slow_started_.wait(false);  // the handler is running
    auto t0 = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    auto r = busy.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "slow");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(busy.wait_eof(2000));
    EXPECT_TRUE(idle.wait_eof(2000));
    EXPECT_EQ(server_->connection_count(), 0u);
    struct stat st;
    EXPECT_NE(::lstat(sock_.c_str(), &st), 0) << "socket file removed on stop";
    EXPECT_FALSE(RawClient::connect_unix(sock_).ok());
}

TEST_F(HttpServerTest, StopEndsOpenStreamsAndHijacks) {
    RawClient events = client();
    ASSERT_TRUE(events.send(get("/events")));
    ASSERT_TRUE(events.read_until("start\"}\n"));
    RawClient attach = client();
    ASSERT_TRUE(
        attach.send("POST /hijack HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
                    "Upgrade: tcp\r\n\r\n"));
    ASSERT_TRUE(attach.read_until("\r\n\r\n"));
    auto t0 = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
    EXPECT_TRUE(events_saw_disconnect_);
    EXPECT_TRUE(events.wait_eof(2000));
    EXPECT_TRUE(attach.wait_eof(2000));
}

TEST_F(HttpServerTest, SocketModeAndSecondServerRefused) {
    struct stat st;
    ASSERT_EQ(::lstat(sock_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    HttpServer other(ServerConfig{}, Router{});
    auto r = other.listen_unix({.path = sock_});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Conflict);
    expect_ping_works();  // the first server's socket is untouched
}

// A server answering /_ping with "OK", and a check that it does at `path`.
HttpServer ping_server() {
    Router router;
    EXPECT_TRUE(
        router.add("GET", "/_ping", [](Request&) -> Result<Response> { return Response::text(200, "OK"); }));
    return HttpServer(ServerConfig{}, std::move(router));
}

void expect_ping_at(const std::string& path) {
    RawClient c = RawClient::connect_unix(path);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(get("/_ping")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "OK");
}

TEST(HttpServerSocket, ReplacesStaleSocketRefusesOtherFiles) {
    berth::test::TempDir dir("berth-api");
    std::string path = dir.path() + "/stale.sock";
    {
        // A socket file whose server is gone.
        int fd = berth::test::bind_unix_socket(path, SOCK_STREAM);
        ASSERT_GE(fd, 0);
        ::close(fd);
    }
    HttpServer server = ping_server();
    ASSERT_TRUE(server.listen_unix({.path = path}));
    ASSERT_TRUE(server.start());
    expect_ping_at(path);

    std::string file = dir.path() + "/regular";
    ASSERT_TRUE(write_file_atomic(file, "data"));
    HttpServer other(ServerConfig{}, Router{});
    auto refused = other.listen_unix({.path = file});
    ASSERT_FALSE(refused);
    EXPECT_EQ(*read_file(file), "data");
    server.stop();
}

TEST(HttpServerSocket, AdoptsAnInheritedUnixListenerAndRefusesOtherSockets) {
    berth::test::TempDir dir("berth-api");
    std::string path = dir.path() + "/activated.sock";
    // As systemd's berth.socket hands it over: bound and listening before the server runs.
    int fd = berth::test::bind_unix_socket(path, SOCK_STREAM, 8);
    ASSERT_GE(fd, 0);
    HttpServer server = ping_server();

    int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    auto refused = server.listen_fd(udp);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().str().find("not a listening unix stream socket"), std::string::npos);
    ::close(udp);
    int unbound = ::socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_FALSE(server.listen_fd(unbound));
    ::close(unbound);

    ASSERT_TRUE(server.listen_fd(fd));
    ASSERT_TRUE(server.start());
    expect_ping_at(path);
    server.stop();
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << "the socket unit's path is not ours to remove";
}

}  // namespace
}  // namespace berth::api

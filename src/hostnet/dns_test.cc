// DnsServer on 127.0.0.1 of the test's own namespace (no root): local answers, forwarding to
// a fake upstream, SERVFAIL when the upstream is silent, TCP framing, removal.
#include "hostnet/dns.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "common/fd.h"
#include "hostnet/dns_codec.h"

namespace berth::hostnet {
namespace {

std::vector<uint8_t> query(uint16_t id, const std::string& name, uint16_t type = dns::kTypeA) {
    std::vector<uint8_t> m = {uint8_t(id >> 8), uint8_t(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        m.push_back(uint8_t(dot - start));
        m.insert(m.end(), name.begin() + long(start), name.begin() + long(dot));
        start = dot + 1;
    }
    m.insert(m.end(), {0, uint8_t(type >> 8), uint8_t(type), 0, 1});
    return m;
}

sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::vector<uint8_t> ask_udp(uint16_t port, const std::vector<uint8_t>& q, int timeout_ms = 5000) {
    UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(port);
    sendto(s.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pollfd p{s.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return {};
    std::vector<uint8_t> buf(4096);
    ssize_t n = recv(s.get(), buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? size_t(n) : 0);
    return buf;
}

int rcode(const std::vector<uint8_t>& r) {
    return r.size() >= 4 ? r[3] & 0x0f : -1;
}
int ancount(const std::vector<uint8_t>& r) {
    return r.size() >= 8 ? r[6] << 8 | r[7] : -1;
}

// A fake upstream: answers every query with one A record 198.51.100.7.
class FakeUpstream {
public:
    FakeUpstream() {
        fd_ = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in a = loopback(0);
        bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] {
            while (!stop_) {
                pollfd p{fd_.get(), POLLIN, 0};
                if (poll(&p, 1, 50) != 1) continue;
                std::vector<uint8_t> buf(4096);
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                ssize_t n =
                    recvfrom(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
                if (n <= 0) continue;
                buf.resize(size_t(n));
                ++queries;
                auto q = dns::parse_query(buf);
                if (!q) continue;
                auto r = dns::build_response(*q, dns::kRcodeNoError, {"198.51.100.7"});
                sendto(fd_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
            }
        });
    }
    ~FakeUpstream() {
        stop_ = true;
        thread_.join();
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::atomic<int> queries{0};

private:
    UniqueFd fd_;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

ResolveFn table() {
    return [](const std::string& id, const std::string& name) -> std::vector<std::string> {
        if (id == "c1" && name == "web") return {"172.18.0.2"};
        if (id == "c1" && name == "db.alias") return {"172.18.0.3", "172.18.0.4"};
        return {};
    };
}

TEST(DnsServer, AnswersKnownNamesAndForwardsTheRest) {
    FakeUpstream up;
    auto server = DnsServer::start(table(), {up.address()});
    ASSERT_TRUE(server) << server.error().str();
    auto port = (*server)->add_listener("c1", "127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error().str();

    auto r = ask_udp(*port, query(1, "WEB."));
    ASSERT_GE(r.size(), 12u);
    EXPECT_EQ(rcode(r), 0);
    EXPECT_EQ(ancount(r), 1);
    EXPECT_EQ(r[r.size() - 4], 172);
    EXPECT_EQ(r[r.size() - 1], 2);
    EXPECT_EQ(ancount(ask_udp(*port, query(2, "db.Alias"))), 2);
    EXPECT_EQ(up.queries, 0);

    auto aaaa = ask_udp(*port, query(3, "web", dns::kTypeAAAA));
    EXPECT_EQ(rcode(aaaa), 0);
    EXPECT_EQ(ancount(aaaa), 0);

    auto fwd = ask_udp(*port, query(4, "example.org"));
    ASSERT_GE(fwd.size(), 12u);
    EXPECT_EQ(fwd[1], 4);
    EXPECT_EQ(ancount(fwd), 1);
    EXPECT_EQ(fwd[fwd.size() - 4], 198);
    EXPECT_EQ(up.queries, 1);

    // Garbage gets FORMERR or nothing, and the server keeps serving.
    std::vector<uint8_t> junk = {0, 9, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 63, 'x'};
    EXPECT_EQ(rcode(ask_udp(*port, junk, 2000)), dns::kRcodeFormErr);
    EXPECT_EQ(ancount(ask_udp(*port, query(5, "web"))), 1);
}

TEST(DnsServer, ServfailWhenNoUpstreamAnswers) {
    // A bound socket that never answers.
    UniqueFd silent(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(0);
    bind(silent.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(silent.get(), reinterpret_cast<sockaddr*>(&a), &len);
    auto server = DnsServer::start(table(), {"127.0.0.1:" + std::to_string(ntohs(a.sin_port))});
    ASSERT_TRUE(server);
    auto port = (*server)->add_listener("c1", "127.0.0.1", 0);
    ASSERT_TRUE(port);
    auto r = ask_udp(*port, query(6, "nowhere.test"), 6000);
    EXPECT_EQ(rcode(r), dns::kRcodeServFail);

    (*server)->set_upstreams({});
    EXPECT_EQ(rcode(ask_udp(*port, query(7, "nowhere.test"))), dns::kRcodeServFail);
}

TEST(DnsServer, TcpFramingAndRemoval) {
    auto server = DnsServer::start(table(), {});
    ASSERT_TRUE(server);
    auto port = (*server)->add_listener("c1", "127.0.0.1", 0);
    ASSERT_TRUE(port);
    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(*port);
    ASSERT_EQ(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    auto q = query(8, "web");
    std::vector<uint8_t> framed = {uint8_t(q.size() >> 8), uint8_t(q.size())};
    framed.insert(framed.end(), q.begin(), q.end());
    // Sent in two pieces: the server must reassemble.
    ASSERT_EQ(send(s.get(), framed.data(), 5, 0), 5);
    usleep(20000);
    ASSERT_EQ(send(s.get(), framed.data() + 5, framed.size() - 5, 0), ssize_t(framed.size() - 5));
    pollfd p{s.get(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    std::vector<uint8_t> buf(512);
    ssize_t n = recv(s.get(), buf.data(), buf.size(), 0);
    ASSERT_GT(n, 14);
    EXPECT_EQ(size_t(buf[0] << 8 | buf[1]), size_t(n - 2));
    EXPECT_EQ(buf[2 + 7], 1);  // ANCOUNT

    (*server)->remove_container("c1");
    EXPECT_TRUE(ask_udp(*port, query(9, "web"), 300).empty());
}

// Reads one framed query from a TCP connection; answers it with 198.51.100.9.
void serve_one_tcp(int listener) {
    UniqueFd c(accept(listener, nullptr, nullptr));
    if (!c) return;
    std::vector<uint8_t> buf;
    uint8_t tmp[512];
    while (buf.size() < 2 || buf.size() < 2u + size_t(buf[0] << 8 | buf[1])) {
        ssize_t n = recv(c.get(), tmp, sizeof tmp, 0);
        if (n <= 0) return;
        buf.insert(buf.end(), tmp, tmp + n);
    }
    auto q = dns::parse_query(std::span<const uint8_t>(buf).subspan(2));
    if (!q) return;
    auto r = dns::build_response(*q, dns::kRcodeNoError, {"198.51.100.9"});
    std::vector<uint8_t> framed = {uint8_t(r.size() >> 8), uint8_t(r.size())};
    framed.insert(framed.end(), r.begin(), r.end());
    send(c.get(), framed.data(), framed.size(), 0);
}

TEST(DnsServer, TcpQueriesAreForwardedOverTcp) {
    UniqueFd up(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(0);
    ASSERT_EQ(bind(up.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(up.get(), 4), 0);
    socklen_t len = sizeof a;
    getsockname(up.get(), reinterpret_cast<sockaddr*>(&a), &len);
    std::thread upstream(serve_one_tcp, up.get());
    auto server = DnsServer::start(table(), {"127.0.0.1:" + std::to_string(ntohs(a.sin_port))});
    ASSERT_TRUE(server);
    auto port = (*server)->add_listener("c1", "127.0.0.1", 0);
    ASSERT_TRUE(port);

    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in d = loopback(*port);
    ASSERT_EQ(connect(s.get(), reinterpret_cast<sockaddr*>(&d), sizeof d), 0);
    auto q = query(11, "big.example.org");
    std::vector<uint8_t> framed = {uint8_t(q.size() >> 8), uint8_t(q.size())};
    framed.insert(framed.end(), q.begin(), q.end());
    ASSERT_EQ(send(s.get(), framed.data(), framed.size(), 0), ssize_t(framed.size()));
    pollfd p{s.get(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    std::vector<uint8_t> buf(512);
    ssize_t n = recv(s.get(), buf.data(), buf.size(), 0);
    upstream.join();
    ASSERT_GT(n, 14);
    EXPECT_EQ(buf[3], 11);     // id
    EXPECT_EQ(buf[2 + 7], 1);  // ANCOUNT
    EXPECT_EQ(buf[size_t(n) - 1], 9);
}

}  // namespace
}  // namespace berth::hostnet

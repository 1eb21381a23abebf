// Embedded DNS server (see dns.h): one epoll thread; listeners bound inside containers'
// namespaces, queries answered from ResolveFn or forwarded upstream over UDP.
#include "hostnet/dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/fd.h"
#include "common/log.h"
#include "hostnet/dns_codec.h"
#include "hostnet/netns.h"

namespace berth::hostnet {

// Outside the anonymous namespace: DnsServer::Impl holds these (a unity build would warn).
struct SocketAddr {
    sockaddr_storage ss{};
    socklen_t len = 0;
};

namespace {

constexpr int kUpstreamTimeoutMs = 2000;  // per upstream tried
constexpr int kTcpIdleMs = 10000;
constexpr size_t kMaxTcpConns = 256;  // per server; beyond that new connections are refused

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::optional<SocketAddr> parse_upstream(const std::string& s) {
    std::string host = s;
    uint16_t port = 53;
    auto set_port = [&](const std::string& p) {
        if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
        int v = std::stoi(p);
        if (v <= 0 || v > 65535) return false;
        port = static_cast<uint16_t>(v);
        return true;
    };
    if (!s.empty() && s[0] == '[') {
        auto close = s.find(']');
        if (close == std::string::npos) return std::nullopt;
        host = s.substr(1, close - 1);
        if (close + 1 < s.size() && (s[close + 1] != ':' || !set_port(s.substr(close + 2))))
            return std::nullopt;
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        host = s.substr(0, s.find(':'));
        if (!set_port(s.substr(s.find(':') + 1))) return std::nullopt;
    }
    SocketAddr a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len = sizeof *v6;
    } else {
        return std::nullopt;
    }
    return a;
}

}  // namespace

struct DnsServer::Impl {
    // Upstream: a UDP query to an upstream; UpstreamTcp: the same over TCP, for TCP clients.
    enum class Kind { Udp, TcpListen, TcpConn, Upstream, UpstreamTcp };
    struct Entry {
        Kind kind;
        std::string container;
        UniqueFd fd;
        uint64_t token = 0;
        int64_t deadline = 0;         // TcpConn idle / Upstream attempt; 0: none
        std::vector<uint8_t> inbuf;   // TcpConn, UpstreamTcp
        std::vector<uint8_t> outbuf;  // UpstreamTcp: framed query not yet sent
        // Upstream: who asked and what.
        std::weak_ptr<Entry> client;  // a removed listener's late replies are dropped
        SocketAddr client_addr;
        std::vector<uint8_t> query;
        size_t attempt = 0;
    };
    using EntryPtr = std::shared_ptr<Entry>;

    ResolveFn resolve;
    UniqueFd ep;
    UniqueFd wake;
    std::thread thread;

    std::mutex mu;  // guards everything below
    bool stopping = false;
    std::vector<SocketAddr> upstreams;
    uint64_t next_token = 1;  // 0 is the wake eventfd
    std::unordered_map<uint64_t, EntryPtr> entries;
    std::unordered_map<std::string, std::vector<uint64_t>> by_container;  // listeners + conns
    size_t tcp_conns = 0;

    // Registers e in epoll and the table (mu held).
    static bool is_upstream(Kind k) { return k == Kind::Upstream || k == Kind::UpstreamTcp; }

    Result<> add_entry_locked(const EntryPtr& e, uint32_t events = EPOLLIN) {
        e->token = next_token++;
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = e->token;
        if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, e->fd.get(), &ev) != 0) return Error::sys("epoll_ctl");
        entries[e->token] = e;
        if (!is_upstream(e->kind)) by_container[e->container].push_back(e->token);
        if (e->kind == Kind::TcpConn) ++tcp_conns;
        return ok();
    }

    void drop_entry_locked(uint64_t token) {
        auto it = entries.find(token);
        if (it == entries.end()) return;
        // A failed DEL only leaves events for a token that find() no longer knows (skipped).
        (void)epoll_ctl(ep.get(), EPOLL_CTL_DEL, it->second->fd.get(), nullptr);  // see above
        if (it->second->kind == Kind::TcpConn) {
            --tcp_conns;
            auto c = by_container.find(it->second->container);
            if (c != by_container.end())
                c->second.erase(std::remove(c->second.begin(), c->second.end(), token), c->second.end());
        }
        entries.erase(it);  // the fd closes when the last reference (maybe a pending forward) goes
    }

    void remove_container_locked(const std::string& id) {
        auto it = by_container.find(id);
        if (it == by_container.end()) return;
        std::vector<uint64_t> tokens = std::move(it->second);
        by_container.erase(it);
        for (uint64_t t : tokens) drop_entry_locked(t);
    }

    EntryPtr find(uint64_t token) {
        std::lock_guard lock(mu);
        auto it = entries.find(token);
        return it == entries.end() ? nullptr : it->second;
    }

    void loop();
    void on_udp(const EntryPtr& e);
    void on_accept(const EntryPtr& e);
    void on_tcp_data(const EntryPtr& e);
    void on_upstream(const EntryPtr& e);
    void on_upstream_tcp(const EntryPtr& e, uint32_t events);
    void upstream_failed(const EntryPtr& e);
    void expire();
    void handle_query(const EntryPtr& client, const SocketAddr& from, std::vector<uint8_t> msg);
    void reply(const EntryPtr& client, const SocketAddr& to, const std::vector<uint8_t>& msg);
    void forward(const EntryPtr& client, const SocketAddr& from, std::vector<uint8_t> msg, size_t attempt);
    void forward_tcp(const EntryPtr& client, const SocketAddr& up, std::vector<uint8_t> msg, size_t attempt);
};

void DnsServer::Impl::reply(const EntryPtr& client, const SocketAddr& to, const std::vector<uint8_t>& msg) {
    if (client->kind == Kind::Udp) {
        // A lost UDP reply is ordinary DNS loss: the client retries.
        (void)sendto(client->fd.get(), msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL,  // see above
                     reinterpret_cast<const sockaddr*>(&to.ss), to.len);
        return;
    }
    if (msg.size() > 65535) return;
    std::vector<uint8_t> framed;
    framed.reserve(msg.size() + 2);
    framed.push_back(static_cast<uint8_t>(msg.size() >> 8));
    framed.push_back(static_cast<uint8_t>(msg.size()));
    framed.insert(framed.end(), msg.begin(), msg.end());
    // Replies are small and the socket buffer empty; a client that does not read loses it.
    (void)send(client->fd.get(), framed.data(), framed.size(), MSG_DONTWAIT | MSG_NOSIGNAL);  // see above
}

void DnsServer::Impl::handle_query(const EntryPtr& client, const SocketAddr& from, std::vector<uint8_t> msg) {
    auto parsed = dns::parse_query(msg);
    if (!parsed) {
        // Answer FORMERR only to something that looks like a query; drop the rest.
        if (msg.size() >= 12 && !(msg[2] & 0x80))
            reply(client, from, dns::build_error(msg, dns::kRcodeFormErr));
        return;
    }
    const dns::Query& q = *parsed;
    if ((q.flags & 0x7800) != 0) return reply(client, from, dns::build_response(q, dns::kRcodeNotImp));
    if (q.questions.size() != 1) return reply(client, from, dns::build_response(q, dns::kRcodeFormErr));
    const dns::Question& question = q.questions[0];
    if (question.cls == dns::kClassIN && (question.type == dns::kTypeA || question.type == dns::kTypeAAAA)) {
        std::vector<std::string> ips;
        try {
            ips = resolve(client->container, dns::normalize(question.name));
        } catch (const std::exception& e) {
            // The daemon's lookup is in-memory: this is std::bad_alloc or a mutex's
            // std::system_error. Answer as "not mine" (forwarded), but say so.
            log::warn(std::string("dns: name lookup failed, forwarding: ") + e.what());
            ips.clear();
        }
        if (!ips.empty()) return reply(client, from, dns::build_response(q, dns::kRcodeNoError, ips));
    }
    forward(client, from, std::move(msg), 0);
}

void DnsServer::Impl::forward(const EntryPtr& client, const SocketAddr& from, std::vector<uint8_t> msg,
                              size_t attempt) {
    SocketAddr up;
    {
        std::lock_guard lock(mu);
        if (attempt >= upstreams.size())
            up.len = 0;
        else
            up = upstreams[attempt];
    }
    if (up.len == 0) return reply(client, from, dns::build_error(msg, dns::kRcodeServFail));
    if (client->kind == Kind::TcpConn) return forward_tcp(client, up, std::move(msg), attempt);
    auto e = std::make_shared<Entry>();
    e->kind = Kind::Upstream;
    e->container = client->container;
    e->fd = UniqueFd(socket(up.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    // A connected socket only accepts datagrams from the upstream it asked.
    if (!e->fd || connect(e->fd.get(), reinterpret_cast<const sockaddr*>(&up.ss), up.len) != 0 ||
        send(e->fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0)
        return forward(client, from, std::move(msg), attempt + 1);
    e->client = client;
    e->client_addr = from;
    e->query = std::move(msg);
    e->attempt = attempt;
    e->deadline = now_ms() + kUpstreamTimeoutMs;
    std::lock_guard lock(mu);
    if (!add_entry_locked(e)) reply(client, from, dns::build_error(e->query, dns::kRcodeServFail));
}

// A TCP client's query goes upstream over TCP too: a large answer would come back
// truncated over UDP, and the client asked over TCP precisely because of that.
void DnsServer::Impl::forward_tcp(const EntryPtr& client, const SocketAddr& up, std::vector<uint8_t> msg,
                                  size_t attempt) {
    auto e = std::make_shared<Entry>();
    e->kind = Kind::UpstreamTcp;
    e->container = client->container;
    e->fd = UniqueFd(socket(up.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!e->fd || (connect(e->fd.get(), reinterpret_cast<const sockaddr*>(&up.ss), up.len) != 0 &&
                   errno != EINPROGRESS))
        return forward(client, SocketAddr{}, std::move(msg), attempt + 1);
    e->outbuf = {static_cast<uint8_t>(msg.size() >> 8), static_cast<uint8_t>(msg.size())};
    e->outbuf.insert(e->outbuf.end(), msg.begin(), msg.end());
    e->client = client;
    e->query = std::move(msg);
    e->attempt = attempt;
    e->deadline = now_ms() + kUpstreamTimeoutMs;
    std::lock_guard lock(mu);
    if (!add_entry_locked(e, EPOLLOUT))
        reply(client, SocketAddr{}, dns::build_error(e->query, dns::kRcodeServFail));
}

void DnsServer::Impl::upstream_failed(const EntryPtr& e) {
    {
        std::lock_guard lock(mu);
        drop_entry_locked(e->token);
    }
    if (EntryPtr client = e->client.lock())
        forward(client, e->client_addr, std::move(e->query), e->attempt + 1);
}

void DnsServer::Impl::on_upstream_tcp(const EntryPtr& e, uint32_t events) {
    if (!e->outbuf.empty()) {  // connecting / sending the query
        if (events & (EPOLLERR | EPOLLHUP)) return upstream_failed(e);
        ssize_t n = send(e->fd.get(), e->outbuf.data(), e->outbuf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            return upstream_failed(e);
        }
        e->outbuf.erase(e->outbuf.begin(), e->outbuf.begin() + n);
        if (e->outbuf.empty()) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = e->token;
            if (epoll_ctl(ep.get(), EPOLL_CTL_MOD, e->fd.get(), &ev) != 0) return upstream_failed(e);
        }
        return;
    }
    uint8_t buf[4096];
    ssize_t n = recv(e->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return upstream_failed(e);
    e->inbuf.insert(e->inbuf.end(), buf, buf + n);
    if (e->inbuf.size() < 2) return;
    size_t len = size_t(e->inbuf[0]) << 8 | e->inbuf[1];
    if (e->inbuf.size() < 2 + len) return;
    if (len < 12 || e->inbuf[2] != e->query[0] || e->inbuf[3] != e->query[1]) return upstream_failed(e);
    {
        std::lock_guard lock(mu);
        drop_entry_locked(e->token);
    }
    if (EntryPtr client = e->client.lock())
        reply(client, SocketAddr{},
              std::vector<uint8_t>(e->inbuf.begin() + 2, e->inbuf.begin() + 2 + long(len)));
}

void DnsServer::Impl::on_udp(const EntryPtr& e) {
    std::vector<uint8_t> buf(65536);
    for (int i = 0; i < 64; ++i) {  // bounded so one busy container cannot starve others
        SocketAddr from;
        from.len = sizeof from.ss;
        ssize_t n = recvfrom(e->fd.get(), buf.data(), buf.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from.ss), &from.len);
        if (n < 0) return;
        handle_query(e, from, std::vector<uint8_t>(buf.begin(), buf.begin() + n));
    }
}

void DnsServer::Impl::on_accept(const EntryPtr& e) {
    for (int i = 0; i < 16; ++i) {
        UniqueFd c(accept4(e->fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!c) return;
        auto conn = std::make_shared<Entry>();
        conn->kind = Kind::TcpConn;
        conn->container = e->container;
        conn->fd = std::move(c);
        conn->deadline = now_ms() + kTcpIdleMs;
        std::lock_guard lock(mu);
        if (tcp_conns >= kMaxTcpConns || !entries.count(e->token)) continue;  // closes it
        (void)add_entry_locked(conn);  // on failure conn goes here, closing the connection
    }
}

void DnsServer::Impl::on_tcp_data(const EntryPtr& e) {
    uint8_t buf[4096];
    ssize_t n = recv(e->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        std::lock_guard lock(mu);
        drop_entry_locked(e->token);
        return;
    }
    e->inbuf.insert(e->inbuf.end(), buf, buf + n);
    e->deadline = now_ms() + kTcpIdleMs;
    while (e->inbuf.size() >= 2) {
        size_t len = size_t(e->inbuf[0]) << 8 | e->inbuf[1];
        if (e->inbuf.size() < 2 + len) break;
        std::vector<uint8_t> msg(e->inbuf.begin() + 2, e->inbuf.begin() + 2 + long(len));
        e->inbuf.erase(e->inbuf.begin(), e->inbuf.begin() + 2 + long(len));
        handle_query(e, SocketAddr{}, std::move(msg));
    }
}

void DnsServer::Impl::on_upstream(const EntryPtr& e) {
    std::vector<uint8_t> buf(65536);
    ssize_t n = recv(e->fd.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    {
        std::lock_guard lock(mu);
        drop_entry_locked(e->token);
    }
    // A reply must carry the query's id; anything else (or ICMP refused) tries the next upstream.
    EntryPtr client = e->client.lock();
    if (!client) return;
    if (n < 12 || buf[0] != e->query[0] || buf[1] != e->query[1])
        return forward(client, e->client_addr, std::move(e->query), e->attempt + 1);
    buf.resize(size_t(n));
    reply(client, e->client_addr, buf);
}

void DnsServer::Impl::expire() {
    int64_t now = now_ms();
    std::vector<EntryPtr> due;
    {
        std::lock_guard lock(mu);
        for (auto& [token, e] : entries)
            if (e->deadline && e->deadline <= now) due.push_back(e);
        for (auto& e : due) drop_entry_locked(e->token);
    }
    for (auto& e : due) {
        if (is_upstream(e->kind)) upstream_failed(e);
    }
}

void DnsServer::Impl::loop() {
    epoll_event events[64];
    while (true) {
        int timeout = -1;
        {
            std::lock_guard lock(mu);
            if (stopping) return;
            int64_t now = now_ms(), next = 0;
            for (auto& [token, e] : entries)
                if (e->deadline && (!next || e->deadline < next)) next = e->deadline;
            if (next) timeout = static_cast<int>(std::max<int64_t>(0, next - now));
        }
        int n = epoll_wait(ep.get(), events, 64, timeout);
        if (n < 0 && errno != EINTR) {
            log::error(std::string("dns: epoll_wait: ") + strerror(errno));
            return;
        }
        for (int i = 0; i < n; ++i) {
            uint64_t token = events[i].data.u64;
            if (token == 0) {
                uint64_t v;
                (void)!read(wake.get(), &v, sizeof v);  // drains the wake-up; EAGAIN is fine
                continue;
            }
            EntryPtr e = find(token);
            if (!e) continue;  // removed after epoll_wait returned
            switch (e->kind) {
                case Kind::Udp:
                    on_udp(e);
                    break;
                case Kind::TcpListen:
                    on_accept(e);
                    break;
                case Kind::TcpConn:
                    on_tcp_data(e);
                    break;
                case Kind::Upstream:
                    on_upstream(e);
                    break;
                case Kind::UpstreamTcp:
                    on_upstream_tcp(e, events[i].events);
                    break;
            }
        }
        expire();
    }
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<DnsServer>> DnsServer::start(ResolveFn resolve, std::vector<std::string> upstreams) {
    auto impl = std::make_unique<Impl>();
    impl->resolve = std::move(resolve);
    impl->ep = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    if (!impl->ep) return Error::sys("epoll_create1");
    impl->wake = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!impl->wake) return Error::sys("eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (epoll_ctl(impl->ep.get(), EPOLL_CTL_ADD, impl->wake.get(), &ev) != 0) return Error::sys("epoll_ctl");
    std::unique_ptr<DnsServer> server(new DnsServer(std::move(impl)));
    server->set_upstreams(std::move(upstreams));
    Impl* p = server->impl_.get();
    try {
        p->thread = std::thread([p] {
            try {
                p->loop();
            } catch (const std::exception& e) {
                log::error(std::string("dns server stopped: ") + e.what());
            }
        });
    } catch (const std::exception& e) {
        return Error::internal(std::string("dns: cannot start thread: ") + e.what());
    }
    return server;
}

DnsServer::~DnsServer() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    uint64_t one = 1;
    (void)!write(impl_->wake.get(), &one, sizeof one);  // cannot fail: the counter never nears overflow
    if (impl_->thread.joinable()) impl_->thread.join();
}

void DnsServer::set_upstreams(std::vector<std::string> upstreams) {
    std::vector<SocketAddr> parsed;
    for (const std::string& u : upstreams) {
        if (auto a = parse_upstream(u))
            parsed.push_back(*a);
        else
            log::warn("dns: ignoring invalid upstream \"" + u + "\"");
    }
    std::lock_guard lock(impl_->mu);
    impl_->upstreams = std::move(parsed);
}

namespace {

// UDP and TCP sockets on ip:port in the current namespace; TCP takes the port UDP got.
Result<std::pair<UniqueFd, UniqueFd>> bind_pair(const std::string& ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
        return Error::invalid("dns: invalid listen address " + ip);
    const std::string where = ip + ":" + std::to_string(port);
    UniqueFd udp(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!udp) return Error::sys("socket");
    if (bind(udp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Error::sys("bind udp", where);
    socklen_t len = sizeof a;
    if (getsockname(udp.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) return Error::sys("getsockname");
    UniqueFd tcp(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!tcp) return Error::sys("socket");
    int one = 1;
    (void)setsockopt(tcp.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // else bind below fails
    if (bind(tcp.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Error::sys("bind tcp", where);
    if (listen(tcp.get(), 64) != 0) return Error::sys("listen", where);
    return std::make_pair(std::move(udp), std::move(tcp));
}

}  // namespace

static Result<uint16_t> register_pair(DnsServer::Impl& impl, const std::string& id, UniqueFd udp,
                                      UniqueFd tcp) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (getsockname(udp.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) return Error::sys("getsockname");
    auto u = std::make_shared<DnsServer::Impl::Entry>();
    u->kind = DnsServer::Impl::Kind::Udp;
    u->container = id;
    u->fd = std::move(udp);
    auto t = std::make_shared<DnsServer::Impl::Entry>();
    t->kind = DnsServer::Impl::Kind::TcpListen;
    t->container = id;
    t->fd = std::move(tcp);
    std::lock_guard lock(impl.mu);
    impl.remove_container_locked(id);
    auto r = impl.add_entry_locked(u);
    if (r) r = impl.add_entry_locked(t);
    if (!r) {
        impl.remove_container_locked(id);
        return std::move(r).error();
    }
    return ntohs(a.sin_port);
}

Result<> DnsServer::add_container(const std::string& container_id, const std::string& netns_path) {
    remove_container(container_id);  // frees 127.0.0.11:53 in that namespace
    UniqueFd udp, tcp;
    BERTH_TRY_CTX(run_in_netns(netns_path,
                               [&]() -> Result<> {
                                   auto pair = BERTH_TRY(bind_pair("127.0.0.11", 53));
                                   udp = std::move(pair.first);
                                   tcp = std::move(pair.second);
                                   return ok();
                               }),
                  "embedded dns for " + container_id);
    BERTH_TRY(register_pair(*impl_, container_id, std::move(udp), std::move(tcp)));
    return ok();
}

Result<uint16_t> DnsServer::add_listener(const std::string& container_id, const std::string& ip,
                                         uint16_t port) {
    auto pair = BERTH_TRY(bind_pair(ip, port));
    return register_pair(*impl_, container_id, std::move(pair.first), std::move(pair.second));
}

void DnsServer::remove_container(const std::string& container_id) {
    std::lock_guard lock(impl_->mu);
    impl_->remove_container_locked(container_id);
}

}  // namespace berth::hostnet

// HTTP/1.1 requests to the daemon: request writing, response heads, bodies (length,
// chunked, until close), version negotiation, hijacking. See connection.h for why by hand.
#include "cli/client/client.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "cli/client/connection.h"
#include "common/strings.h"
#include "common/sys.h"

namespace berth::cli::client {
namespace {

// Reads the status line and headers; leaves the body bytes in c.buf.
Result<> read_head(Connection& c, int& status, std::map<std::string, std::string>& headers) {
    size_t end;
    while ((end = c.buf.find("\r\n\r\n")) == std::string::npos) {
        if (c.buf.size() > (1u << 20)) return Error::internal("response header too large");
        bool more = BERTH_TRY(c.fill());
        if (!more) return Error(ErrorKind::Unavailable, "daemon closed the connection before answering");
    }
    std::string head = c.buf.substr(0, end);
    c.buf.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    size_t sp = status_line.find(' ');
    if (sp == std::string::npos || status_line.compare(0, 5, "HTTP/") != 0)
        return Error::internal("malformed response from daemon: " + status_line);
    status = std::atoi(status_line.c_str() + sp + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string_view line(head.data() + pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos)
            headers[to_lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
        pos = e + 2;
    }
    return ok();
}

ErrorKind kind_for_status(int status) {
    switch (status) {
        case 400:
            return ErrorKind::InvalidArgument;
        case 401:
        case 403:
            return ErrorKind::PermissionDenied;
        case 404:
            return ErrorKind::NotFound;
        case 409:
            return ErrorKind::Conflict;
        case 501:
            return ErrorKind::Unsupported;
        case 503:
            return ErrorKind::Unavailable;
        default:
            return ErrorKind::Internal;
    }
}

}  // namespace

// ---- hosts ----

Result<HostSpec> parse_host(std::string_view host, bool tls) {
    HostSpec h;
    if (host.empty()) host = kDefaultHost;
    if (host.front() == '/') {
        h.path = std::string(host);
        return h;
    }
    if (host.starts_with("unix://")) {
        h.path = std::string(host.substr(7));
        if (h.path.empty()) return Error::invalid("invalid host: " + std::string(host));
        return h;
    }
    if (host.starts_with("tcp://") || host.starts_with("http://") || host.starts_with("https://")) {
        std::string_view rest = host.substr(host.find("://") + 3);
        if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
        h.kind = HostSpec::Kind::Tcp;
        h.port = tls || host.starts_with("https://") ? 2376 : 2375;
        std::string_view name = rest;
        if (!rest.empty() && rest.front() == '[') {  // [v6]:port
            auto close = rest.find(']');
            if (close == std::string_view::npos) return Error::invalid("invalid host: " + std::string(host));
            name = rest.substr(1, close - 1);
            rest = rest.substr(close + 1);
            if (rest.starts_with(":"))
                rest.remove_prefix(1);
            else
                rest = {};
        } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            name = rest.substr(0, colon);
            rest = rest.substr(colon + 1);
        } else {
            rest = {};
        }
        if (!rest.empty()) {
            char* end = nullptr;
            std::string p(rest);
            long port = std::strtol(p.c_str(), &end, 10);
            if (*end != '\0' || port <= 0 || port > 65535)
                return Error::invalid("invalid host: " + std::string(host) + ": invalid port");
            h.port = static_cast<uint16_t>(port);
        }
        h.host = name.empty() ? "localhost" : std::string(name);
        return h;
    }
    if (host.starts_with("ssh://") || host.starts_with("npipe://") || host.starts_with("fd://"))
        return Error::unsupported("unsupported host scheme: " + std::string(host));
    return Error::invalid("unable to parse docker host `" + std::string(host) + "`");
}

std::string select_host(const std::string& flag_host) {
    if (!flag_host.empty()) return flag_host;
    for (const char* name : {"BERTH_HOST", "DOCKER_HOST"}) {
        const char* v = std::getenv(name);
        if (v && *v) return v;
    }
    return std::string(kDefaultHost);
}

// ---- queries ----

Query& Query::add(std::string_view key, std::string_view value) {
    items_.emplace_back(std::string(key), std::string(value));
    return *this;
}

Result<Query*> Query::add_filters(const std::vector<std::string>& items) {
    if (items.empty()) return this;
    Json f = Json::object();
    for (const auto& item : items) {
        auto eq = item.find('=');
        if (eq == std::string::npos) return Error::invalid("bad format of filter (expected name=value)");
        std::string key = to_lower(trim(item.substr(0, eq)));
        std::string value = trim(item.substr(eq + 1));
        f[key][value] = true;
    }
    add("filters", dump_json(f));
    return this;
}

std::string Query::str() const {
    std::string out;
    for (const auto& [k, v] : items_) {
        out += out.empty() ? '?' : '&';
        out += percent_encode(k);
        out += '=';
        out += percent_encode(v);
    }
    return out;
}

std::string Response::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

// ---- Stream ----

Stream::Stream() = default;
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

std::string Stream::header(const std::string& name) const {
    auto it = headers_.find(name);
    return it == headers_.end() ? std::string() : it->second;
}

int Stream::fd() const {
    return conn_ ? conn_->fd() : -1;
}
void Stream::close() {
    conn_.reset();
}

Result<std::string> Stream::read() {
    if (done_ || !conn_) return std::string();
    Connection& c = *conn_;
    if (!chunked_) {
        if (remaining_ == 0) {
            done_ = true;
            return std::string();
        }
        if (c.buf.empty()) {
            bool more = BERTH_TRY(c.fill());
            if (!more) {
                done_ = true;
                if (remaining_ > 0) return Error(ErrorKind::Unavailable, "unexpected EOF from daemon");
                return std::string();
            }
        }
        size_t n = c.buf.size();
        if (remaining_ >= 0) n = std::min<size_t>(n, static_cast<size_t>(remaining_));
        std::string out = c.buf.substr(0, n);
        c.buf.erase(0, n);
        if (remaining_ >= 0) remaining_ -= static_cast<int64_t>(n);
        return out;
    }
    for (;;) {
        if (chunk_left_ > 0) {
            if (c.buf.empty()) {
                bool more = BERTH_TRY(c.fill());
                if (!more) {
                    done_ = true;
                    return Error(ErrorKind::Unavailable, "unexpected EOF from daemon");
                }
            }
            size_t n = std::min<size_t>(c.buf.size(), chunk_left_);
            std::string out = c.buf.substr(0, n);
            c.buf.erase(0, n);
            chunk_left_ -= n;
            if (chunk_left_ == 0) crlf_pending_ = true;
            return out;
        }
        size_t want_crlf = crlf_pending_ ? 2 : 0;
        size_t eol;
        while ((eol = c.buf.find("\r\n", want_crlf)) == std::string::npos) {
            bool more = BERTH_TRY(c.fill());
            if (!more) {
                done_ = true;
                return std::string();  // daemon went away mid-stream (e.g. it stopped)
            }
        }
        std::string size_line = c.buf.substr(want_crlf, eol - want_crlf);
        c.buf.erase(0, eol + 2);
        crlf_pending_ = false;
        chunk_left_ = std::strtoull(size_line.c_str(), nullptr, 16);
        if (chunk_left_ == 0) {
            done_ = true;  // trailers ignored
            return std::string();
        }
    }
}

Result<std::optional<std::string>> Stream::read_line() {
    for (;;) {
        auto nl = line_buf_.find('\n');
        if (nl != std::string::npos) {
            std::string line = line_buf_.substr(0, nl);
            line_buf_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            return std::optional<std::string>(std::move(line));
        }
        std::string data = BERTH_TRY(read());
        if (data.empty()) {
            if (line_buf_.empty()) return std::optional<std::string>();
            return std::optional<std::string>(std::exchange(line_buf_, {}));
        }
        line_buf_ += data;
    }
}

Result<Response> Stream::finish() {
    if (!conn_) return Error(ErrorKind::Unavailable, "connection closed");
    if (head_pending_) {
        head_pending_ = false;
        BERTH_TRY(read_head(*conn_, status_, headers_));
        auto te = headers_.find("transfer-encoding");
        chunked_ = te != headers_.end() && to_lower(te->second).find("chunked") != std::string::npos;
        auto cl = headers_.find("content-length");
        remaining_ = !chunked_ && cl != headers_.end() ? std::atoll(cl->second.c_str()) : -1;
        if (status_ == 204 || status_ == 304) remaining_ = 0;
    }
    Response r;
    r.status = status_;
    r.headers = headers_;
    for (;;) {
        std::string d = BERTH_TRY(read());
        if (d.empty()) break;
        r.body += d;
    }
    return r;
}

// ---- Hijacked ----

Hijacked::Hijacked() = default;
Hijacked::Hijacked(Hijacked&&) noexcept = default;
Hijacked& Hijacked::operator=(Hijacked&&) noexcept = default;
Hijacked::~Hijacked() = default;

Result<std::string> Hijacked::read() {
    if (!conn_) return std::string();
    if (conn_->buf.empty()) {
        bool more = BERTH_TRY(conn_->fill());
        if (!more) return std::string();
    }
    return std::exchange(conn_->buf, {});
}

Result<> Hijacked::write(std::string_view data) {
    if (!conn_) return Error(ErrorKind::Unavailable, "connection closed");
    return conn_->write_all(data);
}

void Hijacked::close_write() {
    if (conn_) conn_->shutdown_write();
}

int Hijacked::fd() const {
    return conn_ ? conn_->fd() : -1;
}
bool Hijacked::has_buffered() const {
    return conn_ && (!conn_->buf.empty() || conn_->tls_pending());
}
void Hijacked::close() {
    conn_.reset();
}

// ---- Client ----

Client::Client(ClientOptions options) : options_(std::move(options)) {
    if (!options_.api_version.empty()) version_ = options_.api_version;
}

Result<std::unique_ptr<Connection>> Client::connect() {
    HostSpec h = BERTH_TRY(parse_host(options_.host, options_.tls.enabled));
    return Connection::open(h, options_.tls, options_.host);
}

Result<> Client::send_request(Connection& c, std::string_view method, const std::string& target,
                              std::string_view body, const std::map<std::string, std::string>& headers) {
    std::string req;
    req.reserve(256 + body.size());
    req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    req += "Host: api.moby.localhost\r\nUser-Agent: Berth-Client/0.1.0 (linux)\r\n";
    bool has_type = false;
    for (const auto& [k, v] : headers) {
        req += k + ": " + v + "\r\n";
        if (to_lower(k) == "content-type") has_type = true;
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
        if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req.append(body);
    return c.write_all(req);
}

Result<Response> Client::ping() {
    auto c = BERTH_TRY(connect());
    BERTH_TRY(send_request(*c, "GET", "/_ping", {}, {}));
    Stream s;
    BERTH_TRY(read_head(*c, s.status_, s.headers_));
    s.conn_ = std::move(c);
    auto it = s.headers_.find("transfer-encoding");
    s.chunked_ = it != s.headers_.end() && to_lower(it->second).find("chunked") != std::string::npos;
    auto cl = s.headers_.find("content-length");
    s.remaining_ = cl != s.headers_.end() ? std::atoll(cl->second.c_str()) : -1;
    Response r;
    r.status = s.status_;
    r.headers = s.headers_;
    for (;;) {
        std::string d = BERTH_TRY(s.read());
        if (d.empty()) break;
        r.body += d;
    }
    return r;
}

Result<std::string> Client::api_version() {
    if (!version_.empty()) return version_;
    Response r = BERTH_TRY(ping());
    std::string v = r.header("api-version");
    if (v.empty()) v = r.status == 200 ? std::string(kMaxApiVersion) : "1.24";
    // The lower of the two, compared numerically (1.9 < 1.10).
    auto num = [](const std::string& s) {
        int a = 0, b = 0;
        std::sscanf(s.c_str(), "%d.%d", &a, &b);
        return a * 1000 + b;
    };
    version_ = num(v) < num(std::string(kMaxApiVersion)) ? v : std::string(kMaxApiVersion);
    return version_;
}

Result<std::string> Client::versioned(std::string_view path, const Query& q) {
    std::string v = BERTH_TRY(api_version());
    return "/v" + v + std::string(path) + q.str();
}

Error Client::daemon_error(const Response& r) {
    std::string msg;
    auto j = parse_json(r.body);
    if (j && j->is_object() && j->contains("message") && (*j)["message"].is_string())
        msg = (*j)["message"].get<std::string>();
    else
        msg = trim(r.body);
    if (msg.empty()) msg = "HTTP " + std::to_string(r.status);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Error(kind_for_status(r.status), "Error response from daemon: " + msg);
}

Result<Stream> Client::stream(std::string_view method, std::string_view path, const Query& q,
                              std::string_view body, int body_fd, const std::string& content_type,
                              const std::map<std::string, std::string>& extra_headers) {
    std::string target = BERTH_TRY(versioned(path, q));
    auto c = BERTH_TRY(connect());
    if (body_fd >= 0) {
        std::string head;
        head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
        head += "Host: api.moby.localhost\r\nUser-Agent: Berth-Client/0.1.0 (linux)\r\n";
        for (const auto& [k, v] : extra_headers) head += k + ": " + v + "\r\n";
        head += "Content-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        BERTH_TRY(c->write_all(head));
        char buf[1 << 16];
        for (;;) {
            ssize_t n = sys::retry_eintr([&] { return ::read(body_fd, buf, sizeof buf); });
            if (n < 0) return Error::sys("read input");
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", static_cast<size_t>(n));
            std::string chunk = size;
            chunk.append(buf, static_cast<size_t>(n));
            chunk += "\r\n";
            if (n == 0) chunk = "0\r\n\r\n";
            BERTH_TRY(c->write_all(chunk));
            if (n == 0) break;
        }
    } else {
        std::map<std::string, std::string> headers = extra_headers;
        if (!body.empty()) headers["Content-Type"] = content_type;
        BERTH_TRY(send_request(*c, method, target, body, headers));
    }
    Stream s;
    BERTH_TRY(read_head(*c, s.status_, s.headers_));
    auto te = s.headers_.find("transfer-encoding");
    s.chunked_ = te != s.headers_.end() && to_lower(te->second).find("chunked") != std::string::npos;
    auto cl = s.headers_.find("content-length");
    s.remaining_ = !s.chunked_ && cl != s.headers_.end() ? std::atoll(cl->second.c_str()) : -1;
    if (method == "HEAD" || s.status_ == 204 || s.status_ == 304) s.remaining_ = 0;
    s.conn_ = std::move(c);
    if (s.status_ >= 400) {
        Response r;
        r.status = s.status_;
        for (;;) {
            std::string d = BERTH_TRY(s.read());
            if (d.empty()) break;
            r.body += d;
        }
        return daemon_error(r);
    }
    return s;
}

Result<Response> Client::request(std::string_view method, std::string_view path, const Query& q,
                                 std::string_view body, const std::map<std::string, std::string>& headers) {
    std::string target = BERTH_TRY(versioned(path, q));
    auto c = BERTH_TRY(connect());
    BERTH_TRY(send_request(*c, method, target, body, headers));
    Stream s;
    BERTH_TRY(read_head(*c, s.status_, s.headers_));
    auto te = s.headers_.find("transfer-encoding");
    s.chunked_ = te != s.headers_.end() && to_lower(te->second).find("chunked") != std::string::npos;
    auto cl = s.headers_.find("content-length");
    s.remaining_ = !s.chunked_ && cl != s.headers_.end() ? std::atoll(cl->second.c_str()) : -1;
    if (method == "HEAD" || s.status_ == 204 || s.status_ == 304) s.remaining_ = 0;
    s.conn_ = std::move(c);
    Response r;
    r.status = s.status_;
    r.headers = s.headers_;
    for (;;) {
        std::string d = BERTH_TRY(s.read());
        if (d.empty()) break;
        r.body += d;
    }
    return r;
}

Result<Response> Client::call(std::string_view method, std::string_view path, const Query& q,
                              std::string_view body, const std::map<std::string, std::string>& headers) {
    Response r = BERTH_TRY(request(method, path, q, body, headers));
    if (r.status >= 400) return daemon_error(r);
    return r;
}

Result<Json> Client::get_json(std::string_view path, const Query& q) {
    Response r = BERTH_TRY(call("GET", path, q));
    return parse_json(r.body, "daemon response");
}

Result<Json> Client::post_json(std::string_view path, const Query& q, const Json& body) {
    Response r = BERTH_TRY(call("POST", path, q, body.is_null() ? std::string() : dump_json(body)));
    if (r.body.empty() || r.status == 204) return Json();
    return parse_json(r.body, "daemon response");
}

Result<Stream> Client::send(std::string_view method, std::string_view path, const Query& q,
                            std::string_view body) {
    std::string target = BERTH_TRY(versioned(path, q));
    auto c = BERTH_TRY(connect());
    BERTH_TRY(send_request(*c, method, target, body, {}));
    Stream s;
    s.conn_ = std::move(c);
    s.head_pending_ = true;
    return s;
}

Result<Hijacked> Client::hijack(std::string_view method, std::string_view path, const Query& q,
                                std::string_view body) {
    std::string target = BERTH_TRY(versioned(path, q));
    auto c = BERTH_TRY(connect());
    BERTH_TRY(send_request(*c, method, target, body, {{"Connection", "Upgrade"}, {"Upgrade", "tcp"}}));
    int status = 0;
    std::map<std::string, std::string> headers;
    BERTH_TRY(read_head(*c, status, headers));
    if (status >= 400) {
        Stream s;
        s.status_ = status;
        s.headers_ = headers;
        auto cl = headers.find("content-length");
        s.remaining_ = cl != headers.end() ? std::atoll(cl->second.c_str()) : -1;
        auto te = headers.find("transfer-encoding");
        s.chunked_ = te != headers.end() && to_lower(te->second).find("chunked") != std::string::npos;
        s.conn_ = std::move(c);
        Response r;
        r.status = status;
        for (;;) {
            std::string d = BERTH_TRY(s.read());
            if (d.empty()) break;
            r.body += d;
        }
        return daemon_error(r);
    }
    Hijacked h;
    h.conn_ = std::move(c);
    return h;
}

}  // namespace berth::cli::client

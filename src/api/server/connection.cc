// One HTTP/1.1 connection: request parsing with Beast (the only translation unit that
// instantiates Beast's parser), dispatch to the worker pool, response writing, keep-alive
// and closing. Response heads are written by hand: they are a few lines, and one write
// queue of plain strings then serves whole responses, chunks and hijacked bytes alike.
#include "api/server/connection.h"

#include <strings.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "api/server/errors.h"
#include "common/log.h"

namespace berth::api::detail {

namespace http = boost::beast::http;

struct Connection::Parsers {
    std::optional<http::request_parser<http::empty_body>> header;
    std::optional<http::request_parser<http::string_body>> whole;
    std::optional<http::request_parser<http::buffer_body>> stream;
};

namespace {

constexpr std::size_t kDrainBudget = 1024 * 1024;  // bytes read and dropped before a close
constexpr std::chrono::milliseconds kDrainTime{1000};

bool is_http_error(const error_code& ec) {
    return &ec.category() == &http::make_error_code(http::error::bad_target).category();
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool contains_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view reason_phrase(int status) {
    auto r = http::obsolete_reason(static_cast<http::status>(status));
    return {r.data(), r.size()};
}

// Header values come from handlers; never let one smuggle a line break into the response.
void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    for (char c : value) {
        if (c != '\r' && c != '\n') out.push_back(c);
    }
    out.append("\r\n");
}

}  // namespace

std::string format_common_headers(const ServerConfig& config, const Router& router) {
    std::string out;
    append_field(out, "Api-Version", router.max_version());
    append_field(out, "Docker-Experimental", config.experimental ? "true" : "false");
    append_field(out, "Ostype", "linux");
    append_field(out, "Server", config.server_header);
    return out;
}

Connection::Connection(ServerCore& core, std::unique_ptr<Transport> t)
    : core_(core),
      t_(std::move(t)),
      stream_(t_.get()),
      timer_(t_->executor()),
      parsers_(std::make_unique<Parsers>()) {}

Connection::~Connection() {
    if (id_ != 0) core_.remove_connection(id_);
}

void Connection::post(std::function<void()> fn) {
    asio::post(t_->executor(), std::move(fn));
}

void Connection::start() {
    id_ = core_.add_connection(weak_from_this());
    post([self = shared_from_this()] { self->do_handshake(); });
}

void Connection::begin_shutdown() {
    post([self = shared_from_this()] {
        self->stopping_ = true;
        // Idle and hijacked connections (attach sessions have no natural end) close now;
        // streams hear "disconnect" so /events-like handlers finish their response.
        if (self->idle_ || self->hijacked_) return self->close_now();
        if (self->streaming_) self->mark_gone();
    });
}

void Connection::force_close() {
    post([self = shared_from_this()] { self->close_now(); });
}

void Connection::arm_timer(std::chrono::milliseconds d) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
        if (!ec && gen == self->timer_gen_) self->close_now();
    });
}

void Connection::cancel_timer() {
    ++timer_gen_;
    timer_.cancel();
}

void Connection::do_handshake() {
    if (stopping_) return close_now();
    if (!t_->is_tls()) return read_header();
    arm_timer(core_.config.tls_handshake_timeout);
    t_->handshake([self = shared_from_this()](const error_code& ec) {
        self->cancel_timer();
        if (ec) {
            log::debug("api: tls handshake failed: " + ec.message());
            return self->close_now();
        }
        self->read_header();
    });
}

void Connection::read_header() {
    if (closed_) return;
    if (stopping_) return close_now();
    req_.reset();
    route_ = nullptr;
    early_.reset();
    keep_alive_ = true;
    is_head_ = false;
    parsers_->whole.reset();
    parsers_->stream.reset();
    auto& p = parsers_->header.emplace();
    p.header_limit(static_cast<std::uint32_t>(core_.config.max_header_bytes));
    p.body_limit(boost::none);  // checked per route once the header is known
    idle_ = true;
    if (core_.config.idle_timeout.count() > 0) arm_timer(core_.config.idle_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, p,
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                                self->reading_ = false;
                                self->on_header(ec);
                            });
}

void Connection::on_header(const error_code& ec) {
    idle_ = false;
    cancel_timer();
    if (closed_) return;
    if (ec) {
        if (!is_http_error(ec) || ec == http::error::end_of_stream) return close_now();
        keep_alive_ = false;
        int status = ec == http::error::header_limit ? 431 : 400;
        write_response(error_response(status, "malformed HTTP request: " + ec.message()));
        return queue_action(Action::FinishExchange);
    }
    const auto& msg = parsers_->header->get();
    req_ = std::make_shared<Request>();
    auto sv = [](auto s) { return std::string_view(s.data(), s.size()); };
    req_->method = std::string(sv(msg.method_string()));
    req_->target = std::string(sv(msg.target()));
    for (const auto& f : msg) req_->headers.add(sv(f.name_string()), sv(f.value()));
    keep_alive_ = msg.keep_alive();
    is_head_ = msg.method() == http::verb::head;
    req_->upgrade =
        contains_token(req_->headers.value("Connection"), "upgrade") && req_->headers.has("Upgrade");
    route_and_dispatch();
}

void Connection::route_and_dispatch() {
    std::string_view target = req_->target;
    std::size_t qmark = target.find('?');
    auto path = url_unescape(target.substr(0, qmark), false);
    Result<Query> query = Query{};
    if (qmark != std::string_view::npos) query = Query::parse(target.substr(qmark + 1));
    if (!path) {
        early_ = error_response(400, path.error().str());
    } else if (!query) {
        early_ = error_response(400, query.error().str());
    } else if (auto m = core_.router.match(req_->method, *path); !m) {
        early_ = error_response(m.error());
    } else {
        route_ = m->route;
        req_->path = std::move(m->path);
        req_->api_version = std::move(m->version);
        req_->params = std::move(m->params);
        req_->query = std::move(*query);
    }

    auto& hp = *parsers_->header;
    bool expect_continue = iequals(req_->headers.value("Expect"), "100-continue");
    if (hp.is_done()) return dispatch();
    if (early_ && expect_continue) {
        keep_alive_ = false;  // the client holds its body back; don't wait for it
        return dispatch();
    }
    if (!early_ && route_->options.stream_body) {
        if (expect_continue) queue_write("HTTP/1.1 100 Continue\r\n\r\n");
        parsers_->stream.emplace(std::move(hp));
        parsers_->stream->body_limit(boost::none);
        parsers_->header.reset();
        return dispatch();
    }
    std::size_t limit = core_.config.max_body_bytes;
    if (hp.content_length() && *hp.content_length() > limit) {
        keep_alive_ = false;
        early_ = error_response(413, "request body too large: limit is " + std::to_string(limit) + " bytes");
        return dispatch();
    }
    if (!early_ && expect_continue) queue_write("HTTP/1.1 100 Continue\r\n\r\n");
    parsers_->whole.emplace(std::move(hp));
    parsers_->whole->body_limit(limit);
    parsers_->header.reset();
    reading_ = true;
    http::async_read(stream_, buffer_, *parsers_->whole,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                         self->reading_ = false;
                         self->on_body(ec);
                     });
}

void Connection::on_body(const error_code& ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
        keep_alive_ = false;
        early_ = error_response(413, "request body too large: limit is " +
                                         std::to_string(core_.config.max_body_bytes) + " bytes");
    } else if (ec && is_http_error(ec) && ec != http::error::end_of_stream &&
               ec != http::error::partial_message) {
        keep_alive_ = false;
        early_ = error_response(400, "malformed HTTP request body: " + ec.message());
    } else if (ec) {
        return close_now();
    } else {
        req_->body = std::move(parsers_->whole->get().body());
    }
    dispatch();
}

namespace {

// A handler's answer; an exception escaping it becomes a 500.
Result<Response> call_handler(const Route& route, Request& req) {
    try {
        return route.handler(req);
    } catch (const std::exception& e) {
        return Error::internal(std::string("handler failed: ") + e.what());
    } catch (...) {
        return Error::internal("handler failed with an unknown exception");
    }
}

}  // namespace

void Connection::dispatch() {
    if (early_ || !route_) {
        if (!early_) early_ = error_response(404, "page not found");
        write_response(*early_);
        return queue_action(Action::FinishExchange);
    }
    if (route_->options.quick && route_->options.quick(*req_))
        return handler_done(call_handler(*route_, *req_));
    req_->exchange = shared_from_this();
    core_.pool.submit([self = shared_from_this(), req = req_, route = route_] {
        auto r = call_handler(*route, *req);
        self->post([self, r = std::move(r)]() mutable { self->handler_done(std::move(r)); });
    });
}

void Connection::handler_done(Result<Response> r) {
    std::shared_ptr<Request> req = std::move(req_);
    bool taken = req && req->taken();
    if (req) req->exchange.reset();  // break the request <-> connection cycle
    if (parsers_->stream && !parsers_->stream->is_done()) keep_alive_ = false;
    if (!r && taken) {
        // The stream ended with an error (usually the client left); nothing to answer.
        log::debug("api: " + req->method + " " + req->target + ": " + r.error().str());
    } else if (!r && http_status(r.error().kind()) >= 500) {
        log::error("api: " + (req ? req->method + " " + req->target : std::string("request")) + ": " +
                   r.error().str());
    }
    if (closed_ || taken) return;  // a stream or hijack owns the connection now
    // Not `r ? *r : error_response(...)`: that conditional copies the whole response.
    if (r) {
        write_response(*r);
    } else {
        write_response(error_response(r.error()));
    }
    queue_action(Action::FinishExchange);
}

const std::string& Connection::common_headers() const {
    return core_.common_headers;
}

std::string Connection::head(int status, std::string_view reason, const Headers& h, bool chunked,
                             std::size_t content_length, bool no_length, std::size_t body_size) {
    std::string out;
    out.reserve(256 + body_size);  // the body is appended after the head (write_response)
    out.append("HTTP/1.1 ");
    out.append(std::to_string(status));
    out.push_back(' ');
    out.append(reason);
    out.append("\r\n");
    out.append(common_headers());
    for (const auto& [name, value] : h.fields()) {
        if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
            iequals(name, "Connection")) {
            continue;
        }
        append_field(out, name, value);
    }
    if (chunked) {
        out.append("Transfer-Encoding: chunked\r\n");
    } else if (!no_length) {
        append_field(out, "Content-Length", std::to_string(content_length));
    }
    if (!keep_alive_ || stopping_) out.append("Connection: close\r\n");
    out.append("\r\n");
    return out;
}

void Connection::write_response(const Response& r) {
    bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    bool with_body = !is_head_ && !bodiless;
    std::string out = head(r.status, reason_phrase(r.status), r.headers, false, r.body.size(), bodiless,
                           with_body ? r.body.size() : 0);
    if (with_body) out.append(r.body);
    queue_write(std::move(out));
}

void Connection::finish_exchange() {
    if (closed_) return;
    bool body_unread = parsers_->stream && !parsers_->stream->is_done();
    if (!keep_alive_ || stopping_ || body_unread || hijacked_) return graceful_close();
    read_header();
}

Result<std::shared_ptr<ResponseStream>> Connection::start_stream(int status, Headers h) {
    auto self = shared_from_this();
    post([self, status, h = std::move(h)] {
        if (self->closed_) return;
        self->streaming_ = true;
        self->queue_write(self->head(status, reason_phrase(status), h, true, 0, false));
        self->start_background_read();
    });
    return make_response_stream(self);
}

Result<std::shared_ptr<HijackedStream>> Connection::hijack(std::string_view content_type, bool upgrade) {
    auto self = shared_from_this();
    post([self, ct = std::string(content_type), upgrade] {
        if (self->closed_) return;
        self->hijacked_ = true;
        std::string out = upgrade ? "HTTP/1.1 101 UPGRADED\r\n" : "HTTP/1.1 200 OK\r\n";
        append_field(out, "Content-Type", ct);
        if (upgrade) out.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
        out.append(self->common_headers());
        out.append("\r\n");
        self->queue_write(std::move(out));
    });
    return make_hijacked_stream(self);
}

std::unique_ptr<BodyReader> Connection::body_reader() {
    if (!route_ || !route_->options.stream_body) return nullptr;
    return make_body_reader(shared_from_this());
}

// While a chunked response runs, a read notices the client leaving (docker's CloseNotify).
// Bytes of a pipelined next request land in buffer_ and are parsed afterwards; after
// them, a disconnect shows only as a failed write.
void Connection::start_background_read() {
    if (reading_ || closed_ || peer_gone_ || buffer_.size() > 0) return;
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                self->reading_ = false;
                                self->buffer_.commit(n);
                                if (ec) {
                                    self->mark_gone();
                                    self->next_after_read_ = false;
                                    return self->close_now();
                                }
                                if (self->next_after_read_) {
                                    self->next_after_read_ = false;
                                    self->idle_ = false;
                                    return self->finish_exchange();
                                }
                                // Bytes arrived: a pipelined request, parsed once the stream ends. Stop
                                // reading here, or end_stream() would wait on a read that only more bytes can
                                // finish.
                            });
}

void Connection::end_stream() {
    streaming_ = false;
    disconnect_cbs_.clear();  // they watched this response only
    if (closed_) return;
    if (peer_gone_ || stopping_ || !keep_alive_) return graceful_close();
    if (reading_) {
        next_after_read_ = true;  // the background read hands over to the next request
        idle_ = true;
        return;
    }
    finish_exchange();
}

void Connection::raw_read(asio::mutable_buffer buf, IoHandler done) {
    if (closed_) {
        return post([done = std::move(done)] { done(asio::error::operation_aborted, 0); });
    }
    if (buffer_.size() > 0) {
        std::size_t n = asio::buffer_copy(buf, buffer_.data());
        buffer_.consume(n);
        return post([done = std::move(done), n] { done({}, n); });
    }
    reading_ = true;
    t_->read_some(buf,
                  [self = shared_from_this(), done = std::move(done)](const error_code& ec, std::size_t n) {
                      self->reading_ = false;
                      done(ec, n);
                  });
}

void Connection::body_read(asio::mutable_buffer buf, IoHandler done) {
    auto& p = parsers_->stream;
    if (!p || p->is_done()) return post([done = std::move(done)] { done({}, 0); });
    if (closed_) {
        return post([done = std::move(done)] { done(asio::error::operation_aborted, 0); });
    }
    p->get().body().data = buf.data();
    p->get().body().size = buf.size();
    reading_ = true;
    http::async_read_some(
        stream_, buffer_, *p,
        [self = shared_from_this(), buf, done = std::move(done)](error_code ec, std::size_t) {
            self->reading_ = false;
            auto& parser = *self->parsers_->stream;
            std::size_t n = buf.size() - parser.get().body().size;
            if (ec == http::error::need_buffer) ec = {};
            // A read may parse only chunk framing; go on until body bytes or the end.
            if (!ec && n == 0 && !parser.is_done()) return self->body_read(buf, std::move(done));
            done(ec, n);
        });
}

void Connection::watch_disconnect(std::function<void()> cb) {
    if (peer_gone()) return cb();
    disconnect_cbs_.push_back(std::move(cb));
}

void Connection::mark_gone() {
    if (peer_gone_) return;
    peer_gone_ = true;
    auto cbs = std::move(disconnect_cbs_);
    disconnect_cbs_.clear();
    for (auto& cb : cbs) {
        try {
            cb();
        } catch (...) {
            log::error("api: disconnect callback threw");
        }
    }
}

void Connection::queue_write(std::string data, Done done) {
    if (closed_) {
        if (done) post([done = std::move(done)] { done(asio::error::operation_aborted); });
        return;
    }
    writes_.push_back(Pending{std::move(data), std::move(done)});
    pump_writes();
}

void Connection::queue_action(Action a) {
    if (closed_) return;
    Pending p;
    p.is_action = true;
    p.action = a;
    writes_.push_back(std::move(p));
    pump_writes();
}

void Connection::pump_writes() {
    while (!writing_ && !writes_.empty() && !closed_) {
        if (writes_.front().is_action) {
            Action a = writes_.front().action;
            writes_.pop_front();
            run_action(a);
            continue;
        }
        // Most answers fit the socket buffer: hand them to the kernel at once. What is left
        // (or an error) goes the async way below, which then reports it as before.
        Pending& front = writes_.front();
        error_code ec;
        std::size_t n = t_->try_write(asio::buffer(front.data), ec);
        if (!ec && n == front.data.size()) {
            if (front.done) post([done = std::move(front.done)] { done({}); });
            writes_.pop_front();
            continue;
        }
        if (n > 0) front.data.erase(0, n);
        writing_ = true;
        asio::async_write(stream_, asio::buffer(writes_.front().data),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->writing_ = false;
                              if (self->writes_.empty()) return;
                              Pending p = std::move(self->writes_.front());
                              self->writes_.pop_front();
                              if (p.done) p.done(ec);
                              if (ec) {
                                  self->mark_gone();
                                  return self->close_now();
                              }
                              self->pump_writes();
                          });
    }
}

void Connection::run_action(Action a) {
    switch (a) {
        case Action::ShutdownSend:
            t_->shutdown_send();
            break;
        case Action::Close:
            close_now();
            break;
        case Action::EndStream:
            end_stream();
            break;
        case Action::FinishExchange:
            finish_exchange();
            break;
    }
}

// Half-close, then read and drop what the client still sends for a moment: closing with
// unread bytes would reset the connection and could destroy our answer (a 413, say)
// before the client reads it.
void Connection::graceful_close() {
    if (closed_) return;
    if (reading_) return close_now();
    t_->shutdown_send();
    arm_timer(kDrainTime);
    drain(kDrainBudget);
}

void Connection::drain(std::size_t budget) {
    buffer_.consume(buffer_.size());
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this(), budget](const error_code& ec, std::size_t n) {
                                self->reading_ = false;
                                if (ec || n >= budget || self->closed_) return self->close_now();
                                self->drain(budget - n);
                            });
}

void Connection::close_now() {
    if (closed_) return;
    closed_ = true;
    idle_ = false;
    cancel_timer();
    t_->close();
    mark_gone();
    // Writes not yet started fail now; one in progress fails through its completion.
    std::deque<Pending> rest;
    if (writing_ && !writes_.empty()) {
        rest.push_back(std::move(writes_.front()));
    }
    for (std::size_t i = rest.empty() ? 0 : 1; i < writes_.size(); ++i) {
        if (writes_[i].done) {
            post([d = std::move(writes_[i].done)] { d(asio::error::operation_aborted); });
        }
    }
    writes_ = std::move(rest);
}

}  // namespace berth::api::detail

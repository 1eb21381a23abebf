// The objects handlers use to take over a connection: chunked response streams, hijacked
// raw streams and incremental body readers. Each call crosses to the connection's strand
// with post(); the blocking variants wait on a promise (never from an io thread).
#include <atomic>
#include <future>

#include <boost/asio/ssl/error.hpp>

#include "api/server/connection.h"

namespace berth::api::detail {

namespace {

Error io_error(const error_code& ec) {
    return Error(ErrorKind::Unavailable, "connection: " + ec.message());
}

bool is_eof(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

template <class T, class Start>
Result<T> wait_result(Connection& c, Start start) {
    if (c.core().on_io_thread()) {
        return Error::internal("blocking stream call made on an io thread");
    }
    auto prom = std::make_shared<std::promise<Result<T>>>();
    auto fut = prom->get_future();
    start([prom](Result<T> r) { prom->set_value(std::move(r)); });
    try {
        return fut.get();
    } catch (...) {  // broken promise: the server went away under us
        return Error(ErrorKind::Unavailable, "connection closed");
    }
}

class ResponseStreamImpl final : public ResponseStream {
public:
    explicit ResponseStreamImpl(std::shared_ptr<Connection> c)
        : c_(std::move(c)), gone_(std::make_shared<std::atomic<bool>>(false)) {
        c_->post([c = c_, gone = gone_] { c->watch_disconnect([gone] { gone->store(true); }); });
    }
    ~ResponseStreamImpl() override { finish(); }

    Result<> write(std::string data) override {
        return wait_result<void>(*c_, [&](auto done) { async_write(std::move(data), done); });
    }

    void async_write(std::string data, std::function<void(Result<>)> done) override {
        if (finished_.load() || data.empty()) {
            // An empty chunk would end the response; a late one has nowhere to go.
            c_->post([done = std::move(done), late = finished_.load()] {
                if (done) done(late ? Result<>(Error::conflict("stream finished")) : ok());
            });
            return;
        }
        char size[20];
        int len = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
        std::string chunk;
        chunk.reserve(static_cast<std::size_t>(len) + data.size() + 2);
        chunk.append(size, static_cast<std::size_t>(len));
        chunk.append(data);
        chunk.append("\r\n");
        c_->post([c = c_, chunk = std::move(chunk), done = std::move(done)]() mutable {
            c->queue_write(std::move(chunk), [done = std::move(done)](const error_code& ec) {
                if (done) done(ec ? Result<>(io_error(ec)) : ok());
            });
        });
    }

    void finish() override {
        if (finished_.exchange(true)) return;
        c_->post([c = c_] {
            c->queue_write("0\r\n\r\n");
            c->queue_action(Connection::Action::EndStream);
        });
    }

    bool disconnected() const override { return gone_->load(); }

    void on_disconnect(std::function<void()> cb) override {
        c_->post([c = c_, cb = std::move(cb)]() mutable { c->watch_disconnect(std::move(cb)); });
    }

private:
    std::shared_ptr<Connection> c_;
    std::shared_ptr<std::atomic<bool>> gone_;
    std::atomic<bool> finished_{false};
};

class HijackedStreamImpl final : public HijackedStream {
public:
    explicit HijackedStreamImpl(std::shared_ptr<Connection> c) : c_(std::move(c)) {}
    ~HijackedStreamImpl() override { close(); }

    Result<std::size_t> read(std::span<char> buf) override {
        return wait_result<std::size_t>(*c_, [&](auto done) { async_read(buf, done); });
    }

    Result<> write(std::string_view data) override {
        return wait_result<void>(*c_, [&](auto done) { async_write(std::string(data), done); });
    }

    void async_read(std::span<char> buf, std::function<void(Result<std::size_t>)> done) override {
        c_->post([c = c_, buf, done = std::move(done)]() mutable {
            c->raw_read(asio::buffer(buf.data(), buf.size()),
                        [done = std::move(done)](const error_code& ec, std::size_t n) {
                            if (ec && !is_eof(ec)) return done(io_error(ec));
                            done(ec ? 0 : n);
                        });
        });
    }

    void async_write(std::string data, std::function<void(Result<>)> done) override {
        c_->post([c = c_, data = std::move(data), done = std::move(done)]() mutable {
            if (data.empty()) {
                if (done) done(c->peer_gone() ? Result<>(io_error(asio::error::eof)) : ok());
                return;
            }
            c->queue_write(std::move(data), [done = std::move(done)](const error_code& ec) {
                if (done) done(ec ? Result<>(io_error(ec)) : ok());
            });
        });
    }

    void close_write() override {
        c_->post([c = c_] { c->queue_action(Connection::Action::ShutdownSend); });
    }

    void close() override {
        if (closed_.exchange(true)) return;
        c_->post([c = c_] { c->queue_action(Connection::Action::Close); });
    }

private:
    std::shared_ptr<Connection> c_;
    std::atomic<bool> closed_{false};
};

class BodyReaderImpl final : public BodyReader {
public:
    explicit BodyReaderImpl(std::shared_ptr<Connection> c) : c_(std::move(c)) {}

    Result<std::size_t> read(std::span<char> buf) override {
        return wait_result<std::size_t>(*c_, [&](auto done) {
            c_->post([c = c_, buf, done]() {
                c->body_read(
                    asio::buffer(buf.data(), buf.size()), [done](const error_code& ec, std::size_t n) {
                        if (ec) {
                            return done(Error(ErrorKind::Unavailable, "read request body: " + ec.message()));
                        }
                        done(n);
                    });
            });
        });
    }

private:
    std::shared_ptr<Connection> c_;
};

}  // namespace

std::shared_ptr<ResponseStream> make_response_stream(std::shared_ptr<Connection> c) {
    return std::make_shared<ResponseStreamImpl>(std::move(c));
}

std::shared_ptr<HijackedStream> make_hijacked_stream(std::shared_ptr<Connection> c) {
    return std::make_shared<HijackedStreamImpl>(std::move(c));
}

std::unique_ptr<BodyReader> make_body_reader(std::shared_ptr<Connection> c) {
    return std::make_unique<BodyReaderImpl>(std::move(c));
}

}  // namespace berth::api::detail

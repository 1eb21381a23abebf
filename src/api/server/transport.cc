// Unix, TCP and TLS implementations of Transport.
#include "api/server/transport.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace berth::api::detail {

namespace {

template <class Socket>
class PlainTransport final : public Transport {
public:
    explicit PlainTransport(Socket s) : s_(std::move(s)) {}
    asio::any_io_executor executor() override { return s_.get_executor(); }
    bool is_tls() const override { return false; }
    void handshake(std::function<void(const error_code&)> done) override {
        asio::post(s_.get_executor(), [done = std::move(done)] { done({}); });
    }
    void read_some(asio::mutable_buffer buf, IoHandler done) override {
        s_.async_read_some(buf, std::move(done));
    }
    void write_some(std::vector<asio::const_buffer> bufs, IoHandler done) override {
        auto keep = std::make_shared<std::vector<asio::const_buffer>>(std::move(bufs));
        s_.async_write_some(
            *keep, [keep, done = std::move(done)](const error_code& ec, std::size_t n) { done(ec, n); });
    }
    std::size_t try_write(asio::const_buffer buf, error_code& ec) override {
        if (!non_blocking_) {
            s_.non_blocking(true, ec);  // once per connection; async operations are unaffected
            if (ec) return 0;
            non_blocking_ = true;
        }
        return s_.write_some(buf, ec);
    }
    void shutdown_send() override {
        error_code ec;
        s_.shutdown(asio::socket_base::shutdown_send, ec);
    }
    void close() override {
        error_code ec;
        s_.shutdown(asio::socket_base::shutdown_both, ec);
        s_.close(ec);
    }

private:
    Socket s_;
    bool non_blocking_ = false;
};

class TlsTransport final : public Transport {
public:
    TlsTransport(asio::ip::tcp::socket s, asio::ssl::context& ctx) : s_(std::move(s), ctx) {}
    asio::any_io_executor executor() override { return s_.get_executor(); }
    bool is_tls() const override { return true; }
    void handshake(std::function<void(const error_code&)> done) override {
        s_.async_handshake(asio::ssl::stream_base::server, std::move(done));
    }
    void read_some(asio::mutable_buffer buf, IoHandler done) override {
        s_.async_read_some(buf, std::move(done));
    }
    void write_some(std::vector<asio::const_buffer> bufs, IoHandler done) override {
        auto keep = std::make_shared<std::vector<asio::const_buffer>>(std::move(bufs));
        s_.async_write_some(
            *keep, [keep, done = std::move(done)](const error_code& ec, std::size_t n) { done(ec, n); });
    }
    std::size_t try_write(asio::const_buffer, error_code& ec) override {
        ec = asio::error::would_block;
        return 0;
    }
    // No close_notify: asio's async_shutdown would also wait for the peer's, competing with
    // our reads. The peer (Go's crypto/tls) reads a clean EOF at a record boundary.
    void shutdown_send() override {
        error_code ec;
        s_.lowest_layer().shutdown(asio::socket_base::shutdown_send, ec);
    }
    void close() override {
        error_code ec;
        s_.lowest_layer().shutdown(asio::socket_base::shutdown_both, ec);
        s_.lowest_layer().close(ec);
    }

private:
    asio::ssl::stream<asio::ip::tcp::socket> s_;
};

}  // namespace

std::unique_ptr<Transport> make_unix_transport(asio::local::stream_protocol::socket s) {
    return std::make_unique<PlainTransport<asio::local::stream_protocol::socket>>(std::move(s));
}

std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket s) {
    error_code ec;
    s.set_option(asio::ip::tcp::no_delay(true), ec);  // chunks and hijacked bytes go out now
    return std::make_unique<PlainTransport<asio::ip::tcp::socket>>(std::move(s));
}

std::unique_ptr<Transport> make_tls_transport(asio::ip::tcp::socket s, asio::ssl::context& ctx) {
    error_code ec;
    s.set_option(asio::ip::tcp::no_delay(true), ec);
    return std::make_unique<TlsTransport>(std::move(s), ctx);
}

}  // namespace berth::api::detail

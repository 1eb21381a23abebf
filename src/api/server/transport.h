// Private: one byte-stream interface over unix sockets, TCP and TLS, so the HTTP code
// (Beast parsers, hijacked streams) is compiled once instead of once per transport.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/error_code.hpp>

namespace boost::asio::ssl {
class context;
}

namespace berth::api::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using IoHandler = std::function<void(const error_code&, std::size_t)>;

class Transport {
public:
    virtual ~Transport() = default;
    // The connection's strand: every call below is made on it, and completes on it.
    virtual asio::any_io_executor executor() = 0;
    virtual bool is_tls() const = 0;
    virtual void handshake(std::function<void(const error_code&)> done) = 0;
    virtual void read_some(asio::mutable_buffer buf, IoHandler done) = 0;
    // Buffers must stay valid until `done`; may write fewer bytes than given.
    virtual void write_some(std::vector<asio::const_buffer> bufs, IoHandler done) = 0;
    // Writes what the socket takes right now without waiting: the bytes written, 0 with
    // would_block when it takes none (always so for TLS). Lets a response that fits the
    // socket buffer skip the async write's queueing and completion round trip.
    virtual std::size_t try_write(asio::const_buffer buf, error_code& ec) = 0;
    virtual void shutdown_send() = 0;
    virtual void close() = 0;
};

std::unique_ptr<Transport> make_unix_transport(asio::local::stream_protocol::socket s);
std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket s);
std::unique_ptr<Transport> make_tls_transport(asio::ip::tcp::socket s, asio::ssl::context& ctx);

// Adapts a Transport to Asio's AsyncReadStream/AsyncWriteStream for Beast and
// asio::async_write. Handlers are kept in a shared_ptr because Transport takes copyable
// std::functions; completions already run on the strand, so they are invoked directly.
class AnyStream {
public:
    using executor_type = asio::any_io_executor;
    explicit AnyStream(Transport* t) : t_(t) {}
    executor_type get_executor() const { return t_->executor(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [](auto handler, Transport* t, const MutableBuffers& bufs) {
                auto sp = std::make_shared<std::decay_t<decltype(handler)>>(std::move(handler));
                asio::mutable_buffer first;
                for (auto it = asio::buffer_sequence_begin(bufs); it != asio::buffer_sequence_end(bufs);
                     ++it) {
                    asio::mutable_buffer b(*it);
                    if (b.size() > 0) {
                        first = b;
                        break;
                    }
                }
                t->read_some(first, [sp](const error_code& ec, std::size_t n) { (*sp)(ec, n); });
            },
            token, t_, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [](auto handler, Transport* t, const ConstBuffers& bufs) {
                auto sp = std::make_shared<std::decay_t<decltype(handler)>>(std::move(handler));
                std::vector<asio::const_buffer> v;
                for (auto it = asio::buffer_sequence_begin(bufs);
                     it != asio::buffer_sequence_end(bufs) && v.size() < 16; ++it) {
                    asio::const_buffer b(*it);
                    if (b.size() > 0) v.push_back(b);
                }
                t->write_some(std::move(v), [sp](const error_code& ec, std::size_t n) { (*sp)(ec, n); });
            },
            token, t_, buffers);
    }

private:
    Transport* t_;
};

}  // namespace berth::api::detail

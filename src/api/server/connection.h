// Private: one client connection. Reads a request, routes it, runs its handler on the
// worker pool, writes the answer, then reads the next request (keep-alive; pipelined
// requests wait in the read buffer). Handlers may instead take the connection for a
// chunked response or a hijacked raw stream (streams.cc). All state below is touched only
// on the connection's strand; handler threads reach it through post().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "api/server/core.h"
#include "api/server/exchange.h"
#include "api/server/transport.h"

namespace berth::api::detail {

class Connection final : public Exchange, public std::enable_shared_from_this<Connection> {
public:
    using Done = std::function<void(const error_code&)>;

    Connection(ServerCore& core, std::unique_ptr<Transport> t);
    ~Connection() override;

    void start();
    // Any thread. Closes the connection if it waits for a request, else after the current one.
    void begin_shutdown();
    void force_close();

    // Exchange, called from handler threads.
    std::unique_ptr<BodyReader> body_reader() override;
    Result<std::shared_ptr<ResponseStream>> start_stream(int status, Headers headers) override;
    Result<std::shared_ptr<HijackedStream>> hijack(std::string_view content_type, bool upgrade) override;

    // For the stream objects (streams.cc).
    void post(std::function<void()> fn);  // any thread
    ServerCore& core() { return core_; }
    // Strand only from here on.
    enum class Action { ShutdownSend, Close, EndStream, FinishExchange };
    void queue_write(std::string data, Done done = {});
    void queue_action(Action a);  // runs once every write queued before it is done
    // Reads raw bytes after a hijack, serving bytes already buffered first.
    void raw_read(asio::mutable_buffer buf, IoHandler done);
    // Reads the next piece of a streamed request body; 0 bytes at its end.
    void body_read(asio::mutable_buffer buf, IoHandler done);
    void watch_disconnect(std::function<void()> cb);
    bool peer_gone() const { return peer_gone_ || closed_; }

private:
    struct Parsers;  // Beast parsers, defined in connection.cc
    struct Pending {
        std::string data;
        Done done;
        bool is_action = false;
        Action action = Action::Close;
    };

    void do_handshake();
    void read_header();
    void on_header(const error_code& ec);
    void on_body(const error_code& ec);
    void route_and_dispatch();
    void dispatch();
    void handler_done(Result<Response> r);
    void write_response(const Response& r);
    std::string head(int status, std::string_view reason, const Headers& h, bool chunked,
                     std::size_t content_length, bool no_length, std::size_t body_size = 0);
    void finish_exchange();
    void end_stream();
    void start_background_read();
    void pump_writes();
    void run_action(Action a);
    void graceful_close();
    void close_now();
    void mark_gone();
    void arm_timer(std::chrono::milliseconds d);
    void cancel_timer();
    void drain(std::size_t budget);
    const std::string& common_headers() const;

    ServerCore& core_;
    std::unique_ptr<Transport> t_;
    AnyStream stream_;
    asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    std::unique_ptr<Parsers> parsers_;
    uint64_t id_ = 0;
    uint64_t timer_gen_ = 0;

    std::shared_ptr<Request> req_;
    const Route* route_ = nullptr;
    std::optional<Response> early_;  // an answer decided before the handler (404, 400...)
    bool keep_alive_ = true;
    bool is_head_ = false;

    std::deque<Pending> writes_;
    bool writing_ = false;

    bool reading_ = false;          // a read on the transport is outstanding
    bool idle_ = true;              // waiting for the next request (or the handshake)
    bool streaming_ = false;        // chunked response in progress
    bool next_after_read_ = false;  // the background read decides what follows
    bool hijacked_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    bool peer_gone_ = false;
    std::vector<std::function<void()>> disconnect_cbs_;
};

// The stream objects handed to handlers (streams.cc).
std::shared_ptr<ResponseStream> make_response_stream(std::shared_ptr<Connection> c);
std::shared_ptr<HijackedStream> make_hijacked_stream(std::shared_ptr<Connection> c);
std::unique_ptr<BodyReader> make_body_reader(std::shared_ptr<Connection> c);

}  // namespace berth::api::detail

// The handler's view of one HTTP exchange: the parsed Request, the Response it returns, and
// the three ways to take over the connection instead (chunked streaming response, hijacked
// raw stream, incremental request body). No Asio or Beast types here on purpose: every
// handler file includes this header and compile time matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/server/query.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::api {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
public:
    // The first value of `name`, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    std::string value(std::string_view name) const { return std::string(get(name).value_or("")); }
    bool has(std::string_view name) const { return get(name).has_value(); }
    // Replaces every field named `name` with one.
    void set(std::string_view name, std::string_view value);
    void add(std::string_view name, std::string_view value);
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;

    static Response json(int status, const Json& body);
    static Response text(int status, std::string body,
                         std::string_view content_type = "text/plain; charset=utf-8");
    static Response empty(int status = 204);
};

// A request body read in pieces (image load, build context), for routes registered with
// RouteOptions::stream_body. Blocking: call from the handler's thread, never an io thread.
class BodyReader {
public:
    virtual ~BodyReader() = default;
    // Fills up to buf.size() bytes; 0 means the body has ended.
    virtual Result<std::size_t> read(std::span<char> buf) = 0;
};

// A chunked response whose pieces reach the client as they are written (/events, logs
// with follow, pull progress). Writes are queued in order. Finish() ends the response and
// lets the connection carry the next request; dropping the last reference finishes it too.
class ResponseStream {
public:
    virtual ~ResponseStream() = default;
    // Blocks until the chunk is handed to the kernel. Fails once the client is gone.
    virtual Result<> write(std::string data) = 0;
    // Non-blocking; `done` runs on an io thread (keep it short).
    virtual void async_write(std::string data, std::function<void(Result<>)> done = {}) = 0;
    virtual void finish() = 0;
    virtual bool disconnected() const = 0;
    // Runs once, on an io thread, when the client closes its end (right away if it has).
    virtual void on_disconnect(std::function<void()> cb) = 0;
};

// The raw byte stream left after a hijack (attach, exec start), the same on unix, TCP and
// TLS. One read and one write may be outstanding at a time. Dropping the last reference
// flushes pending writes and closes the connection.
class HijackedStream {
public:
    virtual ~HijackedStream() = default;
    // Blocking variants: call from a handler thread. read() returns 0 at end of stream.
    virtual Result<std::size_t> read(std::span<char> buf) = 0;
    virtual Result<> write(std::string_view data) = 0;
    // Completion callbacks run on an io thread; `buf` must stay valid until then.
    virtual void async_read(std::span<char> buf, std::function<void(Result<std::size_t>)> done) = 0;
    virtual void async_write(std::string data, std::function<void(Result<>)> done = {}) = 0;
    // Half-close after the queued writes, as docker's CloseWrite: the peer reads EOF while
    // we can still read. On TLS this closes the TCP send side without a close_notify.
    virtual void close_write() = 0;
    virtual void close() = 0;
};

inline constexpr std::string_view kRawStream = "application/vnd.docker.raw-stream";
inline constexpr std::string_view kMultiplexedStream = "application/vnd.docker.multiplexed-stream";

namespace detail {
class Exchange;  // the connection side of a request; private to the server
}

struct Request {
    std::string method;       // "GET"
    std::string target;       // as sent: "/v1.47/containers/json?all=1"
    std::string path;         // percent-decoded, version prefix stripped: "/containers/json"
    std::string api_version;  // "1.47": from the prefix, else the server's maximum
    std::map<std::string, std::string> params;  // path parameters: {"id": "3f2a"}
    Query query;
    Headers headers;
    std::string body;      // whole body, unless the route streams it (then body_reader())
    bool upgrade = false;  // "Connection: Upgrade" + "Upgrade: tcp" (docker's hijack dance)

    std::string param(std::string_view name) const;
    // Compares api_version with "1.40"-style strings.
    bool version_at_least(std::string_view v) const;
    bool version_below(std::string_view v) const { return !version_at_least(v); }

    // Only for routes with RouteOptions::stream_body; nullptr otherwise.
    BodyReader* body_reader();
    // Starts a chunked response; the handler's returned Response is then ignored. Call
    // before the handler returns; the stream may outlive the handler.
    Result<std::shared_ptr<ResponseStream>> start_stream(int status, Headers headers = {});
    // Answers "101 UPGRADED" (or "200 OK" without an Upgrade request) with `content_type`
    // and hands over the raw connection; the returned Response is then ignored.
    Result<std::shared_ptr<HijackedStream>> hijack(std::string_view content_type = kRawStream);
    // Whether start_stream() or hijack() took the connection.
    bool taken() const { return taken_; }

    // Set by the server; absent in requests built by tests (then the three calls above fail).
    std::shared_ptr<detail::Exchange> exchange;

private:
    bool taken_ = false;
    std::unique_ptr<BodyReader> body_reader_;
};

// Handlers may BERTH_TRY; an Error becomes its status (errors.h) and {"message": ...}.
using Handler = std::function<Result<Response>(Request&)>;

}  // namespace berth::api

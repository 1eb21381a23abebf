// The Engine API client behind `berth`: HTTP/1.1 over a unix socket or TCP (optionally TLS
// with client certificates), API version negotiation through /_ping, JSON requests,
// streamed bodies (events, logs -f, JSON message streams) and hijacked connections
// (attach, exec start); common/stdcopy.h demultiplexes those.
//
//   auto c = Client(ClientOptions{.host = "unix:///run/berth/berth.sock"});
//   Json v = BERTH_TRY(c.get_json("/version"));
//   auto s = BERTH_TRY(c.stream("GET", "/events", Query().add("since", "0")));
//   while (auto line = BERTH_TRY(s.read_line())) ...      // one JSON message per line
//   auto h = BERTH_TRY(c.hijack("POST", "/containers/x/attach", q));  // raw duplex stream
//
// Errors: a daemon answer >= 400 is an Error whose message is "Error response from daemon:
// <message>" and whose kind follows the status (404 NotFound, 409 Conflict, 400
// InvalidArgument, else Internal); failing to reach the daemon is Unavailable with docker's
// "Cannot connect ..." wording. One Client holds no connection between calls except the
// ones handed out (streams, hijacked connections), so it is cheap and thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::cli::client {

inline constexpr std::string_view kDefaultHost = "unix:///run/berth/berth.sock";
inline constexpr std::string_view kMaxApiVersion = "1.47";

struct TlsOptions {
    bool enabled = false;  // --tls or --tlsverify
    bool verify = false;   // --tlsverify: check the daemon's certificate against ca
    std::string ca_file, cert_file, key_file;
};

struct ClientOptions {
    std::string host = std::string(kDefaultHost);  // unix:///path, tcp://host:port, or a bare path
    TlsOptions tls;
    std::string api_version;  // fixed version (DOCKER_API_VERSION); empty: negotiate
};

struct HostSpec {
    enum class Kind { Unix, Tcp } kind = Kind::Unix;
    std::string path;  // Unix
    std::string host;  // Tcp
    uint16_t port = 0;
};
// unix:///p, tcp://h:p (port defaults to 2375, 2376 with TLS), a bare path; other schemes
// and malformed addresses are InvalidArgument naming the host.
Result<HostSpec> parse_host(std::string_view host, bool tls = false);

// The host to use from -H, then BERTH_HOST, then DOCKER_HOST, then the default socket.
std::string select_host(const std::string& flag_host);

// Query strings with docker's filter encoding.
class Query {
public:
    Query& add(std::string_view key, std::string_view value);
    Query& add_if(bool cond, std::string_view key, std::string_view value) {
        return cond ? add(key, value) : *this;
    }
    // Docker's filters JSON ({"key":{"value":true}}) from "key=value" items; empty: no-op.
    Result<Query*> add_filters(const std::vector<std::string>& items);
    std::string str() const;  // "" or "?a=b&c=d"
    bool empty() const { return items_.empty(); }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& lower_name) const;
};

class Connection;

// A response whose body is read as it arrives (chunked or until close).
class Stream {
public:
    Stream();
    Stream(Stream&&) noexcept;
    Stream& operator=(Stream&&) noexcept;
    ~Stream();
    int status() const { return status_; }
    std::string header(const std::string& lower_name) const;
    // Up to some bytes of body; an empty string at the end.
    Result<std::string> read();
    // One line without its '\n' (JSON message streams); nullopt at the end.
    Result<std::optional<std::string>> read_line();
    // The fd, to poll() alongside other input; -1 once closed.
    int fd() const;
    void close();
    // For a stream from Client::send(): reads the answer (head and whole body).
    Result<Response> finish();

private:
    friend class Client;
    std::unique_ptr<Connection> conn_;
    int status_ = 0;
    std::map<std::string, std::string> headers_;
    bool chunked_ = false;
    bool done_ = false;
    int64_t remaining_ = -1;  // Content-Length left, -1 unknown
    uint64_t chunk_left_ = 0;
    bool crlf_pending_ = false;  // the CRLF after a chunk's data
    std::string line_buf_;
    bool head_pending_ = false;
};

// A connection taken over after "101 UPGRADED": bytes both ways, no HTTP.
class Hijacked {
public:
    Hijacked();
    Hijacked(Hijacked&&) noexcept;
    Hijacked& operator=(Hijacked&&) noexcept;
    ~Hijacked();
    // Bytes read (may be buffered from the upgrade response); empty at EOF.
    Result<std::string> read();
    Result<> write(std::string_view data);
    // Half-close: the daemon sees stdin EOF, output keeps coming.
    void close_write();
    int fd() const;
    // True when read() would return without blocking on the socket (buffered data).
    bool has_buffered() const;
    void close();

private:
    friend class Client;
    std::unique_ptr<Connection> conn_;
};

class Client {
public:
    explicit Client(ClientOptions options);
    const ClientOptions& options() const { return options_; }

    // The negotiated version: min(daemon's Api-Version, ours), once per Client.
    Result<std::string> api_version();
    // Server headers from /_ping (Api-Version, Ostype, ...), for `version`.
    Result<Response> ping();

    // Whole-body request; `body` is sent as application/json when not empty. The status
    // is returned as is (no error mapping).
    Result<Response> request(std::string_view method, std::string_view path, const Query& q = {},
                             std::string_view body = {},
                             const std::map<std::string, std::string>& headers = {});
    // request(), then a status >= 400 becomes the daemon's error.
    Result<Response> call(std::string_view method, std::string_view path, const Query& q = {},
                          std::string_view body = {}, const std::map<std::string, std::string>& headers = {});
    Result<Json> get_json(std::string_view path, const Query& q = {});
    Result<Json> post_json(std::string_view path, const Query& q = {}, const Json& body = nullptr);

    // A request whose response body is read incrementally. A status >= 400 is an error.
    // `body_fd` (>= 0) streams a request body from that fd (chunked), e.g. `load`.
    // `headers` are extra request headers (X-Registry-Auth for pull/push).
    Result<Stream> stream(std::string_view method, std::string_view path, const Query& q = {},
                          std::string_view body = {}, int body_fd = -1,
                          const std::string& content_type = "application/json",
                          const std::map<std::string, std::string>& headers = {});

    // Sends a request without waiting for the answer (wait before start: the daemon may
    // answer only when the container exits); Stream::finish() reads it.
    Result<Stream> send(std::string_view method, std::string_view path, const Query& q = {},
                        std::string_view body = {});

    // Sends the request with "Upgrade: tcp"; expects 101 (or 200 from old daemons).
    Result<Hijacked> hijack(std::string_view method, std::string_view path, const Query& q = {},
                            std::string_view body = {});

    // The daemon's error for a response (also used by callers that read the status).
    static Error daemon_error(const Response& r);

private:
    Result<std::unique_ptr<Connection>> connect();
    Result<std::string> versioned(std::string_view path, const Query& q);
    Result<> send_request(Connection& c, std::string_view method, const std::string& target,
                          std::string_view body, const std::map<std::string, std::string>& headers);

    ClientOptions options_;
    std::string version_;
};

}  // namespace berth::cli::client

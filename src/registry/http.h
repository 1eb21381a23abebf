// Private to the registry client: one HTTP exchange over libcurl, with the TLS set-up of
// certs.d, redirects and a stall timeout. Retries and authentication are the caller's.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "registry/registry.h"

namespace berth::registry::http {

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // sent when read is empty
    ReadFn read;                       // streamed body of body_size bytes
    int64_t body_size = -1;
    SinkFn sink;  // streams a 2xx response body; else it lands in Response::body
    ProgressFn progress;
    // Resume a download: asks for bytes from here on; if the server answers 200 (whole body)
    // instead of 206, the first range_from bytes are dropped before the sink sees them.
    int64_t range_from = 0;
    bool follow_redirects = true;
    size_t max_body = 8 << 20;  // for bodies kept in memory
};

struct Response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names, last value
    std::vector<std::string> challenges;         // every WWW-Authenticate value
    std::string body;
    std::string effective_url;
    int64_t delivered = 0;  // bytes handed to the sink
    // Why the sink stopped the transfer (its error), if it did.
    std::optional<Error> sink_error;
};

// Runs one request. Transport failures (DNS, connect, TLS, stall, reset) are Unavailable
// errors naming the URL; HTTP statuses, even 5xx, are returned in Response.
Result<Response> perform(const Config& cfg, const std::string& tls_host, const Request& req);

// Whether <certs_dir>/<host>/ holds a CA (*.crt) or a client certificate (*.cert + *.key).
bool has_tls_files(const Config& cfg, const std::string& host);

// "https://host:port/path?q" -> "host:port"
std::string host_of(std::string_view url);

}  // namespace berth::registry::http

// Test helper: a raw socket HTTP client that sends bytes by hand and parses responses
// just enough to check them (status, headers, Content-Length or chunked bodies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"

namespace berth::api::test {

struct RawResponse {
    int status = 0;
    std::string head;                 // status line + headers
    std::string body;                 // decoded (chunks joined)
    std::vector<std::string> chunks;  // for chunked responses
    std::string header(const std::string& name) const;
};

class RawClient {
public:
    static RawClient connect_unix(const std::string& path);
    static RawClient connect_tcp(uint16_t port);
    bool ok() const { return fd_.valid(); }
    int fd() const { return fd_.get(); }

    bool send(const std::string& data);
    // Reads one response; `head_only` for answers to HEAD. nullopt on EOF/timeout.
    std::optional<RawResponse> read_response(bool head_only = false, int timeout_ms = 5000);
    // Reads until `pattern` is in the buffer; returns (and consumes) everything up to and
    // including it, or nullopt.
    std::optional<std::string> read_until(const std::string& pattern, int timeout_ms = 5000);
    // Reads exactly n bytes.
    std::optional<std::string> read_exact(std::size_t n, int timeout_ms = 5000);
    // True when the peer closes within the timeout (data read meanwhile is dropped).
    bool wait_eof(int timeout_ms = 5000);
    void shutdown_write();

private:
    bool fill(int timeout_ms);  // one read; false on EOF, error or timeout
    UniqueFd fd_;
    std::string buf_;
    bool eof_ = false;
};

}  // namespace berth::api::test

// Raw HTTP test client (see test_client.h).
#include "api/server/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/sys.h"

namespace berth::api::test {

std::string RawResponse::header(const std::string& name) const {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
        std::size_t end = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, end == std::string::npos ? std::string::npos : end - pos - 2);
        std::size_t colon = line.find(':');
        if (colon != std::string::npos && colon == name.size() &&
            ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
            std::size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            return line.substr(v);
        }
        pos = end;
    }
    return {};
}

RawClient RawClient::connect_unix(const std::string& path) {
    RawClient c;
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        c.fd_ = std::move(fd);
    }
    return c;
}

RawClient RawClient::connect_tcp(uint16_t port) {
    RawClient c;
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        c.fd_ = std::move(fd);
    }
    return c;
}

bool RawClient::send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = sys::retry_eintr(
            [&] { return ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL); });
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

void RawClient::shutdown_write() {
    ::shutdown(fd_.get(), SHUT_WR);
}

bool RawClient::fill(int timeout_ms) {
    if (eof_) return false;
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) return false;
    char tmp[16384];
    ssize_t n = ::read(fd_.get(), tmp, sizeof tmp);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> RawClient::read_until(const std::string& pattern, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        std::size_t pos = buf_.find(pattern);
        if (pos != std::string::npos) {
            std::string out = buf_.substr(0, pos + pattern.size());
            buf_.erase(0, pos + pattern.size());
            return out;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) return std::nullopt;
    }
}

std::optional<std::string> RawClient::read_exact(std::size_t n, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (buf_.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) return std::nullopt;
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
}

bool RawClient::wait_eof(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    buf_.clear();
    while (!eof_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        fill(static_cast<int>(left.count()));
        buf_.clear();
    }
    return true;
}

std::optional<RawResponse> RawClient::read_response(bool head_only, int timeout_ms) {
    auto head = read_until("\r\n\r\n", timeout_ms);
    if (!head) return std::nullopt;
    RawResponse r;
    r.head = *head;
    if (r.head.size() < 12) return std::nullopt;
    r.status = std::atoi(r.head.c_str() + 9);
    if (head_only || r.status == 204 || r.status == 304 || r.status / 100 == 1) return r;
    if (::strcasecmp(r.header("Transfer-Encoding").c_str(), "chunked") == 0) {
        for (;;) {
            auto line = read_until("\r\n", timeout_ms);
            if (!line) return std::nullopt;
            std::size_t size = std::strtoul(line->c_str(), nullptr, 16);
            if (size == 0) {
                if (!read_until("\r\n", timeout_ms)) return std::nullopt;
                return r;
            }
            auto data = read_exact(size + 2, timeout_ms);
            if (!data) return std::nullopt;
            r.chunks.push_back(data->substr(0, size));
            r.body += r.chunks.back();
        }
    }
    std::string cl = r.header("Content-Length");
    if (!cl.empty()) {
        auto body = read_exact(std::strtoul(cl.c_str(), nullptr, 10), timeout_ms);
        if (!body) return std::nullopt;
        r.body = *body;
        return r;
    }
    while (fill(timeout_ms)) {
    }
    r.body = std::move(buf_);
    buf_.clear();
    return r;
}

}  // namespace berth::api::test

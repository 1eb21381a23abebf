// Response framing per RFC 9112 section 6.3, reduced to what a load generator needs.
#include "response_parser.h"

#include <strings.h>

#include <charconv>

namespace berth::bench {

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        if (iequals(trim(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

// Bytes taken by a chunked body starting at buf[0], or 0 if incomplete, npos if malformed.
std::size_t chunked_length(std::string_view buf) {
    std::size_t pos = 0;
    for (;;) {
        std::size_t eol = buf.find("\r\n", pos);
        if (eol == std::string_view::npos) return buf.size() - pos > 1024 ? std::string_view::npos : 0;
        std::string_view line = buf.substr(pos, eol - pos);
        line = trim(line.substr(0, line.find(';')));
        std::size_t size = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (ec != std::errc() || end != line.data() + line.size() || line.empty())
            return std::string_view::npos;
        pos = eol + 2;
        if (size == 0) {
            // Trailer fields, then an empty line.
            for (;;) {
                std::size_t e = buf.find("\r\n", pos);
                if (e == std::string_view::npos) return 0;
                bool empty = e == pos;
                pos = e + 2;
                if (empty) return pos;
            }
        }
        if (buf.size() - pos < size + 2) return 0;
        if (buf.substr(pos + size, 2) != "\r\n") return std::string_view::npos;
        pos += size + 2;
    }
}

}  // namespace

ResponseEnd find_response_end(std::string_view buf, bool head_request) {
    ResponseEnd r;
    std::size_t head_end = buf.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        if (buf.size() > kMaxHead) r.state = ResponseEnd::Invalid;
        return r;
    }
    std::string_view head = buf.substr(0, head_end + 2);
    std::size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.x SP 3DIGIT [SP reason]"
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
        (status_line.size() > 12 && status_line[12] != ' ')) {
        r.state = ResponseEnd::Invalid;
        return r;
    }
    bool http10 = status_line[7] == '0';
    auto [sp, sec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
    if (sec != std::errc() || sp != status_line.data() + 12) {
        r.state = ResponseEnd::Invalid;
        return r;
    }

    bool chunked = false, have_length = false, keep_alive = false;
    std::size_t content_length = 0;
    for (std::size_t pos = eol + 2; pos < head.size();) {
        std::size_t e = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, e - pos);
        pos = e + 2;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            r.state = ResponseEnd::Invalid;
            return r;
        }
        std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length);
            if (ec != std::errc() || p != value.data() + value.size()) {
                r.state = ResponseEnd::Invalid;
                return r;
            }
            have_length = true;
        } else if (iequals(name, "Transfer-Encoding")) {
            chunked = has_token(value, "chunked");
        } else if (iequals(name, "Connection")) {
            if (has_token(value, "close")) r.close = true;
            if (has_token(value, "keep-alive")) keep_alive = true;
        }
    }
    if (http10 && !keep_alive) r.close = true;

    std::size_t body_start = head_end + 4;
    std::string_view body = buf.substr(body_start);
    if (head_request || r.status < 200 || r.status == 204 || r.status == 304) {
        r.state = ResponseEnd::Complete;
        r.length = body_start;
    } else if (chunked) {
        std::size_t n = chunked_length(body);
        if (n == std::string_view::npos) {
            r.state = ResponseEnd::Invalid;
        } else if (n > 0) {
            r.state = ResponseEnd::Complete;
            r.length = body_start + n;
        }
    } else if (have_length) {
        if (body.size() >= content_length) {
            r.state = ResponseEnd::Complete;
            r.length = body_start + content_length;
        }
    } else {
        r.state = ResponseEnd::UntilClose;
        r.close = true;
    }
    return r;
}

}  // namespace berth::bench

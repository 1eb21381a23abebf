#include "common/go_json.h"

#include <cstdint>

#include "common/strings.h"

namespace berth {

namespace {

void append_u_escape(std::string& out, uint32_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 15];
}

// The escape for one ASCII byte, or nullptr when it is written as it is.
const char* named_escape(unsigned char c) {
    switch (c) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        default:
            return nullptr;
    }
}

}  // namespace

void append_go_json_string(std::string& out, std::string_view s, bool escape_html) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (const char* e = named_escape(c))
                out += e;
            else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&')))
                append_u_escape(out, c);
            else
                out += static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = decode_utf8(s, i, cp);
        if (len == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            if (cp == 0x2028 || cp == 0x2029)
                append_u_escape(out, cp);
            else
                out.append(s.substr(i, len));
            i += len;
        }
    }
    out += '"';
}

}  // namespace berth

// stdcopy frame encoding and incremental decoding (see stdcopy.h).
#include "common/stdcopy.h"

#include <algorithm>

namespace berth {

void stdcopy_append(std::string& out, StdStream stream, std::string_view payload) {
    constexpr std::size_t kMaxFrame = 0xffffffffu;
    do {
        std::size_t n = std::min(payload.size(), kMaxFrame);
        char header[kStdcopyHeaderSize] = {static_cast<char>(stream),
                                           0,
                                           0,
                                           0,
                                           static_cast<char>((n >> 24) & 0xff),
                                           static_cast<char>((n >> 16) & 0xff),
                                           static_cast<char>((n >> 8) & 0xff),
                                           static_cast<char>(n & 0xff)};
        out.append(header, sizeof header);
        out.append(payload.substr(0, n));
        payload.remove_prefix(n);
    } while (!payload.empty());
}

std::string stdcopy_encode(StdStream stream, std::string_view payload) {
    std::string out;
    out.reserve(kStdcopyHeaderSize + payload.size());
    stdcopy_append(out, stream, payload);
    return out;
}

Result<> StdcopyDecoder::feed(std::string_view data, std::vector<StdFrame>& out) {
    buf_.append(data);
    std::size_t pos = 0;
    while (buf_.size() - pos >= kStdcopyHeaderSize) {
        const auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
        if (h[0] > static_cast<unsigned char>(StdStream::SystemErr)) {
            buf_.erase(0, pos);
            return Error::invalid("Unrecognized input header: " + std::to_string(h[0]));  // docker's words
        }
        std::size_t len = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) | (std::size_t{h[6]} << 8) |
                          std::size_t{h[7]};
        if (buf_.size() - pos - kStdcopyHeaderSize < len) break;
        out.push_back({static_cast<StdStream>(h[0]), buf_.substr(pos + kStdcopyHeaderSize, len)});
        pos += kStdcopyHeaderSize + len;
    }
    buf_.erase(0, pos);
    return ok();
}

}  // namespace berth

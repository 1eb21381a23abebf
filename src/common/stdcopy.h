// Docker's stdcopy framing for non-TTY attach/logs/exec streams: each frame is an 8-byte
// header {stream type (0 stdin, 1 stdout, 2 stderr, 3 system error), 0, 0, 0, big-endian
// uint32 payload length} followed by the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth {

enum class StdStream : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, SystemErr = 3 };

inline constexpr std::size_t kStdcopyHeaderSize = 8;

// Appends one frame (header + payload) to `out`. Payloads over 4 GiB are split.
void stdcopy_append(std::string& out, StdStream stream, std::string_view payload);
std::string stdcopy_encode(StdStream stream, std::string_view payload);

struct StdFrame {
    StdStream stream;
    std::string payload;
};

// Incremental decoder: feed bytes as they arrive, collect whole frames.
class StdcopyDecoder {
public:
    // Appends complete frames to `out`; keeps a partial frame for the next call. An
    // unknown stream type is an InvalidArgument (the stream is not stdcopy-framed).
    Result<> feed(std::string_view data, std::vector<StdFrame>& out);
    // Bytes of an unfinished frame held back.
    std::size_t pending() const { return buf_.size(); }

private:
    std::string buf_;
};

}  // namespace berth

// Finds where one HTTP/1.1 response ends in a receive buffer, for the API load generator.
// Stateless: call it again with the whole buffer after each read (responses here are small).
//   ResponseEnd e = find_response_end(buf, /*head_request=*/false);
//   if (e.state == ResponseEnd::Complete) { use e.status; buf.erase(0, e.length); }
// Handles Content-Length, chunked bodies (with extensions and trailers), bodiless statuses
// and bodies delimited by the connection closing.
#pragma once

#include <cstddef>
#include <string_view>

namespace berth::bench {

struct ResponseEnd {
    enum State {
        Incomplete,  // more bytes needed
        UntilClose,  // head parsed; the body runs until the peer closes
        Complete,    // one whole response of `length` bytes
        Invalid,     // not an HTTP/1.x response
    };
    State state = Incomplete;
    int status = 0;
    std::size_t length = 0;
    bool close = false;  // the server will close after this response
};

ResponseEnd find_response_end(std::string_view buf, bool head_request);

}  // namespace berth::bench

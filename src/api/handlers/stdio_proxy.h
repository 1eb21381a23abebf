// Copies a container's stdio between a hijacked API connection and local fds (the shim's
// attach socket, an exec's pipes or pty), as Docker's attach/exec streams behave:
// output until the container side ends, input until the client closes its side, and
// the detach key sequence (default Ctrl-P Ctrl-Q) ending the session without touching
// the container.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/server/request.h"
#include "common/error.h"
#include "common/fd.h"

namespace berth::api {

// Docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-a", "a,b"... -> the byte sequence.
Result<std::string> parse_detach_keys(const std::string& spec);

struct ProxyEnds {
    int output = -1;                     // read from (attach socket, stdout pipe, pty master)
    int output2 = -1;                    // stderr pipe (exec without tty): framed as stream 2
    bool frame_output = false;           // wrap output/output2 in stdcopy frames (1 and 2)
    int input = -1;                      // write client input here (may equal output for sockets/pty)
    bool shutdown_input_at_eof = false;  // a socket: SHUT_WR at client EOF, else close
    std::string detach_keys;             // empty: no detaching
    std::function<void()> on_input_eof;  // the client closed its side (close a stdin pipe)
    // Runs when the output has ended, before the client sees the end of the stream (an
    // exec records its exit code here, so the client's next inspect finds it).
    std::function<void()> on_output_done;
};

// Runs until the output side ends or the client detaches/disconnects; then closes the
// stream. Blocks the calling (handler) thread.
void proxy_stdio(const std::shared_ptr<HijackedStream>& stream, const ProxyEnds& ends);

}  // namespace berth::api

// Internal: docker's jsonmessage rendering of the Engine API's JSON message streams (pull,
// push, load, import, run's implicit pull).
//
//   ProgressRenderer r(progress_output(ctx, /*to_stderr=*/false));
//   BERTH_TRY(render_stream(stream, r));      // the first error message is the Error
//
// On a terminal every message with an "id" (a layer) owns one line, rewritten in place with
// cursor-up / erase-line escapes, with a bar "[=====>     ]  12.3MB/45.6MB" from its
// progressDetail when the terminal is wider than 110 columns; a message without an id ends
// that block of lines. Not on a terminal: "ID: Status" lines, each printed once per change
// of status; messages carrying a byte count (Downloading, Extracting, Pushing) are left out,
// as docker leaves them out, so logs get no bar spam. "stream" text is printed as is.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "cli/commands/context.h"

namespace berth::cli {

struct ProgressOutput {
    std::function<void(std::string_view)> write;  // nullptr: print nothing (quiet)
    bool terminal = false;
    int width = 200;  // terminal columns; docker draws the bar only above 110
};

// Where a command's progress goes: stdout (pull, push, load) or stderr (run), as a
// terminal when that fd is one; `quiet` discards it.
ProgressOutput progress_output(Context& ctx, bool to_stderr, bool quiet = false);

// docker's JSONProgress.String(): "[==>   ]  1.2MB/3.4MB 5s", "  1.2MB" without a total,
// "" with neither. `start` (unix seconds, 0: unknown) and `now` give the time left.
std::string progress_text(int64_t current, int64_t total, int width, int64_t start = 0, int64_t now = 0);

class ProgressRenderer {
public:
    explicit ProgressRenderer(ProgressOutput out);
    // One decoded message. An "error"/"errorDetail" message returns its message as an Error
    // (prints nothing); others print.
    Result<> message(const Json& m);
    // One line of the stream (a JSON object; blank lines are skipped).
    Result<> line(std::string_view text);

private:
    void write(std::string_view s);
    ProgressOutput out_;
    std::map<std::string, size_t> lines_;      // terminal: id -> line in the current block
    std::map<std::string, std::string> last_;  // plain: id -> last status printed
};

// Renders a whole stream; the first error message ends it as the returned Error.
Result<> render_stream(client::Stream& s, ProgressRenderer& r);

}  // namespace berth::cli

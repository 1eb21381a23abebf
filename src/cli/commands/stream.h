// Internal: moving bytes between the terminal/stdio and a hijacked attach or exec stream:
// raw terminal mode, detach keys, stdin EOF half-close, stdcopy demultiplexing, terminal
// resizes (SIGWINCH) and signal proxying.
#pragma once

#include <string>

#include "cli/commands/context.h"

namespace berth::cli {

struct PumpOptions {
    bool send_stdin = false;
    bool tty = false;
    std::string detach_keys;  // "ctrl-p,ctrl-q" when empty
    // Resize endpoint ("/containers/ID/resize" or "/exec/ID/resize"); empty: no resizes.
    std::string resize_path;
    // Container to forward signals to (--sig-proxy, not with a tty); empty: none.
    std::string sig_proxy_container;
};

enum class PumpEnd { OutputClosed, Detached };

// Copies until the daemon closes the output (or the user detaches). Stdin EOF half-closes
// the connection; output keeps flowing until the container's end.
Result<PumpEnd> pump(Context& ctx, client::Hijacked& conn, const PumpOptions& o);

// Sends the current terminal size to the resize endpoint (after start).
void resize_tty(Context& ctx, const std::string& resize_path);

// Parses docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-@") into bytes.
Result<std::string> parse_detach_keys(const std::string& spec);

}  // namespace berth::cli

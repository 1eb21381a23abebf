// The shim's monitor loop (see shim.h): runs after the re-exec, with the container's
// stdio and the attach socket inherited as fds.
#pragma once

#include <sys/types.h>

#include "shim/shim.h"

namespace berth::shim {

struct MonitorFds {
    int out = -1;       // stdout pipe, or the pty master when tty
    int err = -1;       // stderr pipe (-1 with a tty)
    int in = -1;        // stdin pipe (-1 without open_stdin; the pty master with a tty)
    int listener = -1;  // attach.sock, listening
};

// Never returns: exits when the container's init has exited and its state is recorded.
[[noreturn]] void monitor(const Options& opts, const MonitorFds& fds, pid_t init_pid);

}  // namespace berth::shim

// The shim's monitor (see shim.h): the event loop that runs for the container's whole life,
// as its own tiny static executable, berth-monitor, which berth-shim execs once the
// container is created (same process: it stays the init's parent and a subreaper). It
// links no runtime, JSON or logging library, so an idle monitor maps few pages.
//   berth-monitor INIT OUT ERR IN LISTENER <Options::to_args()>
// The command line keeps argv[0] "berth-shim" and the container id: berthd recognises its
// shims by their /proc/PID/cmdline.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shim/options.h"

namespace berth::shim {

struct MonitorFds {
    int out = -1;       // stdout pipe, or the pty master when tty
    int err = -1;       // stderr pipe (-1 with a tty)
    int in = -1;        // stdin pipe (-1 without open_stdin; the pty master with a tty)
    int listener = -1;  // attach.sock, listening
};

// The monitor's argv (argv[0] included), for execv.
std::vector<std::string> monitor_args(const Options& opts, const MonitorFds& fds, pid_t init_pid);
// berth-monitor's main: parses monitor_args() and runs the loop; returns only on bad usage.
int monitor_main(int argc, char** argv);

// Never returns: exits when the container's init has exited and exit.json is written.
[[noreturn]] void monitor(const Options& opts, const MonitorFds& fds, pid_t init_pid);

}  // namespace berth::shim

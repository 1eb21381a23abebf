// The two systemd protocols berthd speaks, without libsystemd (it would load libgcrypt,
// liblzma, liblz4 and libzstd into an otherwise small daemon): readiness notification
// (sd_notify(3): a datagram to $NOTIFY_SOCKET) and socket activation (sd_listen_fds(3):
// fds from 3 on, counted by $LISTEN_FDS, meant for the process $LISTEN_PID names).
// Both are no-ops outside systemd.
//
//   for (int fd : systemd::listen_fds()) server.listen_fd(fd);
//   systemd::notify("READY=1");
#pragma once

#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::systemd {

// The sockets passed to this process, in order; empty when none were (or they were meant
// for another process). Unsets the LISTEN_* variables so children do not see them.
std::vector<int> listen_fds();

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...") to the service manager. Ok and
// nothing sent when $NOTIFY_SOCKET is unset; an error names the socket that failed.
Result<> notify(std::string_view state);

}  // namespace berth::systemd

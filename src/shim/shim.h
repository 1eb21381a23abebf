// berth-shim: one small supervisor per container. It is the parent of the container's
// init (created in-process with the runtime library), holds the container's stdio (pipes
// or the pty master), writes the json-file log, serves attach clients on a unix socket,
// and records the exit status. It runs in its own session, so it survives berthd.
//
// Life of a shim (berthd's side in brackets):
//   [spawn_shim(opts)]  fork+exec berth-shim; it creates the container (state "created",
//                       init waiting on exec.fifo), then reports "ok <pid>" on the ready
//                       pipe and execs berth-monitor (a separate tiny static binary next
//                       to berth-shim) in the same process: an idle monitor is the host
//                       memory each running container costs.
//   [runtime::start]    berthd opens exec.fifo: the user process runs.
//   monitor             copies output to the log and to attached clients; stdin from the
//                       attach client to the container; SIGCHLD: reap (it is a subreaper).
//   exit                writes <state_dir>/exit.json atomically and exits: berthd's pidfd
//                       fires, and berthd reads the OOM kill from the cgroup and deletes
//                       the runtime container (the monitor links no runtime code).
//
// Files in state_dir: shim.pid, attach.sock, exit.json; the log at log_path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "shim/options.h"

namespace berth::shim {

struct ExitStatus {
    int exit_code = 0;
    std::string finished_at;  // RFC 3339
    bool oom_killed = false;
    Json to_json() const;
    static Result<ExitStatus> from_json(const Json& j);
};

struct Spawned {
    pid_t shim_pid = 0;
    pid_t init_pid = 0;
};

// Starts berth-shim (binary at shim_path) and waits until the container is created.
Result<Spawned> spawn_shim(const std::string& shim_path, const Options& opts);
Result<ExitStatus> read_exit_status(const std::string& state_dir);

// `berth-shim init -- CMD...`: PID 1 for `run --init` (signals forwarded, orphans reaped).
int init_main(int argc, char** argv);

}  // namespace berth::shim

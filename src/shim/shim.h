// berth-shim: one small supervisor per container. It is the parent of the container's
// init (created in-process with the runtime library), holds the container's stdio (pipes
// or the pty master), writes the json-file log, serves attach clients on a unix socket,
// and records the exit status. It runs in its own session, so it survives berthd.
//
// Life of a shim (berthd's side in brackets):
//   [spawn_shim(opts)]  fork+exec berth-shim; it creates the container (state "created",
//                       init waiting on exec.fifo), then reports "ok <pid>" on the ready
//                       pipe and re-executes itself in monitor mode, which keeps only
//                       the few pages the loop needs (the host memory per container).
//   [runtime::start]    berthd opens exec.fifo: the user process runs.
//   monitor             copies output to the log and to attached clients; stdin from the
//                       attach client to the container; SIGCHLD: reap the init.
//   exit                writes <state_dir>/exit.json atomically, deletes the runtime
//                       container (cgroup, state), and exits: berthd's pidfd fires.
//
// Files in state_dir: shim.pid, attach.sock, exit.json; the log at log_path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::shim {

struct Options {
    std::string id;
    std::string bundle;         // OCI bundle (config.json)
    std::string state_dir;      // shim files (attach.sock, exit.json, shim.pid)
    std::string runtime_root;   // berth-runtime's --root
    std::string log_path;       // json-file log; empty: no log
    int64_t log_max_size = -1;  // bytes; -1: unlimited
    int log_max_file = 1;
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;

    std::vector<std::string> to_args() const;
    static Result<Options> from_args(const std::vector<std::string>& args);
};

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

// The attach protocol: a client connects to attach.sock and sends one line,
//   "attach stdin=0|1 stdout=0|1 stderr=0|1\n"   then receives output (stdcopy-framed
//                                                without a tty, raw with one) and sends stdin
//   "resize <rows> <cols>\n"                     resizes the pty, then the shim closes
constexpr const char* kAttachSocket = "attach.sock";
constexpr const char* kExitFile = "exit.json";

// `berth-shim init -- CMD...`: PID 1 for `run --init` (signals forwarded, orphans reaped).
int init_main(int argc, char** argv);

// stdcopy framing (Docker's multiplexed stream): [stream, 0, 0, 0, big-endian len]
std::string stdcopy_frame(int stream, std::string_view data);

}  // namespace berth::shim

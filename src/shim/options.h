// The shim's command line, file names and wire formats, shared by berth-shim, the tiny
// berth-monitor and berthd (through shim.h). Nothing here needs nlohmann-json or the
// runtime, so the monitor can link it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

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

// The attach protocol: a client connects to attach.sock and sends one line,
//   "attach stdin=0|1 stdout=0|1 stderr=0|1\n"   then receives output (stdcopy-framed
//                                                without a tty, raw with one) and sends stdin
//   "resize <rows> <cols>\n"                     resizes the pty, then the shim closes
constexpr const char* kAttachSocket = "attach.sock";
constexpr const char* kExitFile = "exit.json";
// The monitor's executable, next to berth-shim.
constexpr const char* kMonitorBinary = "berth-monitor";

// exit.json's text, as ExitStatus::to_json() dumps it (read back by read_exit_status):
// {"exit_code":N,"finished_at":"...","oom_killed":false}
std::string exit_status_text(int exit_code, std::string_view finished_at, bool oom_killed = false);

}  // namespace berth::shim

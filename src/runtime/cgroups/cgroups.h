// Cgroups for one container, on cgroup v1 (one directory per controller hierarchy),
// cgroup v2 (one directory in the unified hierarchy) or a hybrid host (v1 controllers plus
// a cgroup2 mount at /sys/fs/cgroup/unified, as on these machines: v1 is used for the
// controllers, the unified mount only gets the directory so that tools see the process).
//
// Typical sequence (the runtime's create):
//   auto cg = BERTH_TRY(Cgroup::create(spec.linux->cgroups_path, container_id, resources));
//   BERTH_TRY(cg->add_process(child_pid));   // before the child execs
//   save cg->to_json() in the container's state.json
// Later commands (pause, resume, ps, delete, stats) reopen it with Cgroup::open(saved).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::cgroups {

enum class Mode { V1, Hybrid, V2 };
// Detected once from /sys/fs/cgroup (statfs magic numbers), then cached.
Mode detect_mode();
const char* mode_name(Mode m);  // "v1", "hybrid", "v2"

enum class FreezerState { Thawed, Freezing, Frozen };

struct Stats {
    // memory
    uint64_t memory_usage = 0, memory_limit = 0, memory_max_usage = 0, memory_cache = 0;
    uint64_t memory_failcnt = 0, memory_oom_kills = 0, swap_usage = 0;
    std::map<std::string, uint64_t> memory_raw;  // memory.stat as read
    // cpu (nanoseconds)
    uint64_t cpu_usage_total = 0, cpu_usage_user = 0, cpu_usage_kernel = 0;
    std::vector<uint64_t> cpu_usage_percpu;
    uint64_t cpu_throttled_periods = 0, cpu_throttled_time = 0, cpu_periods = 0;
    // pids
    uint64_t pids_current = 0, pids_limit = 0;  // 0 limit = max
    // block io, per device "major:minor" -> bytes
    struct BlkioEntry {
        uint64_t major = 0, minor = 0;
        std::string op;
        uint64_t value = 0;
    };
    std::vector<BlkioEntry> io_service_bytes;
    Json to_json() const;  // runc's `events --stats` shape
};

class Cgroup {
public:
    virtual ~Cgroup() = default;

    // Creates the cgroup and applies resources. cgroups_path is the spec's
    // linux.cgroupsPath: absolute ("/berth/abc") is relative to each hierarchy's root;
    // relative is relative to the runtime's own cgroup; empty means "/berth/<id>".
    // "slice:prefix:name" (systemd form) is mapped to the cgroupfs path
    // "/slice/prefix-name.scope" since no systemd runs here.
    // On failure nothing is left behind.
    static Result<std::unique_ptr<Cgroup>> create(const std::string& cgroups_path, const std::string& id,
                                                  const spec::Resources* resources);
    // Reopens a cgroup saved with to_json().
    static Result<std::unique_ptr<Cgroup>> open(const Json& saved);

    virtual Json to_json() const = 0;
    virtual Mode mode() const = 0;
    // Moves a process (and, for v1, into every controller) into this cgroup.
    virtual Result<> add_process(pid_t pid) = 0;
    // Applies (or re-applies, for `update`) resource limits.
    virtual Result<> update(const spec::Resources& resources) = 0;
    virtual Result<> freeze() = 0;  // waits until FROZEN
    virtual Result<> thaw() = 0;
    virtual Result<FreezerState> freezer_state() = 0;
    // Every process in the cgroup and its descendants.
    virtual Result<std::vector<pid_t>> pids() = 0;
    virtual Result<Stats> stats() = 0;
    // Sends sig to every process (thawing first when frozen so SIGKILL is delivered).
    virtual Result<> kill_all(int sig) = 0;
    // Removes the directories (retrying briefly while the kernel drains exited tasks).
    virtual Result<> destroy() = 0;
    // Path of the cgroup inside one hierarchy ("memory", "unified"); for tests and stats.
    virtual std::string path_of(const std::string& controller) const = 0;
};

}  // namespace berth::runtime::cgroups

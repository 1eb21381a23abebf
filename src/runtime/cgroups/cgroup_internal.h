// Private to the cgroups component: the host's cgroup layout (Env), the file helpers every
// backend uses (errors name the file and the value), and the seams unit tests use to run the
// backends against a fake tree in a temp dir.
#pragma once

#include <linux/bpf.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::cgroups {

// One v1 hierarchy: its controllers ("cpu", "cpuacct"; "name=systemd" for a named one).
struct V1Mount {
    std::vector<std::string> controllers;
    std::string mount;  // where it is mounted ("/sys/fs/cgroup/cpu,cpuacct")
    std::string own;    // this process's cgroup, relative to the mount ("/" or "/a/b")
};

// The cgroup layout the backends work in. load_env() reads the real host; tests build one
// over a temp dir with fake = true.
struct Env {
    Mode mode = Mode::V1;
    std::vector<V1Mount> v1;
    std::string unified_mount;  // v2 / hybrid
    std::string unified_own = "/";
    // Fake tree (tests): writes create/replace the file, and when `journal` is set also
    // append "<path> <value>" to it so tests see the order of every write; nothing that
    // needs the kernel (bpf, freezer waits) is attempted.
    bool fake = false;
    std::string journal;
};

Mode detect_mode_at(const std::string& root);  // statfs magic of root and root/unified
Result<Env> load_env();                        // cached after the first call
// Builds an Env from /proc/self/mountinfo and /proc/self/cgroup texts.
Env parse_env(Mode mode, std::string_view mountinfo, std::string_view proc_cgroup);

// linux.cgroupsPath -> "/abs/path" (from each hierarchy's root) or "rel/path" (from the
// process's own cgroup). Rejects ".." components.
Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id);
// The cgroup's path inside one hierarchy, given the process's own cgroup there.
std::string hierarchy_path(const std::string& resolved, const std::string& own);

Result<std::unique_ptr<Cgroup>> create_in(const Env& env, const std::string& cgroups_path,
                                          const std::string& id, const spec::Resources* resources);

// --- file helpers (cgroup_fs.cc) ---
class CgFs {
public:
    explicit CgFs(bool fake, std::string journal = {}) : fake_(fake), journal_(std::move(journal)) {}
    bool fake() const { return fake_; }
    const std::string& journal() const { return journal_; }
    // Error: write <path> "<value>": EBUSY (Device or resource busy)
    Result<> write(const std::string& path, std::string_view value) const;
    Result<std::string> read(const std::string& path) const;  // trimmed
    // nullopt when the file does not exist (optional controller files).
    Result<std::optional<std::string>> read_optional(const std::string& path) const;
    bool exists(const std::string& path) const;
    // mkdir -p under `base` (which must exist); appends every directory made to `created`.
    Result<> make_dirs(const std::string& base, const std::string& rel,
                       std::vector<std::string>* created) const;
    // Removes a cgroup directory and its sub-cgroups (children first), retrying EBUSY for
    // about a second; a missing directory is fine.
    Result<> remove_cgroup(const std::string& dir) const;
    // Pids in cgroup.procs of dir and every sub-cgroup.
    Result<std::vector<pid_t>> procs_recursive(const std::string& dir) const;

private:
    bool fake_;
    std::string journal_;
};

// The file access a saved cgroup used (fake trees record {"fake":{"journal":...}}).
CgFs saved_fs(const Json& saved);

// A number read from a cgroup file; "max" and empty read as 0.
uint64_t parse_u64(std::string_view s);
// Parses "key value" lines (memory.stat, cpu.stat) into (key, value) pairs.
std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text);
std::string rule_string(const spec::DeviceRule& r);  // "c 1:3 rwm", "a *:* rwm"

// v1 and v2 resource writers, exposed for the hybrid backend.
Result<std::string> v2_swap_value(const spec::MemoryResources& m);  // memory.swap.max text
uint64_t shares_to_weight(uint64_t shares);                         // cpu.shares -> cpu.weight
uint64_t blkio_to_io_weight(uint64_t weight);                       // blkio.weight -> io.weight

// --- v2 device filter (cgroup_devices_bpf.cc) ---
// A BPF_PROG_TYPE_CGROUP_DEVICE program for the rules: the last matching rule wins, no
// match denies.
std::vector<bpf_insn> build_device_program(const std::vector<spec::DeviceRule>& rules);
// Loads the program and attaches it to the cgroup dir, replacing the ones attached before.
Result<> attach_device_program(const std::string& dir, const std::vector<spec::DeviceRule>& rules);

// --- backends ---
Result<std::unique_ptr<Cgroup>> create_v1(const Env& env, const std::string& resolved,
                                          const spec::Resources* resources);
Result<std::unique_ptr<Cgroup>> open_v1(const Json& saved);
Result<std::unique_ptr<Cgroup>> create_v2(const Env& env, const std::string& resolved,
                                          const spec::Resources* resources);
Result<std::unique_ptr<Cgroup>> open_v2(const Json& saved);

// Shared v2 pieces (the hybrid backend uses them on the unified mount).
// Enables each of `wanted` (when the level offers it) in cgroup.subtree_control of every
// dir from mount down to dir's parent. Failing to enable one of `required` is an error,
// the others are skipped (e.g. EBUSY from the no-internal-processes rule).
Result<> v2_enable_controllers(const CgFs& fs, const std::string& mount, const std::string& dir,
                               const std::vector<std::string>& wanted,
                               const std::vector<std::string>& required);
Result<> v2_apply_hugetlb(const CgFs& fs, const std::string& dir,
                          const std::vector<spec::HugepageLimit>& limits);
Result<Stats> v2_stats(const CgFs& fs, const std::string& dir);
// v1 stats from each controller's directory (empty: controller absent).
struct V1StatDirs {
    std::string memory, cpuacct, cpu, pids, blkio;
};
Result<Stats> v1_stats(const CgFs& fs, const V1StatDirs& dirs);

}  // namespace berth::runtime::cgroups

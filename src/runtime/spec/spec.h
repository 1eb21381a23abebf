// The OCI runtime configuration (config.json, runtime-spec v1.1) as plain C++ structs.
//
// parse_spec() turns the JSON into a Spec and validates it; every error names the field
// ("process.args: must not be empty", "linux.namespaces[2].type: unknown namespace
// \"foo\""). Fields the spec marks optional are std::optional or empty containers here.
// default_spec() is what `berth-runtime spec` writes (runc's default, busybox-friendly).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::runtime::spec {

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::string apparmor_profile;
    std::string selinux_label;
};

struct Root {
    std::string path;  // absolute after parse (resolved against the bundle)
    bool readonly = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
    std::vector<uint32_t> uid_mappings_unused;  // idmapped mounts: not supported yet
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
    NamespaceType type;
    std::string path;  // empty: create a new one
};

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Device {
    std::string path;
    char type = 'c';  // c, b, u, p
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<mode_t> file_mode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

struct DeviceRule {
    bool allow = false;
    std::string type = "a";        // a, c, b
    std::optional<int64_t> major;  // nullopt = wildcard
    std::optional<int64_t> minor;
    std::string access = "rwm";
};

struct MemoryResources {
    std::optional<int64_t> limit;
    std::optional<int64_t> reservation;
    std::optional<int64_t> swap;  // memory+swap, as in the spec and cgroup v1
    std::optional<int64_t> kernel;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;
};

struct CpuResources {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtime_runtime;
    std::optional<uint64_t> realtime_period;
    std::string cpus;
    std::string mems;
    std::optional<uint64_t> idle;
};

struct PidsResources {
    int64_t limit = 0;  // <= 0: unlimited
};

struct BlkioDeviceWeight {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leaf_weight;
};

struct BlkioDeviceRate {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;
};

struct BlkioResources {
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leaf_weight;
    std::vector<BlkioDeviceWeight> weight_device;
    std::vector<BlkioDeviceRate> throttle_read_bps_device, throttle_write_bps_device,
        throttle_read_iops_device, throttle_write_iops_device;
};

struct HugepageLimit {
    std::string page_size;  // "2MB"
    uint64_t limit = 0;
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    std::optional<BlkioResources> blkio;
    std::vector<HugepageLimit> hugepage_limits;
    std::map<std::string, std::string> unified;  // cgroup v2 key -> value
};

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    std::string op;  // SCMP_CMP_EQ ...
};

struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_ALLOW ...
    std::optional<unsigned> errno_ret;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string default_action;
    std::optional<unsigned> default_errno_ret;
    std::vector<std::string> architectures;
    std::vector<std::string> flags;
    std::string listener_path;
    std::vector<SeccompSyscall> syscalls;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings;
    std::vector<IdMapping> gid_mappings;
    std::vector<Device> devices;
    std::optional<Resources> resources;
    std::string cgroups_path;
    std::map<std::string, std::string> sysctl;
    std::optional<Seccomp> seccomp;
    std::string rootfs_propagation;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string mount_label;

    bool has_namespace(NamespaceType t) const;
    const Namespace* find_namespace(NamespaceType t) const;
};

struct Spec {
    std::string oci_version;
    std::string hostname;
    std::string domainname;
    std::optional<Process> process;
    Root root;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    std::optional<Linux> linux;
    Json raw;  // the document as given, for `state` annotations and hooks
};

// Parses config.json text; relative root.path is resolved against bundle_dir.
Result<Spec> parse_spec(const Json& doc, const std::string& bundle_dir);
Result<Spec> load_spec(const std::string& bundle_dir);  // reads bundle_dir/config.json
Result<Process> parse_process(const Json& doc, std::string_view field = "process");

// runc's default config.json (rootless=false), for `berth-runtime spec`.
Json default_spec_json(bool rootless = false);

const char* namespace_name(NamespaceType t);  // "pid", "network", ...
std::optional<NamespaceType> namespace_from_name(std::string_view name);
int namespace_clone_flag(NamespaceType t);         // CLONE_NEWPID, ...
const char* namespace_proc_name(NamespaceType t);  // "pid", "net", "mnt" (/proc/<pid>/ns/)

}  // namespace berth::runtime::spec

// The config.json that `berth-runtime spec` writes: the same shape as runc's default so
// that tutorials written for runc work unchanged.
#include "runtime/spec/spec.h"

namespace berth::runtime::spec {

namespace {

// sh on a terminal, as root, with runc's three default capabilities.
Json default_process() {
    Json caps = Json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
    return {{"terminal", true},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"args", {"sh"}},
            {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
            {"cwd", "/"},
            {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
            {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
            {"noNewPrivileges", true}};
}

Json default_mounts() {
    return {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
            {{"destination", "/dev"},
             {"type", "tmpfs"},
             {"source", "tmpfs"},
             {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
            {{"destination", "/dev/pts"},
             {"type", "devpts"},
             {"source", "devpts"},
             {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
            {{"destination", "/dev/shm"},
             {"type", "tmpfs"},
             {"source", "shm"},
             {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
            {{"destination", "/dev/mqueue"},
             {"type", "mqueue"},
             {"source", "mqueue"},
             {"options", {"nosuid", "noexec", "nodev"}}},
            {{"destination", "/sys"},
             {"type", "sysfs"},
             {"source", "sysfs"},
             {"options", {"nosuid", "noexec", "nodev", "ro"}}},
            {{"destination", "/sys/fs/cgroup"},
             {"type", "cgroup"},
             {"source", "cgroup"},
             {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}};
}

// Every device denied, every namespace new but the user one, and the usual masked and
// read-only /proc and /sys paths.
Json default_linux() {
    return {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
            {"namespaces",
             {{{"type", "pid"}},
              {{"type", "network"}},
              {{"type", "ipc"}},
              {{"type", "uts"}},
              {{"type", "mount"}},
              {{"type", "cgroup"}}}},
            {"maskedPaths",
             {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
            {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
}

// runc spec --rootless: a user namespace mapping root to uid/gid 1000, no cgroup
// resources, and only the mounts an unprivileged user can make.
void make_rootless(Json& spec) {
    auto& linux = spec["linux"];
    linux["namespaces"].push_back({{"type", "user"}});
    linux["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    linux["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    linux.erase("resources");
    // Without CAP_SYS_ADMIN in the init user namespace, sysfs and cgroup must be bind mounts.
    for (auto& m : spec["mounts"]) {
        if (m["destination"] == "/sys") {
            m = {{"destination", "/sys"},
                 {"type", "none"},
                 {"source", "/sys"},
                 {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
        }
    }
    // gid 5 (tty) is usually not mapped in a rootless user namespace: devpts would refuse it.
    for (auto& m : spec["mounts"])
        if (m["destination"] == "/dev/pts")
            m["options"] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    auto& mounts = spec["mounts"];
    for (auto it = mounts.begin(); it != mounts.end(); ++it)
        if ((*it)["destination"] == "/sys/fs/cgroup") {
            mounts.erase(it);
            break;
        }
}

}  // namespace

Json default_spec_json(bool rootless) {
    Json spec = {
        {"ociVersion", "1.1.0"},
        {"process", default_process()},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "berth"},
        {"mounts", default_mounts()},
        {"linux", default_linux()},
    };
    if (rootless) make_rootless(spec);
    return spec;
}

}  // namespace berth::runtime::spec

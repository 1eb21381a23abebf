// The runtime-spec "features" document (features.md): what this runtime supports.
#include "runtime/caps/caps.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/container/container.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::runtime {

Json features() {
    auto mode = cgroups::detect_mode();
    return Json{
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.1.0"},
        {"hooks",
         {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions",
         {"async",       "atime",      "bind",    "defaults",   "dev",           "diratime",    "dirsync",
          "exec",        "lazytime",   "loud",    "mand",       "noatime",       "nodev",       "nodiratime",
          "noexec",      "nolazytime", "nomand",  "norelatime", "nostrictatime", "nosuid",      "private",
          "rbind",       "relatime",   "remount", "ro",         "rprivate",      "rshared",     "rslave",
          "runbindable", "rw",         "shared",  "silent",     "slave",         "strictatime", "suid",
          "sync",        "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", caps::known_capabilities()},
          {"cgroup",
           {{"v1", mode != cgroups::Mode::V2},
            {"v2", mode != cgroups::Mode::V1},
            {"systemd", false},
            {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions", seccomp::known_actions()},
            {"operators", seccomp::known_operators()},
            {"archs", seccomp::known_architectures()},
            {"knownFlags", seccomp::known_flags()},
            {"supportedFlags", seccomp::known_flags()}}},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        {"annotations", {{"org.opencontainers.runtime-spec.features.runtime", "berth-runtime"}}},
    };
}

}  // namespace berth::runtime

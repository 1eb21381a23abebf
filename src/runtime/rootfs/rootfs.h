// The container's root filesystem, built inside its new mount namespace (the child of
// clone, before exec), following the OCI runtime spec's "mounts" and linux sections:
//
//   prepare_rootfs(spec)      // propagation, bind rootfs to itself, every spec mount
//                             // (bind, rbind, proc, sysfs, tmpfs, devpts, mqueue, cgroup...),
//                             // /dev devices + symlinks + /dev/pts/ptmx, then pivot_root
//                             // into it and detach the old root.
//   ... sysctl, hostname, console (need /proc and /dev/pts, before they turn read-only)
//   finalize_rootfs(spec)     // maskedPaths, readonlyPaths, root.readonly, propagation
//
// Every mount destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT)
// (fallback: component-by-component resolution with O_NOFOLLOW), and mounted through its
// /proc/self/fd path, so a symlink in the image can never send a mount to the host.
#pragma once

#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::rootfs {

struct Options {
    // The child is in a new user namespace: mknod is not allowed, devices are bind mounted
    // from the host instead; sysfs may need to be a bind mount.
    bool in_user_namespace = false;
    // The container has its own cgroup namespace (affects the "cgroup" mount type).
    bool new_cgroup_namespace = false;
};

// Must run in the container's (new) mount namespace, as root in its user namespace.
Result<> prepare_rootfs(const spec::Spec& spec, const Options& opts);
// Runs after prepare_rootfs, once /proc and /dev are no longer needed writable.
Result<> finalize_rootfs(const spec::Spec& spec);

// Opens `path` (absolute, relative to the root at rootfd) without ever leaving the root:
// ".." stops at the root, absolute symlinks are taken relative to it. Exposed for exec
// (cwd) and for tests.
Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags);
// Like open_in_root but creates missing directories (and, when `file` is true, the last
// component as an empty file) along the way: for mount destinations.
Result<UniqueFd> mkdir_in_root(int rootfd, const std::string& path, bool file);

}  // namespace berth::runtime::rootfs

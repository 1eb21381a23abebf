// Private to the rootfs component: the pieces prepare_rootfs()/finalize_rootfs() are made
// of, each in its own file, exposed here so tests can reach them (option parsing, the
// openat2 fallback, mountinfo parsing).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::rootfs {

// ---- options.cc: a spec mount's "options" turned into mount(2) arguments ----

struct MountOptions {
    unsigned long flags = 0;                 // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC ...
    std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC ..., applied after mounting
    std::string data;                        // "mode=755,size=65536k": the filesystem's own
    bool bind() const;
};

// Unknown options are not errors: they go to the filesystem as data, as the OCI spec says.
MountOptions parse_mount_options(const std::vector<std::string>& options);
// "rprivate" -> MS_PRIVATE|MS_REC; nullopt for anything that is not a propagation word.
std::optional<unsigned long> parse_propagation(std::string_view word);
// statvfs f_flag bits (ST_RDONLY ...) as mount(2) flags: what a remount must keep.
unsigned long statvfs_to_mount_flags(unsigned long st_flags);

// ---- safe_path.cc: resolution that never leaves the root ----

// The openat2-free resolver (sys::openat2_walk with RESOLVE_IN_ROOT): open_in_root uses it
// when openat2 is missing or filtered; tests call it directly.
Result<UniqueFd> open_in_root_fallback(int rootfd, const std::string& path, int flags);
// mkdir_in_root's walker: the same resolution, creating what is missing.
Result<UniqueFd> mkdir_in_root_walk(int rootfd, const std::string& path, bool file);
// "/proc/self/fd/N": how a resolved fd becomes a mount(2) path.
std::string fd_path(int fd);
// Normalizes a spec destination: absolute, no "." or empty components ("/dev//pts/" ->
// "/dev/pts"); ".." is kept (it is resolved against the root, never above it).
std::string clean_destination(std::string_view dest);

// ---- mountinfo.cc ----

struct MountInfo {
    int id = 0;
    int parent = 0;
    std::string root;         // the mounted subtree of its filesystem
    std::string mount_point;  // unescaped
    std::string options;      // per-mount options
    std::string optional;     // "shared:1 master:2" (propagation)
    std::string fstype;
    std::string source;
    std::string super_options;
};

Result<std::vector<MountInfo>> read_mountinfo(const std::string& path = "/proc/self/mountinfo");
std::vector<MountInfo> parse_mountinfo(std::string_view text);

// ---- mounts.cc / cgroup_mount.cc: the spec's "mounts" ----

struct MountContext {
    const spec::Spec* spec = nullptr;
    const Options* opts = nullptr;
    int rootfd = -1;  // the rootfs, already bind-mounted on itself
};

// Mounts spec.mounts[index] inside the root; errors carry "mounts[i] (dest)".
Result<> mount_spec_entry(const MountContext& ctx, size_t index);
// The "cgroup" type (v1 tmpfs + hierarchies, or cgroup2); `dest` is already clean.
Result<> mount_cgroup(const MountContext& ctx, const spec::Mount& m, const MountOptions& mo,
                      const std::string& dest);
// Bind-remount of the mount at `dest` (re-resolved, so the new mount is the one changed)
// with `flags`; on EPERM retries keeping the flags the kernel locked (user namespaces).
Result<> remount_bind(int rootfd, const std::string& dest, unsigned long flags);
// Applies each propagation change to the mount at `dest`.
Result<> apply_propagation(int rootfd, const std::string& dest,
                           const std::vector<unsigned long>& propagation);

// ---- devices.cc ----

// The spec mounts something other than a bind on /dev: we own its content.
bool needs_dev_setup(const spec::Spec& spec);
Result<> setup_dev(const MountContext& ctx);

// ---- pivot.cc ----

// rootfsPropagation as flags; MS_SLAVE|MS_REC when unset.
Result<unsigned long> root_propagation(const spec::Spec& spec);
Result<> prepare_propagation(const spec::Spec& spec, const std::string& rootfs);
Result<> pivot_into(int rootfd);

// ---- masked.cc (after pivot_root, "/" is the container's root) ----

Result<> apply_readonly_paths(const std::vector<std::string>& paths);
Result<> apply_masked_paths(const std::vector<std::string>& paths);
Result<> remount_root_readonly();

}  // namespace berth::runtime::rootfs

// The "cgroup" mount type: on a cgroup v2 host a cgroup2 mount; on a v1 (or hybrid) host a
// tmpfs holding one directory per hierarchy, named as on the host, plus symlinks for
// co-mounted controllers (cpu -> cpu,cpuacct), as runc and crun present it. Without a new
// cgroup namespace each hierarchy is a bind of the container's own cgroup directory, so
// the container never sees its siblings.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

constexpr std::string_view kHostCgroupRoot = "/sys/fs/cgroup";

// /proc/self/cgroup: "4:memory:/a/b" -> {"memory": "/a/b"}; the v2 line "0::/x" -> {"": "/x"}.
Result<std::map<std::string, std::string>> own_cgroups() {
    auto text = BERTH_TRY(read_file("/proc/self/cgroup"));
    std::map<std::string, std::string> out;
    for (auto& line : split(text, '\n')) {
        auto a = line.find(':');
        auto b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
    return out;
}

// The /proc/self/cgroup key of a v1 hierarchy: every controller it names is among the
// mount's super options ("rw,cpu,cpuacct" matches "cpu,cpuacct").
const std::string* find_own_path(const std::map<std::string, std::string>& own, const MountInfo& mi,
                                 std::string* key) {
    auto supers = split(mi.super_options, ',');
    for (auto& [k, path] : own) {
        if (k.empty()) continue;
        bool all = true;
        for (auto& c : split(k, ','))
            if (std::find(supers.begin(), supers.end(), c) == supers.end()) all = false;
        if (all) {
            *key = k;
            return &path;
        }
    }
    return nullptr;
}

// Host path of our own cgroup in the hierarchy mounted at `mi` (its root may be a subtree
// when the runtime itself runs in a cgroup namespace).
std::string own_dir_on_host(const MountInfo& mi, const std::string& own_path) {
    std::string rel = own_path;
    if (mi.root != "/" && starts_with(rel, mi.root)) rel = rel.substr(mi.root.size());
    return mi.mount_point + (rel == "/" ? "" : rel);
}

// One hierarchy at `dest`: a fresh mount of it in a new cgroup namespace (the kernel
// shows our cgroup as its root), else a bind of our own directory.
Result<> mount_hierarchy(const MountContext& ctx, const MountOptions& mo, const std::string& dest,
                         const std::string& fstype, const std::string& data, const std::string& host_dir) {
    unsigned long flags = mo.flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT);
    auto fd = BERTH_TRY(mkdir_in_root(ctx.rootfd, dest, false));
    std::string target = fd_path(fd.get());
    if (ctx.opts->new_cgroup_namespace) {
        if (::mount(fstype.c_str(), target.c_str(), fstype.c_str(), flags,
                    data.empty() ? nullptr : data.c_str()) != 0)
            return Error::sys("mount " + fstype + " on", dest);
    } else if (::mount(host_dir.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        return Error::sys("bind mount " + host_dir + " on", dest);
    }
    // Read-only (and the other flags of a bind) are per-mount: a bind remount sets them
    // without touching the hierarchy's superblock, which the host shares.
    unsigned long extra = mo.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra == 0) return ok();
    return remount_bind(ctx.rootfd, dest, extra);
}

Result<> mount_cgroup_v1(const MountContext& ctx, const MountOptions& mo, const std::string& dest) {
    auto infos = BERTH_TRY(read_mountinfo());
    auto own = BERTH_TRY(own_cgroups());
    unsigned long tmpfs_flags = mo.flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT);
    auto fd = BERTH_TRY(mkdir_in_root(ctx.rootfd, dest, false));
    std::string target = fd_path(fd.get());
    if (::mount("tmpfs", target.c_str(), "tmpfs", tmpfs_flags, "mode=755") != 0)
        return Error::sys("mount tmpfs on", dest);
    auto dir = BERTH_TRY(open_in_root(ctx.rootfd, dest, O_PATH | O_DIRECTORY));

    std::string prefix = std::string(kHostCgroupRoot) + "/";
    for (const auto& mi : infos) {
        if (!starts_with(mi.mount_point, prefix)) continue;
        std::string name = mi.mount_point.substr(prefix.size());
        if (name.empty() || name.find('/') != std::string::npos) continue;
        std::string sub = dest + "/" + name;
        if (mi.fstype == "cgroup2") {  // hybrid host: the unified hierarchy
            auto it = own.find("");
            std::string host = own_dir_on_host(mi, it == own.end() ? "/" : it->second);
            BERTH_TRY(mount_hierarchy(ctx, mo, sub, "cgroup2", "", host));
            continue;
        }
        if (mi.fstype != "cgroup") continue;
        std::string key;
        const std::string* path = find_own_path(own, mi, &key);
        if (!path) continue;  // a hierarchy we are not in (mounted twice, or not ours)
        BERTH_TRY(mount_hierarchy(ctx, mo, sub, "cgroup", key, own_dir_on_host(mi, *path)));
        // Co-mounted controllers: "cpu" and "cpuacct" both lead to "cpu,cpuacct".
        if (name.find(',') == std::string::npos) continue;
        for (auto& part : split(name, ',')) {
            if (::symlinkat(name.c_str(), dir.get(), part.c_str()) != 0 && errno != EEXIST)
                return Error::sys("symlink", dest + "/" + part);
        }
    }
    if (mo.flags & MS_RDONLY) BERTH_TRY(remount_bind(ctx.rootfd, dest, mo.flags));
    return ok();
}

}  // namespace

Result<> mount_cgroup(const MountContext& ctx, const spec::Mount&, const MountOptions& mo,
                      const std::string& dest) {
    struct statfs sfs {};
    if (::statfs(std::string(kHostCgroupRoot).c_str(), &sfs) != 0)
        return Error::sys("statfs", kHostCgroupRoot);
    if (sfs.f_type != CGROUP2_SUPER_MAGIC) return mount_cgroup_v1(ctx, mo, dest);

    auto own = BERTH_TRY(own_cgroups());
    auto it = own.find("");
    MountInfo host;
    host.root = "/";
    host.mount_point = kHostCgroupRoot;
    // Pure v2 host: without a cgroup namespace our own directory is bound, as with v1.
    return mount_hierarchy(ctx, mo, dest, "cgroup2", "",
                           own_dir_on_host(host, it == own.end() ? "/" : it->second));
}

}  // namespace berth::runtime::rootfs

// The spec's "mounts", in order, inside the root: every destination is resolved (and
// created) with mkdir_in_root and mounted through its /proc/self/fd path, so a symlink in
// the image can never send a mount to the host. Cgroup mounts live in cgroup_mount.cc.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

constexpr unsigned long kAtimeFlags = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

const char* nullable(const std::string& s) {
    return s.empty() ? nullptr : s.c_str();
}

// proc and sysfs only ever go on directories: a file there is a sign of a hostile image
// (runc rejects it too; mounting proc over e.g. /etc/passwd hides what the image put there).
Result<> require_directory_or_missing(int rootfd, const std::string& dest, const std::string& type) {
    auto fd = open_in_root(rootfd, dest, O_PATH);
    if (!fd) {
        if (fd.error().sys_errno() == ENOENT) return ok();
        return std::move(fd).error();
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return Error::sys("stat", dest);
    if (!S_ISDIR(st.st_mode))
        return Error::invalid("cannot mount " + type + " on " + dest + ": not a directory");
    return ok();
}

// mount(2) of a new filesystem (not a bind) on a destination resolved inside the root.
Result<> mount_fs(int rootfd, const std::string& source, const std::string& type, const std::string& dest,
                  unsigned long flags, const std::string& data) {
    auto fd = BERTH_TRY(mkdir_in_root(rootfd, dest, false));
    std::string target = fd_path(fd.get());
    if (::mount(nullable(source), target.c_str(), nullable(type), flags, nullable(data)) != 0)
        return Error::sys("mount " + (type.empty() ? std::string("(no type)") : type) + " on", dest);
    return ok();
}

Result<> bind_mount(int rootfd, const std::string& source, const std::string& dest, const MountOptions& mo) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) return Error::sys("stat bind source", source);
    auto fd = BERTH_TRY(mkdir_in_root(rootfd, dest, !S_ISDIR(st.st_mode)));
    std::string target = fd_path(fd.get());
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | (mo.flags & MS_REC), nullptr) != 0)
        return Error::sys("bind mount " + source + " on", dest);
    // A bind mount ignores every other flag: they take a second, remount step.
    unsigned long extra = mo.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra != 0) BERTH_TRY(remount_bind(rootfd, dest, extra));
    return ok();
}

Result<> mount_sysfs(const MountContext& ctx, const spec::Mount& m, const MountOptions& mo,
                     const std::string& dest) {
    BERTH_TRY(require_directory_or_missing(ctx.rootfd, dest, "sysfs"));
    auto r = mount_fs(ctx.rootfd, m.source.empty() ? "sysfs" : m.source, "sysfs", dest, mo.flags, mo.data);
    if (r) return r;
    // A user namespace that does not own the network namespace (none asked for, or one
    // joined by path) may not mount sysfs: the kernel ties sysfs to the net ns. The host's
    // /sys, bound with the same flags, is what runc uses then.
    if (r.error().sys_errno() != EPERM || !ctx.opts->in_user_namespace) return r;
    MountOptions bind = mo;
    bind.flags |= MS_BIND | MS_REC;
    return bind_mount(ctx.rootfd, "/sys", dest, bind);
}

bool is_bind(const spec::Mount& m, const MountOptions& mo) {
    return mo.bind() || m.type == "bind" || m.type == "rbind";
}

Result<> mount_entry(const MountContext& ctx, const spec::Mount& m, const std::string& dest) {
    MountOptions mo = parse_mount_options(m.options);
    if (m.type == "rbind") mo.flags |= MS_BIND | MS_REC;
    if (m.type == "bind") mo.flags |= MS_BIND;
    // /dev is filled (devices, symlinks) after the mounts: finalize_rootfs makes it read-only.
    if (dest == "/dev" && !mo.bind()) mo.flags &= ~MS_RDONLY;

    if (is_bind(m, mo)) {
        if (m.source.empty()) return Error::invalid("bind mount without a source");
        BERTH_TRY(bind_mount(ctx.rootfd, m.source, dest, mo));
    } else if (m.type == "cgroup") {
        BERTH_TRY(mount_cgroup(ctx, m, mo, dest));
    } else if (m.type == "sysfs") {
        BERTH_TRY(mount_sysfs(ctx, m, mo, dest));
    } else {
        if (m.type == "proc") BERTH_TRY(require_directory_or_missing(ctx.rootfd, dest, "proc"));
        // proc, tmpfs, devpts, mqueue and anything else: the source is passed through.
        std::string source = m.source.empty() ? m.type : m.source;
        BERTH_TRY(mount_fs(ctx.rootfd, source, m.type, dest, mo.flags, mo.data));
    }
    return apply_propagation(ctx.rootfd, dest, mo.propagation);
}

}  // namespace

Result<> remount_bind(int rootfd, const std::string& dest, unsigned long flags) {
    // Re-resolved: the fd we mounted on names the directory underneath, not the new mount.
    auto fd = BERTH_TRY(open_in_root(rootfd, dest, O_PATH));
    std::string target = fd_path(fd.get());
    unsigned long want = MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
    if (::mount(nullptr, target.c_str(), nullptr, want, nullptr) == 0) return ok();
    if (errno != EPERM) return Error::sys("remount", dest);
    // In a user namespace the flags of an inherited mount are locked (MNT_LOCK_*): a remount
    // that would clear one fails with EPERM, so keep what the mount already has.
    struct statvfs sv {};
    if (::statvfs(target.c_str(), &sv) != 0) return Error::sys("statvfs", dest);
    unsigned long locked = statvfs_to_mount_flags(sv.f_flag);
    if (want & kAtimeFlags) locked &= ~kAtimeFlags;  // an explicit atime choice wins
    if (::mount(nullptr, target.c_str(), nullptr, want | locked, nullptr) != 0)
        return Error::sys("remount", dest);
    return ok();
}

Result<> apply_propagation(int rootfd, const std::string& dest,
                           const std::vector<unsigned long>& propagation) {
    for (unsigned long p : propagation) {
        auto fd = BERTH_TRY(open_in_root(rootfd, dest, O_PATH));
        std::string target = fd_path(fd.get());
        if (::mount(nullptr, target.c_str(), nullptr, p, nullptr) != 0)
            return Error::sys("set propagation of", dest);
    }
    return ok();
}

Result<> mount_spec_entry(const MountContext& ctx, size_t index) {
    const spec::Mount& m = ctx.spec->mounts.at(index);
    std::string dest = clean_destination(m.destination);
    std::string where = "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
    if (dest == "/") return Error::invalid("destination \"/\" would hide the root").with_context(where);
    auto r = mount_entry(ctx, m, dest);
    if (!r) return std::move(r.error()).with_context(where);
    return ok();
}

}  // namespace berth::runtime::rootfs

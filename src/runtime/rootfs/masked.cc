// What finalize_rootfs changes once the container is in its root: linux.readonlyPaths
// (bind on itself, remounted read-only), linux.maskedPaths (hidden behind /dev/null or an
// empty read-only tmpfs) and root.readonly. Missing paths are skipped, as in runc.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <optional>

#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

struct Target {
    UniqueFd fd;       // O_PATH, resolved inside "/"
    std::string path;  // what mount(2) is given
    struct stat st {};
};

// Resolves `path` under the (new) root; nullopt when it does not exist. Mounting through
// the fd keeps a symlink swapped in after the lookup from redirecting the mount; without a
// /proc in the container the path itself is used (it cannot leave "/" anyway).
Result<std::optional<Target>> resolve(int rootfd, const std::string& path) {
    auto fd = open_in_root(rootfd, path, O_PATH);
    if (!fd) {
        if (fd.error().sys_errno() == ENOENT) return std::optional<Target>();
        return std::move(fd).error();
    }
    Target t;
    t.fd = std::move(*fd);
    if (::fstat(t.fd.get(), &t.st) != 0) return Error::sys("stat", path);
    bool have_proc = ::access("/proc/self/fd", F_OK) == 0;
    t.path = have_proc ? fd_path(t.fd.get()) : clean_destination(path);
    return std::optional<Target>(std::move(t));
}

Result<UniqueFd> open_root() {
    UniqueFd fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::sys("open /");
    return fd;
}

}  // namespace

Result<> apply_readonly_paths(const std::vector<std::string>& paths) {
    auto root = BERTH_TRY(open_root());
    for (const auto& p : paths) {
        auto t = BERTH_TRY(resolve(root.get(), p));
        if (!t) continue;
        if (::mount(t->path.c_str(), t->path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            return Error::sys("bind mount on itself", p);
        BERTH_TRY(remount_bind(root.get(), p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    }
    return ok();
}

Result<> apply_masked_paths(const std::vector<std::string>& paths) {
    auto root = BERTH_TRY(open_root());
    for (const auto& p : paths) {
        auto t = BERTH_TRY(resolve(root.get(), p));
        if (!t) continue;
        if (S_ISDIR(t->st.st_mode)) {
            if (::mount("tmpfs", t->path.c_str(), "tmpfs", MS_RDONLY, "size=0k,mode=755") != 0)
                return Error::sys("mask with tmpfs", p);
        } else if (::mount("/dev/null", t->path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
            return Error::sys("mask with /dev/null", p);
        }
    }
    return ok();
}

Result<> remount_root_readonly() {
    // Keep the root's other flags: in a user namespace clearing a locked one is EPERM.
    struct statvfs sv {};
    if (::statvfs("/", &sv) != 0) return Error::sys("statvfs", "/");
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | statvfs_to_mount_flags(sv.f_flag);
    if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0) return Error::sys("remount / read-only");
    return ok();
}

}  // namespace berth::runtime::rootfs

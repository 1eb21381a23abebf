// Mount propagation of the container's tree and the switch into the rootfs: pivot_root
// with runc's "pivot_root(".", ".")" trick (no put_old directory inside the image), or
// MS_MOVE + chroot when the current root cannot be pivoted (initramfs).
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

// pivot_root(2) refuses a new root whose parent mount is shared; runc makes that parent
// private (only it: its peers on the host keep their propagation).
Result<> make_parent_private(const std::string& rootfs) {
    char real[PATH_MAX];
    if (!::realpath(rootfs.c_str(), real)) return Error::sys("realpath", rootfs);
    std::string path = real;
    auto infos = BERTH_TRY(read_mountinfo());
    const MountInfo* best = nullptr;
    for (const auto& mi : infos) {
        const std::string& mp = mi.mount_point;
        bool under = mp == "/" || path == mp || starts_with(path, mp + "/");
        if (under && (!best || mp.size() >= best->mount_point.size())) best = &mi;
    }
    if (!best || best->optional.find("shared:") == std::string::npos) return ok();
    if (::mount(nullptr, best->mount_point.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
        return Error::sys("make private", best->mount_point);
    return ok();
}

// The fallback for a root that is not a mount point pivot_root accepts (ramfs/initramfs).
Result<> move_root(int rootfd) {
    if (::fchdir(rootfd) != 0) return Error::sys("chdir into rootfs");
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return Error::sys("move rootfs to /");
    if (::chroot(".") != 0) return Error::sys("chroot into rootfs");
    if (::chdir("/") != 0) return Error::sys("chdir /");
    return ok();
}

bool root_is_ramfs() {
    struct statfs sfs {};
    if (::statfs("/", &sfs) != 0) return false;
    return sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC;
}

}  // namespace

Result<unsigned long> root_propagation(const spec::Spec& spec) {
    if (!spec.linux || spec.linux->rootfs_propagation.empty()) return MS_SLAVE | MS_REC;
    auto p = parse_propagation(spec.linux->rootfs_propagation);
    if (!p)
        return Error::invalid("linux.rootfsPropagation: unknown value \"" + spec.linux->rootfs_propagation +
                              "\"");
    return *p;
}

Result<> prepare_propagation(const spec::Spec& spec, const std::string& rootfs) {
    unsigned long flags = BERTH_TRY(root_propagation(spec));
    // Our copy of the host's mount tree: from here on, nothing we mount reaches the host.
    if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0) return Error::sys("set propagation of /");
    return make_parent_private(rootfs);
}

Result<> pivot_into(int rootfd) {
    UniqueFd oldroot(::open("/", O_DIRECTORY | O_PATH | O_CLOEXEC));
    if (!oldroot) return Error::sys("open /");
    if (::fchdir(rootfd) != 0) return Error::sys("chdir into rootfs");
    // With new_root == put_old the old root ends up stacked on top of the new one, and no
    // directory has to exist in the image for it.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) {
        int err = errno;
        if (err == EINVAL && root_is_ramfs()) return move_root(rootfd);
        return Error::sys("pivot_root", {}, err);
    }
    if (::fchdir(oldroot.get()) != 0) return Error::sys("chdir into old root");
    // Slave first, so the detach below cannot propagate an unmount to the host's mounts.
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
        return Error::sys("make old root rslave");
    if (::umount2(".", MNT_DETACH) != 0) return Error::sys("detach old root");
    if (::chdir("/") != 0) return Error::sys("chdir /");
    return ok();
}

}  // namespace berth::runtime::rootfs

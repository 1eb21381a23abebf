// prepare_rootfs / finalize_rootfs: the sequence of named steps (propagation, rootfs bind,
// spec mounts, /dev, pivot_root; then read-only/masked paths, read-only root). Each step
// lives in its own file (see rootfs_internal.h).
#include "runtime/rootfs/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>

#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

// The flags of the /dev mount: when they include "ro", it was mounted read-write so the
// devices could be made, and turns read-only (keeping its other flags) in finalize.
unsigned long dev_flags(const spec::Spec& spec) {
    unsigned long flags = 0;
    for (const auto& m : spec.mounts)
        if (clean_destination(m.destination) == "/dev") flags = parse_mount_options(m.options).flags;
    return flags;
}

}  // namespace

Result<> prepare_rootfs(const spec::Spec& spec, const Options& opts) {
    const std::string& rootfs = spec.root.path;
    if (rootfs.empty() || rootfs[0] != '/') return Error::invalid("root.path: must be absolute");
    BERTH_TRY_CTX(prepare_propagation(spec, rootfs), "mount propagation");
    // pivot_root needs the new root to be a mount point; MS_REC keeps mounts already made
    // inside it (e.g. volumes prepared by the engine).
    if (::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return Error::sys("bind mount rootfs on itself", rootfs);
    UniqueFd rootfd(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfd) return Error::sys("open rootfs", rootfs);

    MountContext ctx{&spec, &opts, rootfd.get()};
    for (size_t i = 0; i < spec.mounts.size(); ++i) BERTH_TRY(mount_spec_entry(ctx, i));
    if (needs_dev_setup(spec)) BERTH_TRY_CTX(setup_dev(ctx), "set up /dev");
    BERTH_TRY_CTX(pivot_into(rootfd.get()), "enter rootfs " + rootfs);
    return ok();
}

Result<> finalize_rootfs(const spec::Spec& spec) {
    if (spec.linux) {
        BERTH_TRY_CTX(apply_readonly_paths(spec.linux->readonly_paths), "linux.readonlyPaths");
        BERTH_TRY_CTX(apply_masked_paths(spec.linux->masked_paths), "linux.maskedPaths");
    }
    if (needs_dev_setup(spec) && (dev_flags(spec) & MS_RDONLY)) {
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) return Error::sys("open /");
        BERTH_TRY_CTX(remount_bind(root.get(), "/dev", dev_flags(spec)), "remount /dev read-only");
    }
    if (spec.root.readonly) BERTH_TRY_CTX(remount_root_readonly(), "root.readonly");
    // Applied again now that the rootfs is "/": in prepare_rootfs it was set on the host's
    // tree copy, before the rootfs mount existed (runc does the same after pivot_root).
    if (spec.linux && !spec.linux->rootfs_propagation.empty()) {
        unsigned long flags = BERTH_TRY(root_propagation(spec));
        if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0)
            return Error::sys("set propagation of /").with_context("linux.rootfsPropagation");
    }
    return ok();
}

}  // namespace berth::runtime::rootfs

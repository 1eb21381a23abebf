// /dev inside the container, when the spec mounts a fresh filesystem there: the OCI
// "Default Devices", linux.devices, and the usual symlinks (fd, stdio, core, ptmx).
// In a user namespace mknod is refused, so each device is the host's, bind-mounted on an
// empty file (runc's and crun's way).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/scope.h"
#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

spec::Device default_device(const char* path, int64_t major, int64_t minor) {
    spec::Device d;
    d.path = path;
    d.type = 'c';
    d.major = major;
    d.minor = minor;
    d.file_mode = 0666;
    d.uid = 0;
    d.gid = 0;
    return d;
}

std::vector<spec::Device> all_devices(const spec::Spec& s) {
    std::vector<spec::Device> devs = {
        default_device("/dev/null", 1, 3),    default_device("/dev/zero", 1, 5),
        default_device("/dev/full", 1, 7),    default_device("/dev/random", 1, 8),
        default_device("/dev/urandom", 1, 9), default_device("/dev/tty", 5, 0),
    };
    if (!s.linux) return devs;
    for (const auto& d : s.linux->devices) {
        std::string p = clean_destination(d.path);
        auto same = [&](const spec::Device& x) { return clean_destination(x.path) == p; };
        std::erase_if(devs, same);  // the spec's entry replaces a default of the same path
        devs.push_back(d);
    }
    return devs;
}

Result<mode_t> file_type(char type) {
    switch (type) {
        case 'c':
        case 'u':
            return S_IFCHR;
        case 'b':
            return S_IFBLK;
        case 'p':
            return S_IFIFO;
    }
    return Error::invalid(std::string("unknown device type '") + type + "'");
}

Result<> bind_host_device(const MountContext& ctx, const spec::Device& d, const std::string& dest) {
    auto fd = BERTH_TRY(mkdir_in_root(ctx.rootfd, dest, true));
    std::string target = fd_path(fd.get());
    if (::mount(d.path.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
        return Error::sys("bind mount " + d.path + " on", dest);
    return ok();
}

Result<> make_device(const MountContext& ctx, const spec::Device& d) {
    std::string dest = clean_destination(d.path);
    if (dest == "/") return Error::invalid("device path \"" + d.path + "\" is not a file");
    if (ctx.opts->in_user_namespace) return bind_host_device(ctx, d, dest);

    mode_t type = BERTH_TRY(file_type(d.type));
    mode_t mode = type | (d.file_mode.value_or(0666) & 07777);
    dev_t dev = type == S_IFIFO ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    auto slash = dest.rfind('/');
    std::string parent = dest.substr(0, slash), name = dest.substr(slash + 1);
    auto dir = BERTH_TRY(mkdir_in_root(ctx.rootfd, parent.empty() ? "/" : parent, false));
    // mknodat never follows a symlink at `name`; whatever is there (a default we are
    // replacing, a file from the image) goes first.
    int r = ::mknodat(dir.get(), name.c_str(), mode, dev);
    if (r != 0 && errno == EEXIST) {
        if (::unlinkat(dir.get(), name.c_str(), 0) != 0) return Error::sys("unlink", dest);
        r = ::mknodat(dir.get(), name.c_str(), mode, dev);
    }
    if (r != 0) {
        // EPERM without CAP_MKNOD or under a devices cgroup that denies "m": the host's node,
        // bound, is the same device (crun does the same); keep the mknod error otherwise.
        int err = errno;
        if (err != EPERM || type == S_IFIFO || ::access(d.path.c_str(), F_OK) != 0)
            return Error::sys("mknod", dest, err);
        return bind_host_device(ctx, d, dest);
    }
    if (::fchownat(dir.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) != 0)
        return Error::sys("chown", dest);
    return ok();
}

Result<> make_symlinks(const MountContext& ctx) {
    auto dev = BERTH_TRY(open_in_root(ctx.rootfd, "/dev", O_PATH | O_DIRECTORY));
    std::vector<std::pair<const char*, const char*>> links = {
        {"fd", "/proc/self/fd"},
        {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},
    };
    if (::access("/proc/kcore", F_OK) == 0) links.emplace_back("core", "/proc/kcore");
    for (auto& [name, target] : links)
        if (::symlinkat(target, dev.get(), name) != 0 && errno != EEXIST)
            return Error::sys("symlink", std::string("/dev/") + name);
    // The ptmx of the container's own devpts instance (mounted with newinstance), never a
    // node that would open the host's pty namespace.
    if (::unlinkat(dev.get(), "ptmx", 0) != 0 && errno != ENOENT) return Error::sys("unlink", "/dev/ptmx");
    if (::symlinkat("pts/ptmx", dev.get(), "ptmx") != 0) return Error::sys("symlink", "/dev/ptmx");
    return ok();
}

}  // namespace

bool needs_dev_setup(const spec::Spec& spec) {
    bool mounted = false;
    for (const auto& m : spec.mounts) {
        if (clean_destination(m.destination) != "/dev") continue;
        // A bind of a host directory on /dev is used as given (runc's rule): never mknod there.
        auto mo = parse_mount_options(m.options);
        mounted = !(mo.bind() || m.type == "bind" || m.type == "rbind");
    }
    return mounted;
}

Result<> setup_dev(const MountContext& ctx) {
    // Modes must come out exactly as asked (0666, not 0644 under the usual umask).
    mode_t old = ::umask(0);
    ScopeExit restore([old] { ::umask(old); });
    for (const auto& d : all_devices(*ctx.spec)) {
        auto r = make_device(ctx, d);
        if (!r) return std::move(r.error()).with_context("device " + d.path);
    }
    return make_symlinks(ctx);
}

}  // namespace berth::runtime::rootfs

// Mounting a snapshot: overlayfs through the new mount API (one lower per fsconfig call)
// or mount(2) with short relative lower names, and bind mounts for single-dir views.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/fd.h"
#include "common/file.h"
#include "image/snapshotter/snapshotter.h"

namespace berth::image::snapshotter {

namespace {

constexpr size_t kPageSize = 4096;

// The kernel explains fsconfig failures in the fs context's log: read it for the error.
Error fs_error(int fsfd, const std::string& op, const std::string& what, int err) {
    Error e = Error::sys(op, what, err);
    char buf[512];
    ssize_t n = ::read(fsfd, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        std::string log(buf);
        while (!log.empty() && log.back() == '\n') log.pop_back();
        e.with_context("overlay: " + log);
    }
    return e;
}

Result<> mount_new_api(const Mount& m, const std::string& target) {
    int raw = ::fsopen("overlay", FSOPEN_CLOEXEC);
    if (raw < 0) return Error::sys("fsopen overlay");
    UniqueFd fs(raw);
    for (const auto& lower : m.lowers) {
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", lower.c_str(), 0) != 0) {
            int err = errno;
            // Kernels before 6.8 do not know "lowerdir+": let the caller fall back.
            if (err == EINVAL && &lower == &m.lowers.front())
                return Error(ErrorKind::Unsupported, "overlay lowerdir+ not supported by this kernel");
            return fs_error(fs.get(), "fsconfig lowerdir+", lower, err);
        }
    }
    if (!m.upper.empty()) {
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", m.upper.c_str(), 0) != 0)
            return fs_error(fs.get(), "fsconfig upperdir", m.upper, errno);
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", m.work.c_str(), 0) != 0)
            return fs_error(fs.get(), "fsconfig workdir", m.work, errno);
        if (m.volatile_upper && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
            return fs_error(fs.get(), "fsconfig volatile", m.work, errno);
    }
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        return fs_error(fs.get(), "create overlay", target, errno);
    int mfd = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, m.readonly ? MOUNT_ATTR_RDONLY : 0);
    if (mfd < 0) return Error::sys("fsmount overlay", target);
    UniqueFd mnt(mfd);
    if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        return Error::sys("move_mount overlay", target);
    return ok();
}

// mount(2) with the options in one page. Absolute lowers when they fit; otherwise short
// symlinks scratch/l/<n> -> lower, named relative to scratch/l by a child process that
// chdir's there (cwd is per process: the daemon's other threads must not see it move).
Result<> mount_legacy(const Mount& m, const std::string& target, const std::string& scratch) {
    std::string upper_opts;
    if (!m.upper.empty()) upper_opts = ",upperdir=" + m.upper + ",workdir=" + m.work;
    if (!m.upper.empty() && m.volatile_upper) upper_opts += ",volatile";
    std::string data = "lowerdir=";
    for (size_t i = 0; i < m.lowers.size(); ++i) data += (i ? ":" : "") + m.lowers[i];
    data += upper_opts;
    unsigned long flags = m.readonly ? MS_RDONLY : 0;
    if (data.size() < kPageSize) {
        if (::mount("overlay", target.c_str(), "overlay", flags, data.c_str()) != 0)
            return Error::sys("mount overlay", target);
        return ok();
    }
    std::string links = scratch + "/l";
    BERTH_TRY(remove_all(links));
    BERTH_TRY(mkdir_all(links, 0700));
    data = "lowerdir=";
    for (size_t i = 0; i < m.lowers.size(); ++i) {
        std::string name = std::to_string(i);
        if (::symlink(m.lowers[i].c_str(), (links + "/" + name).c_str()) != 0)
            return Error::sys("symlink", links + "/" + name);
        data += (i ? ":" : "") + name;
    }
    data += upper_opts;
    if (data.size() >= kPageSize)
        return Error::invalid("overlay options too long even with short lower names (" +
                              std::to_string(m.lowers.size()) + " layers)");
    // Everything the child needs is built before fork: it only calls chdir, mount, _exit.
    const char* dir = links.c_str();
    const char* tgt = target.c_str();
    const char* opts = data.c_str();
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork");
    if (pid == 0) {
        if (::chdir(dir) != 0) ::_exit(errno ? errno : 1);
        if (::mount("overlay", tgt, "overlay", flags, opts) != 0) ::_exit(errno ? errno : 1);
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return Error::sys("waitpid");
    }
    if (!WIFEXITED(status)) return Error::internal("overlay mount helper died");
    if (WEXITSTATUS(status) != 0)
        return Error::sys("mount overlay (short lower names)", target, WEXITSTATUS(status));
    return ok();
}

Result<> mount_bind(const Mount& m, const std::string& target) {
    if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
        return Error::sys("bind mount " + m.source + " on", target);
    if (m.readonly &&
        ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        Error e = Error::sys("remount read-only", target);
        (void)::umount2(target.c_str(), MNT_DETACH);  // undoing: the remount error is reported
        return e;
    }
    return ok();
}

}  // namespace

std::vector<std::string> Mount::options() const {
    std::vector<std::string> out;
    if (type == "bind") {
        out.push_back("rbind");
        out.push_back(readonly ? "ro" : "rw");
        return out;
    }
    std::string lower = "lowerdir=";
    for (size_t i = 0; i < lowers.size(); ++i) lower += (i ? ":" : "") + lowers[i];
    out.push_back(lower);
    if (!upper.empty()) {
        out.push_back("upperdir=" + upper);
        out.push_back("workdir=" + work);
        if (volatile_upper) out.push_back("volatile");
    }
    if (readonly) out.push_back("ro");
    return out;
}

Result<> mount_snapshot(const Mount& m, const std::string& target, const std::string& scratch, MountApi api) {
    if (m.type == "bind") return mount_bind(m, target);
    if (m.type != "overlay") return Error::invalid("unknown snapshot mount type " + m.type);
    if (api != MountApi::Legacy) {
        auto r = mount_new_api(m, target);
        if (r || api == MountApi::New) return r;
        int err = r.error().sys_errno();
        if (r.error().kind() != ErrorKind::Unsupported && err != ENOSYS) return r;
    }
    return mount_legacy(m, target, scratch);
}

}  // namespace berth::image::snapshotter

// Defence against CVE-2019-5736 (a container overwriting the host runtime binary through
// /proc/<pid>/exe): before entering any container we re-execute ourselves from a
// read-only bind mount of our own binary, in a private mount namespace. Every process
// that a container could see then maps a file that can only be opened read-only (EROFS),
// and the mount cannot be changed from inside the container. This is runc 1.2's approach;
// it avoids copying the binary into a sealed memfd on every start.
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "runtime/container/container.h"

namespace berth::runtime {

namespace {
constexpr const char* kMarker = "_BERTH_RUNTIME_PROTECTED";
}

Result<> protect_binary(int, char** argv) {
    if (const char* m = getenv(kMarker); m && m[0] == '1') {
        unsetenv(kMarker);
        return ok();
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) return Error::sys("readlink", "/proc/self/exe");
    exe[n] = '\0';
    struct statvfs vfs;
    if (statvfs(exe, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return ok();  // already read-only
    if (unshare(CLONE_NEWNS) != 0) return Error::sys("unshare mount namespace (binary protection)");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return Error::sys("make / rslave");
    if (mount(exe, exe, nullptr, MS_BIND, nullptr) != 0) return Error::sys("bind mount", exe);
    if (mount(nullptr, exe, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
        return Error::sys("remount read-only", exe);
    setenv(kMarker, "1", 1);
    execv(exe, argv);
    return Error::sys("re-exec", exe);
}

}  // namespace berth::runtime

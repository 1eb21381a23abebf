// Path resolution inside a container root that can never reach the host: common/sys's
// openat2 with RESOLVE_IN_ROOT (and its walker where openat2 is missing or filtered).
#include <fcntl.h>

#include "common/strings.h"
#include "common/sys.h"
#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

// The container's "/" is rootfd; /proc magic links are never jumped through.
constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

}  // namespace

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

std::string clean_destination(std::string_view dest) {
    std::string out;
    for (auto& c : split(dest, '/')) {
        if (c == ".") continue;
        out += '/';
        out += c;
    }
    return out.empty() ? "/" : out;
}

Result<UniqueFd> open_in_root_fallback(int rootfd, const std::string& path, int flags) {
    return sys::openat2_walk(rootfd, path, flags, kInRoot);
}

Result<UniqueFd> mkdir_in_root_walk(int rootfd, const std::string& path, bool file) {
    return sys::mkdirat_walk(rootfd, path, kInRoot, file ? sys::Last::File : sys::Last::Directory);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags) {
    return sys::openat2(rootfd, path, flags, kInRoot);
}

Result<UniqueFd> mkdir_in_root(int rootfd, const std::string& path, bool file) {
    return sys::mkdirat_resolved(rootfd, path, kInRoot, file ? sys::Last::File : sys::Last::Directory);
}

}  // namespace berth::runtime::rootfs

// System-call wrappers every component shares: EINTR retry, confined path resolution
// (openat2 with a hand-written fallback) and a recursive remove that never follows links.
//
// Resolving an untrusted path under a directory fd (a container rootfs, a layer being
// extracted):
//   auto fd = BERTH_TRY(sys::openat2(rootfd, "etc/passwd", O_RDONLY, RESOLVE_IN_ROOT));
//   auto dir = BERTH_TRY(sys::mkdirat_resolved(rootfd, "/dev/pts", RESOLVE_IN_ROOT));
// RESOLVE_IN_ROOT treats the fd as "/" (absolute symlinks and ".." stay inside it);
// RESOLVE_BENEATH refuses, with EXDEV, any path or link that would leave it.
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/error.h"
#include "common/fd.h"

namespace berth::sys {

// Calls `f` again while it fails with EINTR, for calls that return -1 (or any negative
// value) and set errno. Returns f's last result, errno intact.
template <class F>
auto retry_eintr(F&& f) {
    for (;;) {
        auto r = f();
        static_assert(std::is_signed_v<decltype(r)>, "retry_eintr wants a call returning -1 on error");
        if (r >= 0 || errno != EINTR) return r;
    }
}

// openat2(2) confined by `resolve` (RESOLVE_IN_ROOT or RESOLVE_BENEATH, optionally with
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS). O_CLOEXEC is added; an empty path opens
// dirfd itself; O_CREAT and O_TMPFILE are refused (EINVAL). When the kernel has no openat2
// (ENOSYS) or a seccomp filter denies it (EPERM), the fallback below answers instead, and
// later calls go straight to it. Errors carry errno (ELOOP, ENOTDIR, ENOENT, EXDEV ...).
Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, uint64_t resolve);

// The fallback: walks the path one component at a time, opening each with
// O_PATH|O_NOFOLLOW, so the kernel never follows a link or resolves ".." for us. A symlink's
// text is resolved by hand against dirfd (at most kMaxSymlinks); a magic link (/proc/*/fd)
// is therefore never jumped through, only its text is read. Public so tests can run it.
constexpr int kMaxSymlinks = 40;
Result<UniqueFd> openat2_walk(int dirfd, std::string_view path, int flags, uint64_t resolve);

// What mkdirat_resolved makes of a missing last component.
enum class Last { Directory, File };

// mkdir -p under dirfd, resolved as openat2 would: missing components are created (0755,
// an empty 0644 file for the last one with Last::File) where the resolution leads, so a
// dangling symlink inside the root gets its target created inside the root. Returns an
// O_PATH fd of the last component.
Result<UniqueFd> mkdirat_resolved(int dirfd, std::string_view path, uint64_t resolve,
                                  Last last = Last::Directory);
// The same through the walker only (what mkdirat_resolved uses without openat2).
Result<UniqueFd> mkdirat_walk(int dirfd, std::string_view path, uint64_t resolve,
                              Last last = Last::Directory);

// rm -rf of parent_fd/name. Never follows a symlink (links are unlinked, not entered),
// works fd-relative below `name`, and refuses (Conflict) to descend into a directory on
// another device: a mount under the tree is an error, not something to empty. A missing
// `name` is success. `name` may be a path when parent_fd is AT_FDCWD.
Result<> remove_tree_at(int parent_fd, std::string_view name);

// du: the st_blocks of everything under dirfd, each inode counted once, links not followed.
Result<uint64_t> disk_usage(int dirfd);

}  // namespace berth::sys

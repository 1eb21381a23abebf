// Path resolution inside a container root that can never reach the host: openat2(2) with
// RESOLVE_IN_ROOT, and a hand-written walker for kernels (or seccomp filters) without it.
// Hand-written because no packaged C/C++ library does this (Go has filepath-securejoin,
// runc's internal/pathrs; crun has safe_openat in utils.c).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <deque>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/rootfs/rootfs_internal.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace berth::runtime::rootfs {
namespace {

// Set once openat2 says ENOSYS, so later calls go straight to the walker.
std::atomic<bool> g_no_openat2{false};

// openat2 itself; -1 with errno set on failure (EAGAIN: a rename raced the lookup, retry).
int openat2_in_root(int rootfd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* p = path.empty() ? "." : path.c_str();
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EINTR || (errno == EAGAIN && attempt < 16)) continue;
        return -1;
    }
}

// Walks `path` one component at a time from the root. Every component is opened with
// O_PATH|O_NOFOLLOW, so the kernel never follows a link for us; symlinks are read and their
// target pushed back onto the work list (absolute ones restart at the root), and ".." pops
// the stack of directory fds we descended through, stopping at the root. Nothing here ever
// asks the kernel to resolve "..", so a concurrent rename cannot move us above the root.
class Walker {
public:
    Walker(int rootfd, std::string_view path, bool create, bool file)
        : rootfd_(rootfd), path_(path), create_(create), file_(file) {}

    Result<UniqueFd> run(int flags) {
        for (auto& c : split(path_, '/')) todo_.push_back(std::move(c));
        int links = 0, creations = 0;
        while (!todo_.empty()) {
            std::string name = std::move(todo_.front());
            todo_.pop_front();
            if (name == ".") continue;
            if (name == "..") {
                if (!dirs_.empty()) dirs_.pop_back();
                continue;
            }
            bool last = todo_.empty();
            UniqueFd fd(::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
            if (!fd) {
                int err = errno;
                if (err != ENOENT || !create_) return Error::sys("resolve", path_, err);
                // Bounded: a peer deleting what we create must not spin us forever.
                if (++creations > 1000) return Error::sys("create", path_, ELOOP);
                BERTH_TRY(create_component(name, last && file_));
                todo_.push_front(std::move(name));
                continue;
            }
            struct stat st {};
            if (::fstat(fd.get(), &st) != 0) return Error::sys("stat", path_);
            if (S_ISLNK(st.st_mode)) {
                if (last && (flags & O_NOFOLLOW) && !create_) {
                    if (flags & O_PATH) return fd;
                    return Error::sys("open", path_, ELOOP);
                }
                if (++links > kMaxSymlinks) return Error::sys("resolve", path_, ELOOP);
                BERTH_TRY(push_link(fd.get()));
                continue;
            }
            if (last) return finish(name, std::move(fd), st, flags);
            if (!S_ISDIR(st.st_mode)) return Error::sys("resolve", path_, ENOTDIR);
            dirs_.push_back(std::move(fd));
        }
        // The path named a directory we already hold (or the root itself).
        int r = ::openat(cur(), ".", (flags | O_CLOEXEC) & ~O_CREAT);
        if (r < 0) return Error::sys("open", path_);
        return UniqueFd(r);
    }

private:
    int cur() const { return dirs_.empty() ? rootfd_ : dirs_.back().get(); }

    Result<> push_link(int linkfd) {
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(linkfd, "", target.data(), target.size());
        if (n < 0) return Error::sys("readlink", path_);
        target.resize(static_cast<size_t>(n));
        if (target.empty()) return Error::sys("resolve", path_, ENOENT);
        if (target[0] == '/') dirs_.clear();  // absolute: relative to the root, not the host
        auto parts = split(target, '/');
        todo_.insert(todo_.begin(), parts.begin(), parts.end());
        return ok();
    }

    Result<> create_component(const std::string& name, bool as_file) {
        // O_EXCL and mkdirat never follow a symlink at the last component: a link planted
        // after our lookup makes them fail with EEXIST, and the retry then reads the link.
        if (as_file) {
            int fd =
                ::openat(cur(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (fd < 0 && errno != EEXIST) return Error::sys("create file", path_);
            if (fd >= 0) ::close(fd);
        } else if (::mkdirat(cur(), name.c_str(), 0755) != 0 && errno != EEXIST) {
            return Error::sys("mkdir", path_);
        }
        return ok();
    }

    Result<UniqueFd> finish(const std::string& name, UniqueFd fd, const struct stat& st, int flags) {
        if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return Error::sys("open", path_, ENOTDIR);
        if (flags & O_PATH) return fd;
        // A real open of what we found; O_NOFOLLOW turns a swapped-in symlink into ELOOP,
        // and the inode check catches any other swap since the lookup.
        int r = ::openat(cur(), name.c_str(), (flags | O_NOFOLLOW | O_CLOEXEC) & ~O_CREAT);
        if (r < 0) return Error::sys("open", path_);
        UniqueFd out(r);
        struct stat st2 {};
        if (::fstat(out.get(), &st2) != 0) return Error::sys("stat", path_);
        if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
            return Error::sys("open (changed during lookup)", path_, EAGAIN);
        return out;
    }

    int rootfd_;
    std::string path_;
    bool create_;
    bool file_;
    std::vector<UniqueFd> dirs_;  // fds from just below the root down to the current dir
    std::deque<std::string> todo_;
};

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
    return Walker(rootfd, path, false, false).run(flags);
}

Result<UniqueFd> mkdir_in_root_walk(int rootfd, const std::string& path, bool file) {
    return Walker(rootfd, path, true, file).run(O_PATH);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags) {
    if (!g_no_openat2.load(std::memory_order_relaxed)) {
        int fd = openat2_in_root(rootfd, path, flags);
        if (fd >= 0) return UniqueFd(fd);
        if (errno != ENOSYS) return Error::sys("open", path);
        g_no_openat2.store(true, std::memory_order_relaxed);
    }
    return open_in_root_fallback(rootfd, path, flags);
}

Result<UniqueFd> mkdir_in_root(int rootfd, const std::string& path, bool file) {
    auto found = open_in_root(rootfd, path, O_PATH);
    if (found || found.error().sys_errno() != ENOENT) return found;
    // Something is missing: the walker creates it, component by component, in the root.
    return mkdir_in_root_walk(rootfd, path, file);
}

}  // namespace berth::runtime::rootfs

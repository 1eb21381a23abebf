// Confined path resolution and the no-follow recursive remove (see sys.h). The walker is
// hand-written because no packaged C/C++ library offers one (Go has filepath-securejoin and
// runc's internal/pathrs; crun has safe_openat in utils.c). openat2 goes through syscall():
// glibc 2.36 has no wrapper.
#include "common/sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <deque>
#include <set>
#include <vector>

#include "common/strings.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace berth::sys {
namespace {

// Set once openat2 is known to be missing or filtered, so later calls go straight to the walker.
std::atomic<bool> g_openat2_unusable{false};

// openat2 gives EAGAIN when a rename raced its ".." checks; after this many the walker,
// which never lets the kernel resolve "..", answers instead.
constexpr int kRaceRetries = 16;

constexpr uint64_t kWalkerResolve =
    RESOLVE_IN_ROOT | RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

long raw_openat2(int dirfd, const char* path, int flags, uint64_t resolve) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    return retry_eintr([&] { return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how); });
}

// EPERM from openat2 is either a seccomp filter or a real refusal (O_WRONLY on an immutable
// file, O_NOATIME): a harmless probe tells the two apart.
bool openat2_filtered() {
    long fd = raw_openat2(AT_FDCWD, "/", O_PATH, 0);
    if (fd >= 0) {
        ::close(static_cast<int>(fd));
        return false;
    }
    return errno == EPERM || errno == ENOSYS;
}

bool refused_flags(int flags) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

// Resolves one path from dirfd by hand. dirs_ holds the fds we descended through; ".." pops
// it, and an absolute symlink clears it (RESOLVE_IN_ROOT) or is refused (RESOLVE_BENEATH).
// Nothing here asks the kernel to resolve ".." or to follow a link, so a concurrent rename
// cannot carry us above dirfd.
class Walker {
public:
    Walker(int rootfd, std::string_view path, uint64_t resolve, bool create, Last last)
        : rootfd_(rootfd), path_(path), resolve_(resolve), create_(create), last_(last) {}

    Result<UniqueFd> run(int flags) {
        BERTH_TRY(check_resolve(flags));
        if (!path_.empty() && path_[0] == '/' && beneath()) return escape();
        for (auto& c : split(path_, '/')) todo_.push_back(std::move(c));
        int links = 0, creations = 0;
        while (!todo_.empty()) {
            std::string name = std::move(todo_.front());
            todo_.pop_front();
            if (name == ".") continue;
            if (name == "..") {
                if (dirs_.empty() && beneath()) return escape();
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
                BERTH_TRY(create_component(name, last && last_ == Last::File));
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
                if (resolve_ & RESOLVE_NO_SYMLINKS) return Error::sys("resolve", path_, ELOOP);
                if (++links > kMaxSymlinks) return Error::sys("resolve", path_, ELOOP);
                BERTH_TRY(push_link(fd.get()));
                continue;
            }
            if (last) return finish(name, st, flags);
            if (!S_ISDIR(st.st_mode)) return Error::sys("resolve", path_, ENOTDIR);
            dirs_.push_back(std::move(fd));
        }
        // The path named a directory we already hold (or dirfd itself).
        int r = ::openat(cur(), ".", flags | O_CLOEXEC);
        if (r < 0) return Error::sys("open", path_);
        return UniqueFd(r);
    }

private:
    int cur() const { return dirs_.empty() ? rootfd_ : dirs_.back().get(); }
    bool beneath() const { return resolve_ & RESOLVE_BENEATH; }
    Error escape() const { return Error::sys("resolve", path_, EXDEV); }

    Result<> check_resolve(int flags) const {
        bool one_mode = ((resolve_ & RESOLVE_IN_ROOT) != 0) != ((resolve_ & RESOLVE_BENEATH) != 0);
        if (!one_mode || (resolve_ & ~kWalkerResolve) || refused_flags(flags))
            return Error::sys("resolve", path_, EINVAL);
        return ok();
    }

    Result<> push_link(int linkfd) {
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(linkfd, "", target.data(), target.size());
        if (n < 0) return Error::sys("readlink", path_);
        target.resize(static_cast<size_t>(n));
        if (target.empty()) return Error::sys("resolve", path_, ENOENT);
        if (target[0] == '/') {
            if (beneath()) return escape();
            dirs_.clear();  // absolute: relative to the root, not the host
        }
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

    Result<UniqueFd> finish(const std::string& name, const struct stat& st, int flags) {
        if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return Error::sys("open", path_, ENOTDIR);
        // A real open of what we found; O_NOFOLLOW turns a swapped-in symlink into ELOOP,
        // and the inode check catches any other swap since the lookup.
        int r = retry_eintr([&] { return ::openat(cur(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC); });
        if (r < 0) return Error::sys("open", path_);
        UniqueFd out(r);
        struct stat now {};
        if (::fstat(out.get(), &now) != 0) return Error::sys("stat", path_);
        if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
            return Error::sys("open (changed during lookup)", path_, EAGAIN);
        return out;
    }

    int rootfd_;
    std::string path_;
    uint64_t resolve_;
    bool create_;
    Last last_;
    std::vector<UniqueFd> dirs_;  // fds from just below dirfd down to the current dir
    std::deque<std::string> todo_;
};

Result<> remove_below(int parent, const char* name, dev_t dev, const std::string& shown) {
    struct stat st;
    if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return ok();
        return Error::sys("stat", shown);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(parent, name, 0) != 0 && errno != ENOENT) return Error::sys("unlink", shown);
        return ok();
    }
    if (st.st_dev != dev) return Error::conflict("refusing to remove across a mount point: " + shown);
    int fd =
        retry_eintr([&] { return ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); });
    if (fd < 0) return Error::sys("open", shown);
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        return Error::sys("opendir", shown);
    }
    Result<> r;
    while (struct dirent* e = ::readdir(dir)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        r = remove_below(::dirfd(dir), e->d_name, dev, shown + "/" + e->d_name);
        if (!r) break;
    }
    ::closedir(dir);
    if (!r) return r;
    if (::unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return Error::sys("rmdir", shown);
    return ok();
}

}  // namespace

Result<UniqueFd> openat2_walk(int dirfd, std::string_view path, int flags, uint64_t resolve) {
    return Walker(dirfd, path, resolve, false, Last::Directory).run(flags);
}

Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, uint64_t resolve) {
    if (refused_flags(flags)) return Error::sys("open", path, EINVAL);
    if (!g_openat2_unusable.load(std::memory_order_relaxed)) {
        std::string p = path.empty() ? std::string(".") : std::string(path);
        for (int attempt = 0; attempt < kRaceRetries; ++attempt) {
            long fd = raw_openat2(dirfd, p.c_str(), flags, resolve);
            if (fd >= 0) return UniqueFd(static_cast<int>(fd));
            int err = errno;
            if (err == EAGAIN) continue;
            if (err == ENOSYS || (err == EPERM && openat2_filtered())) {
                g_openat2_unusable.store(true, std::memory_order_relaxed);
                break;
            }
            return Error::sys("open", p, err);
        }
    }
    return openat2_walk(dirfd, path, flags, resolve);
}

Result<UniqueFd> mkdirat_walk(int dirfd, std::string_view path, uint64_t resolve, Last last) {
    return Walker(dirfd, path, resolve, true, last).run(O_PATH);
}

Result<UniqueFd> mkdirat_resolved(int dirfd, std::string_view path, uint64_t resolve, Last last) {
    auto found = openat2(dirfd, path, O_PATH, resolve);
    if (found || found.error().sys_errno() != ENOENT) return found;
    // Something is missing: the walker creates it, component by component, where the
    // resolution leads (openat2 cannot create directories).
    return mkdirat_walk(dirfd, path, resolve, last);
}

Result<> remove_tree_at(int parent_fd, std::string_view name) {
    std::string n(name);
    struct stat st;
    if (::fstatat(parent_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return ok();
        return Error::sys("stat", n);
    }
    return remove_below(parent_fd, n.c_str(), st.st_dev, n);
}

namespace {

Result<uint64_t> disk_usage_walk(int dirfd, std::set<std::pair<dev_t, ino_t>>& seen) {
    DIR* dir = ::fdopendir(::dup(dirfd));
    if (!dir) return Error::sys("opendir for usage");
    uint64_t total = 0;
    Result<> r;
    while (struct dirent* e = ::readdir(dir)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
        total += static_cast<uint64_t>(st.st_blocks) * 512;
        if (S_ISDIR(st.st_mode)) {
            int sub = ::openat(::dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) continue;
            UniqueFd subfd(sub);
            auto n = disk_usage_walk(subfd.get(), seen);
            if (!n) {
                r = std::move(n).error();
                break;
            }
            total += *n;
        }
    }
    ::closedir(dir);
    if (!r) return std::move(r).error();
    return total;
}

}  // namespace

Result<uint64_t> disk_usage(int dirfd) {
    std::set<std::pair<dev_t, ino_t>> seen;
    return disk_usage_walk(dirfd, seen);
}

}  // namespace berth::sys

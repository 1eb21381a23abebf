// Confined path resolution for layer extraction (openat2 via syscall(): glibc 2.36 has no
// wrapper).
#include "image/layer/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace berth::image::layer {

Result<std::string> clean_entry_name(std::string_view name, size_t max_len) {
    if (name.size() > max_len) {
        return Error::invalid("name is " + std::to_string(name.size()) + " bytes, longer than the limit " +
                              std::to_string(max_len));
    }
    if (name.find('\0') != std::string_view::npos) return Error::invalid("name contains a NUL byte");
    if (!name.empty() && name.front() == '/') return Error::invalid("absolute path in a layer");
    std::string out;
    out.reserve(name.size());
    size_t i = 0;
    while (i <= name.size()) {
        size_t j = name.find('/', i);
        if (j == std::string_view::npos) j = name.size();
        std::string_view comp = name.substr(i, j - i);
        if (comp == "..") return Error::invalid("path escapes the layer root");
        if (!comp.empty() && comp != ".") {
            if (!out.empty()) out += '/';
            out += comp;
        }
        i = j + 1;
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
    size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) return {std::string_view(), path};
    return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, bool in_root) {
    std::string p = path.empty() ? std::string(".") : std::string(path);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_NO_MAGICLINKS | (in_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH);
    while (true) {
        long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
        if (fd >= 0) return UniqueFd(static_cast<int>(fd));
        if (errno == EINTR || errno == EAGAIN) continue;  // EAGAIN: a concurrent rename raced
        return Error::sys("openat2", p);
    }
}

Result<UniqueFd> open_or_create_dir(int root_fd, std::string_view path, bool in_root) {
    auto fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY, in_root);
    if (fd || fd.error().sys_errno() != ENOENT) return fd;
    // Walk down from the root, creating what is missing. Each prefix is resolved from the
    // root again so symlinks are judged against the whole layer root.
    UniqueFd cur = BERTH_TRY(open_in_root(root_fd, "", O_PATH | O_DIRECTORY, in_root));
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string comp(path.substr(i, j - i));
        std::string_view prefix = path.substr(0, j);
        auto next = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, in_root);
        if (!next && next.error().sys_errno() == ENOENT) {
            if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
                return Error::sys("mkdir", prefix);
            next = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, in_root);
            if (!next && next.error().sys_errno() == ENOENT)
                return Error::invalid("parent \"" + std::string(prefix) + "\" is a dangling symlink");
        }
        if (!next) return std::move(next).error();
        cur = std::move(*next);
        i = j + 1;
    }
    return cur;
}

Result<> remove_tree_at(int parent_fd, const char* name) {
    struct stat st;
    if (::fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return ok();
        return Error::sys("stat", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(parent_fd, name, 0) != 0 && errno != ENOENT) return Error::sys("unlink", name);
        return ok();
    }
    int fd = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::sys("open", name);
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        return Error::sys("opendir", name);
    }
    Result<> r;
    while (struct dirent* e = ::readdir(dir)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        r = remove_tree_at(::dirfd(dir), e->d_name);
        if (!r) break;
    }
    ::closedir(dir);
    if (!r) return r;
    if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return Error::sys("rmdir", name);
    return ok();
}

std::string proc_fd_path(int dir_fd, std::string_view name) {
    std::string p = "/proc/self/fd/" + std::to_string(dir_fd);
    if (!name.empty()) {
        p += '/';
        p += name;
    }
    return p;
}

}  // namespace berth::image::layer

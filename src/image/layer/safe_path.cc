// Confined path resolution for layer extraction, on common/sys's openat2.
#include "image/layer/safe_path.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "common/sys.h"

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
    return sys::openat2(root_fd, path, flags,
                        RESOLVE_NO_MAGICLINKS | (in_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH));
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

std::string proc_fd_path(int dir_fd, std::string_view name) {
    std::string p = "/proc/self/fd/" + std::to_string(dir_fd);
    if (!name.empty()) {
        p += '/';
        p += name;
    }
    return p;
}

}  // namespace berth::image::layer

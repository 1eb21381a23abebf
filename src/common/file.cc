#include "common/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/strings.h"
#include "common/sys.h"

namespace berth {

Result<UniqueFd> open_file(const std::string& path, int flags, mode_t mode) {
    return openat_file(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> openat_file(int dirfd, const std::string& path, int flags, mode_t mode) {
    int fd = sys::retry_eintr([&] { return ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode); });
    if (fd < 0) return Error::sys("open", path);
    return UniqueFd(fd);
}

Result<std::string> read_fd(int fd) {
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        if (n < 0) return Error::sys("read");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> read_file(const std::string& path) {
    auto fd = BERTH_TRY(open_file(path, O_RDONLY));
    auto data = read_fd(fd.get());
    if (!data) return Error::sys("read", path, data.error().sys_errno());
    return data;
}

Result<> write_all(int fd, std::string_view data, std::string_view what) {
    while (!data.empty()) {
        ssize_t n = sys::retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
        if (n < 0) return Error::sys("write", what);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
}

Result<> rewrite_file(const std::string& path, std::string_view data) {
    auto fd = BERTH_TRY(open_file(path, O_WRONLY | O_TRUNC));
    return write_all(fd.get(), data, path);
}

Result<> write_file(const std::string& path, std::string_view data) {
    auto fd = BERTH_TRY(open_file(path, O_WRONLY));
    return write_all(fd.get(), data, path);
}

Result<> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                           Durability durability) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    auto fd = BERTH_TRY(open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    auto r = write_all(fd.get(), data, tmp);
    if (r && durability == Durability::Durable && ::fsync(fd.get()) != 0) r = Error::sys("fsync", tmp);
    fd.reset();
    if (r && ::rename(tmp.c_str(), path.c_str()) != 0) r = Error::sys("rename", path);
    if (!r) (void)::unlink(tmp.c_str());  // the write error is the one to report
    return r;
}

Result<> mkdir_all(const std::string& path, mode_t mode) {
    if (path.empty()) return ok();
    std::string cur;
    for (const auto& part : split(path, '/')) {
        cur += '/';
        cur += part;
        if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return Error::sys("mkdir", cur);
    }
    if (path[0] != '/') return Error::invalid("mkdir_all needs an absolute path: " + path);
    return ok();
}

Result<> remove_all(const std::string& path) {
    return sys::remove_tree_at(AT_FDCWD, path);
}

bool path_exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
    std::string out(a);
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    if (out.empty() || out.back() != '/') out += '/';
    out += b;
    return out;
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (auto* e = readdir(d))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) out.push_back(e->d_name);
        closedir(d);
    }
    return out;
}

}  // namespace berth

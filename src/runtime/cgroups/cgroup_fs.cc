// File access for cgroupfs: writes whose errors name the file and the value, optional reads,
// directory creation that records what it made, and removal with EBUSY retries.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "common/sys.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

Result<> CgFs::write(const std::string& path, std::string_view value) const {
    std::string shown = "write " + path + " \"" + std::string(value) + "\"";
    int flags = O_WRONLY | O_CLOEXEC;
    if (fake_) flags |= O_CREAT | O_TRUNC;
    int fd = sys::retry_eintr([&] { return ::open(path.c_str(), flags, 0644); });
    if (fd < 0) return Error::sys(shown);
    UniqueFd guard(fd);
    // cgroupfs takes one value per write(2), so the value goes out in a single call.
    std::string data(value);
    if (fake_) data += '\n';
    ssize_t n = sys::retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return Error::sys(shown);
    if (static_cast<size_t>(n) != data.size())
        return Error::internal(shown + ": short write (" + std::to_string(n) + " bytes)");
    if (fake_ && !journal_.empty()) {
        UniqueFd j(::open(journal_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!j) return Error::sys("open", journal_);
        BERTH_TRY(write_all(j.get(), path + " " + std::string(value) + "\n", journal_));
    }
    return ok();
}

Result<std::string> CgFs::read(const std::string& path) const {
    auto text = read_file(path);
    if (!text) return std::move(text.error());
    return trim(*text);
}

Result<std::optional<std::string>> CgFs::read_optional(const std::string& path) const {
    auto text = read_file(path);
    if (!text) {
        if (text.error().sys_errno() == ENOENT) return std::optional<std::string>();
        return std::move(text.error());
    }
    return std::optional<std::string>(trim(*text));
}

bool CgFs::exists(const std::string& path) const {
    return path_exists(path);
}

Result<> CgFs::make_dirs(const std::string& base, const std::string& rel,
                         std::vector<std::string>* created) const {
    std::string cur = base;
    for (const auto& part : split(rel, '/')) {
        cur = path_join(cur, part);
        if (::mkdir(cur.c_str(), 0755) == 0) {
            created->push_back(cur);
        } else if (errno != EEXIST) {
            return Error::sys("mkdir", cur);
        }
    }
    return ok();
}

namespace {

Result<std::vector<std::string>> sub_dirs(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        return Error::sys("opendir", dir);
    }
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        out.push_back(path_join(dir, e->d_name));
    }
    ::closedir(d);
    return out;
}

}  // namespace

Result<> CgFs::remove_cgroup(const std::string& dir) const {
    if (fake_) return remove_all(dir);
    for (const auto& child : BERTH_TRY(sub_dirs(dir))) BERTH_TRY(remove_cgroup(child));
    // rmdir fails with EBUSY while the kernel still accounts exited tasks (zombies being
    // reaped, css offlining); it clears within milliseconds.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
    for (;;) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return ok();
        int err = errno;
        if (err != EBUSY || std::chrono::steady_clock::now() >= deadline)
            return Error::sys("rmdir", dir, err);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Result<std::vector<pid_t>> CgFs::procs_recursive(const std::string& dir) const {
    std::vector<pid_t> out;
    auto text = BERTH_TRY(read_optional(path_join(dir, "cgroup.procs")));
    if (!text) return Error::sys("read", path_join(dir, "cgroup.procs"), ENOENT);
    for (const auto& line : split(*text, '\n')) {
        auto t = trim(line);
        if (!t.empty()) out.push_back(static_cast<pid_t>(std::strtol(t.c_str(), nullptr, 10)));
    }
    for (const auto& child : BERTH_TRY(sub_dirs(dir))) {
        auto more = procs_recursive(child);
        if (!more) {
            if (more.error().sys_errno() == ENOENT) continue;  // removed meanwhile
            return std::move(more.error());
        }
        out.insert(out.end(), more->begin(), more->end());
    }
    return out;
}

CgFs saved_fs(const Json& saved) {
    if (!saved.contains("fake") || !saved["fake"].is_object()) return CgFs(false);
    return CgFs(true, saved["fake"].value("journal", ""));
}

uint64_t parse_u64(std::string_view s) {
    std::string t = trim(s);
    if (t.empty() || t == "max") return 0;
    return std::strtoull(t.c_str(), nullptr, 10);
}

std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text) {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& line : split(text, '\n')) {
        auto fields = split(line, ' ');
        if (fields.size() != 2) continue;
        out.emplace_back(fields[0], parse_u64(fields[1]));
    }
    return out;
}

std::string rule_string(const spec::DeviceRule& r) {
    auto num = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("*"); };
    std::string access = r.access.empty() ? "rwm" : r.access;
    return (r.type.empty() ? std::string("a") : r.type) + " " + num(r.major) + ":" + num(r.minor) + " " +
           access;
}

}  // namespace berth::runtime::cgroups

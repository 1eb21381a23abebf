// /proc/self/mountinfo parsing (proc(5)): which mounts exist, their propagation and their
// filesystems; used for the rootfs parent's propagation and the cgroup v1 hierarchies.
#include <cstdlib>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

// Mount points escape space, tab, newline and backslash as \ooo octal.
std::string unescape(std::string_view s) {
    auto octal = [&](size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '7'; };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += s[i];
    }
    return out;
}

}  // namespace

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
    std::vector<MountInfo> out;
    for (auto& line : split(text, '\n')) {
        auto f = split(line, ' ');
        // id parent maj:min root mount_point options [optional...] - fstype source super
        size_t dash = 0;
        for (size_t i = 6; i < f.size(); ++i)
            if (f[i] == "-") {
                dash = i;
                break;
            }
        if (dash == 0 || dash + 2 >= f.size()) continue;
        MountInfo mi;
        mi.id = std::atoi(f[0].c_str());
        mi.parent = std::atoi(f[1].c_str());
        mi.root = unescape(f[3]);
        mi.mount_point = unescape(f[4]);
        mi.options = f[5];
        for (size_t i = 6; i < dash; ++i) {
            if (!mi.optional.empty()) mi.optional += ' ';
            mi.optional += f[i];
        }
        mi.fstype = f[dash + 1];
        mi.source = unescape(f[dash + 2]);
        if (dash + 3 < f.size()) mi.super_options = f[dash + 3];
        out.push_back(std::move(mi));
    }
    return out;
}

Result<std::vector<MountInfo>> read_mountinfo(const std::string& path) {
    auto text = BERTH_TRY(read_file(path));
    return parse_mountinfo(text);
}

}  // namespace berth::runtime::rootfs

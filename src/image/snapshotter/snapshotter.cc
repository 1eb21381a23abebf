// Snapshotter: the on-disk layout of committed layers and active snapshots (see header).
#include "image/snapshotter/snapshotter.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "common/sys.h"

namespace berth::image::snapshotter {

namespace {

Result<std::string> chain_hex(std::string_view chain_id) {
    constexpr std::string_view kPrefix = "sha256:";
    if (chain_id.substr(0, kPrefix.size()) == kPrefix) {
        std::string_view hex = chain_id.substr(kPrefix.size());
        bool ok_hex = hex.size() == 64;
        for (char c : hex) ok_hex = ok_hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (ok_hex) return std::string(hex);
    }
    return Error::invalid("invalid chain id \"" + std::string(chain_id.substr(0, 100)) + "\"");
}

Result<> check_key(std::string_view key) {
    bool good = !key.empty() && key.size() <= 128 && key.front() != '.';
    for (char c : key)
        good = good && (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!good) return Error::invalid("invalid snapshot key \"" + std::string(key.substr(0, 100)) + "\"");
    return ok();
}

Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) {
    std::string tmpl = parent + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("mkdtemp", tmpl);
    return tmpl;
}

}  // namespace

Result<Snapshotter> Snapshotter::open(const std::string& root, const Options& options) {
    if (root.empty() || root.front() != '/')
        return Error::invalid("snapshotter root must be absolute: " + root);
    BERTH_TRY(mkdir_all(root + "/active", 0700));
    BERTH_TRY(mkdir_all(root + "/tmp", 0700));
    if (::chmod(root.c_str(), 0700) != 0) return Error::sys("chmod", root);
    // Leftovers of a crash: layers half applied, removals half done.
    DIR* dir = ::opendir((root + "/tmp").c_str());
    if (!dir) return Error::sys("opendir", root + "/tmp");
    std::vector<std::string> stale;
    while (struct dirent* e = ::readdir(dir)) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) stale.push_back(root + "/tmp/" + e->d_name);
    }
    ::closedir(dir);
    for (const auto& s : stale) BERTH_TRY_CTX(remove_all(s), "clean snapshotter tmp");
    return Snapshotter(root, options);
}

bool Snapshotter::has_layer(std::string_view chain_id) const {
    auto hex = chain_hex(chain_id);
    return hex && path_exists(root_ + "/" + *hex + "/diff");
}

Result<std::string> Snapshotter::layer_dir(std::string_view chain_id) const {
    std::string hex = BERTH_TRY(chain_hex(chain_id));
    std::string dir = root_ + "/" + hex + "/diff";
    if (!path_exists(dir)) return Error::not_found("layer " + std::string(chain_id) + " is not committed");
    return dir;
}

Result<PreparedLayer> Snapshotter::prepare_layer(std::string_view chain_id,
                                                 std::string_view parent_chain_id) {
    std::string hex = BERTH_TRY(chain_hex(chain_id));
    if (!parent_chain_id.empty()) BERTH_TRY(chain_hex(parent_chain_id));
    if (has_layer(chain_id)) return Error::exists("layer " + std::string(chain_id) + " is already committed");
    PreparedLayer p;
    p.chain_id = chain_id;
    p.parent_chain_id = parent_chain_id;
    p.dir = BERTH_TRY(make_temp_dir(root_ + "/tmp", hex.substr(0, 12)));
    p.diff = p.dir + "/diff";
    if (::mkdir(p.diff.c_str(), 0755) != 0) return Error::sys("mkdir", p.diff);
    // Not synced here: commit() syncs the filesystem before the layer becomes visible, and
    // an fsync now would wait behind every other layer being written at the same time.
    BERTH_TRY(write_file_atomic(p.dir + "/parent", std::string(parent_chain_id), 0600, Durability::Atomic));
    return p;
}

Result<> Snapshotter::commit(const PreparedLayer& layer) {
    std::string hex = BERTH_TRY(chain_hex(layer.chain_id));
    if (!layer.parent_chain_id.empty() && !has_layer(layer.parent_chain_id))
        return Error::not_found("parent layer " + layer.parent_chain_id + " is not committed");
    if (options_.sync_on_commit) {
        auto fd = BERTH_TRY(open_file(layer.dir, O_RDONLY | O_DIRECTORY));
        if (::syncfs(fd.get()) != 0) return Error::sys("syncfs", layer.dir);
    }
    std::string final_dir = root_ + "/" + hex;
    if (::rename(layer.dir.c_str(), final_dir.c_str()) != 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) return remove_all(layer.dir);  // lost a race: same content
        return Error::sys("rename " + layer.dir + " to", final_dir);
    }
    return ok();
}

Result<> Snapshotter::abort(const PreparedLayer& layer) {
    return remove_all(layer.dir);
}

Result<> Snapshotter::remove_layer(std::string_view chain_id) {
    std::string hex = BERTH_TRY(chain_hex(chain_id));
    std::string dir = root_ + "/" + hex;
    if (!path_exists(dir)) return Error::not_found("layer " + std::string(chain_id) + " is not committed");
    // Gone from view in one rename; the slow delete happens out of the way.
    std::string doomed = BERTH_TRY(make_temp_dir(root_ + "/tmp", "rm-" + hex.substr(0, 12)));
    if (::rename(dir.c_str(), doomed.c_str()) != 0) return Error::sys("rename " + dir + " to", doomed);
    return remove_all(doomed);
}

std::string Snapshotter::active_dir(std::string_view key) const {
    return root_ + "/active/" + std::string(key);
}

std::string Snapshotter::merged_dir(std::string_view key) const {
    return active_dir(key) + "/merged";
}

Result<Mount> Snapshotter::create_active(std::string_view key, const std::vector<std::string>& parents,
                                         bool readonly) {
    BERTH_TRY(check_key(key));
    for (const auto& p : parents) BERTH_TRY(layer_dir(p));
    std::string dir = active_dir(key);
    if (path_exists(dir)) return Error::exists("snapshot " + std::string(key) + " already exists");
    // Built in tmp and renamed, so a half-created snapshot is never visible.
    std::string tmp = BERTH_TRY(make_temp_dir(root_ + "/tmp", "active"));
    for (const char* sub : {"/upper", "/work", "/merged"}) {
        if (::mkdir((tmp + sub).c_str(), 0755) != 0) return Error::sys("mkdir", tmp + sub);
    }
    std::string list;
    for (const auto& p : parents) list += p + "\n";
    BERTH_TRY(write_file_atomic(tmp + "/parents", list, 0600));
    if (readonly) BERTH_TRY(write_file_atomic(tmp + "/readonly", "", 0600));
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
        int err = errno;
        (void)remove_all(tmp);  // best effort: open() clears what is left in tmp
        return Error::sys("rename " + tmp + " to", dir, err);
    }
    return mounts(key);
}

Result<Mount> Snapshotter::mounts(std::string_view key) const {
    BERTH_TRY(check_key(key));
    std::string dir = active_dir(key);
    auto list = read_file(dir + "/parents");
    if (!list) {
        if (list.error().sys_errno() == ENOENT)
            return Error::not_found("snapshot " + std::string(key) + " does not exist");
        return std::move(list).error();
    }
    Mount m;
    m.readonly = path_exists(dir + "/readonly");
    for (const auto& p : split(*list, '\n')) m.lowers.push_back(BERTH_TRY(layer_dir(p)));
    if (m.readonly && m.lowers.size() <= 1) {
        // overlay needs two lowers without an upper: one layer is just a read-only bind.
        m.type = "bind";
        m.source = m.lowers.empty() ? dir + "/upper" : m.lowers.front();
        m.lowers.clear();
        return m;
    }
    if (m.lowers.empty()) {  // a base snapshot: the upper dir is the whole rootfs
        m.type = "bind";
        m.source = dir + "/upper";
        return m;
    }
    m.type = "overlay";
    if (!m.readonly) {
        m.upper = dir + "/upper";
        m.work = dir + "/work";
    }
    return m;
}

Result<> Snapshotter::mount(std::string_view key, const std::string& target, bool volatile_upper) const {
    Mount m = BERTH_TRY(mounts(key));
    if (volatile_upper && !m.upper.empty()) {
        m.volatile_upper = true;
        // overlay leaves work/incompat/volatile behind and refuses to mount over it again;
        // a clean remount of our own layer (restart) may go on.
        std::string marker = m.work + "/work/incompat/volatile";
        if (path_exists(marker)) BERTH_TRY(remove_all(marker));
    }
    std::string where = target.empty() ? merged_dir(key) : target;
    BERTH_TRY_CTX(mount_snapshot(m, where, active_dir(key), options_.mount_api),
                  "mount snapshot " + std::string(key));
    return ok();
}

Result<> Snapshotter::unmount(std::string_view key, const std::string& target) const {
    BERTH_TRY(check_key(key));
    std::string where = target.empty() ? merged_dir(key) : target;
    if (::umount2(where.c_str(), 0) == 0) return ok();
    if (errno == EINVAL) return ok();  // not mounted
    if (errno == EBUSY && ::umount2(where.c_str(), MNT_DETACH) == 0) return ok();
    return Error::sys("unmount", where);
}

Result<> Snapshotter::remove_active(std::string_view key) {
    BERTH_TRY(check_key(key));
    std::string dir = active_dir(key);
    if (!path_exists(dir)) return Error::not_found("snapshot " + std::string(key) + " does not exist");
    BERTH_TRY(unmount(key));
    std::string doomed = BERTH_TRY(make_temp_dir(root_ + "/tmp", "rm-active"));
    if (::rename(dir.c_str(), (doomed + "/s").c_str()) != 0)
        return Error::sys("rename " + dir + " to", doomed);
    return remove_all(doomed);
}

Result<uint64_t> Snapshotter::usage(std::string_view key) const {
    BERTH_TRY(check_key(key));
    std::string upper = active_dir(key) + "/upper";
    UniqueFd fd = BERTH_TRY(open_file(upper, O_RDONLY | O_DIRECTORY));
    return BERTH_TRY_CTX(sys::disk_usage(fd.get()), "usage of " + std::string(key));
}

}  // namespace berth::image::snapshotter

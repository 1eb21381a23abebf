// Entry-by-entry extraction with *at syscalls relative to confined directory fds.
#include "image/layer/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include "common/file.h"
#include "common/sys.h"
#include "image/layer/safe_path.h"

namespace berth::image::layer {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr size_t kMaxWarnings = 20;

// Escapes surface as EXDEV from RESOLVE_BENEATH; say so in words.
Error explain(Error e) {
    if (e.sys_errno() == EXDEV) return Error::invalid("path escapes the layer root (through a symlink)");
    if (e.sys_errno() == ELOOP) return Error::invalid("path resolves through too many or magic symlinks");
    return e;
}

Result<uint32_t> map_id(const std::vector<IdMap>& map, int64_t id, const char* what) {
    if (id < 0 || id > UINT32_MAX)
        return Error::invalid(std::string("invalid ") + what + " " + std::to_string(id));
    if (map.empty()) return static_cast<uint32_t>(id);
    for (const IdMap& m : map) {
        if (id >= m.container_id && id - m.container_id < m.size)
            return static_cast<uint32_t>(m.host_id + (id - m.container_id));
    }
    return Error::invalid(std::string(what) + " " + std::to_string(id) + " is not in the id map");
}

// The process's umask, read without changing it (umask(2) would, for every thread);
// everything masked when it cannot be read, so that modes are then always set explicitly.
mode_t process_umask() {
    auto status = read_file("/proc/self/status");
    if (!status) return 0777;
    auto at = status->find("\nUmask:");
    if (at == std::string::npos) return 0777;
    return static_cast<mode_t>(std::strtoul(status->c_str() + at + 7, nullptr, 8)) & 0777;
}

}  // namespace

Extractor::Extractor(int root_fd, const ApplyOptions& options, ApplyResult& result,
                     const std::optional<Error>* read_error)
    : root_(root_fd),
      opts_(options),
      result_(result),
      read_error_(read_error),
      in_root_(options.follow_absolute_symlinks),
      umask_(process_umask()),
      euid_(::geteuid()),
      egid_(::getegid()) {}

void Extractor::warn(std::string msg) {
    if (result_.warnings.size() < kMaxWarnings) result_.warnings.push_back(std::move(msg));
}

Result<> Extractor::entry(archive* a, archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) raw = archive_entry_pathname_utf8(e);
    if (!raw) return Error::invalid("layer entry without a usable name");
    auto r = process(a, e, raw);
    if (r) return r;
    std::string shown(raw);
    if (shown.size() > 120) shown = shown.substr(0, 120) + "...";
    return Error(explain(std::move(r).error())).with_context("layer entry \"" + shown + "\"");
}

Result<> Extractor::process(archive* a, archive_entry* e, const char* raw) {
    std::string path = BERTH_TRY(clean_entry_name(raw, opts_.max_name_length));
    if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0) return Error::invalid("negative size");
    uint64_t size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
    if (size > opts_.max_entry_size) {
        return Error::invalid("size " + std::to_string(size) + " exceeds the limit " +
                              std::to_string(opts_.max_entry_size));
    }
    auto [parent_sv, base_sv] = split_parent(path);
    std::string parent(parent_sv), base(base_sv);
    mode_t type = archive_entry_filetype(e);
    const char* link = archive_entry_hardlink(e);
    if (!link) link = archive_entry_hardlink_utf8(e);

    if (std::string_view(base).starts_with(kWhiteoutPrefix)) {
        if (base == kOpaqueMarker) return opaque(parent);
        return whiteout(parent, std::string_view(base).substr(kWhiteoutPrefix.size()));
    }
    if (path.empty()) {  // "./": the layer root itself
        if (type != AE_IFDIR || link) return Error::invalid("the layer root must be a directory");
        return directory(e, -1, "", "");
    }
    // A parent path met again is remembered; anything replacing it drops the cache.
    int pfd = BERTH_TRY(parent_fd(parent));
    if (link) return hardlink(e, link, pfd, base, path);
    if (opts_.whiteout_format == WhiteoutFormat::Plain) created_.insert(path);
    switch (type) {
        case AE_IFREG:
            return regular(a, e, pfd, base);
        case AE_IFDIR:
            return directory(e, pfd, base, path);
        case AE_IFLNK:
            return symlink(e, pfd, base);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
            return special(e, pfd, base);
        case AE_IFSOCK:
            warn("skipped socket " + path);
            return ok();
        default:
            return Error::invalid("unsupported entry type " + std::to_string(type));
    }
}

Result<int> Extractor::parent_fd(std::string_view parent) {
    if (cache_valid_ && cached_parent_ == parent) return cached_fd_.get();
    cached_fd_ = BERTH_TRY(open_or_create_dir(root_, parent, in_root_));
    cached_parent_ = parent;
    cache_valid_ = true;
    // New files take a setgid directory's group rather than ours: they need their chown.
    struct stat st;
    cached_parent_setgid_ = ::fstat(cached_fd_.get(), &st) != 0 || (st.st_mode & S_ISGID) != 0;
    return cached_fd_.get();
}

// Clears the way for a new entry: an existing dir is reused by a dir entry, anything else
// is removed (never followed). Returns true when an existing directory is reused.
Result<bool> Extractor::make_room(int pfd, const std::string& base, bool want_dir) {
    struct stat st;
    if (::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return false;
        return Error::sys("stat", base);
    }
    if (want_dir && S_ISDIR(st.st_mode)) return true;
    cache_valid_ = false;  // the cached parent may live under what we remove (pfd stays open)
    if (S_ISDIR(st.st_mode)) {
        BERTH_TRY(sys::remove_tree_at(pfd, base));
    } else if (::unlinkat(pfd, base.c_str(), 0) != 0) {
        return Error::sys("unlink", base);
    }
    return false;
}

Result<std::pair<uid_t, gid_t>> Extractor::owner(archive_entry* e) const {
    uint32_t uid = BERTH_TRY(map_id(opts_.uid_map, archive_entry_uid(e), "uid"));
    uint32_t gid = BERTH_TRY(map_id(opts_.gid_map, archive_entry_gid(e), "gid"));
    return std::pair<uid_t, gid_t>{uid, gid};
}

void Extractor::times(archive_entry* e, timespec ts[2]) const {
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

// fd >= 0: set through the fd; otherwise on pfd/base without following it.
Result<> Extractor::set_xattrs(archive_entry* e, int fd, int pfd, const std::string& base) {
    if (archive_entry_xattr_reset(e) == 0) return ok();
    const char* name;
    const void* value;
    size_t size;
    std::string path;
    // libarchive reports an xattr twice when the header has both its LIBARCHIVE.xattr and
    // SCHILY.xattr forms (its own pax writer emits both): act on each name once.
    std::vector<std::string> seen;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
        seen.emplace_back(name);
        if (!opts_.allow_trusted_xattrs && std::string_view(name).starts_with("trusted.")) {
            ++result_.skipped_xattrs;
            continue;
        }
        int rc;
        if (fd >= 0) {
            rc = ::fsetxattr(fd, name, value, size, 0);
        } else {
            if (path.empty()) path = proc_fd_path(pfd, base);
            rc = ::lsetxattr(path.c_str(), name, value, size, 0);
        }
        if (rc == 0) continue;
        if (errno == ENOTSUP || errno == EPERM) {
            ++result_.skipped_xattrs;
            warn("xattr " + std::string(name) + " on " + base + ": " + strerror(errno));
            continue;
        }
        return Error::sys("setxattr " + std::string(name), base);
    }
    return ok();
}

Result<> Extractor::data_error(archive* a) const {
    if (*read_error_) return **read_error_;
    const char* msg = archive_error_string(a);
    return Error::invalid(std::string("read tar data: ") + (msg ? msg : "unknown libarchive error"));
}

Result<> Extractor::regular(archive* a, archive_entry* e, int pfd, const std::string& base) {
    // Create first, clear the way only when the name is taken (rare): one syscall less per
    // file. O_EXCL never opens an existing file or follows a symlink.
    constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    mode_t perm = archive_entry_perm(e) & 07777;
    uid_t uid = euid_;
    gid_t gid = egid_;
    if (opts_.set_ownership) std::tie(uid, gid) = BERTH_TRY(owner(e));
    // Usually (root's file, plain bits the umask keeps) the file is created as it must end
    // up, saving a chown and a chmod per file. Otherwise it is created private, chowned,
    // then chmodded: chown clears setuid/setgid bits and file capabilities.
    bool chown_needed = opts_.set_ownership && (uid != euid_ || gid != egid_ || cached_parent_setgid_);
    bool chmod_needed = (perm & 07000) != 0 || (perm & umask_) != 0;
    mode_t create_mode = chmod_needed ? 0600 : perm;
    int raw = ::openat(pfd, base.c_str(), kCreate, create_mode);
    if (raw < 0 && errno == EEXIST) {
        BERTH_TRY(make_room(pfd, base, false));
        raw = ::openat(pfd, base.c_str(), kCreate, create_mode);
    }
    if (raw < 0) return Error::sys("create", base);
    UniqueFd fd(raw);
    int64_t pos = 0;
    while (true) {
        const void* buf;
        size_t len;
        la_int64_t offset;
        int rc = archive_read_data_block(a, &buf, &len, &offset);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return data_error(a);
        if (offset != pos) {  // a hole in a sparse file
            if (::lseek(fd.get(), offset, SEEK_SET) < 0) return Error::sys("seek", base);
            pos = offset;
        }
        BERTH_TRY(write_all(fd.get(), std::string_view(static_cast<const char*>(buf), len), base));
        pos += static_cast<int64_t>(len);
    }
    int64_t size = archive_entry_size(e);
    if (pos < size && ::ftruncate(fd.get(), size) != 0) return Error::sys("truncate", base);
    if (chown_needed && ::fchown(fd.get(), uid, gid) != 0) return Error::sys("chown", base);
    if (chmod_needed && ::fchmod(fd.get(), perm) != 0) return Error::sys("chmod", base);
    BERTH_TRY(set_xattrs(e, fd.get(), pfd, base));
    timespec ts[2];
    times(e, ts);
    if (::futimens(fd.get(), ts) != 0) return Error::sys("utimens", base);
    return ok();
}

Result<> Extractor::directory(archive_entry* e, int pfd, const std::string& base, const std::string& path) {
    bool has_xattrs = archive_entry_xattr_count(e) > 0;
    if (!path.empty()) {
        if (::mkdirat(pfd, base.c_str(), 0700) != 0) {
            if (errno != EEXIST) return Error::sys("mkdir", base);
            bool reuse = BERTH_TRY(make_room(pfd, base, true));
            if (!reuse && ::mkdirat(pfd, base.c_str(), 0700) != 0) return Error::sys("mkdir", base);
        }
    }
    if (has_xattrs) {
        UniqueFd dfd = BERTH_TRY(open_in_root(root_, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, in_root_));
        BERTH_TRY(set_xattrs(e, dfd.get(), -1, base));
    }
    DirMeta m{path, 0, 0, static_cast<mode_t>(archive_entry_perm(e) & 07777), {}};
    if (opts_.set_ownership) std::tie(m.uid, m.gid) = BERTH_TRY(owner(e));
    times(e, m.times);
    dirs_.push_back(std::move(m));
    return ok();
}

Result<> Extractor::symlink(archive_entry* e, int pfd, const std::string& base) {
    const char* target = archive_entry_symlink(e);
    if (!target) target = archive_entry_symlink_utf8(e);
    if (!target || !*target) return Error::invalid("symlink without a target");
    if (strlen(target) > opts_.max_name_length) return Error::invalid("symlink target longer than the limit");
    BERTH_TRY(make_room(pfd, base, false));
    // Stored as-is: a symlink is only ever resolved later, inside the container's root.
    if (::symlinkat(target, pfd, base.c_str()) != 0) return Error::sys("symlink", base);
    if (opts_.set_ownership) {
        auto [uid, gid] = BERTH_TRY(owner(e));
        if (::fchownat(pfd, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::sys("chown", base);
    }
    BERTH_TRY(set_xattrs(e, -1, pfd, base));
    timespec ts[2];
    times(e, ts);
    if (::utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Error::sys("utimens", base);
    return ok();
}

Result<> Extractor::hardlink(archive_entry* e, const char* target, int pfd, const std::string& base,
                             const std::string& path) {
    (void)e;  // unused: a hard link takes everything from its target
    auto cleaned = clean_entry_name(target, opts_.max_name_length);
    if (!cleaned)
        return Error::invalid("hard link target \"" + std::string(target) +
                              "\": " + cleaned.error().message());
    std::string tpath = std::move(*cleaned);
    if (tpath.empty()) return Error::invalid("hard link to the layer root");
    if (tpath == path) return ok();  // a link to itself: nothing to do
    auto [tparent, tbase_sv] = split_parent(tpath);
    std::string tbase(tbase_sv);
    auto tpfd = open_in_root(root_, tparent, O_PATH | O_DIRECTORY, in_root_);
    struct stat st;
    if (!tpfd || ::fstatat(tpfd->get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = tpfd ? errno : tpfd.error().sys_errno();
        if (err == ENOENT || err == ENOTDIR)
            return Error::invalid("hard link target \"" + tpath +
                                  "\" is not an entry already extracted in this layer");
        if (err == EXDEV) return Error::invalid("hard link target \"" + tpath + "\" escapes the layer root");
        return Error::sys("stat hard link target", tpath, err);
    }
    if (S_ISDIR(st.st_mode)) return Error::invalid("hard link to a directory \"" + tpath + "\"");
    BERTH_TRY(make_room(pfd, base, false));
    if (::linkat(tpfd->get(), tbase.c_str(), pfd, base.c_str(), 0) != 0) return Error::sys("link", base);
    if (opts_.whiteout_format == WhiteoutFormat::Plain) created_.insert(path);
    return ok();
}

Result<> Extractor::special(archive_entry* e, int pfd, const std::string& base) {
    BERTH_TRY(make_room(pfd, base, false));
    mode_t type = archive_entry_filetype(e);
    dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(pfd, base.c_str(), type | 0600, dev) != 0) {
        if (errno == EPERM && type != AE_IFIFO) {
            ++result_.skipped_devices;
            warn("skipped device " + base + ": mknod not permitted");
            return ok();
        }
        return Error::sys("mknod", base);
    }
    if (opts_.set_ownership) {
        auto [uid, gid] = BERTH_TRY(owner(e));
        if (::fchownat(pfd, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::sys("chown", base);
    }
    // Just created by us as a device/fifo, so following is harmless here.
    if (::fchmodat(pfd, base.c_str(), archive_entry_perm(e) & 07777, 0) != 0)
        return Error::sys("chmod", base);
    BERTH_TRY(set_xattrs(e, -1, pfd, base));
    timespec ts[2];
    times(e, ts);
    if (::utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Error::sys("utimens", base);
    return ok();
}

Result<> Extractor::whiteout(std::string_view parent, std::string_view name) {
    // `.wh..wh.*` other than the opaque marker are aufs internals (e.g. .wh..wh.plnk).
    if (name.starts_with(kWhiteoutPrefix)) return ok();
    if (name.empty() || name == "." || name == "..")
        return Error::invalid("whiteout names an invalid file \"" + std::string(name) + "\"");
    int pfd = BERTH_TRY(parent_fd(parent));
    std::string base(name);
    if (opts_.whiteout_format == WhiteoutFormat::Plain) {
        cache_valid_ = false;
        return sys::remove_tree_at(pfd, base);
    }
    BERTH_TRY(make_room(pfd, base, false));
    pfd = BERTH_TRY(parent_fd(parent));
    // overlayfs's whiteout: a 0:0 char device (allowed without CAP_MKNOD since Linux 5.8).
    if (::mknodat(pfd, base.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
        return Error::sys("mknod whiteout", base);
    return ok();
}

Result<> Extractor::opaque(std::string_view parent) {
    BERTH_TRY(parent_fd(parent));  // creates it when the layer did not list it
    UniqueFd dfd = BERTH_TRY(open_in_root(root_, parent, O_RDONLY | O_DIRECTORY, in_root_));
    if (opts_.whiteout_format == WhiteoutFormat::Overlay) {
        if (::fsetxattr(dfd.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
            return Error::sys("set trusted.overlay.opaque on", parent.empty() ? "." : std::string(parent));
        return ok();
    }
    // Plain: hide what the layers below put here, keep what this layer added.
    DIR* dir = ::fdopendir(::dup(dfd.get()));
    if (!dir) return Error::sys("opendir", parent);
    std::vector<std::string> doomed;
    while (struct dirent* d = ::readdir(dir)) {
        if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
        std::string child = parent.empty() ? d->d_name : std::string(parent) + "/" + d->d_name;
        if (!created_.count(child)) doomed.push_back(d->d_name);
    }
    ::closedir(dir);
    cache_valid_ = false;
    for (const auto& name : doomed) BERTH_TRY(sys::remove_tree_at(dfd.get(), name));
    return ok();
}

Result<> Extractor::finish() {
    cached_fd_.reset();
    // A directory listed twice takes its last header's metadata: walk backwards, once per path.
    std::unordered_set<std::string> done;
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        if (!done.insert(it->path).second) continue;
        auto dfd = open_in_root(root_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, in_root_);
        if (!dfd) {
            int err = dfd.error().sys_errno();
            if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;  // replaced later on
            return Error(explain(std::move(dfd).error())).with_context("layer entry \"" + it->path + "/\"");
        }
        const std::string& shown = it->path.empty() ? "." : it->path;
        if (opts_.set_ownership && ::fchown(dfd->get(), it->uid, it->gid) != 0)
            return Error::sys("chown", shown);
        if (::fchmod(dfd->get(), it->mode) != 0) return Error::sys("chmod", shown);
        if (::futimens(dfd->get(), it->times) != 0) return Error::sys("utimens", shown);
    }
    return ok();
}

}  // namespace berth::image::layer

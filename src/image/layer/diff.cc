// diff_layer / tar_directory: a deterministic tar (libarchive's pax writer) of a directory
// tree, converting overlayfs whiteouts back to OCI ones for diffs.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include "common/file.h"
#include "common/scope.h"
#include "common/sys.h"
#include "image/layer/codec.h"
#include "image/layer/layer.h"
#include "image/layer/safe_path.h"

namespace berth::image::layer {

namespace {

constexpr size_t kBuf = 1 << 20;

struct WriteContext {
    LayerWriter* writer;
    std::optional<Error> error;
};

la_ssize_t write_callback(archive* a, void* data, const void* buf, size_t len) {
    auto* ctx = static_cast<WriteContext*>(data);
    try {
        auto r = ctx->writer->write(buf, len);
        if (r) return static_cast<la_ssize_t>(len);
        ctx->error = std::move(r).error();
    } catch (...) {
        ctx->error = Error::internal("exception in layer write callback");
    }
    archive_set_error(a, EIO, "%s", ctx->error->str().c_str());
    return -1;
}

class TreeWriter {
public:
    TreeWriter(archive* a, WriteContext& ctx, bool overlay, std::vector<UniqueFd> lowers)
        : a_(a), ctx_(ctx), overlay_(overlay), lowers_(std::move(lowers)), buf_(new char[kBuf]) {}

    Result<> walk(int dirfd, const std::string& rel);
    uint64_t entries() const { return entries_; }

private:
    Result<> emit(int dirfd, const std::string& name, const struct stat& st, const std::string& rel);
    Result<> write_entry(archive_entry* e, int data_fd, const std::string& rel);
    Result<> add_xattrs(archive_entry* e, int dirfd, const std::string& name, bool* opaque);
    Result<> marker(const std::string& path, const struct stat& st);
    bool in_lower(const std::string& rel) const;
    Error failure(const std::string& rel) const {
        if (ctx_.error) return Error(*ctx_.error).with_context("tar " + rel);
        const char* msg = archive_error_string(a_);
        return Error::internal("tar " + rel + ": " + (msg ? msg : "libarchive error"));
    }

    archive* a_;
    WriteContext& ctx_;
    bool overlay_;
    std::vector<UniqueFd> lowers_;
    std::unique_ptr<char[]> buf_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    uint64_t entries_ = 0;
};

Result<> TreeWriter::walk(int dirfd, const std::string& rel) {
    DIR* dir = ::fdopendir(::dup(dirfd));
    if (!dir) return Error::sys("opendir", rel.empty() ? "." : rel);
    std::vector<std::string> names;
    while (struct dirent* d = ::readdir(dir)) {
        if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) names.emplace_back(d->d_name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());  // bytewise: the same tree gives the same tar
    for (const auto& name : names) {
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;
            return Error::sys("stat", rel + name);
        }
        BERTH_TRY(emit(dirfd, name, st, rel));
    }
    return ok();
}

bool TreeWriter::in_lower(const std::string& rel) const {
    if (lowers_.empty()) return true;  // cannot tell: keep the whiteout
    auto [parent, base] = split_parent(rel);
    std::string b(base);
    for (const auto& lower : lowers_) {
        auto pfd = open_in_root(lower.get(), parent, O_PATH | O_DIRECTORY, false);
        struct stat st;
        if (pfd && ::fstatat(pfd->get(), b.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    }
    return false;
}

// A zero-length regular file standing for a whiteout or the opaque marker.
Result<> TreeWriter::marker(const std::string& path, const struct stat& st) {
    archive_entry* e = archive_entry_new();
    ScopeExit free_entry([e] { archive_entry_free(e); });
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, st.st_mode & 0777);
    archive_entry_set_uid(e, st.st_uid);
    archive_entry_set_gid(e, st.st_gid);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);
    archive_entry_set_size(e, 0);
    return write_entry(e, -1, path);
}

Result<> TreeWriter::add_xattrs(archive_entry* e, int dirfd, const std::string& name, bool* opaque) {
    std::string path = proc_fd_path(dirfd, name);
    ssize_t n = ::llistxattr(path.c_str(), buf_.get(), kBuf);
    if (n < 0) {
        if (errno == ENOTSUP) return ok();
        return Error::sys("listxattr", name);
    }
    std::vector<std::string> keys;
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(buf_.get() + i)) + 1)
        keys.emplace_back(buf_.get() + i);
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
        ssize_t len = ::lgetxattr(path.c_str(), key.c_str(), buf_.get(), kBuf);
        if (len < 0) {
            if (errno == ENODATA) continue;
            return Error::sys("getxattr " + key, name);
        }
        // overlayfs bookkeeping (opaque, origin, impure, redirect) is not layer content.
        if (std::string_view(key).starts_with("trusted.overlay.")) {
            if (key == "trusted.overlay.opaque" && len == 1 && buf_[0] == 'y') *opaque = true;
            continue;
        }
        archive_entry_xattr_add_entry(e, key.c_str(), buf_.get(), static_cast<size_t>(len));
    }
    return ok();
}

Result<> TreeWriter::write_entry(archive_entry* e, int data_fd, const std::string& rel) {
    if (archive_write_header(a_, e) < ARCHIVE_WARN) return failure(rel);
    ++entries_;
    if (data_fd < 0) return ok();
    int64_t left = archive_entry_size(e);
    while (left > 0) {
        ssize_t n = sys::retry_eintr(
            [&] { return ::read(data_fd, buf_.get(), static_cast<size_t>(std::min<int64_t>(left, kBuf))); });
        if (n < 0) return Error::sys("read", rel);
        if (n == 0) break;  // shrank while we read: libarchive pads the entry with zeros
        if (archive_write_data(a_, buf_.get(), static_cast<size_t>(n)) < 0) return failure(rel);
        left -= n;
    }
    if (archive_write_finish_entry(a_) < ARCHIVE_WARN) return failure(rel);
    return ok();
}

Result<> TreeWriter::emit(int dirfd, const std::string& name, const struct stat& st, const std::string& rel) {
    std::string path = rel + name;
    if (overlay_ && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        if (!in_lower(path)) return ok();  // hides nothing
        return marker(rel + ".wh." + name, st);
    }
    if (S_ISSOCK(st.st_mode)) return ok();  // sockets are not layer content
    archive_entry* e = archive_entry_new();
    ScopeExit free_entry([e] { archive_entry_free(e); });
    archive_entry_set_pathname(e, S_ISDIR(st.st_mode) ? (path + "/").c_str() : path.c_str());
    archive_entry_set_filetype(e, st.st_mode & S_IFMT);
    archive_entry_set_perm(e, st.st_mode & 07777);
    archive_entry_set_uid(e, st.st_uid);
    archive_entry_set_gid(e, st.st_gid);
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);
    bool opaque = false;
    BERTH_TRY(add_xattrs(e, dirfd, name, &opaque));
    UniqueFd data;
    if (S_ISREG(st.st_mode)) {
        if (st.st_nlink > 1) {
            auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, path);
            if (!fresh) {
                archive_entry_set_hardlink(e, it->second.c_str());
                archive_entry_set_size(e, 0);
                return write_entry(e, -1, path);
            }
        }
        archive_entry_set_size(e, st.st_size);
        data = BERTH_TRY(openat_file(dirfd, name, O_RDONLY | O_NOFOLLOW));
    } else if (S_ISLNK(st.st_mode)) {
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf_.get(), kBuf - 1);
        if (n < 0) return Error::sys("readlink", path);
        buf_[n] = '\0';
        archive_entry_set_symlink(e, buf_.get());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        archive_entry_set_rdevmajor(e, major(st.st_rdev));
        archive_entry_set_rdevminor(e, minor(st.st_rdev));
    }
    BERTH_TRY(write_entry(e, data ? data.get() : -1, path));
    if (!S_ISDIR(st.st_mode)) return ok();
    if (overlay_ && opaque) BERTH_TRY(marker(path + "/.wh..wh..opq", st));
    UniqueFd sub = BERTH_TRY(openat_file(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    return walk(sub.get(), path + "/");
}

Result<DiffResult> write_tree(const std::string& dir, const std::vector<std::string>& lower_dirs,
                              bool overlay, int out_fd, const DiffOptions& options) {
    UniqueFd root = BERTH_TRY(open_file(dir, O_RDONLY | O_DIRECTORY));
    std::vector<UniqueFd> lowers;
    for (const auto& l : lower_dirs) lowers.push_back(BERTH_TRY(open_file(l, O_PATH | O_DIRECTORY)));
    LayerWriter writer(out_fd, options);
    BERTH_TRY(writer.init());
    WriteContext ctx{&writer, std::nullopt};
    archive* a = archive_write_new();
    if (!a) return Error::internal("archive_write_new failed");
    ScopeExit free_archive([a] { archive_write_free(a); });
    // pax only where ustar cannot say it (long names, xattrs, big ids); no padding to 10 KiB.
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    // Only SCHILY.xattr records, as Go's archive/tar (docker, containerd) writes and reads
    // them; libarchive would add LIBARCHIVE.xattr duplicates.
    archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
    if (archive_write_open(a, &ctx, nullptr, write_callback, nullptr) != ARCHIVE_OK)
        return Error::internal(std::string("open tar writer: ") + archive_error_string(a));
    TreeWriter tree(a, ctx, overlay, std::move(lowers));
    BERTH_TRY(tree.walk(root.get(), ""));
    if (archive_write_close(a) != ARCHIVE_OK) {
        if (ctx.error) return *ctx.error;
        return Error::internal(std::string("close tar writer: ") + archive_error_string(a));
    }
    BERTH_TRY(writer.finish());
    DiffResult result;
    std::tie(result.digest, result.diff_id) = writer.digests();
    result.size = writer.size();
    result.uncompressed_size = writer.uncompressed_size();
    result.entries = tree.entries();
    return result;
}

}  // namespace

Result<DiffResult> diff_layer(const std::vector<std::string>& lower_dirs, const std::string& upper_dir,
                              int out_fd, const DiffOptions& options) {
    return BERTH_TRY_CTX(write_tree(upper_dir, lower_dirs, true, out_fd, options), "diff " + upper_dir);
}

Result<DiffResult> tar_directory(const std::string& dir, int out_fd, const DiffOptions& options) {
    return BERTH_TRY_CTX(write_tree(dir, {}, false, out_fd, options), "tar " + dir);
}

}  // namespace berth::image::layer

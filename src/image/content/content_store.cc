// The local content store: verified blobs under blobs/sha256, writes staged in ingest/.
// Modelled on containerd's plugins/content/local/store.go (temp file + rename), with flock
// on ingest files so start-up cleanup can tell a crashed writer from a live one.
#include "image/content/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "common/scope.h"

namespace berth::image::content {
namespace {

constexpr int64_t kWritebackStep = 4 << 20;

Result<> fsync_dir(const std::string& dir) {
    auto fd = BERTH_TRY(open_file(dir, O_RDONLY | O_DIRECTORY));
    if (::fsync(fd.get()) != 0) return Error::sys("fsync", dir);
    return ok();
}

Error blob_error(const char* op, const Digest& d, const std::string& path) {
    int err = errno;
    if (err == ENOENT) return Error::not_found("blob " + d.str() + " not found");
    return Error::sys(op, path, err);
}

// Removes ingest files nobody holds a lock on: they were left by a writer that died.
Result<> clean_ingest(const std::string& ingest_dir) {
    auto dfd = BERTH_TRY(open_file(ingest_dir, O_RDONLY | O_DIRECTORY));
    DIR* dir = ::fdopendir(dfd.get());
    if (!dir) return Error::sys("opendir", ingest_dir);
    dfd.release();
    ScopeExit close_dir([dir] { ::closedir(dir); });
    while (struct dirent* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        int fd = ::openat(::dirfd(dir), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            // Not a file we can lock (a symlink, a directory): not ours, remove it anyway.
            if (::unlinkat(::dirfd(dir), e->d_name, 0) != 0 && errno == EISDIR)
                (void)remove_all(ingest_dir + "/" + std::string(name));  // best effort: not ours, only space
            continue;
        }
        UniqueFd file(fd);
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) continue;  // a live writer (EWOULDBLOCK)
        if (::unlinkat(::dirfd(dir), e->d_name, 0) != 0 && errno != ENOENT)
            return Error::sys("unlink", ingest_dir + "/" + std::string(name));
    }
    return ok();
}

}  // namespace

// ---- Writer ------------------------------------------------------------------------------

Writer::Writer(Writer&& o) noexcept
    : blobs_dir_(std::move(o.blobs_dir_)),
      temp_path_(std::move(o.temp_path_)),
      fd_(std::move(o.fd_)),
      hash_(std::move(o.hash_)),
      expected_(std::move(o.expected_)),
      expected_size_(o.expected_size_),
      written_(o.written_),
      writeback_from_(o.writeback_from_),
      done_(std::exchange(o.done_, true)) {}

Writer& Writer::operator=(Writer&& o) noexcept {
    if (this != &o) {
        abort();
        blobs_dir_ = std::move(o.blobs_dir_);
        temp_path_ = std::move(o.temp_path_);
        fd_ = std::move(o.fd_);
        hash_ = std::move(o.hash_);
        expected_ = std::move(o.expected_);
        expected_size_ = o.expected_size_;
        written_ = o.written_;
        writeback_from_ = o.writeback_from_;
        done_ = std::exchange(o.done_, true);
    }
    return *this;
}

Writer::~Writer() {
    abort();
}

void Writer::abort() {
    if (done_) return;
    done_ = true;
    (void)::unlink(temp_path_.c_str());  // under the store's tmp/, which open() empties
    fd_.reset();
}

Result<> Writer::write(std::string_view data) {
    if (done_) return Error::invalid("content writer already finished");
    if (expected_size_ && written_ + static_cast<int64_t>(data.size()) > *expected_size_) {
        int64_t got = written_ + static_cast<int64_t>(data.size());
        abort();
        return Error::invalid("size mismatch: expected " + std::to_string(*expected_size_) +
                              ", got at least " + std::to_string(got));
    }
    auto r = write_all(fd_.get(), data, temp_path_);
    if (!r) {
        abort();
        return r;
    }
    hash_.update(data);
    written_ += static_cast<int64_t>(data.size());
    // Start writing back what is already here, without waiting for it: the disk works
    // while the rest arrives, and commit()'s fsync only waits for the tail. (Advisory: an
    // error here shows up in that fsync.)
    if (written_ - writeback_from_ >= kWritebackStep) {
        (void)::sync_file_range(fd_.get(), writeback_from_, written_ - writeback_from_,  // see above
                                SYNC_FILE_RANGE_WRITE);
        writeback_from_ = written_;
    }
    return ok();
}

Result<Info> Writer::commit() {
    if (done_) return Error::invalid("content writer already finished");
    ScopeExit on_error([this] { abort(); });
    if (expected_size_ && written_ != *expected_size_) {
        return Error::invalid("size mismatch: expected " + std::to_string(*expected_size_) + ", got " +
                              std::to_string(written_));
    }
    Digest got = hash_.finish();
    if (expected_ && got != *expected_)
        return Error::invalid("digest mismatch: expected " + expected_->str() + ", got " + got.str());
    if (::fsync(fd_.get()) != 0) return Error::sys("fsync", temp_path_);
    std::string target = blobs_dir_ + "/" + std::string(got.hex());
    // Another writer may have committed the same content: ours is identical (verified), so
    // the rename below replaces it atomically and readers see the same bytes either way.
    if (::fchmod(fd_.get(), 0444) != 0) return Error::sys("chmod", temp_path_);
    if (::rename(temp_path_.c_str(), target.c_str()) != 0) return Error::sys("rename", target);
    on_error.dismiss();
    done_ = true;
    fd_.reset();
    // The blob is in place; a failed directory fsync only weakens durability, but report it.
    BERTH_TRY(fsync_dir(blobs_dir_));
    return Info{got, written_};
}

// ---- Store -------------------------------------------------------------------------------

Result<Store> Store::open(const std::string& root) {
    if (root.empty() || root[0] != '/') return Error::invalid("content store root must be absolute: " + root);
    Store s;
    s.root_ = root;
    s.blobs_dir_ = root + "/blobs/sha256";
    s.ingest_dir_ = root + "/ingest";
    BERTH_TRY_CTX(mkdir_all(s.blobs_dir_, 0700), "open content store");
    BERTH_TRY_CTX(mkdir_all(s.ingest_dir_, 0700), "open content store");
    BERTH_TRY_CTX(clean_ingest(s.ingest_dir_), "clean content ingest");
    return s;
}

std::string Store::blob_path(const Digest& digest) const {
    return blobs_dir_ + "/" + std::string(digest.hex());
}

Result<Writer> Store::writer(std::optional<Digest> expected, std::optional<int64_t> expected_size) const {
    if (expected_size && *expected_size < 0)
        return Error::invalid("invalid expected size " + std::to_string(*expected_size));
    std::string prefix = expected ? std::string(expected->hex()) : std::string("unknown");
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::string tmpl = ingest_dir_ + "/" + prefix + "-XXXXXX";
        int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
        if (fd < 0) return Error::sys("create ingest file", tmpl);
        UniqueFd file(fd);
        if (::flock(fd, LOCK_EX) != 0) return Error::sys("flock", tmpl);
        // A concurrent Store::open() may have unlinked the file between mkostemp and flock;
        // then our fd names an orphan inode: start again with a new file.
        struct stat by_fd, by_path;
        if (::fstat(fd, &by_fd) != 0) return Error::sys("stat", tmpl);
        if (::stat(tmpl.c_str(), &by_path) != 0 || by_fd.st_ino != by_path.st_ino) continue;
        Writer w;
        w.blobs_dir_ = blobs_dir_;
        w.temp_path_ = std::move(tmpl);
        w.fd_ = std::move(file);
        w.expected_ = std::move(expected);
        w.expected_size_ = expected_size;
        return w;
    }
    return Error(ErrorKind::Unavailable, "could not create an ingest file in " + ingest_dir_);
}

Result<Info> Store::write_blob(std::string_view data, std::optional<Digest> expected) const {
    auto w = BERTH_TRY(writer(std::move(expected), static_cast<int64_t>(data.size())));
    BERTH_TRY(w.write(data));
    return w.commit();
}

Result<UniqueFd> Store::open_blob(const Digest& digest) const {
    std::string path = blob_path(digest);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return blob_error("open", digest, path);
    return UniqueFd(fd);
}

Result<std::string> Store::read(const Digest& digest, bool verify) const {
    auto fd = BERTH_TRY(open_blob(digest));
    auto data = read_fd(fd.get());
    if (!data) return Error::sys("read", blob_path(digest), data.error().sys_errno());
    if (verify) {
        Digest got = Digest::of(*data);
        if (got != digest)
            return Error::internal("blob " + digest.str() + " is corrupt on disk (content hashes to " +
                                   got.str() + ")");
    }
    return data;
}

Result<Info> Store::info(const Digest& digest) const {
    std::string path = blob_path(digest);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return blob_error("stat", digest, path);
    return Info{digest, static_cast<int64_t>(st.st_size)};
}

bool Store::exists(const Digest& digest) const {
    struct stat st;
    return ::lstat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<> Store::remove(const Digest& digest) const {
    std::string path = blob_path(digest);
    if (::unlink(path.c_str()) != 0) return blob_error("unlink", digest, path);
    return ok();
}

Result<> Store::walk(const std::function<Result<>(const Info&)>& fn) const {
    auto dfd = BERTH_TRY(open_file(blobs_dir_, O_RDONLY | O_DIRECTORY));
    DIR* dir = ::fdopendir(dfd.get());
    if (!dir) return Error::sys("opendir", blobs_dir_);
    dfd.release();
    ScopeExit close_dir([dir] { ::closedir(dir); });
    while (struct dirent* e = ::readdir(dir)) {
        auto digest = Digest::from_hex(e->d_name);
        if (!digest) continue;
        struct stat st;
        if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed concurrently
            return Error::sys("stat", blobs_dir_ + "/" + e->d_name);
        }
        if (!S_ISREG(st.st_mode)) continue;
        BERTH_TRY(fn(Info{*digest, static_cast<int64_t>(st.st_size)}));
    }
    return ok();
}

Result<std::vector<Info>> Store::list() const {
    std::vector<Info> out;
    BERTH_TRY(walk([&](const Info& i) -> Result<> {
        out.push_back(i);
        return ok();
    }));
    std::sort(out.begin(), out.end(), [](const Info& a, const Info& b) { return a.digest < b.digest; });
    return out;
}

}  // namespace berth::image::content

// The content store: immutable blobs (layers, manifests, configs, indexes) addressed by
// their sha256 digest, as in containerd's local content store.
//
// The model.
//   blob     a byte string stored at <root>/blobs/sha256/<hex>. Its name IS its digest, so a
//            blob can never be modified, only written once and later deleted (GC).
//   ingest   <root>/ingest/ holds blobs being written. A Writer streams bytes into a temp file
//            there while hashing them; commit() checks the size and digest, fsyncs, then
//            renames the file into blobs/ and fsyncs the directory. Only verified content ever
//            appears under a digest: a crash leaves at most a stale temp file in ingest/,
//            which Store::open() removes (files still locked by a live writer are kept).
//   Writers of the same blob may run concurrently (two pulls sharing a layer): each has its
//   own temp file and the first commit wins; the others find the blob present and succeed.
//
// Typical use:
//     auto store = BERTH_TRY(content::Store::open(data_root + "/content"));
//     auto w = BERTH_TRY(store.writer(expected_digest, expected_size));
//     while (auto chunk = next_chunk()) BERTH_TRY(w.write(*chunk));
//     content::Info info = BERTH_TRY(w.commit());   // "digest mismatch: ..." on bad data
//     std::string manifest = BERTH_TRY(store.read(info.digest));
//
// Who deletes blobs: the image store (image/store) keeps the references; when it reports a
// blob unreferenced, the caller calls remove(). The content store itself never collects.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "image/content/digest.h"

namespace berth::image::content {

struct Info {
    Digest digest;
    int64_t size = 0;
};

class Store;

// Streams one blob into the store. Move-only; aborts (removes its temp file) when destroyed
// without a successful commit().
class Writer {
public:
    Writer(Writer&& o) noexcept;
    Writer& operator=(Writer&& o) noexcept;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    // Appends bytes and hashes them. Fails early once more bytes than the expected size
    // arrive ("size mismatch: ...").
    Result<> write(std::string_view data);
    // Verifies size and digest, then makes the blob visible under its digest (atomic rename,
    // fsync of file and directory). On mismatch the temp file is removed and the error says
    // "digest mismatch: expected sha256:..., got sha256:..." or "size mismatch: expected N,
    // got M" (kind InvalidArgument). The writer is finished either way.
    Result<Info> commit();
    // Drops the data written so far. Safe to call more than once.
    void abort();

    // Bytes written so far.
    int64_t written() const { return written_; }

private:
    friend class Store;
    Writer() = default;

    std::string blobs_dir_;
    std::string temp_path_;
    UniqueFd fd_;  // holds flock(LOCK_EX) so Store::open() leaves a live ingest alone
    Sha256 hash_;
    std::optional<Digest> expected_;
    std::optional<int64_t> expected_size_;
    int64_t written_ = 0;
    int64_t writeback_from_ = 0;  // bytes before this offset have been handed to writeback
    bool done_ = false;
};

class Store {
public:
    // Opens (creating if needed) a store rooted at `root` (absolute path), and removes stale
    // ingest files left by a crash.
    static Result<Store> open(const std::string& root);

    // Starts writing a blob. With `expected`, commit() refuses any other content; with
    // `expected_size`, it refuses any other length.
    Result<Writer> writer(std::optional<Digest> expected = std::nullopt,
                          std::optional<int64_t> expected_size = std::nullopt) const;
    // Writes a whole in-memory blob (a manifest, a config) through a Writer.
    Result<Info> write_blob(std::string_view data, std::optional<Digest> expected = std::nullopt) const;

    // Reads a whole blob (NotFound if absent). With `verify`, re-hashes it and reports
    // corruption on disk as an Internal error.
    Result<std::string> read(const Digest& digest, bool verify = false) const;
    // Opens a blob read-only, for streaming large layers.
    Result<UniqueFd> open_blob(const Digest& digest) const;
    // Size of a blob (NotFound if absent).
    Result<Info> info(const Digest& digest) const;
    bool exists(const Digest& digest) const;
    // Deletes a blob (NotFound if absent). Readers holding it open keep their data.
    Result<> remove(const Digest& digest) const;
    // Every blob, in digest order (for GC and `system df`).
    Result<std::vector<Info>> list() const;
    // Calls `fn` for each blob; stops at, and returns, the first error `fn` returns. Files in
    // blobs/ that are not named like a digest are skipped.
    Result<> walk(const std::function<Result<>(const Info&)>& fn) const;

    // <root>/blobs/sha256/<hex>: where a committed blob lives.
    std::string blob_path(const Digest& digest) const;
    const std::string& root() const { return root_; }

private:
    Store() = default;
    std::string root_, blobs_dir_, ingest_dir_;
};

}  // namespace berth::image::content

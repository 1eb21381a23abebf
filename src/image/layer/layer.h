// Image layers: hardened extraction of OCI layer tarballs (apply) and the reverse, turning
// a container's overlay upper dir back into a layer (diff), plus plain tar export.
//
// The model (OCI image-spec layer.md):
//   - A layer is a tar stream (ustar/pax/gnu), optionally gzip- or zstd-compressed. Its
//     `digest` is the sha256 of the bytes as stored/transferred; its `diff_id` is the sha256
//     of the uncompressed tar. apply_layer computes both in the same single pass that
//     decompresses and extracts, so a pulled blob is verified without reading it twice.
//   - Deletions are whiteouts: an entry `dir/.wh.name` deletes `dir/name` from the layers
//     below, `dir/.wh..wh..opq` hides everything below `dir`. When layers are stacked by
//     overlayfs (the snapshotter) they are stored in overlay's own form instead: a 0:0
//     character device for `.wh.name`, xattr trusted.overlay.opaque=y for an opaque dir
//     (WhiteoutFormat::Overlay). When layers are flattened onto one directory, the files
//     are really removed (WhiteoutFormat::Plain).
//
// Security: a layer is untrusted input. Every entry is created with *at syscalls relative
// to the target directory fd, its parent resolved with openat2(RESOLVE_BENEATH or
// RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS), so no name, symlink or hard link in the layer can
// make extraction touch anything outside the target. Names with `..` components or a
// leading `/`, hard links to missing or outside files, whiteouts of `.`/`..`, huge sizes
// and names are rejected; the error names the entry:
//     layer entry "../etc/passwd": path escapes the layer root
// A failed apply leaves the target partly written: apply into a fresh temp dir and rename
// it into place on success (snapshotter/ does exactly that).
//
// Typical use (pull):
//     UniqueFd blob = ...;                       // the compressed layer blob
//     UniqueFd dir = open(prepared_diff_dir, O_DIRECTORY);
//     ApplyOptions opts;                          // Overlay whiteouts, keep ownership
//     auto r = layer::apply_layer_fd(blob.get(), dir.get(), opts);
//     if (!r) return r.error();
//     if (r->digest != expected_digest) ...       // and r->diff_id vs the config's diff_ids
// Typical use (commit a container):
//     auto d = layer::diff_layer(lower_dirs, upper_dir, out_fd,
//                                {.compression = layer::Compression::Gzip});
//     // d->digest names the blob written to out_fd, d->diff_id goes into the image config.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::image::layer {

enum class Compression { None, Gzip, Zstd };
std::string_view to_string(Compression c);

enum class WhiteoutFormat {
    Overlay,  // 0:0 char devices + trusted.overlay.opaque=y (one dir per layer, overlayfs)
    Plain,    // remove the named files (flattening onto one directory)
};

// One line of a uid/gid map (like /proc/<pid>/uid_map): ids [container_id, +size) of the
// layer are stored as [host_id, +size) on disk.
struct IdMap {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct ApplyOptions {
    WhiteoutFormat whiteout_format = WhiteoutFormat::Overlay;
    // chown entries to their uid/gid (mapped through uid_map/gid_map when not empty).
    // Off: files belong to the caller (rootless unpacking).
    bool set_ownership = true;
    std::vector<IdMap> uid_map;
    std::vector<IdMap> gid_map;
    // trusted.* xattrs are skipped (and counted) unless enabled.
    bool allow_trusted_xattrs = false;
    // How symlinks met in a parent path are followed. false: they must resolve inside the
    // target without leaving it even transiently (RESOLVE_BENEATH): absolute symlinks and
    // ones climbing out are rejected. true: chroot semantics (RESOLVE_IN_ROOT), as Docker's
    // chrootarchive; for flattening onto a rootfs that has absolute symlinks.
    bool follow_absolute_symlinks = false;
    // Read + hash + decompress on a second thread, overlapping the file writes.
    bool decompress_thread = true;
    // false: the caller checks the digest of the bytes it feeds (e.g. a content-store writer
    // fed the same bytes), so they are not hashed twice; ApplyResult::digest is then empty
    // for a compressed layer.
    bool digest_input = true;
    uint64_t max_entry_size = uint64_t{64} << 30;
    size_t max_name_length = 4096;
};

struct ApplyResult {
    std::string diff_id;  // "sha256:<hex>" of the uncompressed tar stream
    std::string digest;   // "sha256:<hex>" of the stream as read (== diff_id if None)
    Compression compression = Compression::None;
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
    uint64_t entries = 0;
    uint64_t skipped_devices = 0;       // mknod not permitted (e.g. in a user namespace)
    uint64_t skipped_xattrs = 0;        // trusted.* not enabled, or not supported here
    std::vector<std::string> warnings;  // the first few, for logs
};

// Reads up to `len` bytes into `buf`; returns 0 at the end of the stream. With
// ApplyOptions::decompress_thread it is called from apply_layer's helper thread.
using ReadFn = std::function<Result<size_t>(void* buf, size_t len)>;

// Detects the compression from the magic bytes, decompresses (ISA-L for gzip, libzstd),
// hashes both streams and extracts into target_dirfd, all in one pass.
Result<ApplyResult> apply_layer(const ReadFn& read, int target_dirfd, const ApplyOptions& options = {});
Result<ApplyResult> apply_layer_fd(int input_fd, int target_dirfd, const ApplyOptions& options = {});

struct DiffOptions {
    Compression compression = Compression::None;
    int level = 1;  // gzip: ISA-L level 0..3; zstd: 1..19
};

struct DiffResult {
    std::string diff_id;  // sha256 of the uncompressed tar
    std::string digest;   // sha256 of the bytes written to out_fd
    uint64_t size = 0;    // bytes written to out_fd
    uint64_t uncompressed_size = 0;
    uint64_t entries = 0;
};

// Writes the changes recorded in an overlay upper dir as an OCI layer: whiteout devices
// become `.wh.<name>` (dropped when no lower has <name>), opaque dirs get
// `.wh..wh..opq`, files sharing an inode become tar hard links, xattrs go into PAX
// headers (trusted.overlay.* excluded). Entries are sorted, times kept to the second,
// user/group names left out, so the same tree always gives the same digest.
Result<DiffResult> diff_layer(const std::vector<std::string>& lower_dirs, const std::string& upper_dir,
                              int out_fd, const DiffOptions& options = {});

// Tars a whole directory as-is (docker export / save of a flattened rootfs).
Result<DiffResult> tar_directory(const std::string& dir, int out_fd, const DiffOptions& options = {});

}  // namespace berth::image::layer

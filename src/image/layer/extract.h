// Extractor: creates one tar entry at a time inside the target directory, hardened against
// hostile names, symlinks and hard links (see layer.h). Hand-written instead of
// archive_write_disk, whose symlink/hardlink checks are path-string based and racy.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/fd.h"
#include "image/layer/layer.h"

struct archive;
struct archive_entry;

namespace berth::image::layer {

class Extractor {
public:
    // `read_error` is consulted when libarchive fails: the decompressor's own error is more
    // telling than libarchive's "read callback failed".
    Extractor(int root_fd, const ApplyOptions& options, ApplyResult& result,
              const std::optional<Error>* read_error);

    // Creates the entry; errors are prefixed with `layer entry "<name>"`.
    Result<> entry(archive* a, archive_entry* e);
    // Directory ownership, modes and times, once nothing more is written into them.
    Result<> finish();

private:
    struct DirMeta {
        std::string path;
        uid_t uid;
        gid_t gid;
        mode_t mode;
        timespec times[2];
    };

    Result<> process(archive* a, archive_entry* e, const char* raw);
    Result<int> parent_fd(std::string_view parent);
    Result<bool> make_room(int pfd, const std::string& base, bool want_dir);
    Result<> regular(archive* a, archive_entry* e, int pfd, const std::string& base);
    Result<> directory(archive_entry* e, int pfd, const std::string& base, const std::string& path);
    Result<> symlink(archive_entry* e, int pfd, const std::string& base);
    Result<> hardlink(archive_entry* e, const char* target, int pfd, const std::string& base,
                      const std::string& path);
    Result<> special(archive_entry* e, int pfd, const std::string& base);
    Result<> whiteout(std::string_view parent, std::string_view name);
    Result<> opaque(std::string_view parent);

    Result<std::pair<uid_t, gid_t>> owner(archive_entry* e) const;
    Result<> set_xattrs(archive_entry* e, int fd, int pfd, const std::string& base);
    Result<> data_error(archive* a) const;
    void warn(std::string msg);
    void times(archive_entry* e, timespec ts[2]) const;

    int root_;
    const ApplyOptions& opts_;
    ApplyResult& result_;
    const std::optional<Error>* read_error_;
    bool in_root_;
    std::string cached_parent_;
    UniqueFd cached_fd_;
    bool cache_valid_ = false;
    bool cached_parent_setgid_ = true;
    mode_t umask_;  // the process's, which the kernel applies to created files
    uid_t euid_;
    gid_t egid_;
    std::vector<DirMeta> dirs_;
    std::unordered_set<std::string> created_;  // Plain whiteouts: what this layer added
};

}  // namespace berth::image::layer

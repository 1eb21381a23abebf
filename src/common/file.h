// Small file-system helpers that return Result and carry the path in their errors.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/fd.h"

namespace berth {

// open(2) with O_CLOEXEC added; retries EINTR.
Result<UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openat_file(int dirfd, const std::string& path, int flags, mode_t mode = 0);

Result<std::string> read_file(const std::string& path);
Result<std::string> read_fd(int fd);
// Writes the whole buffer, retrying short writes and EINTR.
Result<> write_all(int fd, std::string_view data, std::string_view what = "fd");
// Writes to an existing file (no create, no truncate): /proc and cgroup files.
Result<> write_file(const std::string& path, std::string_view data);
// Replaces an existing file's content in place (truncated, same inode): a file bind-mounted
// into a container, which a rename would leave the container no longer seeing.
Result<> rewrite_file(const std::string& path, std::string_view data);
// Creates or replaces `path` atomically: temp file in the same dir, fsync, rename.
// Durability::Atomic skips the fsync (for state under /run, which a reboot clears anyway).
enum class Durability { Durable, Atomic };
Result<> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                           Durability durability = Durability::Durable);

// mkdir -p; existing directories are fine.
Result<> mkdir_all(const std::string& path, mode_t mode = 0755);
// rm -rf that never follows symlinks and does not cross mount points (a mounted fs under
// `path` is an error): sys::remove_tree_at from the current directory.
Result<> remove_all(const std::string& path);
bool path_exists(const std::string& path);

std::string path_join(std::string_view a, std::string_view b);
// The names in a directory, without "." and ".."; empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace berth

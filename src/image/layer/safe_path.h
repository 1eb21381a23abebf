// Path handling for untrusted layer entries: name validation and directory resolution that
// the kernel confines to the target (openat2 RESOLVE_BENEATH / RESOLVE_IN_ROOT).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"

namespace berth::image::layer {

// Normalises an entry name ("./a//b/" -> "a/b", "./" -> ""). Rejects absolute names, `..`
// components and over-long names; the message is meant to follow `layer entry "<name>": `.
Result<std::string> clean_entry_name(std::string_view name, size_t max_len);

// Splits "a/b/c" into ("a/b", "c"); ("", "c") for a top-level name.
std::pair<std::string_view, std::string_view> split_parent(std::string_view path);

// sys::openat2(dirfd, path, flags, RESOLVE_NO_MAGICLINKS | (in_root ? RESOLVE_IN_ROOT :
// RESOLVE_BENEATH)), which falls back to a walker where openat2 is missing; an empty path
// opens dirfd itself. Errors carry errno (EXDEV for an escape under RESOLVE_BENEATH).
Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, bool in_root);

// Opens (creating missing components 0755) the directory `path` under root_fd. A component
// that exists but is not a directory, or a symlink that does not resolve to one, is an error.
Result<UniqueFd> open_or_create_dir(int root_fd, std::string_view path, bool in_root);

// "/proc/self/fd/<fd>/<name>": for the xattr calls that have no *at form (l*xattr on it
// acts on `name` itself, never following it).
std::string proc_fd_path(int dir_fd, std::string_view name);

}  // namespace berth::image::layer

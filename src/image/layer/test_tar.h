// Test helpers: build tar streams in memory (libarchive's writer), compress them, and read
// them back into comparable entries.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "image/layer/layer.h"

namespace berth::image::layer::test {

struct TarEntry {
    std::string name;
    char type = 'f';  // f file, d dir, l symlink, h hard link, c/b device, p fifo
    std::string data;
    std::string link;  // symlink target or hard link target
    unsigned mode = 0644;
    int64_t uid = 0, gid = 0;
    unsigned major = 0, minor = 0;
    int64_t mtime = 1700000000;
    std::map<std::string, std::string> xattrs;
    int64_t claimed_size = -1;  // header size when it must differ from data.size()

    bool operator==(const TarEntry&) const = default;
};

std::string to_string(const TarEntry& e);

// The whole tar; with truncate_at set, only that many bytes (a hostile short body).
std::string make_tar(const std::vector<TarEntry>& entries, size_t truncate_at = std::string::npos);
std::string compress(const std::string& data, Compression c);
// Parses a (possibly compressed) tar; file data is kept. Names keep their trailing '/'.
std::vector<TarEntry> read_tar(const std::string& data);

// A ReadFn over a string, in small odd-sized pieces to exercise the buffering.
ReadFn string_reader(const std::string& data, size_t piece = 4093);

}  // namespace berth::image::layer::test

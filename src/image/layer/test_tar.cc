// In-memory tar building/reading for the layer tests.
#include "image/layer/test_tar.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>

namespace berth::image::layer::test {

namespace {

struct Sink {
    std::string out;
    size_t limit = std::string::npos;
};

la_ssize_t sink_write(archive*, void* data, const void* buf, size_t len) {
    auto* s = static_cast<Sink*>(data);
    if (s->out.size() >= s->limit) return -1;  // stop libarchive padding a huge entry
    s->out.append(static_cast<const char*>(buf), len);
    return static_cast<la_ssize_t>(len);
}

mode_t filetype(char t) {
    switch (t) {
        case 'd':
            return AE_IFDIR;
        case 'l':
            return AE_IFLNK;
        case 'c':
            return AE_IFCHR;
        case 'b':
            return AE_IFBLK;
        case 'p':
            return AE_IFIFO;
        default:
            return AE_IFREG;
    }
}

}  // namespace

std::string to_string(const TarEntry& e) {
    std::ostringstream os;
    os << e.type << " " << e.name << " mode=" << std::oct << e.mode << std::dec << " uid=" << e.uid
       << " gid=" << e.gid << " size=" << e.data.size() << " link=" << e.link << " dev=" << e.major << ":"
       << e.minor << " mtime=" << e.mtime;
    for (auto& [k, v] : e.xattrs) os << " " << k << "=" << v;
    return os.str();
}

std::string make_tar(const std::vector<TarEntry>& entries, size_t truncate_at) {
    Sink sink;
    sink.limit = truncate_at;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_per_block(a, 0);  // unbuffered: truncation is exact
    archive_write_open(a, &sink, nullptr, sink_write, nullptr);
    for (const auto& t : entries) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, t.name.c_str());
        archive_entry_set_filetype(e, filetype(t.type));
        archive_entry_set_perm(e, t.mode);
        archive_entry_set_uid(e, t.uid);
        archive_entry_set_gid(e, t.gid);
        archive_entry_set_mtime(e, t.mtime, 0);
        if (t.type == 'l') archive_entry_set_symlink(e, t.link.c_str());
        if (t.type == 'h') {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, t.link.c_str());
        }
        if (t.type == 'c' || t.type == 'b') {
            archive_entry_set_rdevmajor(e, t.major);
            archive_entry_set_rdevminor(e, t.minor);
        }
        for (auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        int64_t size = t.claimed_size >= 0 ? t.claimed_size : static_cast<int64_t>(t.data.size());
        archive_entry_set_size(e, t.type == 'f' ? size : 0);
        archive_write_header(a, e);
        if (!t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
        archive_entry_free(e);
        if (sink.out.size() >= truncate_at) break;
    }
    archive_write_close(a);
    archive_write_free(a);
    if (sink.out.size() > truncate_at) sink.out.resize(truncate_at);
    return sink.out;
}

std::string compress(const std::string& data, Compression c) {
    if (c == Compression::None) return data;
    Sink sink;
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    if (c == Compression::Gzip) archive_write_add_filter_gzip(a);
    if (c == Compression::Zstd) archive_write_add_filter_zstd(a);
    archive_write_set_bytes_per_block(a, 0);
    archive_write_open(a, &sink, nullptr, sink_write, nullptr);
    archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "raw");
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return sink.out;
}

std::vector<TarEntry> read_tar(const std::string& data) {
    std::vector<TarEntry> out;
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    archive_read_open_memory(a, data.data(), data.size());
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        TarEntry t;
        t.name = archive_entry_pathname(e);
        switch (archive_entry_filetype(e)) {
            case AE_IFDIR:
                t.type = 'd';
                break;
            case AE_IFLNK:
                t.type = 'l';
                t.link = archive_entry_symlink(e);
                break;
            case AE_IFCHR:
                t.type = 'c';
                break;
            case AE_IFBLK:
                t.type = 'b';
                break;
            case AE_IFIFO:
                t.type = 'p';
                break;
            default:
                t.type = 'f';
        }
        if (archive_entry_hardlink(e)) {
            t.type = 'h';
            t.link = archive_entry_hardlink(e);
        }
        if (t.type == 'c' || t.type == 'b') {
            t.major = archive_entry_rdevmajor(e);
            t.minor = archive_entry_rdevminor(e);
        }
        t.mode = archive_entry_perm(e);
        t.uid = archive_entry_uid(e);
        t.gid = archive_entry_gid(e);
        t.mtime = archive_entry_mtime(e);
        const char* name;
        const void* value;
        size_t size;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
            t.xattrs[name] = std::string(static_cast<const char*>(value), size);
        char buf[65536];
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0) t.data.append(buf, static_cast<size_t>(n));
        out.push_back(std::move(t));
    }
    archive_read_free(a);
    return out;
}

ReadFn string_reader(const std::string& data, size_t piece) {
    auto pos = std::make_shared<size_t>(0);
    return [&data, pos, piece](void* buf, size_t len) -> Result<size_t> {
        size_t n = std::min({len, piece, data.size() - *pos});
        memcpy(buf, data.data() + *pos, n);
        *pos += n;
        return n;
    };
}

}  // namespace berth::image::layer::test

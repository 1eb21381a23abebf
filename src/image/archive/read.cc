// read_archive: one streaming pass over the tarball into the content store, then the
// manifest.json or index.json walk over what was found.
#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <memory>
#include <set>

#include "common/file.h"
#include "common/strings.h"
#include "image/archive/archive.h"
#include "image/manifest/manifest.h"

namespace berth::image::archive {

namespace {

constexpr size_t kChunk = 1 << 20;

// libarchive's read callback pulls from a ReadFn; the first error is kept for the report.
struct Source {
    const ReadFn* read = nullptr;
    std::string buf;
    std::optional<Error> error;
};

la_ssize_t source_read(::archive*, void* opaque, const void** out) {
    auto* s = static_cast<Source*>(opaque);
    try {
        auto n = (*s->read)(s->buf.data(), s->buf.size());
        if (!n) {
            s->error = n.error();
            return -1;
        }
        *out = s->buf.data();
        return static_cast<la_ssize_t>(*n);
    } catch (...) {
        s->error = Error::internal("reading the archive: unexpected exception");
        return -1;
    }
}

struct ArchiveReader {
    ::archive* a = nullptr;
    Source src;
    ~ArchiveReader() {
        if (a) archive_read_free(a);
    }
    Error fail(std::string_view what) {
        if (src.error) return Error(*src.error).with_context(std::string(what));
        return Error::invalid(
            std::string(what) + ": " +
            (a && archive_error_string(a) ? archive_error_string(a) : "unreadable archive"));
    }
};

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string dir_of(const std::string& p) {
    auto slash = p.rfind('/');
    return slash == std::string::npos ? "" : p.substr(0, slash);
}

std::string q(std::string_view s) {
    return dump_json(Json(std::string(s)));
}

class Reader {
public:
    Reader(const content::Store& store, const Limits& limits, std::vector<Digest>* touched)
        : store_(store), limits_(limits), touched_out_(touched) {}

    Result<ReadResult> run(const ReadFn& input);

private:
    void touch(const Digest& d) {
        if (touched_.insert(d.str()).second && touched_out_) touched_out_->push_back(d);
    }
    Result<> read_entries(const ReadFn& input);
    Result<> ingest_entry(ArchiveReader& r, const std::string& name, int64_t size);
    Result<Digest> lookup(std::string_view path, const std::string& field) const;
    Result<> docker_archive(const std::string& manifest_json);
    Result<> oci_layout(const std::string& index_json);
    Result<ArchiveImage> oci_image(const manifest::Descriptor& desc, const std::string& field);
    Result<std::string> read_document(const Digest& d, size_t limit, const std::string& field) const;

    const content::Store& store_;
    Limits limits_;
    std::map<std::string, Digest> files_;       // member path -> blob
    std::map<std::string, std::string> links_;  // member path -> member it points at
    std::map<std::string, std::string> meta_;   // manifest.json, index.json, oci-layout, repositories
    std::set<std::string> touched_;             // blobs written or found
    std::vector<Digest>* touched_out_;
    ReadResult result_;
};

Result<ReadResult> Reader::run(const ReadFn& input) {
    BERTH_TRY(read_entries(input));
    if (meta_.count("manifest.json")) {
        result_.format = Format::DockerArchive;
        BERTH_TRY(docker_archive(meta_["manifest.json"]));
    } else if (meta_.count("index.json")) {
        result_.format = Format::OciLayout;
        BERTH_TRY(oci_layout(meta_["index.json"]));
    } else {
        return Error::invalid(
            "invalid image archive: neither manifest.json nor index.json found (not a docker save or OCI "
            "layout tarball)");
    }
    return std::move(result_);
}

Result<> Reader::read_entries(const ReadFn& input) {
    ArchiveReader r;
    r.src.read = &input;
    r.src.buf.resize(kChunk);
    r.a = archive_read_new();
    if (!r.a) return Error::internal("archive_read_new failed");
    archive_read_support_format_tar(r.a);
    archive_read_support_format_gnutar(r.a);
    archive_read_support_filter_all(r.a);
    if (archive_read_open(r.a, &r.src, nullptr, source_read, nullptr) != ARCHIVE_OK)
        return r.fail("invalid image archive");
    size_t count = 0;
    for (;;) {
        ::archive_entry* e = nullptr;
        int rc = archive_read_next_header(r.a, &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return r.fail("invalid image archive");
        if (++count > limits_.max_entries)
            return Error::invalid("invalid image archive: more than " + std::to_string(limits_.max_entries) +
                                  " entries");
        const char* raw = archive_entry_pathname(e);
        if (!raw) return Error::invalid("invalid image archive: entry without a name");
        auto name_r = normalize_member(raw);
        if (!name_r) {
            // A member we could never be asked for (manifests are resolved the same way): skip it.
            if (archive_read_data_skip(r.a) != ARCHIVE_OK) return r.fail("invalid image archive");
            continue;
        }
        std::string name = *name_r;
        if (const char* hl = archive_entry_hardlink(e)) {
            auto target = normalize_member(hl);
            if (target) links_[name] = *target;
            continue;
        }
        auto type = archive_entry_filetype(e);
        if (type == AE_IFLNK) {
            const char* t = archive_entry_symlink(e);
            if (t && t[0] != '/') {
                std::string joined = dir_of(name).empty() ? std::string(t) : dir_of(name) + "/" + t;
                if (auto target = normalize_member(joined)) links_[name] = *target;
            }
            continue;
        }
        if (type != AE_IFREG) continue;
        if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
            return Error::invalid("archive entry " + q(name) + ": no size");
        int64_t size = archive_entry_size(e);
        if (static_cast<uint64_t>(size) > limits_.max_blob)
            return Error::invalid("archive entry " + q(name) + ": size " + std::to_string(size) +
                                  " is larger than the limit (" + std::to_string(limits_.max_blob) +
                                  " bytes)");
        BERTH_TRY(ingest_entry(r, name, size));
    }
    return ok();
}

Result<> Reader::ingest_entry(ArchiveReader& r, const std::string& name, int64_t size) {
    static const char* kMeta[] = {"manifest.json", "index.json", "oci-layout", "repositories"};
    for (auto* m : kMeta) {
        if (name != m) continue;
        if (static_cast<size_t>(size) > limits_.max_metadata)
            return Error::invalid("archive entry " + name + ": " + std::to_string(size) +
                                  " bytes is too large (limit " + std::to_string(limits_.max_metadata) + ")");
        std::string data(static_cast<size_t>(size), '\0');
        size_t got = 0;
        while (got < data.size()) {
            auto n = archive_read_data(r.a, data.data() + got, data.size() - got);
            if (n < 0) return r.fail("archive entry " + name);
            if (n == 0) break;
            got += static_cast<size_t>(n);
        }
        data.resize(got);
        meta_[name] = std::move(data);
        return ok();
    }
    // docker-archive's legacy per-layer metadata: never referenced by a manifest.
    auto base = name.substr(name.rfind('/') + 1);
    if (name.find('/') != std::string::npos && (base == "json" || base == "VERSION")) return ok();

    std::optional<Digest> expected;
    if (starts_with(name, "blobs/sha256/") && is_hex64(name.substr(13))) {
        expected = BERTH_TRY(Digest::from_hex(name.substr(13)));
        if (store_.exists(*expected)) {
            files_[name] = *expected;
            touch(*expected);
            if (archive_read_data_skip(r.a) != ARCHIVE_OK) return r.fail("archive entry " + q(name));
            return ok();
        }
    }
    auto w = BERTH_TRY(store_.writer(expected, size));
    std::string buf(kChunk, '\0');
    for (;;) {
        auto n = archive_read_data(r.a, buf.data(), buf.size());
        if (n < 0) return r.fail("archive entry " + q(name));
        if (n == 0) break;
        BERTH_TRY_CTX(w.write(std::string_view(buf.data(), static_cast<size_t>(n))),
                      "archive entry " + q(name));
    }
    auto info = w.commit();
    if (!info) return Error(info.error()).with_context("archive entry " + q(name));
    Digest d = info->digest;
    touch(d);
    files_[name] = d;
    return ok();
}

Result<Digest> Reader::lookup(std::string_view path, const std::string& field) const {
    auto p = normalize_member(path);
    if (!p) return Error::invalid(field + ": " + q(path) + ": " + p.error().message());
    std::string cur = *p;
    for (int hops = 0; hops < 16; ++hops) {
        if (auto f = files_.find(cur); f != files_.end()) return f->second;
        auto l = links_.find(cur);
        if (l == links_.end()) break;
        cur = l->second;
    }
    return Error::invalid(field + ": " + q(path) + " is not in the archive");
}

Result<std::string> Reader::read_document(const Digest& d, size_t limit, const std::string& field) const {
    auto info = store_.info(d);
    if (!info) return Error::invalid(field + ": blob " + d.str() + " is not in the archive");
    if (static_cast<size_t>(info->size) > limit)
        return Error::invalid(field + ": blob " + d.str() + " is too large (" + std::to_string(info->size) +
                              " bytes)");
    return store_.read(d);
}

// manifest.json: [{"Config": path, "RepoTags": [..] | null, "Layers": [path, ...]}, ...]
Result<> Reader::docker_archive(const std::string& text) {
    Json doc = BERTH_TRY_CTX(parse_json(text, "manifest.json"), "invalid image archive");
    if (!doc.is_array())
        return Error::invalid("manifest.json: expected an array, got " + std::string(json_type_name(doc)));
    if (doc.empty()) return Error::invalid("manifest.json: no images");
    if (doc.size() > limits_.max_images)
        return Error::invalid("manifest.json: more than " + std::to_string(limits_.max_images) + " images");
    for (size_t i = 0; i < doc.size(); ++i) {
        const Json& m = doc[i];
        std::string at = "manifest.json: [" + std::to_string(i) + "]";
        if (!m.is_object()) return Error::invalid(at + ": expected an object");
        ArchiveImage img;
        auto cfg = m.find("Config");
        if (cfg == m.end() || !cfg->is_string()) return Error::invalid(at + ".Config: expected a string");
        img.config = BERTH_TRY(lookup(cfg->get<std::string>(), at + ".Config"));
        if (auto tags = m.find("RepoTags"); tags != m.end() && !tags->is_null()) {
            if (!tags->is_array()) return Error::invalid(at + ".RepoTags: expected an array");
            for (size_t t = 0; t < tags->size(); ++t) {
                if (!(*tags)[t].is_string())
                    return Error::invalid(at + ".RepoTags[" + std::to_string(t) + "]: expected a string");
                img.names.push_back((*tags)[t].get<std::string>());
            }
        }
        auto layers = m.find("Layers");
        if (layers == m.end() || !layers->is_array())
            return Error::invalid(at + ".Layers: expected an array");
        if (layers->size() > limits_.max_layers)
            return Error::invalid(at + ".Layers: more than " + std::to_string(limits_.max_layers) +
                                  " layers");
        for (size_t l = 0; l < layers->size(); ++l) {
            std::string field = at + ".Layers[" + std::to_string(l) + "]";
            if (!(*layers)[l].is_string()) return Error::invalid(field + ": expected a string");
            img.layers.push_back(BERTH_TRY(lookup((*layers)[l].get<std::string>(), field)));
        }
        result_.images.push_back(std::move(img));
    }
    return ok();
}

Result<ArchiveImage> Reader::oci_image(const manifest::Descriptor& desc, const std::string& field) {
    manifest::Descriptor d = desc;
    std::string bytes = BERTH_TRY(read_document(d.digest, manifest::kMaxManifestSize, field));
    std::string type = d.media_type.empty() ? BERTH_TRY(manifest::detect_media_type(bytes)) : d.media_type;
    if (manifest::is_index(type)) {
        auto index = BERTH_TRY_CTX(manifest::parse_index(bytes, type), field);
        d = BERTH_TRY_CTX(manifest::select_manifest(index, manifest::host_platform()), field);
        bytes =
            BERTH_TRY(read_document(d.digest, manifest::kMaxManifestSize, field + " (platform manifest)"));
        type = d.media_type.empty() ? BERTH_TRY(manifest::detect_media_type(bytes)) : d.media_type;
    }
    if (!manifest::is_manifest(type)) return Error::invalid(field + ": unsupported media type " + q(type));
    auto m = BERTH_TRY_CTX(manifest::parse_image_manifest(bytes, type), field);
    if (m.layers.size() > limits_.max_layers)
        return Error::invalid(field + ": more than " + std::to_string(limits_.max_layers) + " layers");
    ArchiveImage img;
    img.manifest = d.digest;
    img.manifest_media_type = type;
    auto check_blob = [&](const manifest::Descriptor& b, const std::string& what) -> Result<> {
        auto info = store_.info(b.digest);
        if (!info)
            return Error::invalid(field + ": " + what + ": blob " + b.digest.str() +
                                  " is not in the archive");
        if (info->size != b.size)
            return Error::invalid(field + ": " + what + ": size " + std::to_string(b.size) +
                                  " does not match blob " + b.digest.str() + " (" +
                                  std::to_string(info->size) + " bytes)");
        return ok();
    };
    BERTH_TRY(check_blob(m.config, "config"));
    img.config = m.config.digest;
    for (size_t i = 0; i < m.layers.size(); ++i) {
        BERTH_TRY(check_blob(m.layers[i], "layers[" + std::to_string(i) + "]"));
        img.layers.push_back(m.layers[i].digest);
        img.layer_media_types.push_back(m.layers[i].media_type);
    }
    return img;
}

Result<> Reader::oci_layout(const std::string& text) {
    namespace mt = manifest::media_type;
    if (auto layout = meta_.find("oci-layout"); layout != meta_.end()) {
        Json l = BERTH_TRY(parse_json(layout->second, "oci-layout"));
        if (!l.is_object() || !l.contains("imageLayoutVersion") || !l["imageLayoutVersion"].is_string())
            return Error::invalid("oci-layout: imageLayoutVersion: expected a string");
    }
    auto index = BERTH_TRY_CTX(manifest::parse_index(text, mt::kOciIndex), "index.json");
    if (index.manifests.empty()) return Error::invalid("index.json: no manifests");
    if (index.manifests.size() > limits_.max_images)
        return Error::invalid("index.json: more than " + std::to_string(limits_.max_images) + " images");
    for (size_t i = 0; i < index.manifests.size(); ++i) {
        const auto& desc = index.manifests[i];
        std::string field = "index.json: manifests[" + std::to_string(i) + "]";
        auto img = BERTH_TRY(oci_image(desc, field));
        // containerd and docker write the full name; skopeo and umoci write only ref.name,
        // which may be a full reference or just a tag (then the image has no name).
        std::string name;
        if (auto n = desc.annotations.find("io.containerd.image.name"); n != desc.annotations.end())
            name = n->second;
        else if (auto r = desc.annotations.find("org.opencontainers.image.ref.name");
                 r != desc.annotations.end() &&
                 (r->second.find(':') != std::string::npos || r->second.find('/') != std::string::npos))
            name = r->second;
        // Several index entries may name the same image (one per tag): merge them.
        bool merged = false;
        for (auto& prev : result_.images)
            if (prev.manifest == img.manifest) {
                if (!name.empty()) prev.names.push_back(name);
                merged = true;
            }
        if (merged) continue;
        if (!name.empty()) img.names.push_back(name);
        result_.images.push_back(std::move(img));
    }
    return ok();
}

}  // namespace

Result<std::string> normalize_member(std::string_view path) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view part = path.substr(i, j - i);
        if (part == "..") {
            if (parts.empty()) return Error::invalid("escapes the archive");
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        i = j + 1;
    }
    if (!path.empty() && path[0] == '/') return Error::invalid("absolute path");
    if (parts.empty()) return Error::invalid("empty path");
    std::string out;
    for (auto& p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

Result<ReadResult> read_archive(const ReadFn& input, const content::Store& store,
                                std::vector<Digest>* touched, const Limits& limits) {
    Reader r(store, limits, touched);
    return r.run(input);
}

Result<content::Info> ingest(const ReadFn& input, const content::Store& store, uint64_t max_size) {
    auto w = BERTH_TRY(store.writer());
    std::string buf(kChunk, '\0');
    for (;;) {
        size_t n = BERTH_TRY(input(buf.data(), buf.size()));
        if (n == 0) break;
        if (static_cast<uint64_t>(w.written()) + n > max_size)
            return Error::invalid("input is larger than the limit (" + std::to_string(max_size) + " bytes)");
        BERTH_TRY(w.write(std::string_view(buf.data(), n)));
    }
    if (w.written() == 0) return Error::invalid("empty input: expected a tar archive");
    return w.commit();
}

}  // namespace berth::image::archive

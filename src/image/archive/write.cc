// write_archive: one tarball that is both an OCI image layout and a docker-archive.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <map>
#include <set>

#include "common/sys.h"
#include "image/archive/archive.h"
#include "image/manifest/manifest.h"

namespace berth::image::archive {

namespace {

struct Sink {
    const WriteFn* write = nullptr;
    std::optional<Error> error;
};

la_ssize_t sink_write(::archive*, void* opaque, const void* buf, size_t len) {
    auto* s = static_cast<Sink*>(opaque);
    try {
        if (auto r = (*s->write)(std::string_view(static_cast<const char*>(buf), len)); !r) {
            s->error = r.error();
            return -1;
        }
        return static_cast<la_ssize_t>(len);
    } catch (...) {
        s->error = Error::internal("writing the archive: unexpected exception");
        return -1;
    }
}

class Writer {
public:
    explicit Writer(const WriteFn& out) { sink_.write = &out; }
    ~Writer() {
        if (a_) archive_write_free(a_);
        if (e_) archive_entry_free(e_);
    }

    Result<> open() {
        a_ = archive_write_new();
        e_ = archive_entry_new();
        if (!a_ || !e_) return Error::internal("archive_write_new failed");
        archive_write_set_format_pax_restricted(a_);
        archive_write_set_bytes_per_block(a_, 10240);
        if (archive_write_open(a_, &sink_, nullptr, sink_write, nullptr) != ARCHIVE_OK) return fail("open");
        return ok();
    }
    Result<> dir(const std::string& name) { return header(name, AE_IFDIR, 0755, 0); }
    Result<> file(const std::string& name, std::string_view data) {
        BERTH_TRY(header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size())));
        return write_data(name, data);
    }
    Result<> blob_file(const std::string& name, int fd, int64_t size) {
        BERTH_TRY(header(name, AE_IFREG, 0644, size));
        std::string buf(1 << 20, '\0');
        int64_t left = size;
        while (left > 0) {
            auto want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(buf.size())));
            ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf.data(), want); });
            if (n < 0) return Error::sys("read", name);
            if (n == 0) return Error::internal("blob " + name + " shrank while being saved");
            BERTH_TRY(write_data(name, std::string_view(buf.data(), static_cast<size_t>(n))));
            left -= n;
        }
        return ok();
    }
    Result<> close() {
        if (archive_write_close(a_) != ARCHIVE_OK) return fail("close");
        return ok();
    }

private:
    Result<> header(const std::string& name, unsigned type, int mode, int64_t size) {
        archive_entry_clear(e_);
        archive_entry_set_pathname(e_, name.c_str());
        archive_entry_set_filetype(e_, type);
        archive_entry_set_perm(e_, mode);
        archive_entry_set_size(e_, size);
        archive_entry_set_mtime(e_, 0, 0);
        if (archive_write_header(a_, e_) != ARCHIVE_OK) return fail(name);
        return ok();
    }
    Result<> write_data(const std::string& name, std::string_view data) {
        while (!data.empty()) {
            auto n = archive_write_data(a_, data.data(), data.size());
            if (n <= 0) return fail(name);
            data.remove_prefix(static_cast<size_t>(n));
        }
        return ok();
    }
    Error fail(const std::string& what) {
        if (sink_.error) return Error(*sink_.error).with_context("write archive");
        return Error::internal("write archive: " + what + ": " +
                               (archive_error_string(a_) ? archive_error_string(a_) : "failed"));
    }

    ::archive* a_ = nullptr;
    ::archive_entry* e_ = nullptr;
    Sink sink_;
};

std::string blob_path(const Digest& d) {
    return "blobs/sha256/" + std::string(d.hex());
}

}  // namespace

Result<> write_archive(const std::vector<SaveImage>& images, const content::Store& store,
                       const WriteFn& output) {
    namespace mt = manifest::media_type;
    std::set<Digest> blobs;
    for (auto& img : images) {
        blobs.insert(img.manifest);
        blobs.insert(img.config);
        blobs.insert(img.layers.begin(), img.layers.end());
    }
    // Check every blob before the first byte goes out: an error after that cannot be reported.
    std::map<Digest, int64_t> sizes;
    for (auto& d : blobs) {
        auto info = store.info(d);
        if (!info) return Error(info.error()).with_context("save: blob " + d.str());
        sizes[d] = info->size;
    }

    Json index = {{"schemaVersion", 2}, {"mediaType", mt::kOciIndex}, {"manifests", Json::array()}};
    Json manifest_json = Json::array();
    Json repositories = Json::object();
    for (auto& img : images) {
        Json desc = {{"mediaType", img.manifest_media_type.empty() ? std::string(mt::kOciManifest)
                                                                   : img.manifest_media_type},
                     {"digest", img.manifest.str()},
                     {"size", sizes[img.manifest]}};
        if (img.full_tags.empty()) index["manifests"].push_back(desc);
        for (auto& full : img.full_tags) {
            Json d = desc;
            auto colon = full.rfind(':');
            d["annotations"] = {
                {"io.containerd.image.name", full},
                {"org.opencontainers.image.ref.name",
                 colon == std::string::npos ? std::string("latest") : full.substr(colon + 1)}};
            index["manifests"].push_back(d);
        }
        Json layers = Json::array();
        for (auto& l : img.layers) layers.push_back(blob_path(l));
        Json entry = {{"Config", blob_path(img.config)},
                      {"RepoTags", img.repo_tags.empty() ? Json(nullptr) : Json(img.repo_tags)},
                      {"Layers", layers}};
        manifest_json.push_back(entry);
        if (!img.layers.empty())
            for (auto& t : img.repo_tags) {
                auto colon = t.rfind(':');
                if (colon == std::string::npos || t.find('/', colon) != std::string::npos) continue;
                repositories[t.substr(0, colon)][t.substr(colon + 1)] = std::string(img.layers.back().hex());
            }
    }

    Writer w(output);
    BERTH_TRY(w.open());
    BERTH_TRY(w.dir("blobs/"));
    BERTH_TRY(w.dir("blobs/sha256/"));
    for (auto& d : blobs) {
        auto fd = BERTH_TRY(store.open_blob(d));
        BERTH_TRY(w.blob_file(blob_path(d), fd.get(), sizes[d]));
    }
    BERTH_TRY(w.file("index.json", dump_json(index) + "\n"));
    BERTH_TRY(w.file("manifest.json", dump_json(manifest_json) + "\n"));
    BERTH_TRY(w.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"
                                   "\n"));
    if (!repositories.empty()) BERTH_TRY(w.file("repositories", dump_json(repositories) + "\n"));
    return w.close();
}

}  // namespace berth::image::archive

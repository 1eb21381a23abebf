// The image service: opening the stores, container root filesystems, load/import/save.
#include <dirent.h>
#include <fcntl.h>
#include <fts.h>
#include <sys/stat.h>
#include <time.h>

#include <map>
#include <set>

#include "common/file.h"
#include "common/log.h"
#include "common/scope.h"
#include "daemon/images/service_impl.h"
#include "image/layer/layer.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace mt = image::manifest::media_type;
namespace ref = image::reference;

// ---- helpers ------------------------------------------------------------------------------

int64_t parse_rfc3339(std::string_view s) {
    std::string str(s);
    struct tm tm = {};
    const char* rest = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    int64_t t = timegm(&tm);
    if (*rest == '.')
        while (isdigit(static_cast<unsigned char>(*++rest))) {
        }
    if (*rest == '+' || *rest == '-') {
        int h = 0, m = 0;
        if (sscanf(rest + 1, "%d:%d", &h, &m) >= 1) t -= (*rest == '+' ? 1 : -1) * (h * 3600 + m * 60);
    }
    return t;
}

std::string format_rfc3339(int64_t secs) {
    time_t t = static_cast<time_t>(secs);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string familiar(const std::string& full) {
    auto r = ref::parse_normalized(full);
    return r ? r->familiar_string() : full;
}

Result<int64_t> dir_size(const std::string& dir) {
    char* paths[] = {const_cast<char*>(dir.c_str()), nullptr};
    FTS* fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, nullptr);
    if (!fts) return Error::sys("fts_open", dir);
    ScopeExit close([&] { fts_close(fts); });
    std::set<std::pair<dev_t, ino_t>> seen;
    int64_t total = 0;
    while (FTSENT* e = fts_read(fts)) {
        if (e->fts_info != FTS_F && e->fts_info != FTS_SL) continue;
        if (e->fts_statp->st_nlink > 1 && !seen.insert({e->fts_statp->st_dev, e->fts_statp->st_ino}).second)
            continue;
        total += e->fts_statp->st_size;
    }
    return total;
}

namespace {

std::string layer_media_type(int fd) {
    unsigned char magic[4] = {};
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return std::string(mt::kOciLayerGzip);
    if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return std::string(mt::kOciLayerZstd);
    return std::string(mt::kOciLayer);
}

}  // namespace

// ---- open ---------------------------------------------------------------------------------

Result<std::unique_ptr<ImageService>> ImageService::open(const std::string& data_root, EventBus* events) {
    BERTH_TRY(mkdir_all(data_root, 0711));
    auto content =
        BERTH_TRY_CTX(image::content::Store::open(data_root + "/content"), "open image content store");
    auto db = BERTH_TRY_CTX(store::ImageStore::open(data_root + "/berth.db"), "open image store");
    auto snap =
        BERTH_TRY_CTX(image::snapshotter::Snapshotter::open(data_root + "/overlay"), "open snapshotter");
    auto svc = std::make_unique<Service>(std::move(content), std::move(db), std::move(snap), events);
    if (auto r = svc->sweep(); !r) log::warn("image store sweep: " + r.error().str());
    return std::unique_ptr<ImageService>(std::move(svc));
}

Result<> Service::sweep() {
    std::lock_guard lock(write_mu_);
    std::vector<Digest> orphans;
    BERTH_TRY(content_.walk([&](const image::content::Info& info) -> Result<> {
        if (!BERTH_TRY(db_.blob_referenced(info.digest))) orphans.push_back(info.digest);
        return ok();
    }));
    for (auto& d : orphans) (void)content_.remove(d);  // still orphaned: the next start sweeps it again
    // Unpacked layers whose image never got recorded (killed mid-load).
    DIR* dir = opendir(snap_.root().c_str());
    if (!dir) return Error::sys("opendir", snap_.root());
    std::vector<std::string> layers;
    while (auto* e = readdir(dir)) {
        std::string name = e->d_name;
        if (ref::is_full_identifier(name)) layers.push_back("sha256:" + name);
    }
    closedir(dir);
    for (auto& chain : layers) {
        auto d = Digest::parse(chain);
        if (!d) continue;
        if (!BERTH_TRY(db_.layer(*d))) {
            log::info("removing unreferenced layer " + chain);
            (void)snap_.remove_layer(chain);  // still unreferenced: the next start sweeps it again
        }
    }
    if (!orphans.empty()) log::info("removed " + std::to_string(orphans.size()) + " unreferenced blobs");
    return ok();
}

void Service::set_image_users(ImageUsersFn fn) {
    std::lock_guard lock(users_mu_);
    users_fn_ = std::move(fn);
}

std::vector<ImageUser> Service::users(const Digest& id) {
    ImageUsersFn fn;
    {
        std::lock_guard lock(users_mu_);
        fn = users_fn_;
    }
    return fn ? fn(id) : std::vector<ImageUser>{};
}

void Service::publish(const std::string& action, const std::string& id, const std::string& name) {
    if (!events_) return;
    Event ev;
    ev.type = "image";
    ev.action = action;
    ev.actor_id = id;
    ev.attributes["name"] = name;
    events_->publish(std::move(ev));
}

Result<Json> Service::config_json(const Digest& id) {
    std::string text = BERTH_TRY_CTX(content_.read(id), "image " + id.str() + ": config");
    return parse_json(text, "image config");
}

// ---- containers ---------------------------------------------------------------------------

Result<RunnableImage> Service::runnable(std::string_view name) {
    RunnableImage out;
    out.id = BERTH_TRY(db_.resolve(name));
    out.name = std::string(name);
    std::string text = BERTH_TRY_CTX(content_.read(out.id), "image " + out.id.str() + ": config");
    out.config = BERTH_TRY(mf::parse_config(text));
    auto layers = BERTH_TRY(db_.layers(out.id));
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) out.chain_ids.push_back(it->chain_id.str());
    return out;
}

Result<image::snapshotter::Mount> Service::create_rootfs(std::string_view key, const Digest& image_id) {
    std::lock_guard lock(write_mu_);  // no rmi between reading the layers and using them
    auto layers = BERTH_TRY(db_.layers(image_id));
    std::vector<std::string> parents;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) parents.push_back(it->chain_id.str());
    return snap_.create_active(key, parents);
}

Result<> Service::mount_rootfs(std::string_view key, const std::string& target, bool volatile_upper) {
    return snap_.mount(key, target, volatile_upper);
}
Result<> Service::unmount_rootfs(std::string_view key, const std::string& target) {
    return snap_.unmount(key, target);
}
Result<> Service::remove_rootfs(std::string_view key) {
    return snap_.remove_active(key);
}
Result<int64_t> Service::rootfs_usage(std::string_view key) {
    return static_cast<int64_t>(BERTH_TRY(snap_.usage(key)));
}
Result<image::snapshotter::Mount> Service::rootfs_mounts(std::string_view key) {
    return snap_.mounts(key);
}

// ---- adding images ------------------------------------------------------------------------

Result<std::vector<store::LayerRecord>> Service::unpack(const mf::ImageConfig& cfg,
                                                        const std::vector<Digest>& blobs,
                                                        std::vector<std::string>* committed) {
    const auto& diff_ids = cfg.rootfs.diff_ids;
    if (diff_ids.size() != blobs.size())
        return Error::invalid("image has " + std::to_string(blobs.size()) + " layers but its config lists " +
                              std::to_string(diff_ids.size()) + " diff IDs");
    auto chains = mf::chain_ids(diff_ids);
    std::vector<store::LayerRecord> out;
    for (size_t i = 0; i < blobs.size(); ++i) {
        std::string chain = chains[i].str();
        std::string what = "layer " + std::to_string(i) + " (" + blobs[i].str() + ")";
        store::LayerRecord rec;
        rec.diff_id = diff_ids[i];
        if (snap_.has_layer(chain)) {
            auto known = BERTH_TRY(db_.layer(chains[i]));
            rec.size = known ? known->size : BERTH_TRY(dir_size(BERTH_TRY(snap_.layer_dir(chain))));
            out.push_back(rec);
            continue;
        }
        auto prepared = BERTH_TRY(snap_.prepare_layer(chain, i == 0 ? "" : chains[i - 1].str()));
        ScopeExit abort([&] { (void)snap_.abort(prepared); });  // a temp dir: Snapshotter::open clears it
        auto blob = BERTH_TRY(content_.open_blob(blobs[i]));
        auto dir = BERTH_TRY(open_file(prepared.diff, O_RDONLY | O_DIRECTORY));
        auto applied = BERTH_TRY_CTX(image::layer::apply_layer_fd(blob.get(), dir.get()), what);
        if (applied.diff_id != diff_ids[i].str())
            return Error::invalid(what + ": content does not match the image config: diff ID " +
                                  applied.diff_id + ", config says " + diff_ids[i].str());
        rec.size = BERTH_TRY(dir_size(prepared.diff));
        BERTH_TRY_CTX(snap_.commit(prepared), what);
        abort.dismiss();
        committed->push_back(chain);
        out.push_back(rec);
    }
    return out;
}

Result<Digest> Service::add(const Parts& parts, std::vector<std::string>* messages) {
    // Size first: a hostile manifest may name a layer as the config.
    auto config_info = BERTH_TRY_CTX(content_.info(parts.config), "config " + parts.config.str());
    if (static_cast<size_t>(config_info.size) > mf::kMaxConfigSize)
        return Error::invalid("config " + parts.config.str() + ": " + std::to_string(config_info.size) +
                              " bytes is too large for an image config");
    std::string config_text = BERTH_TRY_CTX(content_.read(parts.config), "config " + parts.config.str());
    auto cfg = BERTH_TRY_CTX(mf::parse_config(config_text), "config " + parts.config.str());
    // If the image is not recorded in the end, what was made for it goes again.
    std::vector<std::string> committed;
    std::vector<Digest> written;
    ScopeExit undo([&] {
        for (auto& chain : committed)
            if (auto d = Digest::parse(chain); d && !db_.layer(*d).value_or(std::nullopt))
                (void)snap_.remove_layer(chain);  // unrecorded: sweep() removes it at the next start
        collect_blobs(written);
    });
    auto layers = BERTH_TRY(unpack(cfg, parts.layers, &committed));

    store::NewImage img;
    img.image.id = parts.config;
    if (parts.manifest) {
        img.image.manifest_digest = *parts.manifest;
        img.image.media_type = parts.manifest_media_type;
    } else {
        // docker-archive images come without one; save needs one, so write it now (OCI).
        Json m = {{"schemaVersion", 2},
                  {"mediaType", mt::kOciManifest},
                  {"config",
                   {{"mediaType", mt::kOciConfig},
                    {"digest", parts.config.str()},
                    {"size", static_cast<int64_t>(config_text.size())}}},
                  {"layers", Json::array()}};
        for (auto& l : parts.layers) {
            auto info = BERTH_TRY(content_.info(l));
            auto fd = BERTH_TRY(content_.open_blob(l));
            m["layers"].push_back(
                {{"mediaType", layer_media_type(fd.get())}, {"digest", l.str()}, {"size", info.size}});
        }
        auto info = BERTH_TRY(content_.write_blob(mf::canonical(m)));
        written.push_back(info.digest);
        img.image.manifest_digest = info.digest;
        img.image.media_type = std::string(mt::kOciManifest);
    }
    img.image.platform = mf::format_platform(cfg.platform());
    img.image.created = parse_rfc3339(cfg.created);
    for (auto& l : layers) img.image.size += l.size;
    img.layers = layers;
    img.blobs = {parts.config, img.image.manifest_digest};
    img.blobs.insert(img.blobs.end(), parts.layers.begin(), parts.layers.end());
    // Tags already on another image move here; docker load says so.
    for (auto& t : parts.tags) {
        auto prev = db_.resolve(t.string());
        if (prev && *prev != parts.config && messages)
            messages->push_back("The image " + t.familiar_string() +
                                " already exists, renaming the old one with ID " + prev->str() +
                                " to empty string");
    }
    img.tags = parts.tags;
    img.repo_digests = parts.repo_digests;
    BERTH_TRY(db_.add_image(img));
    undo.dismiss();
    return parts.config;
}

void Service::collect_blobs(const std::vector<Digest>& candidates) {
    for (auto& d : candidates) {
        auto used = db_.blob_referenced(d);
        if (used && !*used) (void)content_.remove(d);  // unreferenced: sweep() removes it at the next start
    }
}

void Service::collect(const store::Garbage& g) {
    for (auto& l : g.layers)
        if (auto r = snap_.remove_layer(l.chain_id.str()); !r && r.error().kind() != ErrorKind::NotFound)
            log::warn("remove layer " + l.chain_id.str() + ": " + r.error().str());
    for (auto& b : g.blobs)
        if (auto r = content_.remove(b); !r && r.error().kind() != ErrorKind::NotFound)
            log::warn("remove blob " + b.str() + ": " + r.error().str());
}

Result<LoadResult> Service::load(const ReadFn& input) {
    // Streaming the upload into the content store needs no lock: blobs are immutable and
    // one removed under us by a concurrent rmi makes this load fail cleanly, never corrupt.
    std::vector<Digest> touched;
    ScopeExit cleanup([&] {
        std::lock_guard lock(write_mu_);
        collect_blobs(touched);
    });
    auto read = image::archive::read_archive(input, content_, &touched);
    if (!read) return Error(read.error()).with_context("load");
    std::lock_guard lock(write_mu_);
    LoadResult out;
    for (auto& a : read->images) {
        Parts p;
        p.config = a.config;
        p.layers = a.layers;
        p.manifest = a.manifest;
        p.manifest_media_type = a.manifest_media_type;
        for (auto& n : a.names) {
            auto r = ref::parse_normalized(n);
            if (!r) return Error(r.error()).with_context("load: image name \"" + n + "\"");
            if (r->has_digest()) continue;
            p.tags.push_back(r->with_default_tag());
        }
        std::vector<std::string> notes;
        Digest id = BERTH_TRY_CTX(add(p, &notes), "load");
        for (auto& n : notes) out.loaded.push_back(n);
        if (p.tags.empty()) {
            out.loaded.push_back("Loaded image ID: " + id.str());
            publish("load", id.str(), id.str());
        }
        for (auto& t : p.tags) {
            out.loaded.push_back("Loaded image: " + t.familiar_string());
            publish("load", id.str(), t.familiar_string());
        }
    }
    return out;
}

Result<Digest> Service::import(const ReadFn& input, const ImportOptions& options) {
    std::optional<ref::Reference> tag;
    if (!options.reference.empty()) {
        auto r = BERTH_TRY(ref::parse_normalized(options.reference));
        if (r.has_digest())
            return Error::invalid("import: cannot tag with a digest reference: " + options.reference);
        tag = r.with_default_tag();
    }
    Json container_config = Json::object();
    BERTH_TRY(image::archive::apply_changes(container_config, options.changes));
    mf::Platform platform = mf::host_platform();
    if (!options.platform.empty()) platform = BERTH_TRY(mf::parse_platform(options.platform));

    auto blob = BERTH_TRY_CTX(image::archive::ingest(input, content_), "import");
    std::lock_guard lock(write_mu_);
    std::vector<Digest> written = {blob.digest};
    ScopeExit cleanup([&] { collect_blobs(written); });  // under the lock: declared after it
    // The diff ID (which names the layer) is known only once unpacked: unpack under a
    // placeholder name, then commit under the real one.
    Digest placeholder = Digest::of("berth import " + blob.digest.str());
    auto prepared = BERTH_TRY(snap_.prepare_layer(placeholder.str(), ""));
    ScopeExit abort([&] { (void)snap_.abort(prepared); });  // a temp dir: Snapshotter::open clears it
    auto fd = BERTH_TRY(content_.open_blob(blob.digest));
    auto dir = BERTH_TRY(open_file(prepared.diff, O_RDONLY | O_DIRECTORY));
    auto applied = BERTH_TRY_CTX(image::layer::apply_layer_fd(fd.get(), dir.get()), "import");
    Digest diff_id = BERTH_TRY(Digest::parse(applied.diff_id));
    if (!snap_.has_layer(diff_id.str())) {
        prepared.chain_id = diff_id.str();
        BERTH_TRY_CTX(snap_.commit(prepared), "import");
        abort.dismiss();
    }

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char created[64];
    std::string secs = format_rfc3339(now.tv_sec);
    snprintf(created, sizeof created, "%s.%09ldZ", secs.substr(0, secs.size() - 1).c_str(), now.tv_nsec);
    std::string message = options.message.empty() ? "Imported from -" : options.message;
    Json cfg = {{"architecture", platform.architecture},
                {"os", platform.os},
                {"created", created},
                {"comment", message},
                {"config", container_config},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}},
                {"history", {{{"created", created}, {"comment", message}}}}};
    if (!platform.variant.empty()) cfg["variant"] = platform.variant;
    auto config_blob = BERTH_TRY(content_.write_blob(dump_json(cfg)));
    written.push_back(config_blob.digest);
    Parts parts;
    parts.config = config_blob.digest;
    parts.layers = {blob.digest};
    if (tag) parts.tags.push_back(*tag);
    Digest id = BERTH_TRY_CTX(add(parts, nullptr), "import");
    publish("import", id.str(), id.str());
    return id;
}

// ---- save ---------------------------------------------------------------------------------

Result<> Service::save(const std::vector<std::string>& names, const WriteFn& output) {
    if (names.empty()) return Error::invalid("save: no images given");
    std::vector<image::archive::SaveImage> images;
    std::map<Digest, size_t> index;  // image ID -> position in images
    auto entry = [&](const Digest& id) -> Result<image::archive::SaveImage*> {
        if (auto it = index.find(id); it != index.end()) return &images[it->second];
        auto info = BERTH_TRY(db_.get(id));
        image::archive::SaveImage s;
        s.config = id;
        s.manifest = info.image.manifest_digest;
        s.manifest_media_type = info.image.media_type;
        std::string text = BERTH_TRY_CTX(content_.read(s.manifest), "image " + id.str() + ": manifest");
        auto m = BERTH_TRY_CTX(mf::parse_image_manifest(text, s.manifest_media_type), "image " + id.str());
        for (auto& l : m.layers) s.layers.push_back(l.digest);
        index[id] = images.size();
        images.push_back(std::move(s));
        return &images.back();
    };
    auto add_tag = [](image::archive::SaveImage* s, const ref::Reference& r) {
        for (auto& t : s->full_tags)
            if (t == r.string()) return;
        s->full_tags.push_back(r.string());
        s->repo_tags.push_back(r.familiar_string());
    };
    auto all = BERTH_TRY(db_.list());
    for (auto& name : names) {
        // A bare repository name saves every tag of it (docker save busybox).
        auto parsed = ref::parse_normalized(name);
        bool found = false;
        if (parsed && parsed->name_only()) {
            for (auto& img : all)
                for (auto& t : img.tags) {
                    auto r = ref::parse_normalized(t);
                    if (!r || r->name() != parsed->name()) continue;
                    add_tag(BERTH_TRY(entry(img.image.id)), *r);
                    found = true;
                }
            if (found) continue;
        }
        Digest id = BERTH_TRY(db_.resolve(name));
        auto* s = BERTH_TRY(entry(id));
        if (parsed && parsed->has_tag() && !parsed->has_digest()) add_tag(s, *parsed);
    }
    BERTH_TRY(image::archive::write_archive(images, content_, output));
    for (auto& s : images)
        publish("save", s.config.str(), s.repo_tags.empty() ? s.config.str() : s.repo_tags[0]);
    return ok();
}

}  // namespace berth::daemon::images

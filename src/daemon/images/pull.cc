// Pull: manifests and blobs from a registry into the stores, with Docker's progress stream.
//
// Layers download on up to max-concurrent-downloads threads, each into a content-store
// writer that checks the digest, while the same bytes stream (LayerStream) into a thread
// that unpacks them: layers unpack in parallel, and the pulling thread commits them bottom
// first. A layer is committed only once both its blob and its diff ID check out; on any
// failure, what this pull made and no image records is removed again.
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "common/scope.h"
#include "daemon/images/layer_stream.h"
#include "daemon/images/service_impl.h"
#include "image/layer/layer.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace ref = image::reference;

namespace {

// Bytes a download may run ahead of its layer's unpacking.
constexpr size_t kStreamBuffer = 2 << 20;

// Serialises progress messages from the download threads.
class Progress {
public:
    explicit Progress(const ProgressFn& fn) : fn_(fn) {}
    void status(const std::string& status, const std::string& id = {}) {
        Json m = {{"status", status}};
        if (!id.empty()) m["id"] = id;
        send(m);
    }
    // A layer's line: with an (empty) progressDetail, as Docker sends it, which the docker
    // CLI takes as "update this layer's line in place" rather than "print a new line".
    void layer(const std::string& status, const std::string& id) {
        send({{"status", status}, {"progressDetail", Json::object()}, {"id", id}});
    }
    void bar(const std::string& status, const std::string& id, int64_t current, int64_t total) {
        Json m = {{"status", status}, {"id", id}, {"progressDetail", {{"current", current}}}};
        if (total > 0) m["progressDetail"]["total"] = total;
        m["progress"] = bar_text(current, total);
        send(m);
    }
    void send(const Json& m) {
        if (!fn_) return;
        std::lock_guard lock(mu_);
        fn_(m);
    }

private:
    static std::string human(int64_t n) {
        const char* units[] = {"B", "kB", "MB", "GB"};
        double v = static_cast<double>(n);
        int u = 0;
        while (v >= 1000 && u < 3) v /= 1000, ++u;
        char buf[32];
        snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
        return buf;
    }
    static std::string bar_text(int64_t current, int64_t total) {
        if (total <= 0) return human(current);
        int width = 50, filled = static_cast<int>(width * std::min<int64_t>(current, total) / total);
        std::string b = "[" + std::string(std::max(filled - 1, 0), '=') + (filled > 0 ? ">" : "") +
                        std::string(width - filled, ' ') + "] ";
        return b + human(current) + "/" + human(total);
    }
    const ProgressFn& fn_;
    std::mutex mu_;
};

std::string short_id(const Digest& d) {
    return d.short_id();
}

// One layer of the image being pulled.
struct Layer {
    mf::Descriptor desc;
    Digest diff_id, chain, parent;
    bool need_blob = false;    // not in the content store yet
    bool need_unpack = false;  // not unpacked yet
    std::unique_ptr<LayerStream> stream;
    // Set by the worker that handles the layer, read by the committing thread once `done`.
    std::optional<image::snapshotter::PreparedLayer> prepared;  // unpacked, not committed
    UniqueFd target;                                            // prepared->diff
    Result<image::layer::ApplyResult> applied = Error::internal("layer not unpacked");
    std::optional<Error> error;
    bool done = false;
};

}  // namespace

void Service::set_registry_options(RegistryOptions options) {
    std::lock_guard lock(registry_mu_);
    registry_ = std::move(options);
}

RegistryOptions Service::registry_options() {
    std::lock_guard lock(registry_mu_);
    return registry_;
}

Result<Digest> Service::pull(const PullOptions& options, const ProgressFn& progress) {
    auto base = BERTH_TRY(ref::parse_normalized(options.image));
    std::string tag = options.tag;
    if (!tag.empty()) {
        if (base.has_tag() || base.has_digest()) {
            // The CLI sends the whole reference in fromImage and the tag again; keep one.
        } else if (tag.starts_with("sha256:")) {
            base = BERTH_TRY(base.with_digest(tag));
        } else {
            base = BERTH_TRY(base.with_tag(tag));
        }
        return pull_one(base, options, progress);
    }
    if (base.has_tag() || base.has_digest()) return pull_one(base, options, progress);
    // No tag at all: every tag of the repository (docker pull --all-tags).
    auto cfg = registry_options();
    auto eps = registry::endpoints(cfg.registry, base.domain());
    auto repo = BERTH_TRY(registry::Repository::open(cfg.registry, eps.back(), base.path(),
                                                     options.credentials, registry::Access::Pull));
    auto tags = BERTH_TRY(repo.list_tags());
    if (tags.empty()) return Error::not_found("repository " + base.familiar_name() + " has no tags");
    Digest last;
    for (auto& t : tags) last = BERTH_TRY(pull_one(BERTH_TRY(base.with_tag(t)), options, progress));
    return last;
}

Result<Digest> Service::pull_one(const ref::Reference& r, const PullOptions& options,
                                 const ProgressFn& progress_fn) {
    Progress progress(progress_fn);
    auto cfg = registry_options();
    std::string reference = r.has_digest() ? r.digest() : r.tag();
    progress.status("Pulling from " + r.path(), reference);

    // The manifest: mirrors first (docker.io), then the registry itself.
    auto eps = registry::endpoints(cfg.registry, r.domain());
    std::optional<registry::Repository> repo;
    std::optional<registry::FetchedManifest> top;
    Error last_error;
    for (auto& ep : eps) {
        auto rp = BERTH_TRY(registry::Repository::open(cfg.registry, ep, r.path(), options.credentials,
                                                       registry::Access::Pull));
        auto m = rp.get_manifest(reference);
        if (!m) {
            if (ep.mirror) {
                log::info("pull " + r.string() + ": mirror " + ep.base_url + ": " + m.error().str());
                last_error = m.error();
                continue;
            }
            auto e = m.error();
            if (e.kind() == ErrorKind::NotFound)
                return Error::not_found("manifest for " + r.familiar_string() + " not found: " + e.message());
            if (e.kind() == ErrorKind::PermissionDenied)
                return Error(ErrorKind::PermissionDenied,
                             "pull access denied for " + r.familiar_name() +
                                 ", repository does not exist or may require 'docker login': " + e.message());
            return Error(e).with_context("pull " + r.familiar_string());
        }
        repo.emplace(std::move(rp));
        top = std::move(*m);
        break;
    }
    if (!repo) return Error(last_error).with_context("pull " + r.familiar_string());

    // An index: pick the platform's manifest.
    std::string type =
        BERTH_TRY_CTX(mf::detect_media_type(top->bytes, top->content_type), "pull " + r.familiar_string());
    registry::FetchedManifest manifest = *top;
    mf::Platform want = mf::host_platform();
    if (!options.platform.empty()) want = BERTH_TRY(mf::parse_platform(options.platform));
    if (mf::is_index(type)) {
        auto index = BERTH_TRY_CTX(mf::parse_index(top->bytes, type), "pull " + r.familiar_string());
        auto desc = BERTH_TRY(mf::select_manifest(index, want));
        manifest = BERTH_TRY_CTX(repo->get_manifest(desc.digest.str()), "pull " + r.familiar_string());
        type = BERTH_TRY_CTX(mf::detect_media_type(manifest.bytes, manifest.content_type),
                             "pull " + r.familiar_string());
        if (manifest.digest != desc.digest.str())
            return Error::invalid("pull " + r.familiar_string() + ": manifest digest mismatch");
    }
    if (!mf::is_manifest(type))
        return Error::invalid("pull " + r.familiar_string() + ": unsupported manifest media type " + type);
    auto m = BERTH_TRY_CTX(mf::parse_image_manifest(manifest.bytes, type), "pull " + r.familiar_string());

    // What this pull adds and no image ends up recording goes again.
    std::vector<Digest> written;
    std::vector<std::string> committed;
    ScopeExit undo([&] {
        std::lock_guard lock(write_mu_);
        for (auto& chain : committed)
            if (auto d = Digest::parse(chain); d && !db_.layer(*d).value_or(std::nullopt))
                (void)snap_.remove_layer(chain);  // unrecorded: sweep() removes it at the next start
        collect_blobs(written);
    });

    // The config: small, fetched whole and verified.
    if (m.config.size > static_cast<int64_t>(mf::kMaxConfigSize))
        return Error::invalid("pull " + r.familiar_string() + ": config of " + std::to_string(m.config.size) +
                              " bytes is too large");
    if (!content_.exists(m.config.digest)) {
        auto w = BERTH_TRY(content_.writer(m.config.digest, m.config.size));
        BERTH_TRY_CTX(
            repo->fetch_blob(
                m.config.digest.str(), [&](std::string_view d) { return w.write(d); }, {}, m.config.size),
            "pull " + r.familiar_string() + ": config");
        BERTH_TRY_CTX(w.commit(), "pull " + r.familiar_string() + ": config " + m.config.digest.str());
        written.push_back(m.config.digest);
    }
    std::string config_text = BERTH_TRY(content_.read(m.config.digest));
    auto cfg_parsed = BERTH_TRY_CTX(mf::parse_config(config_text), "pull " + r.familiar_string());
    if (!options.platform.empty() && !mf::platform_matches(want, cfg_parsed.platform()))
        return Error::not_found("image with reference " + r.familiar_string() +
                                " was found but does not match the specified platform: wanted " +
                                mf::format_platform(want) +
                                ", actual: " + mf::format_platform(cfg_parsed.platform()));
    if (cfg_parsed.rootfs.diff_ids.size() != m.layers.size())
        return Error::invalid("pull " + r.familiar_string() + ": manifest has " +
                              std::to_string(m.layers.size()) + " layers but the config lists " +
                              std::to_string(cfg_parsed.rootfs.diff_ids.size()) + " diff IDs");
    bool existed = db_.get(m.config.digest).has_value();

    // Layers.
    auto chains = mf::chain_ids(cfg_parsed.rootfs.diff_ids);
    std::vector<Layer> layers(m.layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
        auto& l = layers[i];
        l.desc = m.layers[i];
        l.diff_id = cfg_parsed.rootfs.diff_ids[i];
        l.chain = chains[i];
        if (i > 0) l.parent = chains[i - 1];
        l.need_blob = !content_.exists(l.desc.digest);
        l.need_unpack = !snap_.has_layer(l.chain.str());
        if (l.need_blob) {
            l.stream = std::make_unique<LayerStream>(kStreamBuffer);
            progress.layer("Pulling fs layer", short_id(l.desc.digest));
        } else if (!l.need_unpack) {
            progress.layer("Already exists", short_id(l.desc.digest));
        }
    }

    // Each worker takes the next layer and downloads it into the content store while a
    // thread of its own unpacks the same bytes into a prepared snapshot: layers unpack in
    // parallel (none reads its parent), and this thread commits them bottom first.
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex done_mu;
    std::condition_variable done_cv;
    auto settle = [&](Layer& l, std::optional<Error> error) {
        std::lock_guard lock(done_mu);
        if (error) l.error = std::move(error);
        l.done = true;
        done_cv.notify_all();
    };
    // A layer's bar, sent at most every 100 ms and at its end.
    auto bar = [&](std::string status, const std::string& id, int64_t total) {
        return [&progress, status = std::move(status), id, total,
                last = std::chrono::steady_clock::time_point{}](int64_t current) mutable {
            auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::milliseconds(100) && current != total) return;
            last = now;
            progress.bar(status, id, current, total);
        };
    };
    auto extract_progress = [&](const std::string& id, int64_t total) {
        return [report = bar("Extracting", id, total), seen = int64_t{0}](size_t k) mutable {
            seen += static_cast<int64_t>(k);
            report(seen);
        };
    };
    auto download = [&](Layer& l, const std::string& id, bool stream) -> Result<> {
        auto w = BERTH_TRY(content_.writer(l.desc.digest, l.desc.size));
        auto report = bar("Downloading", id, l.desc.size);
        BERTH_TRY(repo->fetch_blob(
            l.desc.digest.str(),
            [&](std::string_view data) -> Result<> {
                BERTH_TRY(w.write(data));
                return stream ? l.stream->push(data) : ok();
            },
            [&](int64_t done, int64_t) { report(done); }, l.desc.size));
        progress.layer("Verifying Checksum", id);
        BERTH_TRY(w.commit());
        {
            std::lock_guard lock(done_mu);
            written.push_back(l.desc.digest);
        }
        progress.layer("Download complete", id);
        return ok();
    };
    auto handle = [&](Layer& l) -> Result<> {
        std::string id = short_id(l.desc.digest);
        bool unpack = l.need_unpack && !snap_.has_layer(l.chain.str());  // another pull may have
        if (unpack) {
            l.prepared =
                BERTH_TRY(snap_.prepare_layer(l.chain.str(), l.parent.empty() ? "" : l.parent.str()));
            l.target = BERTH_TRY(open_file(l.prepared->diff, O_RDONLY | O_DIRECTORY));
        }
        if (!l.need_blob) {
            if (!unpack) return ok();
            auto blob = BERTH_TRY(content_.open_blob(l.desc.digest));
            auto report = extract_progress(id, l.desc.size);
            l.applied = image::layer::apply_layer(
                [&](void* buf, size_t len) -> Result<size_t> {
                    ssize_t k = ::read(blob.get(), buf, len);
                    if (k < 0) return Error::sys("read", l.desc.digest.str());
                    report(static_cast<size_t>(k));
                    return static_cast<size_t>(k);
                },
                l.target.get());
            if (!l.applied) return l.applied.error();
            return ok();
        }
        std::thread extractor;
        image::layer::ApplyOptions stream_options;
        stream_options.digest_input = false;  // the content-store writer checks the digest
        if (unpack) {
            extractor = std::thread([&, report = extract_progress(id, l.desc.size)]() mutable {
                l.applied = image::layer::apply_layer(
                    [&](void* buf, size_t len) -> Result<size_t> {
                        size_t k = BERTH_TRY(l.stream->read(buf, len));
                        report(k);
                        return k;
                    },
                    l.target.get(), stream_options);
                if (!l.applied) l.stream->cancel();  // stops the download
            });
        }
        auto fetched = download(l, id, extractor.joinable());
        l.stream->finish(fetched ? std::nullopt : std::optional<Error>(fetched.error()));
        if (!extractor.joinable()) return fetched;
        extractor.join();
        // A failed download reaches the extractor as its read error; a failed extraction
        // reaches the download as "extraction stopped": the extraction's error says more.
        if (!l.applied) return l.applied.error();
        return fetched;
    };
    auto worker = [&] {
        for (;;) {
            size_t i = next++;
            if (i >= layers.size()) return;
            auto& l = layers[i];
            if (stop) {
                settle(l, Error::internal("pull cancelled"));
                continue;
            }
            auto r = handle(l);
            settle(l, r ? std::nullopt : std::optional<Error>(r.error()));
        }
    };
    int n = std::max(1, std::min<int>(cfg.max_concurrent_downloads, static_cast<int>(layers.size())));
    std::vector<std::thread> threads;
    auto join_all = [&] {
        stop = true;
        for (auto& l : layers)
            if (l.stream) l.stream->cancel();
        for (auto& t : threads) t.join();
        threads.clear();
        for (auto& l : layers) {
            l.target.reset();
            if (l.prepared) (void)snap_.abort(*l.prepared);  // a temp dir: Snapshotter::open clears it
            l.prepared.reset();
        }
    };
    ScopeExit join(join_all);
    for (int k = 0; k < n; ++k) threads.emplace_back(worker);

    // Commits, bottom first, as the layers settle.
    for (size_t i = 0; i < layers.size(); ++i) {
        auto& l = layers[i];
        std::string id = short_id(l.desc.digest);
        std::string what = "pull " + r.familiar_string() + ": layer " + l.desc.digest.str();
        {
            std::unique_lock lock(done_mu);
            done_cv.wait(lock, [&] { return l.done; });
        }
        if (l.error) return Error(*l.error).with_context(what);
        if (!l.need_unpack) continue;
        if (l.prepared) {
            l.target.reset();
            // (Empty when streamed: the blob's writer checked it before the stream ended.)
            if (!l.applied->digest.empty() && l.applied->digest != l.desc.digest.str())
                return Error::invalid(what + ": digest mismatch: got " + l.applied->digest);
            if (l.applied->diff_id != l.diff_id.str())
                return Error::invalid(what + ": content does not match the image config: diff ID " +
                                      l.applied->diff_id + ", config says " + l.diff_id.str());
            BERTH_TRY_CTX(snap_.commit(*l.prepared), what);
            l.prepared.reset();
            committed.push_back(l.chain.str());
        }
        progress.layer("Pull complete", id);
    }
    join_all();

    // The manifest blob and the image record.
    if (!content_.exists(BERTH_TRY(Digest::parse(manifest.digest)))) {
        auto info = BERTH_TRY(content_.write_blob(manifest.bytes, BERTH_TRY(Digest::parse(manifest.digest))));
        written.push_back(info.digest);
    }
    Parts parts;
    parts.config = m.config.digest;
    for (auto& l : m.layers) parts.layers.push_back(l.digest);
    parts.manifest = BERTH_TRY(Digest::parse(manifest.digest));
    parts.manifest_media_type = type;
    if (!r.has_digest()) parts.tags.push_back(r);
    if (auto rd = r.repository().with_digest(top->digest)) parts.repo_digests.push_back(*rd);
    Digest id;
    {
        std::lock_guard lock(write_mu_);
        id = BERTH_TRY_CTX(add(parts, nullptr), "pull " + r.familiar_string());
    }
    undo.dismiss();
    progress.status("Digest: " + top->digest);
    progress.status((existed ? "Status: Image is up to date for " : "Status: Downloaded newer image for ") +
                    r.familiar_string());
    publish("pull", id.str(), r.familiar_string());
    return id;
}

}  // namespace berth::daemon::images

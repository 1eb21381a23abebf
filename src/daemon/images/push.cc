// Push: an image's blobs (those the registry lacks) and manifest to a registry, with
// Docker's progress stream. Blobs go up on max-concurrent-uploads threads; a blob another
// repository of the same registry already has is mounted instead of uploaded.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "common/sys.h"
#include "daemon/images/progress_stream.h"
#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace ref = image::reference;

namespace {

// Uploads an image's blobs on several threads, each with its own copy of the registry
// client: a blob the registry has is skipped, one another repository of the registry has is
// mounted, the rest are pushed. The config goes last and draws no line of its own.
class BlobUploader {
public:
    BlobUploader(image::content::Store& content, std::vector<mf::Descriptor> blobs,
                 std::vector<std::string> sources, ProgressStream& progress)
        : content_(content), blobs_(std::move(blobs)), sources_(std::move(sources)), progress_(progress) {}

    Result<> run(registry::Repository& repo, int threads) {
        int n = std::max(1, std::min<int>(threads, static_cast<int>(blobs_.size())));
        // Each thread gets its own copy of the client (its token state is not shared); checking
        // one blob first authenticates, so the copies start with the token.
        BERTH_TRY(repo.stat_blob(blobs_.back().digest.str()));
        std::vector<registry::Repository> per_thread;
        for (int k = 0; k < n; ++k) per_thread.push_back(BERTH_TRY(repo.clone()));
        std::vector<std::thread> workers;
        for (auto& rp : per_thread) workers.emplace_back([this, &rp] { work(rp); });
        for (auto& t : workers) t.join();
        if (failure_) return *failure_;
        return ok();
    }

private:
    void work(registry::Repository& rp) {
        for (size_t i; (i = next_++) < blobs_.size();) {
            {
                std::lock_guard lock(mu_);
                if (failure_) return;
            }
            if (auto r = upload(rp, blobs_[i], i == blobs_.size() - 1); !r) {
                std::lock_guard lock(mu_);
                if (!failure_) failure_ = r.error();
                return;
            }
        }
    }

    Result<> upload(registry::Repository& rp, const mf::Descriptor& b, bool is_config) {
        std::string sid = b.digest.short_id();
        auto say = [&](const std::string& status) {
            if (!is_config) progress_.layer(status, sid);
        };
        if (BERTH_TRY(rp.stat_blob(b.digest.str()))) {
            say("Layer already exists");
            return ok();
        }
        for (auto& src : sources_) {
            auto mounted = rp.mount_blob(b.digest.str(), src);
            if (mounted && *mounted) {
                say("Mounted from " + src);
                return ok();
            }
        }
        auto fd = BERTH_TRY(content_.open_blob(b.digest));
        auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
        BERTH_TRY(rp.push_blob(
            b.digest.str(), b.size,
            [&](void* buf, size_t len) -> Result<size_t> {
                ssize_t k = sys::retry_eintr([&] { return ::read(fd.get(), buf, len); });
                if (k < 0) return Error::sys("read", b.digest.str());
                return static_cast<size_t>(k);
            },
            [&](int64_t done, int64_t total) {
                auto now = std::chrono::steady_clock::now();
                if (is_config || (now - last < std::chrono::milliseconds(100) && done != total)) return;
                last = now;
                progress_.send({{"status", "Pushing"},
                                {"id", sid},
                                {"progressDetail", {{"current", done}, {"total", total}}}});
            }));
        say("Pushed");
        return ok();
    }

    image::content::Store& content_;
    const std::vector<mf::Descriptor> blobs_;
    const std::vector<std::string> sources_;
    ProgressStream& progress_;
    std::atomic<size_t> next_{0};
    std::mutex mu_;
    std::optional<Error> failure_;
};

}  // namespace

Result<> Service::push(const PushOptions& options, const ProgressFn& progress) {
    auto base = BERTH_TRY(ref::parse_normalized(options.name));
    if (base.has_digest()) return Error::invalid("cannot push a digest reference: " + options.name);
    std::vector<std::pair<ref::Reference, Digest>> targets;
    if (!options.tag.empty() || base.has_tag()) {
        auto r = base.has_tag() ? base : BERTH_TRY(base.with_tag(options.tag));
        auto id = db_.resolve(r.string());
        if (!id) return Error::not_found("tag does not exist: " + r.familiar_string());
        targets.push_back({r, *id});
    } else {
        // Every tag of the repository (docker push --all-tags).
        for (auto& img : BERTH_TRY(db_.list()))
            for (auto& t : img.tags) {
                auto r = ref::parse_normalized(t);
                if (r && r->name() == base.name()) targets.push_back({*r, img.image.id});
            }
        if (targets.empty())
            return Error::not_found("An image does not exist locally with the tag: " + base.familiar_name());
    }
    auto cfg = registry_options();
    auto eps = registry::endpoints(registry::Config{.insecure_registries = cfg.registry.insecure_registries,
                                                    .certs_dir = cfg.registry.certs_dir},
                                   base.domain());
    auto ep = eps.back();  // never push to a mirror
    ProgressStream(progress).status("The push refers to repository [" + base.repository().familiar_name() +
                                    "]");
    for (auto& [r, id] : targets) {
        auto repo = BERTH_TRY(registry::Repository::open(cfg.registry, ep, r.path(), options.credentials,
                                                         registry::Access::Push));
        BERTH_TRY_CTX(push_one(r, id, repo, progress), "push " + r.familiar_string());
    }
    return ok();
}

Result<> Service::push_one(const ref::Reference& r, const Digest& id, registry::Repository& repo,
                           const ProgressFn& progress_fn) {
    ProgressStream progress(progress_fn);
    auto info = BERTH_TRY(db_.get(id));
    std::string manifest = BERTH_TRY(content_.read(info.image.manifest_digest));
    auto m = BERTH_TRY(mf::parse_image_manifest(manifest, info.image.media_type));
    std::vector<mf::Descriptor> blobs = m.layers;
    blobs.push_back(m.config);
    for (auto& b : m.layers) progress.layer("Preparing", b.digest.short_id());
    BlobUploader uploader(content_, std::move(blobs), BERTH_TRY(mount_sources(r)), progress);
    BERTH_TRY(uploader.run(repo, registry_options().max_concurrent_uploads));
    std::string tag = r.tag();
    std::string digest = BERTH_TRY(repo.put_manifest(tag, info.image.media_type, manifest));
    auto size = static_cast<int64_t>(manifest.size());
    progress.send({{"status", tag + ": digest: " + digest + " size: " + std::to_string(size)}});
    progress.send(
        {{"progressDetail", Json::object()}, {"aux", {{"Tag", tag}, {"Digest", digest}, {"Size", size}}}});
    publish("push", id.str(), r.familiar_string());
    return ok();
}

// Other repositories of the same registry that hold images here: they may have the blobs
// already, so the registry can mount them instead of receiving them again.
Result<std::vector<std::string>> Service::mount_sources(const ref::Reference& r) {
    std::vector<std::string> sources;
    for (auto& img : BERTH_TRY(db_.list()))
        for (auto& t : img.tags) {
            auto o = ref::parse_normalized(t);
            if (o && o->domain() == r.domain() && o->path() != r.path()) sources.push_back(o->path());
        }
    return sources;
}

}  // namespace berth::daemon::images

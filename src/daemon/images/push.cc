// Push: an image's blobs (those the registry lacks) and manifest to a registry, with
// Docker's progress stream. Blobs go up on max-concurrent-uploads threads; a blob another
// repository of the same registry already has is mounted instead of uploaded.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace ref = image::reference;

namespace {

void send(const ProgressFn& fn, std::mutex& mu, const Json& m) {
    if (!fn) return;
    std::lock_guard lock(mu);
    fn(m);
}

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
    {
        std::mutex mu;
        send(progress, mu,
             {{"status", "The push refers to repository [" + base.repository().familiar_name() + "]"}});
    }
    for (auto& [r, id] : targets) {
        auto repo = BERTH_TRY(registry::Repository::open(cfg.registry, ep, r.path(), options.credentials,
                                                         registry::Access::Push));
        BERTH_TRY_CTX(push_one(r, id, repo, progress), "push " + r.familiar_string());
    }
    return ok();
}

Result<> Service::push_one(const ref::Reference& r, const Digest& id, registry::Repository& repo,
                           const ProgressFn& progress) {
    std::mutex mu;
    auto info = BERTH_TRY(db_.get(id));
    std::string manifest = BERTH_TRY(content_.read(info.image.manifest_digest));
    auto m = BERTH_TRY(mf::parse_image_manifest(manifest, info.image.media_type));
    // Other repositories of the same registry holding this image's blobs (mount sources).
    std::vector<std::string> sources;
    for (auto& img : BERTH_TRY(db_.list()))
        for (auto& t : img.tags) {
            auto o = ref::parse_normalized(t);
            if (o && o->domain() == r.domain() && o->path() != r.path()) sources.push_back(o->path());
        }
    std::vector<mf::Descriptor> blobs = m.layers;
    blobs.push_back(m.config);
    for (auto& b : m.layers)
        send(progress, mu,
             {{"status", "Preparing"}, {"progressDetail", Json::object()}, {"id", b.digest.short_id()}});
    std::atomic<size_t> next{0};
    std::optional<Error> failure;
    std::mutex fail_mu;
    auto worker = [&](registry::Repository* rp) {
        for (;;) {
            size_t i = next++;
            if (i >= blobs.size()) return;
            {
                std::lock_guard lock(fail_mu);
                if (failure) return;
            }
            auto& b = blobs[i];
            bool is_config = i == blobs.size() - 1;
            std::string sid = b.digest.short_id();
            auto fail = [&](Error e) {
                std::lock_guard lock(fail_mu);
                if (!failure) failure = std::move(e);
            };
            auto have = rp->stat_blob(b.digest.str());
            if (!have) return fail(have.error());
            if (*have) {
                if (!is_config)
                    send(progress, mu,
                         {{"status", "Layer already exists"},
                          {"progressDetail", Json::object()},
                          {"id", sid}});
                continue;
            }
            bool mounted = false;
            for (auto& src : sources) {
                auto mr = rp->mount_blob(b.digest.str(), src);
                if (mr && *mr) {
                    mounted = true;
                    if (!is_config)
                        send(progress, mu,
                             {{"status", "Mounted from " + src},
                              {"progressDetail", Json::object()},
                              {"id", sid}});
                    break;
                }
            }
            if (mounted) continue;
            auto fd = content_.open_blob(b.digest);
            if (!fd) return fail(fd.error());
            int raw = fd->get();
            auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
            auto pushed = rp->push_blob(
                b.digest.str(), b.size,
                [raw, &b](void* buf, size_t len) -> Result<size_t> {
                    ssize_t k = ::read(raw, buf, len);
                    if (k < 0) return Error::sys("read", b.digest.str());
                    return static_cast<size_t>(k);
                },
                [&](int64_t done, int64_t total) {
                    auto now = std::chrono::steady_clock::now();
                    if (is_config || (now - last < std::chrono::milliseconds(100) && done != total)) return;
                    last = now;
                    send(progress, mu,
                         {{"status", "Pushing"},
                          {"id", sid},
                          {"progressDetail", {{"current", done}, {"total", total}}}});
                });
            if (!pushed) return fail(pushed.error());
            if (!is_config)
                send(progress, mu, {{"status", "Pushed"}, {"progressDetail", Json::object()}, {"id", sid}});
        }
    };
    auto cfg = registry_options();
    int n = std::max(1, std::min<int>(cfg.max_concurrent_uploads, static_cast<int>(blobs.size())));
    std::vector<std::thread> threads;
    // Each thread gets its own copy of the client (its token state is not shared); checking
    // one blob first authenticates, so the copies start with the token.
    {
        auto first = repo.stat_blob(m.config.digest.str());
        if (!first) return first.error();
    }
    std::vector<registry::Repository> per_thread;
    for (int k = 0; k < n; ++k) per_thread.push_back(BERTH_TRY(repo.clone()));
    for (int k = 0; k < n; ++k) threads.emplace_back(worker, &per_thread[k]);
    for (auto& t : threads) t.join();
    if (failure) return *failure;
    std::string tag = r.tag();
    std::string digest = BERTH_TRY(repo.put_manifest(tag, info.image.media_type, manifest));
    send(progress, mu,
         {{"status", tag + ": digest: " + digest + " size: " + std::to_string(manifest.size())}});
    send(progress, mu,
         {{"progressDetail", Json::object()},
          {"aux", {{"Tag", tag}, {"Digest", digest}, {"Size", static_cast<int64_t>(manifest.size())}}}});
    publish("push", id.str(), r.familiar_string());
    return ok();
}

}  // namespace berth::daemon::images

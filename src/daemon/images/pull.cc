// Pull: manifests and blobs from a registry into the stores, with Docker's progress stream.
//
// Layers download on up to max-concurrent-downloads threads, each into a content-store
// writer that checks the digest, while the same bytes stream (LayerStream) into a thread
// that unpacks them: layers unpack in parallel, and the pulling thread commits them bottom
// first. A layer is committed only once both its blob and its diff ID check out; on any
// failure, what this pull made and no image records is removed again.
#include "common/log.h"
#include "common/scope.h"
#include "daemon/images/layer_transfer.h"
#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace ref = image::reference;

namespace {

// The manifest the reference names, and the repository that answered: mirrors first
// (docker.io), then the registry itself.
struct TopManifest {
    registry::Repository repo;
    registry::FetchedManifest manifest;
};

Result<TopManifest> fetch_top_manifest(const RegistryOptions& cfg, const ref::Reference& r,
                                       const std::string& reference, const registry::Credentials& creds) {
    Error last_error;
    for (auto& ep : registry::endpoints(cfg.registry, r.domain())) {
        auto repo =
            BERTH_TRY(registry::Repository::open(cfg.registry, ep, r.path(), creds, registry::Access::Pull));
        auto m = repo.get_manifest(reference);
        if (m) return TopManifest{std::move(repo), std::move(*m)};
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
    return Error(last_error).with_context("pull " + r.familiar_string());
}

// The image manifest to pull: `top` itself, or from an index the one for `want`.
struct ImageManifest {
    registry::FetchedManifest fetched;
    std::string type;
    mf::Manifest parsed;
};

Result<ImageManifest> platform_manifest(registry::Repository& repo, const registry::FetchedManifest& top,
                                        const mf::Platform& want, const std::string& what) {
    ImageManifest out{top, BERTH_TRY_CTX(mf::detect_media_type(top.bytes, top.content_type), what), {}};
    if (mf::is_index(out.type)) {
        auto index = BERTH_TRY_CTX(mf::parse_index(top.bytes, out.type), what);
        auto desc = BERTH_TRY(mf::select_manifest(index, want));
        out.fetched = BERTH_TRY_CTX(repo.get_manifest(desc.digest.str()), what);
        out.type = BERTH_TRY_CTX(mf::detect_media_type(out.fetched.bytes, out.fetched.content_type), what);
        if (out.fetched.digest != desc.digest.str())
            return Error::invalid(what + ": manifest digest mismatch");
    }
    if (!mf::is_manifest(out.type))
        return Error::invalid(what + ": unsupported manifest media type " + out.type);
    out.parsed = BERTH_TRY_CTX(mf::parse_image_manifest(out.fetched.bytes, out.type), what);
    return out;
}

// Checks the config against the platform asked for and the manifest's layers.
Result<> check_config(const mf::ImageConfig& cfg, const mf::Manifest& m, const PullOptions& options,
                      const mf::Platform& want, const ref::Reference& r) {
    if (!options.platform.empty() && !mf::platform_matches(want, cfg.platform()))
        return Error::not_found("image with reference " + r.familiar_string() +
                                " was found but does not match the specified platform: wanted " +
                                mf::format_platform(want) +
                                ", actual: " + mf::format_platform(cfg.platform()));
    if (cfg.rootfs.diff_ids.size() != m.layers.size())
        return Error::invalid("pull " + r.familiar_string() + ": manifest has " +
                              std::to_string(m.layers.size()) + " layers but the config lists " +
                              std::to_string(cfg.rootfs.diff_ids.size()) + " diff IDs");
    return ok();
}

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
    ProgressStream progress(progress_fn);
    auto cfg = registry_options();
    const std::string what = "pull " + r.familiar_string();
    progress.status("Pulling from " + r.path(), r.has_digest() ? r.digest() : r.tag());
    auto top =
        BERTH_TRY(fetch_top_manifest(cfg, r, r.has_digest() ? r.digest() : r.tag(), options.credentials));
    mf::Platform want = mf::host_platform();
    if (!options.platform.empty()) want = BERTH_TRY(mf::parse_platform(options.platform));
    ImageManifest manifest = BERTH_TRY(platform_manifest(top.repo, top.manifest, want, what));
    const mf::Manifest& m = manifest.parsed;

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
    auto config = BERTH_TRY(fetch_config(top.repo, m.config, what, written));
    BERTH_TRY(check_config(config, m, options, want, r));
    bool existed = db_.get(m.config.digest).has_value();
    {
        LayerTransfer layers(content_, snap_, top.repo, progress, written);
        layers.plan(m.layers, config.rootfs.diff_ids);
        BERTH_TRY(layers.run(cfg.max_concurrent_downloads, what, committed));
    }
    Digest id = BERTH_TRY(record_pulled(r, manifest.fetched, manifest.type, m, top.manifest.digest, written));
    undo.dismiss();
    progress.status("Digest: " + top.manifest.digest);
    progress.status((existed ? "Status: Image is up to date for " : "Status: Downloaded newer image for ") +
                    r.familiar_string());
    publish("pull", id.str(), r.familiar_string());
    return id;
}

// The config: small, fetched whole and verified.
Result<image::manifest::ImageConfig> Service::fetch_config(registry::Repository& repo,
                                                           const mf::Descriptor& desc,
                                                           const std::string& what,
                                                           std::vector<Digest>& written) {
    if (desc.size > static_cast<int64_t>(mf::kMaxConfigSize))
        return Error::invalid(what + ": config of " + std::to_string(desc.size) + " bytes is too large");
    if (!content_.exists(desc.digest)) {
        auto w = BERTH_TRY(content_.writer(desc.digest, desc.size));
        BERTH_TRY_CTX(repo.fetch_blob(
                          desc.digest.str(), [&](std::string_view d) { return w.write(d); }, {}, desc.size),
                      what + ": config");
        BERTH_TRY_CTX(w.commit(), what + ": config " + desc.digest.str());
        written.push_back(desc.digest);
    }
    std::string text = BERTH_TRY(content_.read(desc.digest));
    return BERTH_TRY_CTX(mf::parse_config(text), what);
}

// The manifest blob and the image record, with its tag and name@digest.
Result<Digest> Service::record_pulled(const ref::Reference& r, const registry::FetchedManifest& manifest,
                                      const std::string& media_type, const mf::Manifest& m,
                                      const std::string& top_digest, std::vector<Digest>& written) {
    Digest manifest_digest = BERTH_TRY(Digest::parse(manifest.digest));
    if (!content_.exists(manifest_digest)) {
        auto info = BERTH_TRY(content_.write_blob(manifest.bytes, manifest_digest));
        written.push_back(info.digest);
    }
    Parts parts;
    parts.config = m.config.digest;
    for (auto& l : m.layers) parts.layers.push_back(l.digest);
    parts.manifest = manifest_digest;
    parts.manifest_media_type = media_type;
    if (!r.has_digest()) parts.tags.push_back(r);
    if (auto rd = r.repository().with_digest(top_digest)) parts.repo_digests.push_back(*rd);
    std::lock_guard lock(write_mu_);
    return BERTH_TRY_CTX(add(parts, nullptr), "pull " + r.familiar_string());
}

}  // namespace berth::daemon::images

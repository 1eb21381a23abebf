// Private to the image service: the implementation class shared by its source files
// (service.cc: open, rootfs, load/import/save; queries.cc: list/inspect/history/df;
// remove.cc: tag/remove/prune).
#pragma once

#include <mutex>

#include "daemon/images/image_service.h"
#include "image/archive/archive.h"
#include "image/reference/reference.h"

namespace berth::daemon::images {

namespace store = image::store;

class Service final : public ImageService {
public:
    Service(image::content::Store content, store::ImageStore db, image::snapshotter::Snapshotter snap,
            EventBus* events)
        : content_(std::move(content)), db_(std::move(db)), snap_(std::move(snap)), events_(events) {}

    // Removes blobs and unpacked layers no image references (left by a crash mid-load).
    Result<> sweep();

    void set_image_users(ImageUsersFn fn) override;
    void set_registry_options(RegistryOptions options) override;
    Result<Digest> pull(const PullOptions& options, const ProgressFn& progress) override;
    Result<> push(const PushOptions& options, const ProgressFn& progress) override;
    Result<Json> search(std::string_view term, int limit, const Filters& filters,
                        const registry::Credentials& credentials) override;
    Result<> login(std::string_view server, const registry::Credentials& credentials) override;
    Result<RunnableImage> runnable(std::string_view name) override;
    Result<image::snapshotter::Mount> create_rootfs(std::string_view key, const Digest& image_id) override;
    Result<> mount_rootfs(std::string_view key, const std::string& target,
                          bool volatile_upper = false) override;
    Result<> unmount_rootfs(std::string_view key, const std::string& target) override;
    Result<> remove_rootfs(std::string_view key) override;
    Result<int64_t> rootfs_usage(std::string_view key) override;
    Result<image::snapshotter::Mount> rootfs_mounts(std::string_view key) override;

    Result<LoadResult> load(const ReadFn& input) override;
    Result<> save(const std::vector<std::string>& names, const WriteFn& output) override;
    Result<Digest> import(const ReadFn& input, const ImportOptions& options) override;

    Result<Json> list(bool all, const Filters& filters, bool shared_size) override;
    Result<Json> inspect(std::string_view name) override;
    Result<Json> history(std::string_view name) override;
    Result<> tag(std::string_view name, std::string_view repo, std::string_view tag) override;
    Result<Json> remove(std::string_view name, bool force, bool noprune) override;
    Result<Json> prune(const Filters& filters) override;
    Result<Json> disk_usage() override;
    Result<int64_t> count() override;

private:
    // One image ready to record: its config blob, layer blobs (base first), optional manifest.
    struct Parts {
        Digest config;
        std::vector<Digest> layers;
        std::optional<Digest> manifest;
        std::string manifest_media_type;
        std::vector<image::reference::Reference> tags;
        std::vector<image::reference::Reference> repo_digests;  // name@digest (pulled images)
    };
    // Unpacks the layers (verifying diff IDs), writes a manifest if there is none, and records
    // the image. Caller holds write_mu_. Returns the image ID and the tags it took from others.
    Result<Digest> add(const Parts& parts, std::vector<std::string>* messages);
    // Unpacks the layers not yet unpacked; `committed` gets the chain IDs it created.
    Result<std::vector<store::LayerRecord>> unpack(const image::manifest::ImageConfig& cfg,
                                                   const std::vector<Digest>& blobs,
                                                   std::vector<std::string>* committed);
    // Pull of one tag or digest (pull.cc).
    Result<Digest> pull_one(const image::reference::Reference& ref, const PullOptions& options,
                            const ProgressFn& progress);
    Result<image::manifest::ImageConfig> fetch_config(registry::Repository& repo,
                                                      const image::manifest::Descriptor& desc,
                                                      const std::string& what, std::vector<Digest>& written);
    Result<Digest> record_pulled(const image::reference::Reference& r,
                                 const registry::FetchedManifest& manifest, const std::string& media_type,
                                 const image::manifest::Manifest& m, const std::string& top_digest,
                                 std::vector<Digest>& written);
    Result<> push_one(const image::reference::Reference& ref, const Digest& id, registry::Repository& repo,
                      const ProgressFn& progress);
    Result<std::vector<std::string>> mount_sources(const image::reference::Reference& r);
    RegistryOptions registry_options();
    // Removes the blobs among `candidates` that no image references.
    void collect_blobs(const std::vector<Digest>& candidates);
    void collect(const store::Garbage& g);
    Result<Json> config_json(const Digest& id);
    std::vector<ImageUser> users(const Digest& id);
    void publish(const std::string& action, const std::string& id, const std::string& name);
    // Deletes one image that nothing uses; appends Docker's records. Caller holds write_mu_.
    Result<int64_t> delete_image(const Digest& id, Json& records);

    image::content::Store content_;
    store::ImageStore db_;
    image::snapshotter::Snapshotter snap_;
    EventBus* events_;
    std::mutex write_mu_;  // load, import, remove, prune, rootfs creation: one at a time
    std::mutex users_mu_;
    std::mutex registry_mu_;
    RegistryOptions registry_;
    ImageUsersFn users_fn_;
};

// Helpers shared by the service's files.
int64_t parse_rfc3339(std::string_view s);  // unix seconds; 0 if unparsable
std::string format_rfc3339(int64_t unix_seconds);
std::string familiar(const std::string& full_ref);  // docker.io/library/busybox:latest -> busybox:latest
Result<int64_t> dir_size(const std::string& dir);

}  // namespace berth::daemon::images

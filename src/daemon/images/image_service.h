// The daemon's image service: ties the content store, the image store (SQLite metadata)
// and the overlay snapshotter together for every image operation the Engine API offers
// (load/save/import, list/inspect/history/tag/remove/prune, disk usage), and gives the
// container manager what it needs to run an image (its config, a rootfs snapshot).
//
// On disk, under the daemon's data root:
//     <data_root>/berth.db         SQLite metadata (image::store)
//     <data_root>/content/         verified blobs (image::content)
//     <data_root>/overlay/         unpacked layers and container snapshots (image::snapshotter)
//
// Thread-safe: API handlers call it concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "daemon/events/events.h"
#include "image/content/content_store.h"
#include "image/manifest/manifest.h"
#include "image/snapshotter/snapshotter.h"
#include "image/store/image_store.h"
#include "registry/registry.h"

namespace berth::daemon::images {

using image::content::Digest;

// Reads up to len bytes; 0 at the end of the input.
using ReadFn = std::function<Result<size_t>(void* buf, size_t len)>;
// Writes all of `data` (a streamed response, a file).
using WriteFn = std::function<Result<>(std::string_view data)>;
// Docker's filters: {"dangling": ["true"], "reference": ["busy*"], ...}
using Filters = std::map<std::string, std::vector<std::string>>;

// An image resolved for running a container.
struct RunnableImage {
    Digest id;                            // config digest
    std::string name;                     // what the user asked for, as given ("busybox")
    image::manifest::ImageConfig config;  // parsed config (Config: Env, Cmd, Entrypoint, ...)
    std::vector<std::string> chain_ids;   // top layer first, as Snapshotter::create_active wants
};

// What the container manager tells the image service about containers (for rmi, prune and
// system df): which containers use an image, and whether they are running.
struct ImageUser {
    std::string container_id;
    bool running = false;
};
using ImageUsersFn = std::function<std::vector<ImageUser>(const Digest& image_id)>;

struct LoadResult {
    std::vector<std::string> loaded;  // "Loaded image: busybox:latest" / "Loaded image ID: sha256:..."
};

struct ImportOptions {
    std::string reference;             // "repo:tag" to tag the new image with; empty: none
    std::string message;               // history comment (--message)
    std::vector<std::string> changes;  // Dockerfile instructions (--change "CMD ...", "ENV a=b", ...)
    std::string platform;              // "linux/amd64"; empty: the host's
};

// Registry settings from daemon.json (insecure-registries, registry-mirrors, ...).
struct RegistryOptions {
    registry::Config registry;
    int max_concurrent_downloads = 3;
    int max_concurrent_uploads = 5;
};

// Receives the Engine API's JSON progress messages ({"status": ..., "id": ...,
// "progressDetail": {...}}) of a pull or push. Called from several threads, one at a time.
using ProgressFn = std::function<void(const Json& message)>;

struct PullOptions {
    std::string image;                  // fromImage: "busybox", "localhost:5000/a/b", "x@sha256:..."
    std::string tag;                    // a tag or a digest; empty with no tag in image: all tags
    std::string platform;               // "linux/arm64"; empty: the host's
    registry::Credentials credentials;  // from X-Registry-Auth
};

struct PushOptions {
    std::string name;  // "localhost:5000/busybox"
    std::string tag;   // empty: every tag of the repository
    registry::Credentials credentials;
};

class ImageService {
public:
    // Opens (creating as needed) the stores under data_root.
    static Result<std::unique_ptr<ImageService>> open(const std::string& data_root, EventBus* events);
    virtual ~ImageService() = default;

    // Set once by the daemon at start-up.
    virtual void set_image_users(ImageUsersFn fn) = 0;
    virtual void set_registry_options(RegistryOptions options) = 0;

    // --- for containers ---
    // NotFound: "No such image: <name>".
    virtual Result<RunnableImage> runnable(std::string_view name) = 0;
    // Creates (and does not mount) a read-write snapshot `key` over the image's layers.
    virtual Result<image::snapshotter::Mount> create_rootfs(std::string_view key, const Digest& image_id) = 0;
    // volatile_upper: see image::snapshotter::Mount (for AutoRemove containers).
    virtual Result<> mount_rootfs(std::string_view key, const std::string& target,
                                  bool volatile_upper = false) = 0;
    virtual Result<> unmount_rootfs(std::string_view key, const std::string& target) = 0;
    virtual Result<> remove_rootfs(std::string_view key) = 0;
    // Bytes in the snapshot's upper dir (SizeRw).
    virtual Result<int64_t> rootfs_usage(std::string_view key) = 0;
    // The snapshot's upper dir and lower dirs (for `diff`/`changes`/`export`/`commit`).
    virtual Result<image::snapshotter::Mount> rootfs_mounts(std::string_view key) = 0;

    // --- the Engine API's image operations ---
    // POST /images/load: a docker-archive or OCI-layout tarball (plain or gzip).
    virtual Result<LoadResult> load(const ReadFn& input) = 0;
    // GET /images/get, /images/{name}/get: a docker-archive tarball with OCI layout files too.
    virtual Result<> save(const std::vector<std::string>& names, const WriteFn& output) = 0;
    // POST /images/create?fromSrc=-: a root filesystem tarball; returns the new image ID.
    virtual Result<Digest> import(const ReadFn& input, const ImportOptions& options) = 0;

    // POST /images/create?fromImage=: pulls from a registry (mirrors first for docker.io);
    // layers are verified, decompressed and unpacked as they arrive. On failure nothing new
    // is kept. Returns the image ID (of the last image, with all tags).
    virtual Result<Digest> pull(const PullOptions& options, const ProgressFn& progress) = 0;
    // POST /images/{name}/push: uploads the blobs the registry lacks, then the manifest.
    virtual Result<> push(const PushOptions& options, const ProgressFn& progress) = 0;

    // GET /images/search: the registry's /v1/search results, filtered (stars, is-official,
    // is-automated) and limited. Unsupported when the registry has no search.
    virtual Result<Json> search(std::string_view term, int limit, const Filters& filters,
                                const registry::Credentials& credentials) = 0;
    // POST /auth: checks the credentials against the registry (PermissionDenied if refused).
    virtual Result<> login(std::string_view server, const registry::Credentials& credentials) = 0;

    virtual Result<Json> list(bool all, const Filters& filters, bool shared_size) = 0;  // GET /images/json
    virtual Result<Json> inspect(std::string_view name) = 0;  // GET /images/{name}/json
    virtual Result<Json> history(std::string_view name) = 0;  // GET /images/{name}/history
    virtual Result<> tag(std::string_view name, std::string_view repo, std::string_view tag) = 0;
    // DELETE /images/{name}: [{"Untagged": ...}, {"Deleted": ...}]
    virtual Result<Json> remove(std::string_view name, bool force, bool noprune) = 0;
    virtual Result<Json> prune(const Filters& filters) = 0;  // {"ImagesDeleted": [...], "SpaceReclaimed": n}
    // The Images part of GET /system/df, and LayersSize.
    virtual Result<Json> disk_usage() = 0;
    // Counts for GET /info: {"Images": n}
    virtual Result<int64_t> count() = 0;
};

}  // namespace berth::daemon::images

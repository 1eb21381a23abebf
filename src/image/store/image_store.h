// The image store: which images exist, what they are called, and which layers and blobs
// they keep alive. Metadata only, in SQLite (berth.db); the bytes live in the content store
// (blobs) and the snapshotter (unpacked layers).
//
// The model.
//   image        identified by its ID = digest of its config blob ("sha256:..."). Records the
//                manifest digest it was pulled by, platform, created time and size.
//   tag          a full normalised reference with a tag ("docker.io/library/busybox:latest")
//                pointing at one image. Tagging an existing name moves it (docker tag).
//   repo digest  "docker.io/library/busybox@sha256:<manifest digest>": how the image is
//                known to the registry (docker images --digests, pulls by digest).
//   layer        identified by its chain ID (manifest::chain_ids), with its diff ID, parent
//                chain ID and size, and a reference count: the number of images whose layer
//                stack contains it. Two images built FROM the same base share those rows.
//   blobs        content-store digests an image keeps alive (manifest, config, layer blobs).
//
// Garbage collection is driven by the caller: remove_image() deletes the image and returns
// the layers whose count dropped to 0 and the blobs no remaining image references; the caller
// then removes those snapshots and blobs. If it crashes before doing so, the leftovers are
// unreferenced and a later sweep (content::Store::walk + blob_referenced) finds them.
//
// Crash safety: every call is one SQLite transaction (WAL, synchronous=FULL, foreign keys
// on), so a kill -9 at any point leaves each change wholly applied or not at all. The schema
// is versioned with PRAGMA user_version and created/migrated by open().
//
// Typical pull:
//     auto store = BERTH_TRY(store::ImageStore::open(data_root + "/berth.db"));
//     store::NewImage img{record, layers_from(config), blobs, {ref.with_default_tag()}, {repo_digest}};
//     BERTH_TRY(store.add_image(img));
//     auto id = BERTH_TRY(store.resolve("busybox"));      // tag, repo digest or ID prefix
//     auto garbage = BERTH_TRY(store.remove_image(id));   // then delete garbage.layers/.blobs
//
// An ImageStore is safe to use from several threads (calls are serialised).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/content/content_store.h"
#include "image/reference/reference.h"

namespace berth::image::store {

using content::Digest;

inline constexpr int kSchemaVersion = 1;

struct ImageRecord {
    Digest id;               // config digest
    Digest manifest_digest;  // empty for images loaded/imported without a manifest
    std::string media_type;  // manifest media type
    std::string platform;    // "linux/amd64"
    int64_t created = 0;     // image creation time (config "created"), unix seconds
    int64_t size = 0;        // sum of the layers' unpacked sizes
    int64_t added = 0;       // set by the store: when it was added, unix seconds
};

struct LayerRecord {
    Digest diff_id;    // digest of the uncompressed layer tar
    int64_t size = 0;  // unpacked size in bytes
    // Filled in by the store: chain ID, parent chain ID (empty for the base), reference count.
    Digest chain_id;
    Digest parent;
    int64_t refcount = 0;
};

struct NewImage {
    ImageRecord image;
    std::vector<LayerRecord> layers;                 // base layer first; only diff_id and size are read
    std::vector<Digest> blobs;                       // content-store blobs this image keeps alive
    std::vector<reference::Reference> tags;          // name:tag (no digest)
    std::vector<reference::Reference> repo_digests;  // name@digest (no tag)
};

struct ImageInfo {
    ImageRecord image;
    std::vector<std::string> tags;          // full references, sorted
    std::vector<std::string> repo_digests;  // full references, sorted
};

struct Garbage {
    std::vector<LayerRecord> layers;  // unreferenced now, top layer first
    std::vector<Digest> blobs;        // no longer referenced by any image
};

class ImageStore {
public:
    // Opens or creates the database at `path` (its directory must exist), sets WAL,
    // foreign_keys, busy_timeout, and creates or migrates the schema.
    static Result<ImageStore> open(const std::string& path);
    ImageStore(ImageStore&&) noexcept;
    ImageStore& operator=(ImageStore&&) noexcept;
    ~ImageStore();

    // Adds an image with its layer stack, blobs, tags and repo digests in one transaction.
    // New images increment the refcount of every layer in their stack (creating layer rows
    // as needed). If the image already exists, only tags, repo digests and blobs are added
    // and false is returned; refcounts are untouched.
    Result<bool> add_image(const NewImage& image);
    // Deletes an image with its tags and repo digests; decrements its layers' refcounts.
    // Returns what became garbage. NotFound if absent.
    Result<Garbage> remove_image(const Digest& id);

    // Points `ref` (name:tag, no digest) at image `id`, moving it from any other image.
    // Returns the image it pointed at before, if another one.
    Result<std::optional<Digest>> tag(const reference::Reference& ref, const Digest& id);
    // Removes a tag (or, given name@digest, a repo digest); returns the image it named.
    Result<Digest> untag(const reference::Reference& ref);

    // Finds an image as Docker does: a full ID ("sha256:<hex>" or 64 hex), a reference
    // ("busybox" means busybox:latest; name@digest looks up repo digests), or a unique prefix
    // of the hex ID ("3f2a", "sha256:3f2a"), in that order (moby's GetImage): a name wins over
    // an ID prefix spelled the same. NotFound: "No such image: <s>"; an invalid reference or a
    // prefix matching several images is InvalidArgument ("ambiguous image ID prefix ...").
    Result<Digest> resolve(std::string_view ref_or_id);

    // One image with its names. NotFound if absent.
    Result<ImageInfo> get(const Digest& id);
    // Every image with its names, newest added first.
    Result<std::vector<ImageInfo>> list();
    // The layer stack of an image, base first, with chain IDs and current refcounts.
    Result<std::vector<LayerRecord>> layers(const Digest& id);
    // One layer by chain ID, if any image uses it.
    Result<std::optional<LayerRecord>> layer(const Digest& chain_id);
    // Whether any image keeps this blob alive (for a content-store sweep).
    Result<bool> blob_referenced(const Digest& digest);

    // Checks the database: SQLite integrity and foreign keys, and that every layer's
    // refcount equals the number of images using it. Internal error describing the first
    // inconsistency found.
    Result<> check();

private:
    struct Impl;
    explicit ImageStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image::store

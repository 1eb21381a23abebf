// The layers of one pull: each worker takes the next layer and downloads it into the
// content store while a thread of its own unpacks the same bytes (LayerStream) into a
// prepared snapshot, so layers unpack in parallel (none reads its parent); the pulling
// thread then commits them bottom first, once both the blob and the diff ID check out.
//
//   LayerTransfer t(content, snap, repo, progress, written);
//   t.plan(manifest.layers, config.rootfs.diff_ids);
//   BERTH_TRY(t.run(threads, "pull busybox", committed));
// Destroying it stops the workers and aborts what was prepared and not committed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "daemon/images/layer_stream.h"
#include "daemon/images/progress_stream.h"
#include "image/content/content_store.h"
#include "image/layer/layer.h"
#include "image/manifest/manifest.h"
#include "image/snapshotter/snapshotter.h"
#include "registry/registry.h"

namespace berth::daemon::images {

class LayerTransfer {
public:
    // `written` gets each blob this transfer adds to the content store (for the caller's undo).
    LayerTransfer(image::content::Store& content, image::snapshotter::Snapshotter& snap,
                  registry::Repository& repo, ProgressStream& progress, std::vector<Digest>& written);
    ~LayerTransfer();
    LayerTransfer(const LayerTransfer&) = delete;
    LayerTransfer& operator=(const LayerTransfer&) = delete;

    // What each layer needs (its blob, its unpacking); says "Already exists" for the others.
    void plan(const std::vector<image::manifest::Descriptor>& layers, const std::vector<Digest>& diff_ids);
    // Transfers on up to `threads` workers and commits bottom first; `committed` gets the
    // chain IDs it unpacked. `what` prefixes errors ("pull busybox:latest").
    Result<> run(int threads, const std::string& what, std::vector<std::string>& committed);

private:
    struct Layer {
        image::manifest::Descriptor desc;
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

    void worker();
    Result<> handle(Layer& l);
    Result<> unpack_stored(Layer& l, const std::string& id);
    Result<> download_and_unpack(Layer& l, const std::string& id, bool unpack);
    Result<> download(Layer& l, const std::string& id, bool stream);
    void settle(Layer& l, std::optional<Error> error);
    Result<> commit(Layer& l, const std::string& what, std::vector<std::string>& committed);
    void stop_all();

    image::content::Store& content_;
    image::snapshotter::Snapshotter& snap_;
    registry::Repository& repo_;
    ProgressStream& progress_;
    std::vector<Digest>& written_;  // under mu_ while workers run

    std::vector<Layer> layers_;
    std::atomic<size_t> next_{0};
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable done_cv_;
    std::vector<std::thread> threads_;
};

}  // namespace berth::daemon::images

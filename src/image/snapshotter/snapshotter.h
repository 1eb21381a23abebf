// Overlay snapshotter: unpacked image layers on disk, stacked with overlayfs into the root
// filesystems of containers (after containerd's core/snapshots and its overlay plugin).
//
// The model:
//   - A committed layer is one image layer unpacked into its own directory, named by its
//     chain id (OCI image-spec config.md: ChainID(L0) = DiffID(L0), ChainID(Ln) =
//     sha256(ChainID(Ln-1) + " " + DiffID(Ln))), so a layer shared by many images is
//     unpacked once. It never changes after commit; overlay whiteouts mark deletions.
//   - A layer is built in a private temp dir (prepare_layer), filled by the caller
//     (layer::apply_layer with WhiteoutFormat::Overlay), then published with one atomic
//     rename (commit). A crash leaves only temp dirs, removed by open(). Filling a layer
//     never reads its parents (whiteouts are overlay's own), so the layers of an image can
//     be prepared and filled at once; only commit needs the parent committed first.
//   - An active snapshot (a container's rootfs) is an overlay of committed layers (lower,
//     read-only) with its own upper/work dirs; a read-only view has no upper.
//
// On disk (<root> is e.g. /var/lib/berth/overlay):
//     <root>/<chain-id-hex>/diff          committed layer content
//     <root>/<chain-id-hex>/parent        parent chain id ("" for a base layer)
//     <root>/active/<key>/{upper,work,merged}, parents (top first), l/ (short lower links)
//     <root>/tmp/                          layers being prepared, removals in progress
//
// overlayfs takes its options in one page (4096 bytes); 128+ lowers of absolute paths do
// not fit. mount() uses the new mount API (fsconfig "lowerdir+", one lower per call, Linux
// >= 6.8) and falls back to mount(2) with short relative lower names (symlinks in
// active/<key>/l/, resolved from a child process chdir'ed there).
//
// Typical sequence:
//     auto snap = Snapshotter::open("/var/lib/berth/overlay");
//     for (each layer, bottom first) if (!snap->has_layer(chain)) {
//         auto p = snap->prepare_layer(chain, parent_chain);
//         layer::apply_layer_fd(blob, open(p->diff), {...Overlay...});   // or abort(*p)
//         snap->commit(*p);
//     }
//     auto m = snap->create_active("c3f2", {top_chain, ..., base_chain});
//     snap->mount("c3f2");                 // at <root>/active/c3f2/merged
//     ... run the container ...
//     snap->unmount("c3f2");  snap->remove_active("c3f2");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::image::snapshotter {

// What to mount for an active snapshot.
struct Mount {
    std::string type;                 // "overlay" or "bind"
    std::string source;               // bind: the directory bound
    std::vector<std::string> lowers;  // overlay: absolute lower dirs, top first
    std::string upper, work;          // overlay: empty for a read-only view
    bool readonly = false;
    // overlay "volatile": the upper is never synced (not by syncfs, not at unmount, which
    // otherwise syncs the whole host filesystem under it). For writable layers that are
    // thrown away rather than trusted after a crash: `run --rm` containers, as Podman does.
    bool volatile_upper = false;
    // Classic mount(8) options, e.g. {"lowerdir=a:b", "upperdir=u", "workdir=w"}.
    std::vector<std::string> options() const;
};

enum class MountApi {
    Auto,    // new mount API when the kernel has lowerdir+, else legacy
    New,     // fsopen/fsconfig/fsmount only
    Legacy,  // mount(2) only (short relative lowerdir names when needed)
};

struct Options {
    MountApi mount_api = MountApi::Auto;
    bool sync_on_commit = true;  // syncfs before publishing a layer
};

struct PreparedLayer {
    std::string chain_id;
    std::string parent_chain_id;  // "" for a base layer; must be committed before this one
    std::string dir;              // the temp dir that becomes <root>/<hex> on commit
    std::string diff;             // apply the layer here
};

class Snapshotter {
public:
    static Result<Snapshotter> open(const std::string& root, const Options& options = {});

    const std::string& root() const { return root_; }

    // Layers (by chain id, "sha256:<64 hex>").
    bool has_layer(std::string_view chain_id) const;
    Result<std::string> layer_dir(std::string_view chain_id) const;  // .../<hex>/diff
    Result<PreparedLayer> prepare_layer(std::string_view chain_id, std::string_view parent_chain_id);
    // Publishes atomically once the parent is committed (else NotFound); if another writer
    // committed the same chain id first, the prepared copy is dropped and the call succeeds.
    Result<> commit(const PreparedLayer& layer);
    Result<> abort(const PreparedLayer& layer);
    // The caller (image store) knows no image or snapshot still uses it.
    Result<> remove_layer(std::string_view chain_id);

    // Active snapshots (by key: [A-Za-z0-9_.-], 1..128 chars, not starting with '.').
    // parents: chain ids from the top layer down to the base; every one must be committed.
    Result<Mount> create_active(std::string_view key, const std::vector<std::string>& parents,
                                bool readonly = false);
    Result<Mount> mounts(std::string_view key) const;
    std::string merged_dir(std::string_view key) const;
    // Mounts the snapshot at target (default: merged_dir(key)); see Mount::volatile_upper.
    Result<> mount(std::string_view key, const std::string& target = {}, bool volatile_upper = false) const;
    Result<> unmount(std::string_view key, const std::string& target = {}) const;
    // Unmounts merged_dir if mounted, then removes everything of the snapshot.
    Result<> remove_active(std::string_view key);
    // Bytes used by the snapshot's own changes (its upper dir), hard links counted once.
    Result<uint64_t> usage(std::string_view key) const;

private:
    Snapshotter(std::string root, const Options& options) : root_(std::move(root)), options_(options) {}
    std::string active_dir(std::string_view key) const;

    std::string root_;
    Options options_;
};

// Low level: mounts `m` at `target` (absolute). `scratch` is a directory where short
// symlinks to the lowers may be created for the legacy API.
Result<> mount_snapshot(const Mount& m, const std::string& target, const std::string& scratch, MountApi api);

}  // namespace berth::image::snapshotter

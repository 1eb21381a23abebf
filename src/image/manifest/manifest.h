// Image manifests, indexes and configs: OCI image-spec v1.1 and Docker image manifest v2
// schema 2, parsed from untrusted bytes into plain structs, validated, and written back.
//
// The model (OCI image-spec). Everything is a blob in the content store, linked by
// descriptors {mediaType, digest, size} so each link can be verified:
//
//   index (OCI image index / Docker manifest list)   one entry per platform
//     └─ manifest (OCI image manifest / Docker v2s2)  one image for one platform
//          ├─ config  (image config JSON)             what to run (Env, Cmd, ...) and
//          │                                          rootfs.diff_ids: digests of the
//          │                                          *uncompressed* layer tars
//          └─ layers[] (tar, tar+gzip, tar+zstd)      digests of the blobs as stored
//
//   Image ID = digest of the config blob. Layer identity = chain ID, a digest over the
//   diff IDs of the layer and everything beneath it (chain_ids()), which names the
//   unpacked snapshot shared by every image with the same stack.
//
// Typical pull:
//     auto type = BERTH_TRY(manifest::detect_media_type(bytes, content_type));
//     if (manifest::is_index(type)) {
//         auto index = BERTH_TRY(manifest::parse_index(bytes, type));
//         auto desc = BERTH_TRY(manifest::select_manifest(index, manifest::host_platform()));
//         ... fetch desc.digest ...
//     }
//     auto m = BERTH_TRY(manifest::parse_image_manifest(bytes, type));
//     auto cfg = BERTH_TRY(manifest::parse_config(config_bytes));
//     auto chain = manifest::chain_ids(cfg.rootfs.diff_ids);
//
// Hostile input is expected: every parse error is InvalidArgument and names the field,
// e.g. "invalid image manifest: layers[1].size: must not be negative". Documents larger
// than kMaxManifestSize (indexes, manifests) or kMaxConfigSize (configs) are refused before
// parsing. to_json() writes canonical JSON (sorted keys, no insignificant whitespace);
// digests are always taken over the original bytes, never over re-serialised JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "image/content/content_store.h"

namespace berth::image::manifest {

using content::Digest;

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media_type

inline constexpr size_t kMaxManifestSize = 4 << 20;  // as containerd and moby
inline constexpr size_t kMaxConfigSize = 8 << 20;

// ---- descriptors and platforms -------------------------------------------------------------

struct Platform {
    std::string architecture;  // GOARCH spelling: amd64, arm64, arm, 386, ppc64le, s390x, riscv64
    std::string os;            // linux, windows, ...
    std::string os_version;
    std::vector<std::string> os_features;
    std::string variant;  // v7 (arm), v8 (arm64), v2/v3 (amd64 micro-architecture levels)
    friend bool operator==(const Platform&, const Platform&) = default;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = 0;
    std::vector<std::string> urls;
    std::map<std::string, std::string> annotations;
    std::optional<Platform> platform;
    std::string artifact_type;
    std::string data;  // base64, as found ("data" field); not decoded
    friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// ---- manifests and indexes ----------------------------------------------------------------

struct Manifest {
    int schema_version = 2;
    std::string media_type;           // the type it was parsed as (field or Content-Type)
    bool media_type_in_json = false;  // whether the document carried "mediaType" itself
    std::string artifact_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::optional<Descriptor> subject;
    std::map<std::string, std::string> annotations;
};

struct Index {
    int schema_version = 2;
    std::string media_type;
    bool media_type_in_json = false;
    std::string artifact_type;
    std::vector<Descriptor> manifests;
    std::optional<Descriptor> subject;
    std::map<std::string, std::string> annotations;
};

// True for the OCI index and Docker manifest list types.
bool is_index(std::string_view media_type);
// True for the OCI image manifest and Docker schema 2 manifest types.
bool is_manifest(std::string_view media_type);
// True for layer media types we can unpack (OCI tar/gzip/zstd, incl. non-distributable, and
// Docker's gzip and foreign layers).
bool is_layer(std::string_view media_type);
// True for image config types (OCI and Docker).
bool is_config(std::string_view media_type);

enum class Compression { None, Gzip, Zstd };
// Compression of a layer blob from its media type; InvalidArgument for non-layer types.
Result<Compression> layer_compression(std::string_view media_type);

// Which kind of document `bytes` is: its "mediaType" field if present, else `content_type`
// (the registry's Content-Type header, may be empty), else guessed from the shape ("manifests"
// -> OCI index, "config" -> OCI manifest). Schema 1 and unknown types are errors.
Result<std::string> detect_media_type(std::string_view bytes, std::string_view content_type = {});

// Parses an image manifest (OCI or Docker). `media_type` is the expected type (from
// detect_media_type or a descriptor); if the document carries a different one, it's an error.
// Checks structure only, so OCI artifact manifests parse too.
Result<Manifest> parse_manifest(std::string_view bytes, std::string_view media_type = {});
// parse_manifest() plus the checks that make it a runnable image: an image config media type
// and only layer media types we can unpack.
Result<Manifest> parse_image_manifest(std::string_view bytes, std::string_view media_type = {});
// Parses an OCI index or Docker manifest list (where every entry must carry a platform).
Result<Index> parse_index(std::string_view bytes, std::string_view media_type = {});

// Parses/validates one descriptor object; `field` prefixes errors ("layers[0]").
Result<Descriptor> parse_descriptor(const Json& j, const std::string& field);

// ---- image config -------------------------------------------------------------------------

struct HealthConfig {
    std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
    int64_t interval = 0;           // nanoseconds, 0 = inherit/default
    int64_t timeout = 0;
    int64_t start_period = 0;
    int64_t start_interval = 0;
    int retries = 0;
    friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

// The "config" object: defaults for containers made from the image (Docker field names).
struct ContainerConfig {
    std::string user;
    std::vector<std::string> exposed_ports;              // "80/tcp", sorted
    std::vector<std::string> env;                        // "KEY=value"
    std::optional<std::vector<std::string>> entrypoint;  // nullopt = not set (null)
    std::optional<std::vector<std::string>> cmd;
    std::vector<std::string> volumes;  // mount points, sorted
    std::string working_dir;
    std::map<std::string, std::string> labels;
    std::string stop_signal;
    std::optional<int> stop_timeout;
    bool args_escaped = false;
    std::optional<HealthConfig> healthcheck;
    std::vector<std::string> on_build;
    std::vector<std::string> shell;
};

struct History {
    std::string created;  // RFC 3339
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

struct RootFs {
    std::string type = "layers";
    std::vector<Digest> diff_ids;  // bottom layer first
};

struct ImageConfig {
    std::string created;
    std::string author;
    std::string architecture;
    std::string os;
    std::string os_version;
    std::vector<std::string> os_features;
    std::string variant;
    ContainerConfig config;
    RootFs rootfs;
    std::vector<History> history;

    Platform platform() const;
};

// Parses and validates an image config (OCI or Docker; both share this JSON layout).
Result<ImageConfig> parse_config(std::string_view bytes);

// ---- serialisation ------------------------------------------------------------------------

Json to_json(const Platform& p);
Json to_json(const Descriptor& d);
Json to_json(const Manifest& m);
Json to_json(const Index& i);
Json to_json(const ImageConfig& c);
// Canonical text: sorted keys, no spaces.
std::string canonical(const Json& j);

// ---- platforms ----------------------------------------------------------------------------

// containerd's platforms.Normalize: x86_64 -> amd64, aarch64 -> arm64 (variant v8 -> ""),
// armhf -> arm/v7, plain arm -> arm/v7, i386 -> 386, lower-case, empty os -> linux.
Platform normalize(Platform p);
// Parses "linux/arm64/v8", "linux/amd64", "arm64" (os defaults to linux), normalised.
Result<Platform> parse_platform(std::string_view s);
// "os/arch[/variant]" (un-normalised fields as they are).
std::string format_platform(const Platform& p);
// The platform this binary runs on, normalised.
Platform host_platform();
// Platforms an engine on `want` can run, best first (containerd's platforms.Only):
// arm64 -> arm64, arm/v8, arm/v7, arm/v6, arm/v5; arm/v7 -> v7, v6, v5; amd64/vN -> vN..v1, 386.
std::vector<Platform> compatible_platforms(const Platform& want);
// Whether an image for `have` runs on `want` (have is in compatible_platforms(want)).
bool platform_matches(const Platform& want, const Platform& have);
// The best manifest in `index` for `want`: the entry earliest in compatible_platforms(want),
// first in index order on ties; entries with no platform are a last resort. NotFound with
// Docker's "no matching manifest for linux/amd64 in the manifest list entries".
Result<Descriptor> select_manifest(const Index& index, const Platform& want);

// ---- chain IDs ----------------------------------------------------------------------------

// chain_ids(d)[0] = d[0]; chain_ids(d)[n] = sha256(chain_ids(d)[n-1] + " " + d[n]).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);
// The chain ID of the top layer; empty Digest for no layers.
Digest chain_id(const std::vector<Digest>& diff_ids);

}  // namespace berth::image::manifest

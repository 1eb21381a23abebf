// Image archives: the tarballs `docker save` writes and `docker load` reads, in both forms
// (docker-archive: manifest.json + repositories; OCI image layout: oci-layout, index.json,
// blobs/sha256/), and the plain root filesystem tarballs `docker import` takes.
//
// The model.
//   read_archive streams a tarball (plain or compressed) once: every file becomes a blob in
//   the content store (files under blobs/sha256/ are verified against their name while
//   written), the small metadata files are kept in memory, symlinks and hard links between
//   entries are remembered. Only then are manifest.json (preferred: it carries RepoTags) or
//   index.json read, and each path they name is looked up among the entries, never on disk.
//   The caller unpacks the layers and records the images; the blobs the read wrote or found
//   (`touched`, filled even when it fails) that end up unreferenced are the caller's to remove.
//   write_archive writes both forms at once, as docker 25+ does, so docker, skopeo and umoci
//   all read it: blobs/sha256/<hex> for every blob, index.json + oci-layout, and
//   manifest.json + repositories whose paths point at those blobs.
//
// Hostile input is expected: every error is InvalidArgument and names the entry or field,
// e.g. `manifest.json: [0].Layers[1]: "../../etc/passwd" escapes the archive` or
// `archive entry blobs/sha256/3f..: digest mismatch: ...`.
//
//     auto r = BERTH_TRY(archive::read_archive(read_fn, content_store));
//     for (auto& img : r.images) ... apply img.layers, add to the image store ...
//     BERTH_TRY(archive::write_archive(images_to_save, content_store, write_fn));
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "image/content/content_store.h"

namespace berth::image::archive {

using content::Digest;

// Reads up to len bytes; 0 at the end of the input.
using ReadFn = std::function<Result<size_t>(void* buf, size_t len)>;
// Writes all of `data`.
using WriteFn = std::function<Result<>(std::string_view data)>;

struct Limits {
    size_t max_metadata = 4 << 20;           // manifest.json, index.json, repositories
    uint64_t max_blob = uint64_t{64} << 30;  // one file in the archive
    size_t max_entries = 1 << 20;            // entries in the tarball
    size_t max_images = 4096;                // images in one archive
    size_t max_layers = 1000;                // layers of one image
};

enum class Format { DockerArchive, OciLayout };

struct ArchiveImage {
    std::vector<std::string> names;  // RepoTags, or the index's image name annotations, as written
    Digest config;
    std::vector<Digest> layers;                  // layer blobs, base first
    std::vector<std::string> layer_media_types;  // from the OCI manifest; empty for docker-archive
    std::optional<Digest> manifest;              // OCI: the image manifest blob
    std::string manifest_media_type;
};

struct ReadResult {
    Format format = Format::DockerArchive;
    std::vector<ArchiveImage> images;
};

// Reads a docker-archive or OCI layout tarball (plain, gzip, zstd, xz, bzip2). `touched`
// receives every blob written or found, also when the read fails part-way.
Result<ReadResult> read_archive(const ReadFn& input, const content::Store& store,
                                std::vector<Digest>* touched, const Limits& limits = {});

struct SaveImage {
    std::vector<std::string> repo_tags;  // familiar "busybox:latest" (manifest.json, repositories)
    std::vector<std::string> full_tags;  // "docker.io/library/busybox:latest" (index.json annotations)
    Digest manifest;                     // an image manifest blob in the store
    std::string manifest_media_type;
    Digest config;
    std::vector<Digest> layers;  // blobs, base first
};

// Writes a tarball readable both as a docker-archive and as an OCI layout.
Result<> write_archive(const std::vector<SaveImage>& images, const content::Store& store,
                       const WriteFn& output);

// Streams `input` (a root filesystem tarball, any compression) into the store as one blob.
// Returns its digest and size.
Result<content::Info> ingest(const ReadFn& input, const content::Store& store,
                             uint64_t max_size = uint64_t{64} << 30);

// Applies `docker import --change` / `commit --change` instructions (CMD, ENTRYPOINT, ENV,
// EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR) to an image's "config" object.
// Unknown or malformed instructions are InvalidArgument naming them.
Result<> apply_changes(Json& container_config, const std::vector<std::string>& changes);

// Lexically normalises an archive member path ("./a//b/../c" -> "a/c"); error if it is empty
// or climbs out of the archive. Exposed for tests.
Result<std::string> normalize_member(std::string_view path);

}  // namespace berth::image::archive

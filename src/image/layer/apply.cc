// apply_layer: the single pass read -> hash -> decompress -> hash -> tar parse -> extract.
// libarchive only parses tar headers (no compression filters: LayerReader feeds it
// already-decompressed bytes); the writing is Extractor's.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <optional>

#include "common/scope.h"
#include "common/sys.h"
#include "image/layer/codec.h"
#include "image/layer/extract.h"
#include "image/layer/layer.h"
#include "image/layer/prefetch.h"

namespace berth::image::layer {

namespace {

struct ReadContext {
    Prefetcher* reader;
    std::optional<Error> error;
};

// A C callback: never lets an exception or an Error escape; libarchive sees -1.
la_ssize_t read_callback(archive* a, void* data, const void** buf) {
    auto* ctx = static_cast<ReadContext*>(data);
    try {
        auto chunk = ctx->reader->next();
        if (!chunk) {
            ctx->error = std::move(chunk).error();
            archive_set_error(a, EIO, "%s", ctx->error->str().c_str());
            return -1;
        }
        *buf = chunk->data();
        return static_cast<la_ssize_t>(chunk->size());
    } catch (...) {
        ctx->error = Error::internal("exception in layer read callback");
        archive_set_error(a, EIO, "exception in layer read callback");
        return -1;
    }
}

Error archive_failure(archive* a, const ReadContext& ctx, const std::string& where) {
    if (ctx.error) return Error(*ctx.error).with_context(where);
    const char* msg = archive_error_string(a);
    return Error::invalid(where + ": " + (msg ? msg : "unknown libarchive error"));
}

}  // namespace

Result<ApplyResult> apply_layer(const ReadFn& read, int target_dirfd, const ApplyOptions& options) {
    LayerReader reader(read, options.digest_input);
    Prefetcher prefetch(reader, options.decompress_thread);
    ReadContext ctx{&prefetch, std::nullopt};
    archive* a = archive_read_new();
    if (!a) return Error::internal("archive_read_new failed");
    ScopeExit free_archive([a] { archive_read_free(a); });
    // tar covers ustar, pax and GNU; no filters: a compressed tar inside is not a layer.
    archive_read_support_format_tar(a);
    if (archive_read_open(a, &ctx, nullptr, read_callback, nullptr) != ARCHIVE_OK)
        return archive_failure(a, ctx, "open layer");

    ApplyResult result;
    Extractor extractor(target_dirfd, options, result, &ctx.error);
    std::string last = "(start of layer)";
    while (true) {
        archive_entry* e = nullptr;
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return archive_failure(a, ctx, "read tar header after \"" + last + "\"");
        BERTH_TRY(extractor.entry(a, e));
        const char* name = archive_entry_pathname(e);
        last = name ? std::string(name).substr(0, 120) : "?";
        ++result.entries;
    }
    BERTH_TRY(extractor.finish());
    // The digests cover the whole stream, including the tar's zero padding and the gzip
    // trailer (whose CRC is checked on the way).
    BERTH_TRY_CTX(prefetch.drain(), "read layer trailer");
    result.compression = reader.compression();
    result.compressed_size = reader.compressed_size();
    result.uncompressed_size = reader.uncompressed_size();
    result.digest = reader.input_digest();
    result.diff_id = result.compression == Compression::None ? result.digest : prefetch.output_digest();
    return result;
}

Result<ApplyResult> apply_layer_fd(int input_fd, int target_dirfd, const ApplyOptions& options) {
    ReadFn read = [input_fd](void* buf, size_t len) -> Result<size_t> {
        ssize_t n = sys::retry_eintr([&] { return ::read(input_fd, buf, len); });
        if (n < 0) return Error::sys("read layer");
        return static_cast<size_t>(n);
    };
    return apply_layer(read, target_dirfd, options);
}

}  // namespace berth::image::layer

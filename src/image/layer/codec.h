// LayerReader / LayerWriter: the byte-stream side of layers. The reader detects gzip/zstd/
// none by magic bytes, decompresses (ISA-L igzip, libzstd) and hashes the bytes it reads in
// the same pass (the decompressed bytes are its caller's to hash: Prefetcher does, on a
// thread of its own); hand-written because libarchive's gzip filter goes through zlib,
// several times slower than igzip.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "image/content/digest.h"
#include "image/layer/layer.h"

struct inflate_state;
struct ZSTD_DCtx_s;

namespace berth::image::layer {

class LayerReader {
public:
    // hash_input=false: the bytes read are not hashed (the caller verifies them itself) and
    // input_digest() is empty, unless the stream is not compressed (it is its own diff).
    explicit LayerReader(const ReadFn& source, bool hash_input = true);
    ~LayerReader();
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    // Up to `cap` bytes of uncompressed data into buf; 0 at the end of the stream (a
    // short count is not the end). Truncated or corrupt compressed data is an error.
    Result<size_t> read(uint8_t* buf, size_t cap);

    Compression compression() const { return compression_; }
    uint64_t compressed_size() const { return compressed_size_; }
    uint64_t uncompressed_size() const { return uncompressed_size_; }
    // "sha256:<hex>" of the stream as read (the diff ID too if it is not compressed), or
    // "" (see hash_input); call once, at the end.
    std::string input_digest() { return hash_input_ ? compressed_hash_.finish().str() : std::string(); }

private:
    Result<> fill();  // more compressed input, when the buffer is used up
    Result<> detect();
    Result<size_t> inflate_gzip(uint8_t* out, size_t cap);
    Result<size_t> inflate_zstd(uint8_t* out, size_t cap);

    const ReadFn& source_;
    bool hash_input_;
    std::unique_ptr<uint8_t[]> in_;
    size_t in_pos_ = 0, in_len_ = 0;
    bool source_eof_ = false;
    bool detected_ = false;
    bool done_ = false;
    Compression compression_ = Compression::None;
    inflate_state* gzip_ = nullptr;
    ZSTD_DCtx_s* zstd_ = nullptr;
    size_t zstd_last_ = 0;  // last ZSTD_decompressStream result: 0 = frame complete
    uint64_t compressed_size_ = 0, uncompressed_size_ = 0;
    content::Sha256 compressed_hash_;
};

// LayerWriter: the write side: hashes the tar, compresses it (ISA-L deflate, libzstd) and
// hashes and writes the result to an fd.
class LayerWriter {
public:
    LayerWriter(int out_fd, const DiffOptions& options);
    ~LayerWriter();
    LayerWriter(const LayerWriter&) = delete;
    LayerWriter& operator=(const LayerWriter&) = delete;

    Result<> init();
    Result<> write(const void* data, size_t len);
    Result<> finish();

    uint64_t size() const { return written_; }
    uint64_t uncompressed_size() const { return uncompressed_; }
    // {digest of the bytes written, diff_id}; call once, after finish().
    std::pair<std::string, std::string> digests() {
        std::string d = out_hash_.finish().str();
        return {d, compression_ == Compression::None ? d : plain_hash_.finish().str()};
    }

private:
    Result<> emit(const uint8_t* data, size_t len);
    Result<> deflate(const uint8_t* data, size_t len, bool end);
    Result<> zcompress(const uint8_t* data, size_t len, bool end);

    int fd_;
    Compression compression_;
    int level_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    uint64_t written_ = 0, uncompressed_ = 0;
    content::Sha256 out_hash_, plain_hash_;
};

}  // namespace berth::image::layer

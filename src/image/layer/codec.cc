// Layer stream codecs: gzip via ISA-L igzip, zstd via libzstd, with sha256 on both sides.
#include "image/layer/codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>

#include <isa-l/igzip_lib.h>

#include "common/file.h"

namespace berth::image::layer {

namespace {
constexpr size_t kChunk = 1 << 20;
constexpr char kXzMagic[] =
    "\xfd"
    "7zXZ";  // 6 bytes with the terminating NUL
}  // namespace

std::string_view to_string(Compression c) {
    switch (c) {
        case Compression::None:
            return "none";
        case Compression::Gzip:
            return "gzip";
        case Compression::Zstd:
            return "zstd";
    }
    return "unknown";
}

LayerReader::LayerReader(const ReadFn& source, bool hash_input)
    : source_(source), hash_input_(hash_input), in_(new uint8_t[kChunk]) {}

LayerReader::~LayerReader() {
    delete gzip_;
    if (zstd_) ZSTD_freeDStream(zstd_);
}

Result<> LayerReader::fill() {
    if (in_pos_ < in_len_ || source_eof_) return ok();
    in_pos_ = in_len_ = 0;
    while (in_len_ == 0) {
        size_t n = BERTH_TRY(source_(in_.get(), kChunk));
        if (n == 0) {
            source_eof_ = true;
            break;
        }
        if (n > kChunk) return Error::internal("layer source returned more than asked");
        in_len_ = n;
    }
    if (hash_input_) compressed_hash_.update(in_.get(), in_len_);
    compressed_size_ += in_len_;
    return ok();
}

Result<> LayerReader::detect() {
    detected_ = true;
    BERTH_TRY(fill());
    // Gather at least 6 bytes for the magic numbers unless the stream is shorter.
    while (in_len_ < 6 && !source_eof_) {
        size_t n = BERTH_TRY(source_(in_.get() + in_len_, kChunk - in_len_));
        if (n == 0) {
            source_eof_ = true;
            break;
        }
        if (hash_input_) compressed_hash_.update(in_.get() + in_len_, n);
        compressed_size_ += n;
        in_len_ += n;
    }
    const uint8_t* p = in_.get();
    if (in_len_ >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        compression_ = Compression::Gzip;
        gzip_ = new inflate_state;
        isal_inflate_init(gzip_);
        gzip_->crc_flag = ISAL_GZIP;
    } else if (in_len_ >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
        compression_ = Compression::Zstd;
        zstd_ = ZSTD_createDStream();
        if (!zstd_) return Error::internal("ZSTD_createDStream failed");
        zstd_last_ = 1;
    } else if ((in_len_ >= 3 && memcmp(p, "BZh", 3) == 0) || (in_len_ >= 6 && memcmp(p, kXzMagic, 6) == 0)) {
        return Error::unsupported("layer is bzip2/xz-compressed: only gzip, zstd or none are supported");
    }
    if (compression_ == Compression::None && !hash_input_) {  // the input is the diff: hash it after all
        hash_input_ = true;
        compressed_hash_.update(in_.get(), in_len_);
    }
    return ok();
}

Result<size_t> LayerReader::inflate_gzip(uint8_t* out, size_t cap) {
    inflate_state* s = gzip_;
    s->next_out = out;
    s->avail_out = static_cast<uint32_t>(cap);
    while (s->avail_out > 0) {
        if (s->block_state == ISAL_BLOCK_FINISH) {
            // One gzip member ended: the stream may hold another (concatenated gzip).
            BERTH_TRY(fill());
            if (in_pos_ >= in_len_) {
                done_ = true;
                break;
            }
            if (in_.get()[in_pos_] != 0x1f)
                return Error::invalid("gzip: trailing garbage after the compressed stream");
            uint32_t avail_out = s->avail_out;
            isal_inflate_reset(s);
            s->crc_flag = ISAL_GZIP;
            s->next_out = out + (cap - avail_out);
            s->avail_out = avail_out;
        }
        if (in_pos_ >= in_len_) {
            BERTH_TRY(fill());
            if (in_pos_ >= in_len_) return Error::invalid("gzip: unexpected end of stream (truncated layer)");
        }
        s->next_in = in_.get() + in_pos_;
        s->avail_in = static_cast<uint32_t>(in_len_ - in_pos_);
        uint32_t before_out = s->avail_out;
        int rc = isal_inflate(s);
        in_pos_ = in_len_ - s->avail_in;
        if (rc < 0) {
            return Error::invalid(rc == ISAL_INCORRECT_CHECKSUM
                                      ? "gzip: CRC mismatch (corrupt layer)"
                                      : "gzip: corrupt data (isal error " + std::to_string(rc) + ")");
        }
        // Return what we have rather than blocking on more input once something came out.
        if (s->avail_out != before_out && in_pos_ >= in_len_ && s->block_state != ISAL_BLOCK_FINISH) break;
    }
    return cap - s->avail_out;
}

Result<size_t> LayerReader::inflate_zstd(uint8_t* dst, size_t cap) {
    ZSTD_outBuffer out{dst, cap, 0};
    while (out.pos < out.size) {
        if (in_pos_ >= in_len_) {
            BERTH_TRY(fill());
            if (in_pos_ >= in_len_) {
                if (zstd_last_ != 0 && out.pos == 0)
                    return Error::invalid("zstd: unexpected end of stream (truncated layer)");
                if (zstd_last_ == 0) done_ = true;
                break;
            }
        }
        ZSTD_inBuffer in{in_.get() + in_pos_, in_len_ - in_pos_, 0};
        size_t rc = ZSTD_decompressStream(zstd_, &out, &in);
        in_pos_ += in.pos;
        if (ZSTD_isError(rc)) return Error::invalid(std::string("zstd: ") + ZSTD_getErrorName(rc));
        zstd_last_ = rc;
        if (out.pos > 0 && in_pos_ >= in_len_) break;
    }
    return out.pos;
}

Result<size_t> LayerReader::read(uint8_t* buf, size_t cap) {
    if (!detected_) BERTH_TRY(detect());
    if (done_ || cap == 0) return size_t{0};
    size_t n = 0;
    if (compression_ == Compression::None) {
        BERTH_TRY(fill());
        n = std::min(cap, in_len_ - in_pos_);
        if (n == 0) done_ = true;
        memcpy(buf, in_.get() + in_pos_, n);
        in_pos_ += n;
    } else {
        n = compression_ == Compression::Gzip ? BERTH_TRY(inflate_gzip(buf, cap))
                                              : BERTH_TRY(inflate_zstd(buf, cap));
    }
    uncompressed_size_ += n;
    return n;
}

// ---- writer ----

struct LayerWriter::Impl {
    isal_zstream gz{};
    std::unique_ptr<uint8_t[]> level_buf;
    ZSTD_CCtx* zstd = nullptr;
    std::unique_ptr<uint8_t[]> out{new uint8_t[kChunk]};
    ~Impl() {
        if (zstd) ZSTD_freeCCtx(zstd);
    }
};

LayerWriter::LayerWriter(int out_fd, const DiffOptions& options)
    : fd_(out_fd), compression_(options.compression), level_(options.level), impl_(new Impl) {}

LayerWriter::~LayerWriter() = default;

Result<> LayerWriter::init() {
    if (compression_ == Compression::Gzip) {
        static const uint32_t kLevelBuf[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                             ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
        if (level_ < 0 || level_ > 3) return Error::invalid("gzip level must be 0..3 (ISA-L)");
        isal_deflate_init(&impl_->gz);
        impl_->gz.gzip_flag = IGZIP_GZIP;
        impl_->gz.level = static_cast<uint32_t>(level_);
        impl_->gz.level_buf_size = kLevelBuf[level_];
        impl_->level_buf.reset(new uint8_t[kLevelBuf[level_]]);
        impl_->gz.level_buf = impl_->level_buf.get();
    } else if (compression_ == Compression::Zstd) {
        impl_->zstd = ZSTD_createCCtx();
        if (!impl_->zstd) return Error::internal("ZSTD_createCCtx failed");
        ZSTD_CCtx_setParameter(impl_->zstd, ZSTD_c_compressionLevel, level_);
    }
    return ok();
}

Result<> LayerWriter::emit(const uint8_t* data, size_t len) {
    if (len == 0) return ok();
    out_hash_.update(data, len);
    written_ += len;
    return write_all(fd_, std::string_view(reinterpret_cast<const char*>(data), len), "layer output");
}

Result<> LayerWriter::deflate(const uint8_t* data, size_t len, bool end) {
    isal_zstream& z = impl_->gz;
    z.next_in = const_cast<uint8_t*>(data);
    z.avail_in = static_cast<uint32_t>(len);
    z.end_of_stream = end ? 1 : 0;
    z.flush = NO_FLUSH;
    do {
        z.next_out = impl_->out.get();
        z.avail_out = kChunk;
        if (isal_deflate(&z) != COMP_OK) return Error::internal("isal_deflate failed");
        BERTH_TRY(emit(impl_->out.get(), kChunk - z.avail_out));
    } while (z.avail_in > 0 || (end && z.internal_state.state != ZSTATE_END));
    return ok();
}

Result<> LayerWriter::zcompress(const uint8_t* data, size_t len, bool end) {
    ZSTD_inBuffer in{data, len, 0};
    while (true) {
        ZSTD_outBuffer out{impl_->out.get(), kChunk, 0};
        size_t rc = ZSTD_compressStream2(impl_->zstd, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(rc)) return Error::internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
        BERTH_TRY(emit(impl_->out.get(), out.pos));
        if (end ? rc == 0 : in.pos == in.size) return ok();
    }
}

Result<> LayerWriter::write(const void* data, size_t len) {
    auto* p = static_cast<const uint8_t*>(data);
    uncompressed_ += len;
    switch (compression_) {
        case Compression::None:
            return emit(p, len);
        case Compression::Gzip:
            plain_hash_.update(p, len);
            // isal_zstream counts in uint32_t: feed at most 1 GiB per call.
            while (len > 0) {
                size_t n = std::min(len, size_t{1} << 30);
                BERTH_TRY(deflate(p, n, false));
                p += n;
                len -= n;
            }
            return ok();
        case Compression::Zstd:
            plain_hash_.update(p, len);
            return zcompress(p, len, false);
    }
    return ok();
}

Result<> LayerWriter::finish() {
    if (compression_ == Compression::Gzip) return deflate(nullptr, 0, true);
    if (compression_ == Compression::Zstd) return zcompress(nullptr, 0, true);
    return ok();
}

}  // namespace berth::image::layer

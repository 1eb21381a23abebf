// Prefetcher: runs LayerReader (read, hash, decompress) on its own thread, a few chunks
// ahead of the tar parser and the file writes, as `tar -xz` overlaps gzip with tar. A third
// thread hashes the decompressed chunks (the diff ID) while the parser reads them: on a
// layer both sides are busy, and that hash would otherwise lengthen the slower one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "image/content/digest.h"
#include "image/layer/codec.h"

namespace berth::image::layer {

class Prefetcher {
public:
    // threaded=false reads (and hashes) inline: same results, one core. The chunks handed
    // out are hashed unless the stream is not compressed (the reader's input digest is then
    // the diff ID already).
    Prefetcher(LayerReader& reader, bool threaded);
    ~Prefetcher();  // stops and joins the threads
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // The next chunk (valid until the next call); empty at the end of the stream.
    Result<std::span<const uint8_t>> next();
    // Consumes the rest; afterwards the reader is idle and the digests final.
    Result<> drain();
    // After drain(), for a compressed stream: "sha256:<hex>" of its output.
    std::string output_digest() { return out_hash_.finish().str(); }

private:
    static constexpr size_t kSlots = 4;
    static constexpr size_t kSlotSize = 1 << 20;

    void produce();
    void hash();
    bool hashing() const;       // the output is hashed here, on a thread or inline
    uint64_t released() const;  // slots both the hasher and the consumer are done with (mu_)

    LayerReader& reader_;
    const bool threaded_;
    std::unique_ptr<uint8_t[]> slots_[kSlots];
    size_t lens_[kSlots] = {};
    std::mutex mu_;
    std::condition_variable cv_;
    // Counts since the start; slot k % kSlots holds chunk k.
    uint64_t filled_ = 0;    // chunks the producer has written
    uint64_t hashed_ = 0;    // chunks the hasher is done with
    uint64_t consumed_ = 0;  // chunks the consumer has given back
    bool holding_ = false;   // the consumer holds chunk consumed_
    bool eof_ = false;
    bool stop_ = false;
    std::optional<Error> error_;
    content::Sha256 out_hash_;
    std::thread producer_, hasher_;
};

}  // namespace berth::image::layer

// Prefetcher: runs LayerReader (read, hash, decompress, hash) on its own thread, a few
// chunks ahead of the tar parser and the file writes, as `tar -xz` overlaps gzip with tar.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "image/layer/codec.h"

namespace berth::image::layer {

class Prefetcher {
public:
    // threaded=false reads inline (same results, one core).
    Prefetcher(LayerReader& reader, bool threaded);
    ~Prefetcher();  // stops and joins the thread
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // The next chunk (valid until the next call); empty at the end of the stream.
    Result<std::span<const uint8_t>> next();
    // Consumes the rest; afterwards the reader is idle and its digests final.
    Result<> drain();

private:
    static constexpr size_t kSlots = 4;
    static constexpr size_t kSlotSize = 1 << 20;

    void run();

    LayerReader& reader_;
    bool threaded_;
    std::unique_ptr<uint8_t[]> slots_[kSlots];
    size_t lens_[kSlots] = {};
    std::mutex mu_;
    std::condition_variable cv_;
    size_t head_ = 0;   // the slot handed to (or next for) the consumer
    size_t count_ = 0;  // filled slots, including the one the consumer holds
    bool holding_ = false;
    bool eof_ = false;
    bool stop_ = false;
    std::optional<Error> error_;
    std::thread thread_;
};

}  // namespace berth::image::layer

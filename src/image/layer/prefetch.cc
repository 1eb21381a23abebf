// Prefetcher: a bounded ring of decompressed chunks between threads (prefetch.h).
#include "image/layer/prefetch.h"

#include <algorithm>

namespace berth::image::layer {

Prefetcher::Prefetcher(LayerReader& reader, bool threaded) : reader_(reader), threaded_(threaded) {
    for (auto& s : slots_) s.reset(new uint8_t[kSlotSize]);
    if (!threaded_) return;
    producer_ = std::thread([this] { produce(); });
    hasher_ = std::thread([this] { hash(); });
}

Prefetcher::~Prefetcher() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (producer_.joinable()) producer_.join();
    if (hasher_.joinable()) hasher_.join();
}

bool Prefetcher::hashing() const {
    return reader_.compression() != Compression::None;
}

uint64_t Prefetcher::released() const {
    return std::min(hashed_, consumed_);
}

void Prefetcher::produce() {
    while (true) {
        size_t slot;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || filled_ - released() < kSlots; });
            if (stop_) return;
            slot = filled_ % kSlots;
        }
        // The slot is free: only this thread touches it until filled_ grows.
        Result<size_t> n = Error::internal("layer reader threw");
        try {
            n = reader_.read(slots_[slot].get(), kSlotSize);
        } catch (...) {
        }
        std::lock_guard lock(mu_);
        if (!n || *n == 0) {
            if (!n) error_ = std::move(n).error();
            eof_ = true;
            cv_.notify_all();
            return;
        }
        lens_[slot] = *n;
        ++filled_;
        cv_.notify_all();
    }
}

void Prefetcher::hash() {
    while (true) {
        size_t slot;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || hashed_ < filled_ || eof_; });
            if (stop_ || hashed_ == filled_) return;  // stopped, or at the end
            slot = hashed_ % kSlots;
        }
        // The reader detected the compression before it filled the first chunk.
        if (hashing()) out_hash_.update(slots_[slot].get(), lens_[slot]);
        std::lock_guard lock(mu_);
        ++hashed_;
        cv_.notify_all();
    }
}

Result<std::span<const uint8_t>> Prefetcher::next() {
    if (!threaded_) {
        size_t n = BERTH_TRY(reader_.read(slots_[0].get(), kSlotSize));
        if (hashing()) out_hash_.update(slots_[0].get(), n);
        return std::span<const uint8_t>(slots_[0].get(), n);
    }
    std::unique_lock lock(mu_);
    if (holding_) {  // the previous chunk goes back to the producer
        holding_ = false;
        ++consumed_;
        cv_.notify_all();
    }
    cv_.wait(lock, [this] { return consumed_ < filled_ || eof_; });
    if (consumed_ < filled_) {
        holding_ = true;
        size_t slot = consumed_ % kSlots;
        return std::span<const uint8_t>(slots_[slot].get(), lens_[slot]);
    }
    if (error_) return *error_;
    return std::span<const uint8_t>();
}

Result<> Prefetcher::drain() {
    while (true) {
        auto chunk = BERTH_TRY(next());
        if (chunk.empty()) break;
    }
    // Both threads return by themselves at the end of the stream.
    if (producer_.joinable()) producer_.join();
    if (hasher_.joinable()) hasher_.join();
    return ok();
}

}  // namespace berth::image::layer

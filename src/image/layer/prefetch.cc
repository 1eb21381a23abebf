// Prefetcher: a bounded ring of decompressed chunks between two threads.
#include "image/layer/prefetch.h"

namespace berth::image::layer {

Prefetcher::Prefetcher(LayerReader& reader, bool threaded) : reader_(reader), threaded_(threaded) {
    for (auto& s : slots_) s.reset(new uint8_t[kSlotSize]);
    if (threaded_) thread_ = std::thread([this] { run(); });
}

Prefetcher::~Prefetcher() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void Prefetcher::run() {
    size_t tail = 0;
    while (true) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || count_ < kSlots; });
            if (stop_) return;
        }
        // The slot at `tail` is free: only this thread touches it until count_ grows.
        Result<size_t> n = Error::internal("layer reader threw");
        try {
            n = reader_.read(slots_[tail].get(), kSlotSize);
        } catch (...) {
        }
        std::lock_guard lock(mu_);
        if (!n || *n == 0) {
            if (!n) error_ = std::move(n).error();
            eof_ = true;
            cv_.notify_all();
            return;
        }
        lens_[tail] = *n;
        ++count_;
        tail = (tail + 1) % kSlots;
        cv_.notify_all();
    }
}

Result<std::span<const uint8_t>> Prefetcher::next() {
    if (!threaded_) {
        size_t n = BERTH_TRY(reader_.read(slots_[0].get(), kSlotSize));
        return std::span<const uint8_t>(slots_[0].get(), n);
    }
    std::unique_lock lock(mu_);
    if (holding_) {  // the previous chunk goes back to the producer
        holding_ = false;
        head_ = (head_ + 1) % kSlots;
        --count_;
        cv_.notify_all();
    }
    cv_.wait(lock, [this] { return count_ > 0 || eof_; });
    if (count_ > 0) {
        holding_ = true;
        return std::span<const uint8_t>(slots_[head_].get(), lens_[head_]);
    }
    if (error_) return *error_;
    return std::span<const uint8_t>();
}

Result<> Prefetcher::drain() {
    while (true) {
        auto chunk = BERTH_TRY(next());
        if (chunk.empty()) break;
    }
    if (thread_.joinable()) thread_.join();  // it has returned after eof_
    return ok();
}

}  // namespace berth::image::layer

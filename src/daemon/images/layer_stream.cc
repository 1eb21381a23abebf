// LayerStream: the hand-over between a layer's download and its extraction (layer_stream.h).
#include "daemon/images/layer_stream.h"

#include <algorithm>
#include <cstring>

namespace berth::daemon::images {

Result<> LayerStream::push(std::string_view data) {
    std::unique_lock lock(mu_);
    while (!data.empty()) {
        cv_.wait(lock, [&] { return cancelled_ || size_ < capacity_; });
        if (cancelled_) return Error::internal("layer extraction stopped");
        // The free space runs from the tail to the end of the ring, then from its start.
        size_t tail = (head_ + size_) % capacity_;
        size_t n = std::min(data.size(), std::min(capacity_ - size_, capacity_ - tail));
        memcpy(ring_.get() + tail, data.data(), n);
        size_ += n;
        data.remove_prefix(n);
        cv_.notify_all();
    }
    return ok();
}

void LayerStream::finish(std::optional<Error> error) {
    std::lock_guard lock(mu_);
    done_ = true;
    error_ = std::move(error);
    cv_.notify_all();
}

Result<size_t> LayerStream::read(void* buf, size_t len) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return size_ > 0 || done_ || cancelled_; });
    if (size_ > 0) {
        size_t n = std::min(len, std::min(size_, capacity_ - head_));
        memcpy(buf, ring_.get() + head_, n);
        head_ = (head_ + n) % capacity_;
        size_ -= n;
        cv_.notify_all();
        return n;
    }
    if (cancelled_) return Error::internal("layer extraction stopped");
    if (error_) return *error_;
    return size_t{0};
}

void LayerStream::cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
}

}  // namespace berth::daemon::images

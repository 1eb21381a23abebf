// LayerStream: the hand-over between a layer's download and its extraction (layer_stream.h).
#include "daemon/images/layer_stream.h"

#include <cstring>

namespace berth::daemon::images {

Result<> LayerStream::push(std::string_view data) {
    std::unique_lock lock(mu_);
    if (cancelled_) return Error::internal("layer extraction stopped");
    if (spilled_) return ok();
    if (!attached_ && buffered_ + data.size() > limit_) {
        spilled_ = true;
        chunks_.clear();
        buffered_ = 0;
        offset_ = 0;
        return ok();
    }
    cv_.wait(lock, [&] { return cancelled_ || !attached_ || buffered_ < limit_; });
    if (cancelled_) return Error::internal("layer extraction stopped");
    chunks_.emplace_back(data);
    buffered_ += data.size();
    cv_.notify_all();
    return ok();
}

void LayerStream::finish(std::optional<Error> error) {
    std::lock_guard lock(mu_);
    done_ = true;
    error_ = std::move(error);
    cv_.notify_all();
}

bool LayerStream::attach() {
    std::lock_guard lock(mu_);
    attached_ = !spilled_;
    return attached_;
}

Result<size_t> LayerStream::read(void* buf, size_t len) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || done_ || cancelled_; });
    if (!chunks_.empty()) {
        auto& front = chunks_.front();
        size_t n = std::min(len, front.size() - offset_);
        memcpy(buf, front.data() + offset_, n);
        offset_ += n;
        buffered_ -= n;
        if (offset_ == front.size()) {
            chunks_.pop_front();
            offset_ = 0;
        }
        cv_.notify_all();
        return n;
    }
    if (cancelled_) return Error::internal("layer extraction stopped");
    if (error_) return *error_;
    return size_t{0};
}

std::optional<Error> LayerStream::wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return error_;
}

void LayerStream::cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
}

}  // namespace berth::daemon::images

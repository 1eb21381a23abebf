// Private to the image service: hands one layer's bytes from the thread downloading it to the
// thread unpacking it, so a layer is hashed, decompressed and extracted as it arrives.
// A ring buffer of fixed size (allocated once, no per-chunk heap churn): the download
// blocks while it is full, the reader while it is empty.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "common/error.h"

namespace berth::daemon::images {

class LayerStream {
public:
    explicit LayerStream(size_t capacity) : ring_(new char[capacity]), capacity_(capacity) {}

    // Download side. Blocks while the reader is behind; fails once the reader gave up.
    Result<> push(std::string_view data);
    // Download side, once: the download ended (verified and committed, or failed).
    void finish(std::optional<Error> error);

    // Reader side. Next bytes; 0 at the end of the download (after finish without error).
    Result<size_t> read(void* buf, size_t len);
    // Either side gives up: push() and read() fail from now on.
    void cancel();

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::unique_ptr<char[]> ring_;
    size_t capacity_;
    size_t head_ = 0;  // next byte to read
    size_t size_ = 0;  // bytes buffered
    bool done_ = false, cancelled_ = false;
    std::optional<Error> error_;
};

}  // namespace berth::daemon::images

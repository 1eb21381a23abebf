// Private to the image service: hands one layer's bytes from the thread downloading it to the
// thread unpacking it, so a layer is hashed, decompressed and extracted as it arrives.
//
// The download side pushes chunks; if nobody reads yet (an earlier layer is still being
// unpacked) they are kept up to a limit, past which the stream "spills": the reader then
// waits for the download to finish and reads the verified blob from the content store.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"

namespace berth::daemon::images {

class LayerStream {
public:
    explicit LayerStream(size_t limit) : limit_(limit) {}

    // Download side. Blocks while a live reader is behind; fails once the reader gave up.
    Result<> push(std::string_view data);
    // Download side, once: the download ended (verified and committed, or failed).
    void finish(std::optional<Error> error);

    // Reader side. Attaches; returns false if the stream spilled (read the blob instead).
    bool attach();
    // Next bytes; 0 at the end of the download (after finish without error).
    Result<size_t> read(void* buf, size_t len);
    // Waits for the download to end; its error if it failed.
    std::optional<Error> wait();
    // The reader gives up: push() fails from now on, so the download stops.
    void cancel();

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> chunks_;
    size_t offset_ = 0;  // into chunks_.front()
    size_t buffered_ = 0;
    size_t limit_;
    bool attached_ = false, spilled_ = false, done_ = false, cancelled_ = false;
    std::optional<Error> error_;
};

}  // namespace berth::daemon::images

// The json-file log driver's writer (Docker's format, one JSON object per line:
// {"log":"text\n","stream":"stdout","time":"2024-...Z"}), with max-size/max-file rotation
// (file, file.1, file.2, ...), as dockerd's jsonfilelog does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"

namespace berth::shim {

class JsonLogWriter {
public:
    JsonLogWriter() = default;
    Result<> open(const std::string& path, int64_t max_size, int max_file);
    // Appends `data` from `stream` ("stdout"/"stderr"); splits at newlines, keeps partial
    // lines buffered per stream until a newline or flush().
    void write(int stream, std::string_view data);
    void flush();
    bool enabled() const { return fd_.valid(); }

private:
    void emit(int stream, std::string_view line);
    void rotate();

    std::string path_;
    UniqueFd fd_;
    int64_t max_size_ = -1;
    int max_file_ = 1;
    int64_t size_ = 0;
    std::string partial_[3];
};

}  // namespace berth::shim

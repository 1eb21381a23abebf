#include "shim/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "common/file.h"
#include "common/go_json.h"
#include "shim/clock.h"

namespace berth::shim {

namespace {
// Docker splits long lines: a partial line is flushed once it reaches 16 KiB.
constexpr size_t kMaxLine = 16 * 1024;
}  // namespace

Result<> JsonLogWriter::open(const std::string& path, int64_t max_size, int max_file) {
    path_ = path;
    max_size_ = max_size;
    max_file_ = max_file < 1 ? 1 : max_file;
    fd_ = BERTH_TRY(open_file(path, O_WRONLY | O_CREAT | O_APPEND, 0640));
    struct stat st;
    if (fstat(fd_.get(), &st) == 0) size_ = st.st_size;
    return ok();
}

void JsonLogWriter::write(int stream, std::string_view data) {
    if (!fd_ || stream < 1 || stream > 2) return;
    std::string& buf = partial_[stream];
    while (!data.empty()) {
        auto nl = data.find('\n');
        if (nl == std::string_view::npos) {
            buf.append(data);
            if (buf.size() >= kMaxLine) {
                emit(stream, buf);
                buf.clear();
            }
            return;
        }
        buf.append(data.substr(0, nl + 1));
        emit(stream, buf);
        buf.clear();
        data.remove_prefix(nl + 1);
    }
}

void JsonLogWriter::flush() {
    for (int s = 1; s <= 2; ++s)
        if (!partial_[s].empty()) {
            emit(s, partial_[s]);
            partial_[s].clear();
        }
}

void JsonLogWriter::emit(int stream, std::string_view line) {
    std::string rec = "{\"log\":";
    append_go_json_string(rec, line, true);
    rec += stream == 1 ? ",\"stream\":\"stdout\",\"time\":\"" : ",\"stream\":\"stderr\",\"time\":\"";
    rec += rfc3339_nano_now();
    rec += "\"}\n";
    if (max_size_ > 0 && size_ + static_cast<int64_t>(rec.size()) > max_size_ && size_ > 0) rotate();
    if (write_all(fd_.get(), rec, path_)) size_ += static_cast<int64_t>(rec.size());
}

void JsonLogWriter::rotate() {
    if (max_file_ <= 1) {
        // Like dockerd with max-file=1: the file is truncated and starts again.
        if (ftruncate(fd_.get(), 0) == 0) size_ = 0;
        return;
    }
    for (int i = max_file_ - 1; i >= 1; --i) {
        std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
        std::string to = path_ + "." + std::to_string(i);
        (void)::rename(from.c_str(), to.c_str());  // ENOENT: that older file does not exist yet
    }
    auto fd = open_file(path_, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640);
    if (fd) {
        fd_ = std::move(*fd);
        size_ = 0;
    }
}

}  // namespace berth::shim

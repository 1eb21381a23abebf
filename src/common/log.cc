#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "common/json.h"

namespace berth::log {

namespace {
Level g_level = Level::Warn;
int g_fd = 2;
bool g_json = false;

const char* name(Level l) {
    switch (l) {
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warning";
        case Level::Error:
            return "error";
    }
    return "?";
}
}  // namespace

void set_level(Level level) {
    g_level = level;
}
Level level() {
    return g_level;
}

bool parse_level(std::string_view n, Level* out) {
    if (n == "debug")
        *out = Level::Debug;
    else if (n == "info")
        *out = Level::Info;
    else if (n == "warn" || n == "warning")
        *out = Level::Warn;
    else if (n == "error" || n == "fatal" || n == "panic")
        *out = Level::Error;
    else
        return false;
    return true;
}

bool set_file(const std::string& path) {
    if (path.empty()) {
        g_fd = 2;
        return true;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    g_fd = fd;
    return true;
}

void set_json(bool json) {
    g_json = json;
}

void write(Level level, std::string_view msg) {
    if (level < g_level) return;
    std::string line;
    if (g_json) {
        char ts[64];
        time_t now = time(nullptr);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        line = dump_json(Json{{"level", name(level)}, {"msg", msg}, {"time", ts}}) + "\n";
    } else {
        line = std::string(name(level)) + ": " + std::string(msg) + "\n";
    }
    ssize_t r = ::write(g_fd, line.data(), line.size());
    (void)r;  // a log that cannot be written has nowhere to report it
}

}  // namespace berth::log

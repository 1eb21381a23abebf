// docker's go-units and formatter helpers, same thresholds and wording.
#include "cli/commands/humanize.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

#include "cli/format/value.h"

namespace berth::cli {

std::string human_duration(int64_t s) {
    char buf[64];
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%lld seconds", static_cast<long long>(s));
        return buf;
    }
    int64_t minutes = s / 60;
    if (minutes == 1) return "About a minute";
    if (minutes < 60) {
        std::snprintf(buf, sizeof buf, "%lld minutes", static_cast<long long>(minutes));
        return buf;
    }
    int64_t hours = static_cast<int64_t>(static_cast<double>(s) / 3600.0 + 0.5);
    if (hours == 1) return "About an hour";
    if (hours < 48) {
        std::snprintf(buf, sizeof buf, "%lld hours", static_cast<long long>(hours));
        return buf;
    }
    if (hours < 24 * 7 * 2) {
        std::snprintf(buf, sizeof buf, "%lld days", static_cast<long long>(hours / 24));
        return buf;
    }
    if (hours < 24 * 30 * 2) {
        std::snprintf(buf, sizeof buf, "%lld weeks", static_cast<long long>(hours / 24 / 7));
        return buf;
    }
    if (hours < 24 * 365 * 2) {
        std::snprintf(buf, sizeof buf, "%lld months", static_cast<long long>(hours / 24 / 30));
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%lld years",
                  static_cast<long long>(static_cast<double>(s) / 3600 / 24 / 365));
    return buf;
}

namespace {
std::string sized(double size, double base, const char* const* units) {
    int i = 0;
    while (size >= base && i < 8) {
        size /= base;
        ++i;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g%s", size, units[i]);
    return buf;
}
}  // namespace

std::string human_size(double bytes, int precision) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    int i = 0;
    double size = bytes;
    while (size >= 1000 && i < 8) {
        size /= 1000;
        ++i;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, units[i]);
    return buf;
}

std::string bytes_size(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    return sized(bytes, 1024, units);
}

std::string short_id(std::string_view id) {
    if (auto c = id.find(':'); c != std::string_view::npos) id = id.substr(c + 1);
    return std::string(id.substr(0, 12));
}

std::string ellipsis(std::string_view s, size_t width) {
    if (format::rune_count(s) <= width) return std::string(s);
    if (width == 0) return "";
    // Cut after width-1 runes.
    size_t runes = 0, i = 0;
    while (i < s.size() && runes < width - 1) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        ++runes;
    }
    return std::string(s.substr(0, std::min(i, s.size()))) + "…";
}

std::string go_time_string(int64_t unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64], off[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    std::strftime(off, sizeof off, "%z", &tm);
    std::string zone = tm.tm_zone ? tm.tm_zone : "UTC";
    return std::string(buf) + " " + off + " " + zone;
}

int64_t parse_rfc3339(std::string_view s) {
    struct tm tm {};
    int y, mo, d, h, mi, sec;
    if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    int64_t t = timegm(&tm);
    // Zone offset after the seconds (and fraction).
    size_t p = s.find('T');
    size_t z = s.find_first_of("Z+-", p == std::string_view::npos ? 0 : p);
    if (z != std::string_view::npos && s[z] != 'Z') {
        int oh = 0, om = 0;
        std::sscanf(std::string(s.substr(z + 1)).c_str(), "%d:%d", &oh, &om);
        int64_t off = oh * 3600 + om * 60;
        t += s[z] == '+' ? -off : off;
    }
    return t;
}

int64_t now_seconds() {
    return static_cast<int64_t>(std::time(nullptr));
}

std::string since_value(const std::string& s) {
    if (s.empty()) return s;
    // A Go duration ("10m", "1h30m", "90s"): relative to now.
    bool duration = true;
    double total = 0, num = 0;
    bool have_num = false;
    std::string digits;
    for (size_t i = 0; i < s.size() && duration; ++i) {
        char c = s[i];
        if ((c >= '0' && c <= '9') || c == '.') {
            digits += c;
            continue;
        }
        if (digits.empty()) {
            duration = false;
            break;
        }
        num = std::atof(digits.c_str());
        digits.clear();
        have_num = true;
        if (c == 'h')
            total += num * 3600;
        else if (c == 's')
            total += num;
        else if (c == 'm' && i + 1 < s.size() && s[i + 1] == 's') {
            total += num / 1000;
            ++i;
        } else if (c == 'm')
            total += num * 60;
        else
            duration = false;
    }
    if (duration && have_num && digits.empty())
        return std::to_string(now_seconds() - static_cast<int64_t>(total));
    if (s.find('-') != std::string::npos && s.find('T') != std::string::npos) {
        int64_t t = parse_rfc3339(s);
        if (t >= 0) return std::to_string(t);
    }
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        int64_t t = parse_rfc3339(s + "T00:00:00Z");
        if (t >= 0) return std::to_string(t);
    }
    return s;  // a unix timestamp (with optional fraction) passes through
}

}  // namespace berth::cli

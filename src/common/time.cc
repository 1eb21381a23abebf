#include "common/time.h"

#include <time.h>

#include <climits>
#include <cstdio>

namespace berth {

int64_t now_unix_nanos() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string format_rfc3339_nano(int64_t unix_nanos) {
    time_t sec = unix_nanos / 1000000000;
    long nsec = unix_nanos % 1000000000;
    if (nsec < 0) sec -= 1, nsec += 1000000000;
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[96];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%09ldZ", nsec);
    return buf;
}

std::string now_rfc3339_nano() {
    return format_rfc3339_nano(now_unix_nanos());
}

Result<int64_t> parse_rfc3339(std::string_view s) {
    if (s == kZeroTime) return int64_t(INT64_MIN);
    auto bad = [&] { return Error::invalid("invalid RFC 3339 time \"" + std::string(s) + "\""); };
    std::string str(s);
    struct tm tm = {};
    const char* p = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) return bad();
    int64_t nanos = 0;
    if (*p == '.') {
        ++p;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) nanos = nanos * 10 + (*p - '0'), ++digits;
            ++p;
        }
        if (digits == 0) return bad();
        for (; digits < 9; ++digits) nanos *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z') {
        ++p;
    } else if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return bad();
        offset = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return bad();
    }
    if (*p) return bad();
    int64_t sec = int64_t(timegm(&tm)) - offset;
    return sec * 1000000000 + nanos;
}

}  // namespace berth

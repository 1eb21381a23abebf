#include "shim/clock.h"

#include <time.h>

namespace berth::shim {

namespace {

void put(char*& p, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += width;
}

}  // namespace

std::string rfc3339_nano(int64_t unix_nanos) {
    int64_t sec = unix_nanos / 1000000000;
    int64_t nsec = unix_nanos % 1000000000;
    if (nsec < 0) sec -= 1, nsec += 1000000000;
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) days -= 1, rem += 86400;
    // Days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year eras that
    // start on March 1st (so the leap day ends a year).
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);

    char buf[40];
    char* p = buf;
    put(p, year, 4);
    *p++ = '-';
    put(p, month, 2);
    *p++ = '-';
    put(p, day, 2);
    *p++ = 'T';
    put(p, rem / 3600, 2);
    *p++ = ':';
    put(p, rem / 60 % 60, 2);
    *p++ = ':';
    put(p, rem % 60, 2);
    *p++ = '.';
    put(p, nsec, 9);
    *p++ = 'Z';
    return std::string(buf, p);
}

std::string rfc3339_nano_now() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return rfc3339_nano(int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

}  // namespace berth::shim

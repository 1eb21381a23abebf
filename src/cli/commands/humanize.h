// Internal: docker's go-units humanising (durations, sizes) and the small text helpers of
// docker's formatters (truncated IDs, ellipsis, Go time printing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.h"

namespace berth::cli {

// units.HumanDuration: "Less than a second", "3 seconds", "About a minute", "2 hours", ...
std::string human_duration(int64_t seconds);
// units.HumanSizeWithPrecision(size, precision): "0B", "4.26MB", "1.2kB" (powers of 1000);
// docker's list commands use precision 3, units.HumanSize (system df) 4.
std::string human_size(double bytes, int precision = 3);
// units.BytesSize: "4.26MiB" (powers of 1024), as `system df -v`/`stats` use.
std::string bytes_size(double bytes);
// "sha256:abc..." -> "abc..." cut to 12 characters.
std::string short_id(std::string_view id);
// docker's formatter.Ellipsis: cut to width-1 runes plus "…".
std::string ellipsis(std::string_view s, size_t width);
// time.Unix(sec).String() in local time: "2024-01-02 15:04:05 +0000 UTC".
std::string go_time_string(int64_t unix_seconds);
// RFC 3339 with nanoseconds ("2024-01-02T15:04:05.123456789Z") to unix seconds; -1 on error.
int64_t parse_rfc3339(std::string_view s);
// "10m", "1h30m", RFC 3339 or a unix timestamp to the API's "since" value (seconds).
std::string since_value(const std::string& s);
int64_t now_seconds();

}  // namespace berth::cli

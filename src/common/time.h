// Timestamps as Docker writes them: RFC 3339 with nanoseconds in UTC
// ("2026-11-27T22:08:35.123456789Z"), Go's zero time for "never", and parsing back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth {

// Go's zero time.Time, which Docker prints for StartedAt/FinishedAt before they happen.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

int64_t now_unix_nanos();
std::string format_rfc3339_nano(int64_t unix_nanos);
std::string now_rfc3339_nano();
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)"; kZeroTime parses to INT64_MIN.
Result<int64_t> parse_rfc3339(std::string_view s);

}  // namespace berth

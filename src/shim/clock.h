// Docker's timestamps (RFC 3339, nanoseconds, UTC: "2026-11-27T22:08:35.123456789Z") for the
// monitor, without gmtime/strftime: in a static binary those read /etc/localtime and pull in
// the locale code, which an idle monitor would keep mapped. The output is byte-for-byte that
// of common/time.h's format_rfc3339_nano (shim_test checks it).
#pragma once

#include <cstdint>
#include <string>

namespace berth::shim {

std::string rfc3339_nano(int64_t unix_nanos);
std::string rfc3339_nano_now();

}  // namespace berth::shim

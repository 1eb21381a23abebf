// Base64 (RFC 4648) as Docker's credentials use it: config.json "auth" values and Basic
// auth in the standard alphabet, X-Registry-Auth headers in the URL alphabet.
//
//   base64_encode("u:p")              -> "dTpw"
//   base64_encode(json, /*url=*/true) -> padded, '-' and '_'
//   base64_decode(s)                  -> either alphabet, padding and line breaks optional
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace berth {

std::string base64_encode(std::string_view data, bool url = false);
// Fails on any other character and on a truncated final group.
Result<std::string> base64_decode(std::string_view data);

}  // namespace berth

// String helpers every component needs, written once (ASCII only: names, flags, headers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Splits on `sep`; empty fields are dropped unless `skip_empty` is false ("a,,b" -> a, "", b).
std::vector<std::string> split(std::string_view s, char sep, bool skip_empty = true);
// Without leading and trailing characters of `chars` (ASCII whitespace by default).
std::string trim(std::string_view s, std::string_view chars = " \t\r\n\v\f");
bool starts_with(std::string_view s, std::string_view prefix);
// ASCII lower case (names, units, header fields); other bytes are left as they are.
std::string to_lower(std::string_view s);

}  // namespace berth

// String helpers every component needs, written once (ASCII rules: names, flags, headers,
// URLs; decode_utf8 for the few places that must step over UTF-8).
#pragma once

#include <cstdint>
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
// Percent-encodes every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - _ . ~) and those in
// `keep` ("/" for a path), upper-case hex; with `space_as_plus` a space is '+' (Go's
// url.QueryEscape, for the CLI's urlquery template function).
std::string percent_encode(std::string_view s, std::string_view keep = {}, bool space_as_plus = false);
// Decodes the UTF-8 sequence at s[i] into `cp`: its length, or 0 when it is invalid (a bad
// lead or continuation byte, truncated, overlong, a surrogate or past U+10FFFF).
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp);

}  // namespace berth

// nlohmann::json behind non-throwing helpers: parse and typed field access whose errors
// name the field ("process.args[2]: expected string, got number").
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth {

using Json = nlohmann::json;

Result<Json> parse_json(std::string_view text, std::string_view what = "json");
Result<Json> read_json_file(const std::string& path);
// Dumps without throwing on invalid UTF-8 (replaced).
std::string dump_json(const Json& j, int indent = -1);
// Appends `s` as a JSON string literal, for answers written straight to text instead of
// through a Json tree: Go's rules without HTML escaping (common/go_json.h), which read back
// as the same string dump_json writes (the bytes differ only where dump_json leaves U+2028,
// U+2029 or a replaced invalid byte unescaped).
void append_json_string(std::string& out, std::string_view s);

const char* json_type_name(const Json& j);

// obj[key] when `obj` is an object holding a string there; "" otherwise (absent, null, another
// type). For untrusted or optional fields: it never throws.
std::string string_field(const Json& obj, std::string_view key);

}  // namespace berth

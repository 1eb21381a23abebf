// Private to image/manifest: typed, non-throwing access to JSON object members whose errors
// name the field ("layers[2].size: expected integer, got string"). Absent and null members
// are the same thing, as in Go's encoding/json which produced most of these documents.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "image/content/digest.h"

namespace berth::image::manifest::fields {

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string join(const std::string& parent, std::string_view key);

Error type_error(const std::string& field, std::string_view want, const Json& got);
Error required(const std::string& field);

// The member, or nullptr when absent or null. `obj` must be an object.
const Json* member(const Json& obj, std::string_view key);

Result<std::optional<std::string>> opt_string(const Json& obj, std::string_view key,
                                              const std::string& parent);
Result<std::string> req_string(const Json& obj, std::string_view key, const std::string& parent);
// Any integer that fits in int64 (not a float, not a string).
Result<std::optional<int64_t>> opt_int(const Json& obj, std::string_view key, const std::string& parent);
Result<std::optional<bool>> opt_bool(const Json& obj, std::string_view key, const std::string& parent);
Result<std::optional<std::vector<std::string>>> opt_strings(const Json& obj, std::string_view key,
                                                            const std::string& parent);
Result<std::map<std::string, std::string>> opt_string_map(const Json& obj, std::string_view key,
                                                          const std::string& parent);
// An object used as a set ({"80/tcp": {}}): its keys, sorted.
Result<std::vector<std::string>> opt_key_set(const Json& obj, std::string_view key,
                                             const std::string& parent);
Result<content::Digest> req_digest(const Json& obj, std::string_view key, const std::string& parent);

// Parses a document with a size cap, requiring a JSON object at the top.
Result<Json> parse_object(std::string_view bytes, size_t max_size, std::string_view what);

}  // namespace berth::image::manifest::fields

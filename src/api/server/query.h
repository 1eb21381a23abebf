// URL query strings as the Engine API uses them: Go's url.ParseQuery rules (percent and
// '+' decoding, repeated keys), docker's loose booleans, and the `filters` JSON parameter.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::api {

// {"status": ["running", "paused"], "label": ["a=b"]}; values keep their JSON order.
using Filters = std::map<std::string, std::vector<std::string>>;

class Query {
public:
    // "a=1&b=x%2Fy&a=2&flag" -> a: [1, 2], b: [x/y], flag: [""]. A bad escape is an
    // InvalidArgument (moby answers 400 for it too).
    static Result<Query> parse(std::string_view raw);

    bool has(std::string_view key) const;
    // The first value, or "" when absent.
    std::string get(std::string_view key) const;
    std::vector<std::string> get_all(std::string_view key) const;
    // Docker's BoolValueOrDefault: absent -> `def`; otherwise false only for "", "0", "no",
    // "false", "none" (any case, spaces trimmed).
    bool get_bool(std::string_view key, bool def = false) const;
    // Absent or empty -> `def`; not a number -> InvalidArgument naming the key.
    Result<int64_t> get_int(std::string_view key, int64_t def = 0) const;
    // The `filters` parameter parsed with parse_filters(); absent -> empty.
    Result<Filters> filters(std::string_view key = "filters") const;

    void add(std::string key, std::string value) { values_[std::move(key)].push_back(std::move(value)); }
    const std::map<std::string, std::vector<std::string>, std::less<>>& values() const { return values_; }

private:
    std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Percent-decoding; `plus_is_space` for query components (not for paths).
Result<std::string> url_unescape(std::string_view s, bool plus_is_space);
// Docker's BoolValue on an already extracted string.
bool parse_docker_bool(std::string_view value);
// Accepts {"k": ["v1", "v2"]} and the pre-1.22 form {"k": {"v1": true}}; "" -> empty.
Result<Filters> parse_filters(std::string_view json);

}  // namespace berth::api

// Internal: the functions a template may call: Go's builtins (and, or, not, len, index,
// slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery) and docker's
// additions (json, join, split, lower, upper, title, truncate, pad).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/format/value.h"
#include "common/error.h"

namespace berth::cli::format {

// Known at parse time (Go rejects unknown names while parsing).
bool is_function(std::string_view name);

// `and` and `or` evaluate their arguments lazily; the executor handles them itself.
bool is_short_circuit(std::string_view name);

// Calls a function with evaluated arguments. Errors are the bare message ("wrong number of
// args for join: want 2 got 1"); the executor adds the position. In header mode (table
// headers), docker's string functions return their first argument unchanged.
Result<Value> call_function(std::string_view name, const std::vector<Value>& args, bool header_mode);

// fmt.Sprintf, fmt.Sprint and fmt.Sprintln over template values (printf.cc).
std::string go_sprintf(std::string_view format, const std::vector<Value>& args);
std::string go_sprint(const std::vector<Value>& args);
std::string go_sprintln(const std::vector<Value>& args);

}  // namespace berth::cli::format

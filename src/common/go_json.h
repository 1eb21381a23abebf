// JSON strings as Go's encoding/json writes them, for the text Docker's own tools write
// and its users compare byte for byte: json-file log lines, exit.json, and the CLI's
// `{{json .}}`. Answers built as Json trees go through dump_json (common/json.h) instead.
// Nothing here needs nlohmann-json, so the small berth-monitor links it.
#pragma once

#include <string>
#include <string_view>

namespace berth {

// Appends `s` quoted: '"' and '\\' escaped, \b \f \n \r \t by name, other control bytes
// as \u00xx, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped (as Go does for JSONP).
// With `escape_html`, also < > & as \u003c \u003e \u0026 (json.Marshal's default, which the
// json-file log driver keeps; the CLI's template function turns it off).
void append_go_json_string(std::string& out, std::string_view s, bool escape_html);

}  // namespace berth

// The engine behind `berth ... --format`: Go's text/template language, evaluated against JSON
// data, with the docker CLI's extra functions and its `table` output. A user's docker format
// strings work unchanged:
//
//   auto t = BERTH_TRY(Template::parse("{{.Name}}: {{.State.Status | upper}}"));
//   std::string line = BERTH_TRY(t.execute(container_json));
//
//   // `ps`-style output: header row, then one tab-aligned row per item.
//   std::string out = BERTH_TRY(render_table("table {{.ID}}\t{{.Image}}", rows,
//                                            {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}}));
//
// Data model. The data is a berth::Json; {{.Key}} looks a key up in an object, exactly as Go
// does on a map: a missing key yields "no value" (printed "<no value>", false in if/with,
// null when passed to a function). Fields docker computes (.Names, .Status, .RunningFor...)
// are the caller's job: it builds an object with those keys. Values print as Go's fmt does:
// strings raw, integers without a decimal point, floats in shortest form (1.5, 1e+06), bools,
// null as <nil> (a nil pointer in docker's typed structs), arrays [a b], objects map[k:v].
//
// Language: {{.A.B}} {{.}} {{$}} {{$x := pipeline}} {{$x = pipeline}} {{if}}/{{else if}}/
// {{else}}/{{end}}, {{with}}/{{else with}}, {{range}} over arrays, objects (sorted keys) and
// integers, with {{break}}/{{continue}}, pipelines with |, parenthesised calls, trim markers
// {{- -}}, comments {{/* */}}, string/raw/char/number/bool/nil literals. {{define}},
// {{template}} and {{block}} are rejected (docker's --format has one template only).
// Functions: and or not len index slice print printf println eq ne lt le gt ge html js
// urlquery, and docker's json join split lower upper title truncate pad. Where Go would
// refuse to compare an int with a float (JSON cannot tell them apart reliably), numbers
// compare by value.
//
// Errors are values in Go's wording with the position: "template: :1:8: executing \"\" at
// <.Foo.Bar>: nil pointer evaluating interface {}.Bar", "template: :1:2: function \"foo\"
// not defined".
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::cli::format {

struct Node;

class Template {
public:
    // Parses a template; the text is copied.
    static Result<Template> parse(std::string_view text);

    Result<std::string> execute(const Json& data) const;

    // Executes into `out`, which keeps whatever was written before an error (docker prints
    // the partial table header). With header_functions, docker's json/split/join/title/
    // lower/upper/truncate return their first argument unchanged, as docker's
    // HeaderFunctions do when rendering a table header from the header-name map.
    Result<> execute_to(const Json& data, std::string& out, bool header_functions = false) const;

    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::shared_ptr<const Node> root_;
};

// Renders one line per row, as docker's formatter.Context does for list commands:
//  - format "table X": a header row (X executed against `headers`, an object of field name ->
//    column title such as "ID" -> "CONTAINER ID", with header functions), then one row per
//    item, all passed through a tabwriter (minwidth 10, padding 3, spaces), as docker does;
//  - format "json": {{json .}} per row;
//  - anything else: X executed per row, each followed by a newline, no header.
// The two-character sequences \t and \n in the format become a tab and a newline (so a
// shell-quoted 'table {{.ID}}\t{{.Image}}' works), and surrounding spaces are trimmed.
Result<std::string> render_table(std::string_view format, const std::vector<Json>& rows,
                                 const std::map<std::string, std::string>& headers);

// Go's text/tabwriter with docker's settings, for callers that build aligned text
// themselves: cells end at '\t', columns are blocks of consecutive lines with a cell at that
// position, each padded to max(minwidth, widest cell + padding); East Asian wide characters
// count as two columns (docker's fork uses go-runewidth).
std::string tabwrite(std::string_view text, int minwidth = 10, int padding = 3);

// Go's fmt %v of a value (what {{.}} prints) and encoding/json of it (docker's `json`).
std::string go_print_value(const Json& j);
std::string go_json_value(const Json& j);

}  // namespace berth::cli::format

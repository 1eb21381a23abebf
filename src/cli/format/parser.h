// Internal: builds the parse tree from tokens, with Go's parse-time checks (undefined
// variables, unknown functions, misplaced {{end}}/{{else}}/{{break}}).
#pragma once

#include <string_view>

#include "cli/format/ast.h"
#include "common/error.h"

namespace berth::cli::format {

// Parses a whole template into a List node.
Result<NodePtr> parse_template(std::string_view text);

}  // namespace berth::cli::format

// Internal: splits a template into text and the tokens of its {{actions}}, following Go's
// text/template/parse lexer (trim markers, comments, literals, fields, variables).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::cli::format {

enum class Tok {
    Text,        // literal text outside actions (already trimmed by markers)
    LeftDelim,   // {{
    RightDelim,  // }}
    Space,       // run of spaces inside an action
    Field,       // .Name
    Variable,    // $ or $name
    Identifier,  // function name
    Keyword,     // if else end range with break continue define template block
    Bool,        // true false
    Nil,         // nil
    Number,      // 12 -3 0x1F 1.5e3 'a'
    String,      // "quoted" or `raw` (text holds the source form)
    Dot,         // .
    LeftParen,
    RightParen,
    Pipe,     // |
    Declare,  // :=
    Assign,   // =
    Comma,
    Eof,
};

struct Token {
    Tok type;
    std::string text;
    size_t pos;  // byte offset in the template
};

// Tokenises the whole template. Errors ("unclosed action", "unclosed comment", "bad
// character") name their position as "template: :LINE:COL: message".
Result<std::vector<Token>> lex(std::string_view input);

// "template: :LINE:COL" for a byte offset of the template (Go counts COL from 0).
std::string position_prefix(std::string_view input, size_t pos);

}  // namespace berth::cli::format

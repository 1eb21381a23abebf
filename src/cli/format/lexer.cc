// The template lexer. Go's lexer is a goroutine-fed state machine; here one pass fills a
// vector, which the recursive-descent parser walks with lookahead.
#include "cli/format/lexer.h"

#include <cctype>

namespace berth::cli::format {

namespace {

constexpr std::string_view kLeft = "{{";
constexpr std::string_view kRight = "}}";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;  // Go allows Unicode letters
}

class Lexer {
public:
    explicit Lexer(std::string_view in) : in_(in) {}

    Result<std::vector<Token>> run() {
        while (pos_ < in_.size()) {
            size_t open = in_.find(kLeft, pos_);
            if (open == std::string_view::npos) {
                emit_text(in_.substr(pos_), pos_);
                pos_ = in_.size();
                break;
            }
            std::string_view text = in_.substr(pos_, open - pos_);
            bool trim_left = left_trim_marker(open + kLeft.size());
            if (trim_left) text = rtrim(text);
            emit_text(text, pos_);
            size_t start = open + kLeft.size() + (trim_left ? 2 : 0);
            BERTH_TRY(action(open, start));
        }
        toks_.push_back({Tok::Eof, "", in_.size()});
        return std::move(toks_);
    }

private:
    bool left_trim_marker(size_t at) const {
        return at + 1 < in_.size() && in_[at] == '-' && is_space(in_[at + 1]);
    }
    // " -}}" at `at`?
    bool right_trim_marker(size_t at) const {
        return at + 1 + kRight.size() < in_.size() + 1 && is_space(in_[at]) &&
               in_.substr(at + 1, 1 + kRight.size()) == "-}}";
    }
    static std::string_view rtrim(std::string_view s) {
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        return s;
    }
    void emit_text(std::string_view text, size_t at) {
        if (trim_next_) {
            while (!text.empty() && is_space(text.front())) {
                text.remove_prefix(1);
                ++at;
            }
            trim_next_ = false;
        }
        if (!text.empty()) toks_.push_back({Tok::Text, std::string(text), at});
    }
    Error err(size_t at, std::string msg) const {
        return Error::invalid(position_prefix(in_, at) + ": " + msg);
    }

    // A '.' at `at`: ".5" is a number, ".Name" a field, and "." alone the dot.
    void dot_or_field(size_t at) {
        if (pos_ + 1 < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_ + 1]))) {
            number(at);
        } else if (pos_ + 1 < in_.size() && is_alnum(in_[pos_ + 1])) {
            ++pos_;
            while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
            toks_.push_back({Tok::Field, std::string(in_.substr(at, pos_ - at)), at});
        } else {
            toks_.push_back({Tok::Dot, ".", at});
            ++pos_;
        }
    }

    // A `raw string` starting at `at`, kept with its backquotes like Go's lexer.
    Result<> raw_quoted(size_t at) {
        size_t end = in_.find('`', pos_ + 1);
        if (end == std::string_view::npos) return err(at, "unterminated raw quoted string");
        toks_.push_back({Tok::String, std::string(in_.substr(at, end + 1 - at)), at});
        pos_ = end + 1;
        return ok();
    }

    // Lexes one action whose body starts at `start`; `open` is where its {{ is.
    Result<> action(size_t open, size_t start) {
        pos_ = start;
        if (in_.substr(pos_, 2) == "/*") return comment(open);
        toks_.push_back({Tok::LeftDelim, "{{", open});
        int paren_depth = 0;
        for (;;) {
            if (pos_ >= in_.size()) return err(open, "unclosed action");
            if (right_trim_marker(pos_)) {
                toks_.push_back({Tok::RightDelim, "}}", pos_});
                pos_ += 4;
                trim_next_ = true;
                return ok();
            }
            if (in_.substr(pos_, kRight.size()) == kRight) {
                toks_.push_back({Tok::RightDelim, "}}", pos_});
                pos_ += kRight.size();
                return ok();
            }
            char c = in_[pos_];
            size_t at = pos_;
            if (is_space(c)) {
                while (pos_ < in_.size() && is_space(in_[pos_]) && !right_trim_marker(pos_)) ++pos_;
                // A space run reaching " -}}" leaves the last space to the marker.
                toks_.push_back({Tok::Space, " ", at});
                continue;
            }
            if (c == '=') {
                toks_.push_back({Tok::Assign, "=", at});
                ++pos_;
            } else if (c == ':') {
                if (in_.substr(pos_, 2) != ":=") return err(at, "expected :=");
                toks_.push_back({Tok::Declare, ":=", at});
                pos_ += 2;
            } else if (c == '|') {
                toks_.push_back({Tok::Pipe, "|", at});
                ++pos_;
            } else if (c == ',') {
                toks_.push_back({Tok::Comma, ",", at});
                ++pos_;
            } else if (c == '(') {
                ++paren_depth;
                toks_.push_back({Tok::LeftParen, "(", at});
                ++pos_;
            } else if (c == ')') {
                if (--paren_depth < 0) return err(at, "unexpected right paren");
                toks_.push_back({Tok::RightParen, ")", at});
                ++pos_;
            } else if (c == '"') {
                BERTH_TRY(quoted(at, '"'));
            } else if (c == '`') {
                BERTH_TRY(raw_quoted(at));
            } else if (c == '\'') {
                BERTH_TRY(quoted(at, '\''));
                toks_.back().type = Tok::Number;  // a character constant is a number
            } else if (c == '$') {
                ++pos_;
                while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
                toks_.push_back({Tok::Variable, std::string(in_.substr(at, pos_ - at)), at});
            } else if (c == '.') {
                dot_or_field(at);
            } else if (c == '+' || c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
                number(at);
            } else if (is_alnum(c)) {
                while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
                identifier(at);
            } else {
                return err(at, std::string("bad character ") + go_char(c) + " in action");
            }
        }
    }

    static std::string go_char(char c) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) return std::string("U+00") + hex2(u) + " '" + c + "'";
        return std::string("U+00") + hex2(u);
    }
    static std::string hex2(unsigned char u) {
        const char* d = "0123456789ABCDEF";
        return {d[u >> 4], d[u & 15]};
    }

    Result<> comment(size_t open) {
        size_t end = in_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return err(open, "unclosed comment");
        pos_ = end + 2;
        if (right_trim_marker(pos_)) {
            pos_ += 4;
            trim_next_ = true;
            return ok();
        }
        if (in_.substr(pos_, kRight.size()) != kRight)
            return err(pos_, "comment ends before closing delimiter");
        pos_ += kRight.size();
        return ok();
    }

    Result<> quoted(size_t at, char quote) {
        ++pos_;
        for (;;) {
            if (pos_ >= in_.size() || in_[pos_] == '\n')
                return err(at,
                           quote == '"' ? "unterminated quoted string" : "unterminated character constant");
            char c = in_[pos_++];
            if (c == '\\') {
                if (pos_ >= in_.size()) continue;  // reported on the next turn
                ++pos_;
            } else if (c == quote) {
                break;
            }
        }
        toks_.push_back({Tok::String, std::string(in_.substr(at, pos_ - at)), at});
        return ok();
    }

    // Scans a number loosely (Go's scanNumber): sign, digits of any base, '.', exponent,
    // '_'; the parser validates the text.
    void number(size_t at) {
        if (in_[pos_] == '+' || in_[pos_] == '-') ++pos_;
        while (pos_ < in_.size()) {
            char c = in_[pos_];
            bool exp_sign = (c == '+' || c == '-') && pos_ > at &&
                            (in_[pos_ - 1] == 'e' || in_[pos_ - 1] == 'E' || in_[pos_ - 1] == 'p' ||
                             in_[pos_ - 1] == 'P') &&
                            !(in_.substr(at, 2) == "0x" || in_.substr(at, 2) == "0X");
            if (is_alnum(c) || c == '.' || exp_sign)
                ++pos_;
            else
                break;
        }
        toks_.push_back({Tok::Number, std::string(in_.substr(at, pos_ - at)), at});
    }

    void identifier(size_t at) {
        std::string word(in_.substr(at, pos_ - at));
        Tok t = Tok::Identifier;
        if (word == "true" || word == "false")
            t = Tok::Bool;
        else if (word == "nil")
            t = Tok::Nil;
        else if (word == "if" || word == "else" || word == "end" || word == "range" || word == "with" ||
                 word == "break" || word == "continue" || word == "define" || word == "template" ||
                 word == "block")
            t = Tok::Keyword;
        toks_.push_back({t, std::move(word), at});
    }

    std::string_view in_;
    size_t pos_ = 0;
    bool trim_next_ = false;
    std::vector<Token> toks_;
};

}  // namespace

std::string position_prefix(std::string_view input, size_t pos) {
    if (pos > input.size()) pos = input.size();
    std::string_view before = input.substr(0, pos);
    size_t line = 1;
    for (char c : before)
        if (c == '\n') ++line;
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - nl - 1;
    return "template: :" + std::to_string(line) + ":" + std::to_string(col);
}

Result<std::vector<Token>> lex(std::string_view input) {
    return Lexer(input).run();
}

}  // namespace berth::cli::format

// Recursive-descent parser over the lexer's tokens, after Go's text/template/parse: the same
// grammar, the same desugaring of {{else if}} / {{else with}}, the same variable scoping.
#include "cli/format/parser.h"

#include <cstdlib>

#include "cli/format/functions.h"
#include "cli/format/lexer.h"

namespace berth::cli::format {

namespace {

enum class Stop { None, End, Else };

struct Parsed {
    NodePtr node;  // null for {{end}} / {{else}}
    Stop stop = Stop::None;
    size_t pos = 0;
};

// Appends code point `cp` to `out` in UTF-8.
void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Appends the escape whose letter is body[i] (just after the backslash) to `out`, leaving
// i on its last character. Only the string's own quote may be escaped, as in Go.
Result<> unquote_escape(std::string_view body, size_t& i, char quote, std::string& out) {
    char e = body[i];
    switch (e) {
        case 'a':
            out += '\a';
            break;
        case 'b':
            out += '\b';
            break;
        case 'f':
            out += '\f';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        case 'v':
            out += '\v';
            break;
        case '\\':
            out += '\\';
            break;
        case '"':
        case '\'':
            if (e != quote) return Error::invalid("bad escape");
            out += e;
            break;
        case 'x':
        case 'u':
        case 'U': {
            size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            std::string hex(body.substr(i + 1, n));
            if (hex.size() != n || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
                return Error::invalid("bad escape");
            uint32_t v = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
            i += n;
            if (e == 'x')
                out += static_cast<char>(v);
            else if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return Error::invalid("bad escape");
            else
                append_utf8(out, v);
            break;
        }
        default: {
            if (e < '0' || e > '7') return Error::invalid("bad escape");
            std::string oct(body.substr(i, 3));
            if (oct.size() != 3 || oct.find_first_not_of("01234567") != std::string::npos)
                return Error::invalid("bad escape");
            unsigned long v = std::strtoul(oct.c_str(), nullptr, 8);
            if (v > 255) return Error::invalid("bad escape");
            out += static_cast<char>(v);
            i += 2;
        }
    }
    return ok();
}

// Go's strconv.Unquote for "...", `...` and '...'.
Result<std::string> unquote(std::string_view q) {
    if (q.size() < 2) return Error::invalid("bad quoted string");
    char quote = q.front();
    std::string_view body = q.substr(1, q.size() - 2);
    std::string out;
    if (quote == '`') {
        for (char c : body)
            if (c != '\r') out += c;
        return out;
    }
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= body.size()) return Error::invalid("bad escape");
        BERTH_TRY(unquote_escape(body, i, quote, out));
    }
    return out;
}

// A number literal typed as Go's idealConstant does: an integer unless the text looks like a
// float; character constants are integers (runes).
Result<Json> parse_number(std::string_view text) {
    if (text.front() == '\'') {
        auto s = BERTH_TRY(unquote(text));
        uint32_t cp = 0;
        unsigned char c = s.empty() ? 0 : s[0];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
        if (s.empty() || s.size() != len) return Error::invalid("malformed character constant");
        cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[k] & 0x3F);
        return Json(static_cast<int64_t>(cp));
    }
    std::string t;
    for (char c : text)
        if (c != '_') t += c;
    if (t.empty() || t.back() == 'i') return Error::invalid("illegal number syntax");
    std::string_view body = t;
    bool neg = false;
    if (body.front() == '+' || body.front() == '-') {
        neg = body.front() == '-';
        body.remove_prefix(1);
    }
    bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
    bool is_float = hex ? body.find_first_of("pP") != std::string_view::npos
                        : body.find_first_of(".eE") != std::string_view::npos;
    if (body.empty()) return Error::invalid("illegal number syntax");
    const char* begin = t.c_str();
    char* end = nullptr;
    if (is_float) {
        double d = std::strtod(begin, &end);
        if (*end != '\0') return Error::invalid("illegal number syntax");
        return Json(d);
    }
    int base = 10;
    std::string digits(body);
    if (digits.size() > 1 && digits[0] == '0') {
        char b = digits[1];
        if (b == 'x' || b == 'X')
            base = 16, digits = digits.substr(2);
        else if (b == 'b' || b == 'B')
            base = 2, digits = digits.substr(2);
        else if (b == 'o' || b == 'O')
            base = 8, digits = digits.substr(2);
        else
            base = 8, digits = digits.substr(1);
    }
    if (digits.empty()) return Error::invalid("illegal number syntax");
    errno = 0;
    unsigned long long u = std::strtoull(digits.c_str(), &end, base);
    if (*end != '\0' || digits[0] == '-' || digits[0] == '+') return Error::invalid("illegal number syntax");
    if (errno == ERANGE || u > static_cast<unsigned long long>(INT64_MAX) + (neg ? 1 : 0))
        return Error::invalid("number out of range");
    if (neg)
        return Json(u == static_cast<unsigned long long>(INT64_MAX) + 1 ? INT64_MIN
                                                                        : -static_cast<int64_t>(u));
    return Json(static_cast<int64_t>(u));
}

class Parser {
public:
    Parser(std::string_view src, std::vector<Token> toks) : src_(src), toks_(std::move(toks)) {}

    Result<NodePtr> parse() {
        auto list = std::make_unique<Node>(NodeKind::List, 0);
        while (peek().type != Tok::Eof) {
            Parsed p = BERTH_TRY(text_or_action());
            if (p.stop != Stop::None)
                return err(p.pos, p.stop == Stop::End ? "unexpected {{end}}" : "unexpected {{else}}");
            list->nodes.push_back(std::move(p.node));
        }
        return list;
    }

private:
    const Token& peek() const { return toks_[i_]; }
    const Token& next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
    void backup() { --i_; }
    const Token& next_non_space() {
        while (peek().type == Tok::Space) next();
        return next();
    }
    const Token& peek_non_space() {
        while (peek().type == Tok::Space) next();
        return peek();
    }
    Error err(size_t pos, const std::string& msg) const {
        return Error::invalid(position_prefix(src_, pos) + ": " + msg);
    }
    Error unexpected(const Token& t, const std::string& context) const {
        std::string what = t.type == Tok::RightDelim ? "}}" : t.type == Tok::Eof ? "EOF" : t.text;
        return err(t.pos, "unexpected \"" + what + "\" in " + context);
    }
    Result<> expect(Tok type, const std::string& context) {
        const Token& t = next_non_space();
        if (t.type != type) return unexpected(t, context);
        return ok();
    }

    Result<Parsed> text_or_action() {
        const Token& t = next_non_space();
        if (t.type == Tok::Text) {
            auto n = std::make_unique<Node>(NodeKind::Text, t.pos);
            n->text = t.text;
            return Parsed{std::move(n)};
        }
        if (t.type == Tok::LeftDelim) return action();
        return unexpected(t, "input");
    }

    // A list of nodes up to {{end}} or {{else}}, which it returns in stop.
    Result<std::pair<NodePtr, Parsed>> item_list() {
        auto list = std::make_unique<Node>(NodeKind::List, peek().pos);
        while (peek_non_space().type != Tok::Eof) {
            Parsed p = BERTH_TRY(text_or_action());
            if (p.stop != Stop::None) return std::make_pair(std::move(list), std::move(p));
            list->nodes.push_back(std::move(p.node));
        }
        return err(src_.size(), "unexpected EOF");
    }

    Result<Parsed> action() {
        const Token& t = next_non_space();
        if (t.type == Tok::Keyword) {
            size_t pos = t.pos;
            const std::string& kw = t.text;
            if (kw == "if" || kw == "range" || kw == "with") {
                NodeKind k = kw == "if" ? NodeKind::If : kw == "range" ? NodeKind::Range : NodeKind::With;
                return Parsed{BERTH_TRY(control(k, pos))};
            }
            if (kw == "end") {
                BERTH_TRY(expect(Tok::RightDelim, "end"));
                return Parsed{nullptr, Stop::End, pos};
            }
            if (kw == "else") {
                const Token& n = peek_non_space();
                bool chained = n.type == Tok::Keyword && (n.text == "if" || n.text == "with");
                if (!chained) BERTH_TRY(expect(Tok::RightDelim, "else"));
                return Parsed{nullptr, Stop::Else, pos};
            }
            if (kw == "break" || kw == "continue") {
                BERTH_TRY(expect(Tok::RightDelim, "{{" + kw + "}}"));
                if (range_depth_ == 0) return err(pos, "{{" + kw + "}} outside {{range}}");
                return Parsed{
                    std::make_unique<Node>(kw == "break" ? NodeKind::Break : NodeKind::Continue, pos)};
            }
            return err(pos, "{{" + kw + "}} is not supported in --format templates");
        }
        backup();
        // Variables declared by an action persist until the enclosing control's end.
        auto n = std::make_unique<Node>(NodeKind::Action, peek_non_space().pos);
        n->pipe = BERTH_TRY(pipeline("command", Tok::RightDelim));
        return Parsed{std::move(n)};
    }

    Result<NodePtr> control(NodeKind kind, size_t pos) {
        if (++depth_ > kMaxDepth) return err(pos, "max expression depth exceeded");
        struct Leave {
            int& d;
            ~Leave() { --d; }
        } leave{depth_};
        const char* context = kind == NodeKind::If ? "if" : kind == NodeKind::Range ? "range" : "with";
        size_t vars_mark = vars_.size();
        auto n = std::make_unique<Node>(kind, pos);
        n->pipe = BERTH_TRY(pipeline(context, Tok::RightDelim));
        if (kind == NodeKind::Range) ++range_depth_;
        auto [list, stop] = BERTH_TRY(item_list());
        if (kind == NodeKind::Range) --range_depth_;
        n->list = std::move(list);
        if (stop.stop == Stop::Else) {
            // {{else if b}} is {{else}}{{if b}}...{{end}}{{end}} with the inner {{end}} shared.
            const Token& t = peek_non_space();
            bool chain = t.type == Tok::Keyword && ((kind == NodeKind::If && t.text == "if") ||
                                                    (kind == NodeKind::With && t.text == "with"));
            if (chain) {
                size_t p = next().pos;
                auto else_list = std::make_unique<Node>(NodeKind::List, stop.pos);
                else_list->nodes.push_back(BERTH_TRY(control(kind, p)));
                n->else_list = std::move(else_list);
            } else {
                auto [else_list, end] = BERTH_TRY(item_list());
                if (end.stop != Stop::End) return err(end.pos, "expected end; found {{else}}");
                n->else_list = std::move(else_list);
            }
        }
        vars_.resize(vars_mark);
        return NodePtr(std::move(n));
    }

    Result<NodePtr> pipeline(const std::string& context, Tok end) {
        // A format string comes from the user; bound the recursion it can cause.
        if (++depth_ > kMaxDepth) return err(peek().pos, "max expression depth exceeded");
        struct Leave {
            int& d;
            ~Leave() { --d; }
        } leave{depth_};
        auto pipe = std::make_unique<Node>(NodeKind::Pipe, peek_non_space().pos);
        // Declarations: "$x :=", "$x =", "$i, $e :=" (range only).
        while (peek_non_space().type == Tok::Variable) {
            size_t save = i_;
            const Token& v = next();
            const Token& after = peek_non_space();
            if (after.type == Tok::Declare || after.type == Tok::Assign) {
                pipe->is_assign = after.type == Tok::Assign;
                next();
                pipe->decl.push_back(v.text);
                vars_.push_back(v.text);
                break;
            }
            if (after.type == Tok::Comma) {
                next();
                pipe->decl.push_back(v.text);
                vars_.push_back(v.text);
                if (context == "range" && pipe->decl.size() < 2) {
                    Tok t = peek_non_space().type;
                    if (t == Tok::Variable) continue;
                    return err(peek().pos, "range can only initialize variables");
                }
                return err(v.pos, "too many declarations in " + context);
            }
            i_ = save;  // "$x" is an operand
            break;
        }
        for (;;) {
            const Token& t = next_non_space();
            if (t.type == end) break;
            switch (t.type) {
                case Tok::Bool:
                case Tok::Number:
                case Tok::Dot:
                case Tok::Field:
                case Tok::Identifier:
                case Tok::Nil:
                case Tok::String:
                case Tok::Variable:
                case Tok::LeftParen:
                    backup();
                    pipe->cmds.push_back(BERTH_TRY(command(end)));
                    break;
                default:
                    if (end == Tok::RightParen && t.type == Tok::RightDelim)
                        return err(t.pos, "unclosed left paren");
                    return unexpected(t, context);
            }
        }
        if (pipe->cmds.empty()) return err(pipe->pos, "missing value for " + context);
        for (size_t c = 1; c < pipe->cmds.size(); ++c) {
            NodeKind k = pipe->cmds[c].args[0]->kind;
            if (k == NodeKind::Literal || k == NodeKind::Dot || k == NodeKind::Nil)
                return err(pipe->cmds[c].pos,
                           "non executable command in pipeline stage " + std::to_string(c + 1));
        }
        return NodePtr(std::move(pipe));
    }

    Result<Command> command(Tok end) {
        Command cmd;
        cmd.pos = peek_non_space().pos;
        for (;;) {
            peek_non_space();
            NodePtr operand = BERTH_TRY(this->operand());
            if (operand) cmd.args.push_back(std::move(operand));
            const Token& t = next();
            if (t.type == Tok::Space) continue;
            if (t.type == Tok::RightDelim || t.type == Tok::RightParen) {
                if (t.type != end) {
                    if (t.type == Tok::RightDelim) return err(t.pos, "unclosed left paren");
                    return err(t.pos, "unexpected right paren");
                }
                backup();
            } else if (t.type != Tok::Pipe) {
                return unexpected(t, "operand");
            }
            break;
        }
        if (cmd.args.empty()) return err(cmd.pos, "empty command");
        return cmd;
    }

    Result<NodePtr> operand() {
        size_t start = peek().pos;
        NodePtr node = BERTH_TRY(term());
        if (!node) return node;
        if (peek().type == Tok::Field) {
            std::vector<std::string> names;
            while (peek().type == Tok::Field) names.push_back(next().text.substr(1));
            if (node->kind == NodeKind::Field || node->kind == NodeKind::Variable) {
                node->names.insert(node->names.end(), names.begin(), names.end());
            } else if (node->kind == NodeKind::Pipe || node->kind == NodeKind::Identifier) {
                auto chain = std::make_unique<Node>(NodeKind::Chain, start);
                chain->operand = std::move(node);
                chain->names = std::move(names);
                node = std::move(chain);
            } else {
                return err(start, "unexpected . after term \"" + node->source + "\"");
            }
        }
        node->source = std::string(src_.substr(start, peek().pos - start));
        while (!node->source.empty() && node->source.back() == ' ') node->source.pop_back();
        return node;
    }

    Result<NodePtr> term() {
        const Token& t = next_non_space();
        switch (t.type) {
            case Tok::Identifier: {
                if (!is_function(t.text)) return err(t.pos, "function \"" + t.text + "\" not defined");
                auto n = std::make_unique<Node>(NodeKind::Identifier, t.pos);
                n->ident = t.text;
                return NodePtr(std::move(n));
            }
            case Tok::Dot:
                return std::make_unique<Node>(NodeKind::Dot, t.pos);
            case Tok::Nil:
                return std::make_unique<Node>(NodeKind::Nil, t.pos);
            case Tok::Variable: {
                bool known = false;
                for (const auto& v : vars_) known = known || v == t.text;
                if (!known) return err(t.pos, "undefined variable \"" + t.text + "\"");
                auto n = std::make_unique<Node>(NodeKind::Variable, t.pos);
                n->ident = t.text;
                return NodePtr(std::move(n));
            }
            case Tok::Field: {
                auto n = std::make_unique<Node>(NodeKind::Field, t.pos);
                n->names.push_back(t.text.substr(1));
                return NodePtr(std::move(n));
            }
            case Tok::Bool:
            case Tok::Number:
            case Tok::String: {
                auto n = std::make_unique<Node>(NodeKind::Literal, t.pos);
                if (t.type == Tok::Bool) {
                    n->value = t.text == "true";
                } else if (t.type == Tok::String) {
                    auto s = unquote(t.text);
                    if (!s) return err(t.pos, s.error().message() + ": " + t.text);
                    n->value = std::move(*s);
                } else {
                    auto num = parse_number(t.text);
                    if (!num) return err(t.pos, num.error().message() + ": " + t.text);
                    n->value = std::move(*num);
                }
                return NodePtr(std::move(n));
            }
            case Tok::LeftParen:
                return pipeline("parenthesized pipeline", Tok::RightParen);
            default:
                backup();
                return NodePtr();
        }
    }

    std::string_view src_;
    std::vector<Token> toks_;
    size_t i_ = 0;
    std::vector<std::string> vars_{"$"};
    int range_depth_ = 0;
    static constexpr int kMaxDepth = 200;  // deep enough for any real format string
    int depth_ = 0;
};

}  // namespace

Result<NodePtr> parse_template(std::string_view text) {
    auto toks = BERTH_TRY(lex(text));
    return Parser(text, std::move(toks)).parse();
}

}  // namespace berth::cli::format

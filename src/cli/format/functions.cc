// The template functions: Go's text/template builtins and docker's templates.go additions,
// with Go's argument-count and argument-type errors.
#include "cli/format/functions.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "common/strings.h"

namespace berth::cli::format {

namespace {

struct FnInfo {
    std::string_view name;
    int min_args;
    int max_args;  // -1: variadic
};

constexpr FnInfo kFunctions[] = {
    {"and", 1, -1},
    {"or", 1, -1},
    {"not", 1, 1},
    {"len", 1, 1},
    {"index", 1, -1},
    {"slice", 1, -1},
    {"print", 0, -1},
    {"printf", 1, -1},
    {"println", 0, -1},
    {"eq", 1, -1},
    {"ne", 2, 2},
    {"lt", 2, 2},
    {"le", 2, 2},
    {"gt", 2, 2},
    {"ge", 2, 2},
    {"html", 0, -1},
    {"js", 0, -1},
    {"urlquery", 0, -1},
    // docker's templates.go
    {"json", 1, 1},
    {"split", 2, 2},
    {"join", 2, 2},
    {"title", 1, 1},
    {"lower", 1, 1},
    {"upper", 1, 1},
    {"pad", 3, 3},
    {"truncate", 2, 2},
};

const FnInfo* find(std::string_view name) {
    for (const auto& f : kFunctions)
        if (f.name == name) return &f;
    return nullptr;
}

std::string json_type_for_error(const Value& v) {
    return v.json().is_null() ? "interface {}" : go_type_name(v.json());
}

Error wrong_type(const Value& v, std::string_view want) {
    if (v.missing()) return Error::invalid("invalid value; expected " + std::string(want));
    return Error::invalid("wrong type for value; expected " + std::string(want) + "; got " +
                          json_type_for_error(v));
}

Result<std::string> want_string(const Value& v) {
    if (!v.missing() && v.json().is_string()) return v.json().get<std::string>();
    return wrong_type(v, "string");
}

Result<int64_t> want_int(const Value& v) {
    int64_t n = 0;
    if (!v.missing() && as_int64(v.json(), n)) return n;
    return wrong_type(v, "int");
}

// A []string parameter: an array of strings; null or missing is a nil slice.
Result<std::vector<std::string>> want_strings(const Value& v) {
    std::vector<std::string> out;
    if (v.missing() || v.json().is_null()) return out;
    const Json& j = v.json();
    if (!j.is_array()) return wrong_type(v, "[]string");
    for (const auto& e : j) {
        if (!e.is_string()) return wrong_type(v, "[]string");
        out.push_back(e.get<std::string>());
    }
    return out;
}

Error call_error(std::string_view name, const std::string& msg) {
    return Error::invalid("error calling " + std::string(name) + ": " + msg);
}

// An integer index for index/slice, checked against the length.
Result<int64_t> index_arg(const Value& v, size_t cap) {
    const Json& j = v.json();
    int64_t x = 0;
    if (v.missing() || j.is_null()) return Error::invalid("cannot index slice/array with nil");
    if (!as_int64(j, x)) return Error::invalid("cannot index slice/array with type " + go_type_name(j));
    if (x < 0 || static_cast<uint64_t>(x) > cap)
        return Error::invalid("index out of range: " + std::to_string(x));
    return x;
}

Result<Value> fn_index(const std::vector<Value>& a) {
    if (a[0].missing() || a[0].json().is_null()) return Error::invalid("index of untyped nil");
    const Json* item = &a[0].json();
    Json owned;
    for (size_t k = 1; k < a.size(); ++k) {
        if (item->is_null()) return Error::invalid("index of nil pointer");
        if (item->is_array() || item->is_string()) {
            size_t len = item->is_array() ? item->size() : item->get_ref<const std::string&>().size();
            int64_t x = BERTH_TRY(index_arg(a[k], len));
            if (static_cast<size_t>(x) >= len)
                return Error::invalid("index out of range: " + std::to_string(x));
            if (item->is_array()) {
                item = &(*item)[x];
            } else {  // a string yields its byte, a uint8 in Go
                owned = Json(
                    static_cast<int64_t>(static_cast<unsigned char>(item->get_ref<const std::string&>()[x])));
                item = &owned;
            }
        } else if (item->is_object()) {
            const Json& key = a[k].json();
            if (!key.is_string())
                return Error::invalid("value has type " + json_type_for_error(a[k]) + "; should be string");
            auto it = item->find(key.get_ref<const std::string&>());
            if (it != item->end()) {
                item = &*it;
                continue;
            }
            // Go yields the element type's zero value. Docker's string maps (Labels,
            // Options) give "", its other maps nil: guess the type from the values.
            bool strings = true;
            for (const auto& e : *item) strings = strings && e.is_string();
            owned = strings ? Json("") : Json();
            item = &owned;
        } else {
            return Error::invalid("can't index item of type " + go_type_name(*item));
        }
    }
    if (item == &owned) return Value::own(std::move(owned));
    return Value::own(*item);
}

Result<Value> fn_slice(const std::vector<Value>& a) {
    if (a[0].missing() || a[0].json().is_null()) return Error::invalid("slice of untyped nil");
    if (a.size() > 4) return Error::invalid("too many slice indexes: " + std::to_string(a.size() - 1));
    const Json& j = a[0].json();
    size_t len = 0;
    if (j.is_string()) {
        if (a.size() == 4) return Error::invalid("cannot 3-index slice a string");
        len = j.get_ref<const std::string&>().size();
    } else if (j.is_array()) {
        len = j.size();
    } else {
        return Error::invalid("can't slice item of type " + go_type_name(j));
    }
    int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
    for (size_t k = 1; k < a.size(); ++k) idx[k - 1] = BERTH_TRY(index_arg(a[k], len));
    if (idx[0] > idx[1])
        return Error::invalid("invalid slice index: " + std::to_string(idx[0]) + " > " +
                              std::to_string(idx[1]));
    if (a.size() == 4 && idx[1] > idx[2])
        return Error::invalid("invalid slice index: " + std::to_string(idx[1]) + " > " +
                              std::to_string(idx[2]));
    if (j.is_string()) return Value::own(j.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]));
    Json out = Json::array();
    for (int64_t i = idx[0]; i < idx[1]; ++i) out.push_back(j[i]);
    return Value::own(std::move(out));
}

Result<Value> fn_len(const Value& v) {
    if (v.missing() || v.json().is_null()) return Error::invalid("len of nil pointer");
    const Json& j = v.json();
    if (j.is_string()) return Value::own(Json(static_cast<int64_t>(j.get_ref<const std::string&>().size())));
    if (j.is_array() || j.is_object()) return Value::own(Json(static_cast<int64_t>(j.size())));
    return Error::invalid("len of type " + go_type_name(j));
}

// Kinds Go's comparison functions know; objects and arrays are not comparable.
enum class Kind { Nil, Bool, Number, String, Other };
Kind kind_of(const Value& v) {
    if (v.missing() || v.json().is_null()) return Kind::Nil;
    const Json& j = v.json();
    if (j.is_boolean()) return Kind::Bool;
    if (j.is_number()) return Kind::Number;
    if (j.is_string()) return Kind::String;
    return Kind::Other;
}

// <0, 0, >0 for two numbers; exact for integers, by value across int and float.
int compare_numbers(const Json& a, const Json& b) {
    int64_t x = 0, y = 0;
    if (as_int64(a, x) && as_int64(b, y)) return x < y ? -1 : x > y;
    if (a.is_number_unsigned() && b.is_number_unsigned()) {
        uint64_t u = a.get<uint64_t>(), w = b.get<uint64_t>();
        return u < w ? -1 : u > w;
    }
    double p = a.get<double>(), q = b.get<double>();
    return p < q ? -1 : p > q;
}

Result<bool> equal(const Value& a, const Value& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka == Kind::Nil || kb == Kind::Nil) return ka == kb;
    if (ka != kb) return Error::invalid("incompatible types for comparison");
    switch (ka) {
        case Kind::Bool:
            return a.json().get<bool>() == b.json().get<bool>();
        case Kind::Number:
            return compare_numbers(a.json(), b.json()) == 0;
        case Kind::String:
            return a.json().get_ref<const std::string&>() == b.json().get_ref<const std::string&>();
        default:
            return Error::invalid("non-comparable types " + go_print(a.json()) + ": " +
                                  go_type_name(a.json()) + ", " + go_type_name(b.json()) + ": " +
                                  go_print(b.json()));
    }
}

Result<bool> less(const Value& a, const Value& b) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka == Kind::Nil || kb == Kind::Nil || ka == Kind::Other || kb == Kind::Other)
        return Error::invalid("invalid type for comparison");
    if (ka != kb) return Error::invalid("incompatible types for comparison");
    switch (ka) {
        case Kind::Number:
            return compare_numbers(a.json(), b.json()) < 0;
        case Kind::String:
            return a.json().get_ref<const std::string&>() < b.json().get_ref<const std::string&>();
        default:
            return Error::invalid("invalid type for comparison");
    }
}

// The text html/js/urlquery escape: a lone string argument, else fmt.Sprint of them all.
std::string eval_args(const std::vector<Value>& a) {
    if (a.size() == 1 && a[0].json().is_string()) return a[0].json().get<std::string>();
    return go_sprint(a);
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\0':
                out += "\xEF\xBF\xBD";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string js_escape(std::string_view s) {
    std::string out;
    char buf[8];
    for (unsigned char c : s) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\'':
                out += "\\'";
                break;
            case '"':
                out += "\\\"";
                break;
            case '<':
                out += "\\u003C";
                break;
            case '>':
                out += "\\u003E";
                break;
            case '&':
                out += "\\u0026";
                break;
            case '=':
                out += "\\u003D";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    std::snprintf(buf, sizeof buf, "\\u%04X", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

// strings.Title for ASCII: upper-case each letter that follows a separator.
std::string title(std::string_view s) {
    std::string out(s);
    bool prev_sep = true;
    for (auto& c : out) {
        unsigned char u = static_cast<unsigned char>(c);
        bool sep = u < 0x80 && !std::isalnum(u) && u != '_';
        if (prev_sep && u < 0x80) c = static_cast<char>(std::toupper(u));
        prev_sep = sep;
    }
    return out;
}

std::string map_ascii(std::string s, int (*f)(int)) {
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(static_cast<unsigned char>(c)));
    return s;
}

Result<Value> split(const std::string& s, const std::string& sep) {
    Json out = Json::array();
    if (sep.empty()) {  // one element per UTF-8 sequence
        for (size_t i = 0; i < s.size();) {
            size_t n = 1;
            while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
            out.push_back(s.substr(i, n));
            i += n;
        }
        return Value::own(std::move(out));
    }
    size_t start = 0;
    for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
        out.push_back(s.substr(start, at - start));
    out.push_back(s.substr(start));
    return Value::own(std::move(out));
}

// docker's HeaderFunctions: the header text passes through json/split/join/... unchanged.
Result<Value> header_function(std::string_view name, const std::vector<Value>& a) {
    std::string s = BERTH_TRY(want_string(a[0]));
    if (name == "split" || name == "join") BERTH_TRY(want_string(a[1]));
    if (name == "truncate") BERTH_TRY(want_int(a[1]));
    return Value::own(std::move(s));
}

// Bounds what a format string can make us allocate; Go would try and fail later.
constexpr int64_t kMaxPad = 1 << 20;

Result<Value> call(std::string_view name, const std::vector<Value>& a, bool header_mode) {
    auto str = [](std::string s) { return Value::own(Json(std::move(s))); };
    auto boolean = [](bool b) { return Value::own(Json(b)); };
    if (header_mode && (name == "json" || name == "split" || name == "join" || name == "title" ||
                        name == "lower" || name == "upper" || name == "truncate"))
        return header_function(name, a);
    if (name == "not") return boolean(!is_true(a[0]));
    if (name == "len") return fn_len(a[0]);
    if (name == "index") return fn_index(a);
    if (name == "slice") return fn_slice(a);
    if (name == "print") return str(go_sprint(a));
    if (name == "println") return str(go_sprintln(a));
    if (name == "printf") {
        std::string f = BERTH_TRY(want_string(a[0]));
        return str(go_sprintf(f, std::vector<Value>(a.begin() + 1, a.end())));
    }
    if (name == "eq") {
        if (a.size() < 2) return Error::invalid("missing argument for comparison");
        for (size_t k = 1; k < a.size(); ++k)
            if (BERTH_TRY(equal(a[0], a[k]))) return boolean(true);
        return boolean(false);
    }
    if (name == "ne") return boolean(!BERTH_TRY(equal(a[0], a[1])));
    if (name == "lt") return boolean(BERTH_TRY(less(a[0], a[1])));
    if (name == "le") return boolean(BERTH_TRY(less(a[0], a[1])) || BERTH_TRY(equal(a[0], a[1])));
    if (name == "gt") return boolean(!(BERTH_TRY(less(a[0], a[1])) || BERTH_TRY(equal(a[0], a[1]))));
    if (name == "ge") return boolean(!BERTH_TRY(less(a[0], a[1])));
    if (name == "html") return str(html_escape(eval_args(a)));
    if (name == "js") return str(js_escape(eval_args(a)));
    if (name == "urlquery") return str(percent_encode(eval_args(a), {}, true));
    if (name == "json") return str(go_json(a[0].json()));
    if (name == "split") return split(BERTH_TRY(want_string(a[0])), BERTH_TRY(want_string(a[1])));
    if (name == "join") {
        auto list = BERTH_TRY(want_strings(a[0]));
        std::string sep = BERTH_TRY(want_string(a[1])), out;
        for (size_t k = 0; k < list.size(); ++k) out += (k ? sep : "") + list[k];
        return str(std::move(out));
    }
    if (name == "title") return str(title(BERTH_TRY(want_string(a[0]))));
    if (name == "lower") return str(map_ascii(BERTH_TRY(want_string(a[0])), ::tolower));
    if (name == "upper") return str(map_ascii(BERTH_TRY(want_string(a[0])), ::toupper));
    if (name == "truncate") {
        std::string s = BERTH_TRY(want_string(a[0]));
        int64_t n = BERTH_TRY(want_int(a[1]));
        if (static_cast<int64_t>(s.size()) < n) return str(std::move(s));
        if (n < 0) return call_error(name, "slice bounds out of range [:" + std::to_string(n) + "]");
        return str(s.substr(0, n));
    }
    if (name == "pad") {
        std::string s = BERTH_TRY(want_string(a[0]));
        int64_t pre = BERTH_TRY(want_int(a[1])), post = BERTH_TRY(want_int(a[2]));
        if (s.empty()) return str(std::move(s));
        if (pre < 0 || post < 0) return call_error(name, "strings: negative Repeat count");
        if (pre > kMaxPad || post > kMaxPad) return call_error(name, "padding too large");
        return str(std::string(pre, ' ') + s + std::string(post, ' '));
    }
    return Error::invalid("function \"" + std::string(name) + "\" not defined");
}

}  // namespace

bool is_function(std::string_view name) {
    return find(name) != nullptr;
}

bool is_short_circuit(std::string_view name) {
    return name == "and" || name == "or";
}

Result<Value> call_function(std::string_view name, const std::vector<Value>& args, bool header_mode) {
    const FnInfo* f = find(name);
    if (!f) return Error::invalid("function \"" + std::string(name) + "\" not defined");
    int n = static_cast<int>(args.size());
    if (f->max_args < 0 && n < f->min_args)
        return Error::invalid("wrong number of args for " + std::string(name) + ": want at least " +
                              std::to_string(f->min_args) + " got " + std::to_string(n));
    if (f->max_args >= 0 && n != f->min_args)
        return Error::invalid("wrong number of args for " + std::string(name) + ": want " +
                              std::to_string(f->min_args) + " got " + std::to_string(n));
    auto r = call(name, args, header_mode);
    if (!r) {
        const std::string& m = r.error().message();
        // Argument type errors read as Go's; failures inside a function get its name.
        if (m.rfind("wrong type", 0) == 0 || m.rfind("invalid value", 0) == 0 ||
            m.rfind("error calling", 0) == 0)
            return r;
        return call_error(name, m);
    }
    return r;
}

}  // namespace berth::cli::format

// How Go prints values: fmt's %v for template output, encoding/json for docker's `json`
// function, strconv's shortest floats and strconv.Quote. Hand-written because the output must
// match the Go programs (docker CLI) byte for byte, which nlohmann's dump does not (1.0, <>).
#include "cli/format/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/go_json.h"
#include "common/strings.h"

namespace berth::cli::format {

const Json& Value::null_json() {
    static const Json null_value;
    return null_value;
}

std::string go_type_name(const Json& j) {
    switch (j.type()) {
        case Json::value_t::string:
            return "string";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "int";
        case Json::value_t::number_float:
            return "float64";
        case Json::value_t::boolean:
            return "bool";
        case Json::value_t::array:
            return "[]interface {}";
        case Json::value_t::object:
            return "map[string]interface {}";
        default:
            return "<nil>";
    }
}

std::string go_type_name(const Value& v) {
    return v.missing() ? "<no value>" : go_type_name(v.json());
}

bool as_int64(const Json& j, int64_t& out) {
    if (j.is_number_unsigned()) {
        uint64_t u = j.get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) return false;
        out = static_cast<int64_t>(u);
        return true;
    }
    if (j.is_number_integer()) {
        out = j.get<int64_t>();
        return true;
    }
    return false;
}

bool is_true(const Value& v) {
    if (v.missing()) return false;
    const Json& j = v.json();
    switch (j.type()) {
        case Json::value_t::boolean:
            return j.get<bool>();
        case Json::value_t::number_integer:
            return j.get<int64_t>() != 0;
        case Json::value_t::number_unsigned:
            return j.get<uint64_t>() != 0;
        case Json::value_t::number_float:
            return j.get<double>() != 0;
        case Json::value_t::string:
            return !j.get_ref<const std::string&>().empty();
        case Json::value_t::array:
        case Json::value_t::object:
            return !j.empty();
        default:
            return false;
    }
}

namespace {

// Shortest round-trip decimal digits of |f| and the position of the decimal point: the value
// is 0.<digits> * 10^dp, as in strconv's decimal type.
struct Decimal {
    std::string digits;
    int dp = 0;
};

Decimal shortest(double f) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::scientific);
    std::string_view s(buf, r.ptr - buf);  // "1.2345e+06"
    Decimal d;
    size_t e = s.find('e');
    for (char c : s.substr(0, e))
        if (c != '.') d.digits += c;
    int exp = 0;
    std::string_view es = s.substr(e + 1);
    if (!es.empty() && es[0] == '+') es.remove_prefix(1);
    std::from_chars(es.data(), es.data() + es.size(), exp);
    if (d.digits == "0") {
        d.dp = 1;
    } else {
        d.dp = exp + 1;
    }
    return d;
}

std::string fixed(const Decimal& d) {
    const std::string& g = d.digits;
    int nd = static_cast<int>(g.size());
    if (d.dp <= 0) return "0." + std::string(-d.dp, '0') + g;
    if (d.dp >= nd) return g + std::string(d.dp - nd, '0');
    return g.substr(0, d.dp) + "." + g.substr(d.dp);
}

std::string exponent(const Decimal& d) {
    std::string out = d.digits.substr(0, 1);
    if (d.digits.size() > 1) out += "." + d.digits.substr(1);
    int exp = d.digits == "0" ? 0 : d.dp - 1;
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
}

}  // namespace

std::string go_float(double f, char fmt) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
    Decimal d = shortest(f);
    std::string sign = std::signbit(f) ? "-" : "";
    if (fmt == 'g') {
        int exp = d.digits == "0" ? 0 : d.dp - 1;
        fmt = (exp < -4 || exp >= 6) ? 'e' : 'f';
    }
    return sign + (fmt == 'e' ? exponent(d) : fixed(d));
}

size_t rune_count(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

namespace {

void print_into(std::string& out, const Json& j) {
    switch (j.type()) {
        case Json::value_t::string:
            out += j.get_ref<const std::string&>();
            break;
        case Json::value_t::number_integer:
            out += std::to_string(j.get<int64_t>());
            break;
        case Json::value_t::number_unsigned:
            out += std::to_string(j.get<uint64_t>());
            break;
        case Json::value_t::number_float:
            out += go_float(j.get<double>(), 'g');
            break;
        case Json::value_t::boolean:
            out += j.get<bool>() ? "true" : "false";
            break;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& e : j) {
                if (!first) out += ' ';
                first = false;
                print_into(out, e);
            }
            out += ']';
            break;
        }
        case Json::value_t::object: {
            out += "map[";
            bool first = true;
            for (const auto& [k, v] : j.items()) {  // nlohmann objects are sorted, like fmt
                if (!first) out += ' ';
                first = false;
                out += k;
                out += ':';
                print_into(out, v);
            }
            out += ']';
            break;
        }
        default:
            out += "<nil>";
            break;
    }
}

void hex_escape(std::string& out, const char* prefix, uint32_t v, int width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%0*x", prefix, width, v);
    out += buf;
}

std::string json_float(double f) {
    if (!std::isfinite(f)) return "null";  // Go errors; JSON input cannot hold these anyway
    double a = std::fabs(f);
    bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
    std::string s = go_float(f, exp_form ? 'e' : 'f');
    if (exp_form) {  // Go cleans e-07 up to e-7
        size_t n = s.size();
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    }
    return s;
}

void json_into(std::string& out, const Json& j) {
    switch (j.type()) {
        case Json::value_t::string:
            append_go_json_string(out, j.get_ref<const std::string&>(), false);
            break;
        case Json::value_t::number_integer:
            out += std::to_string(j.get<int64_t>());
            break;
        case Json::value_t::number_unsigned:
            out += std::to_string(j.get<uint64_t>());
            break;
        case Json::value_t::number_float:
            out += json_float(j.get<double>());
            break;
        case Json::value_t::boolean:
            out += j.get<bool>() ? "true" : "false";
            break;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& e : j) {
                if (!first) out += ',';
                first = false;
                json_into(out, e);
            }
            out += ']';
            break;
        }
        case Json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, v] : j.items()) {
                if (!first) out += ',';
                first = false;
                append_go_json_string(out, k, false);
                out += ':';
                json_into(out, v);
            }
            out += '}';
            break;
        }
        default:
            out += "null";
            break;
    }
}

// unicode.IsPrint, approximated: controls (C0, DEL, C1) and a few invisible format
// characters are not printable; everything else valid is.
bool printable(uint32_t cp) {
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
    if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E)) return false;
    if (cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB)) return false;
    return true;
}

}  // namespace

std::string go_print(const Json& j) {
    std::string out;
    print_into(out, j);
    return out;
}

std::string go_print(const Value& v) {
    return v.missing() ? "<no value>" : go_print(v.json());
}

std::string go_json(const Json& j) {
    std::string out;
    json_into(out, j);
    return out;
}

std::string go_quote(std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        size_t len = decode_utf8(s, i, cp);
        if (len == 0) {
            hex_escape(out, "\\x", static_cast<unsigned char>(s[i]), 2);
            ++i;
            continue;
        }
        i += len;
        switch (cp) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\a':
                out += "\\a";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            case '\v':
                out += "\\v";
                continue;
            default:
                break;
        }
        if (printable(cp))
            out.append(s.substr(i - len, len));
        else if (cp < 0x80)
            hex_escape(out, "\\x", cp, 2);
        else if (cp < 0x10000)
            hex_escape(out, "\\u", cp, 4);
        else
            hex_escape(out, "\\U", cp, 8);
    }
    out += '"';
    return out;
}

}  // namespace berth::cli::format

// fmt.Sprintf, Sprint and Sprintln for template values: the verbs, flags, widths and the
// %!verb(type=value) complaints of Go's fmt package, for the value kinds JSON can hold.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "cli/format/functions.h"

namespace berth::cli::format {

namespace {

struct Spec {
    bool minus = false, plus = false, space = false, zero = false, sharp = false;
    int width = -1, prec = -1;
};

void pad(std::string& out, std::string_view s, const Spec& sp, bool zero_ok = false) {
    int n = sp.width - static_cast<int>(rune_count(s));
    if (n <= 0) {
        out += s;
        return;
    }
    if (sp.minus) {
        out += s;
        out.append(n, ' ');
    } else if (sp.zero && zero_ok) {
        // zeros go after the sign
        size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
        out += s.substr(0, sign);
        out.append(n, '0');
        out += s.substr(sign);
    } else {
        out.append(n, ' ');
        out += s;
    }
}

void put_rune(std::string& s, uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void bad_verb(std::string& out, char verb, const Json& j) {
    out += "%!";
    out += verb;
    out += '(';
    if (j.is_null()) {
        out += "<nil>";
    } else {
        out += go_type_name(j);
        out += '=';
        out += go_print(j);
    }
    out += ')';
}

bool format_int(std::string& out, char verb, const Spec& sp, const Json& j) {
    bool neg = j.is_number_integer() && j.get<int64_t>() < 0;
    uint64_t mag = j.is_number_unsigned() ? j.get<uint64_t>()
                   : neg                  ? static_cast<uint64_t>(-(j.get<int64_t>() + 1)) + 1
                                          : static_cast<uint64_t>(j.get<int64_t>());
    if (verb == 'c' || verb == 'q' || verb == 'U') {
        uint32_t cp = mag > 0x10FFFF || neg ? 0xFFFD : static_cast<uint32_t>(mag);
        std::string s;
        if (verb == 'c') {
            put_rune(s, cp);
        } else if (verb == 'U') {
            char buf[32];
            std::snprintf(buf, sizeof buf, "U+%04X", cp);
            s = buf;
            if (sp.sharp) {
                s += " '";
                put_rune(s, cp);
                s += "'";
            }
        } else {
            std::string r;
            put_rune(r, cp);
            std::string q = r == "'" ? "\"\\'\"" : go_quote(r);
            s = "'" + q.substr(1, q.size() - 2) + "'";
            if (s == "'\\\"'") s = "'\"'";
        }
        pad(out, s, sp);
        return true;
    }
    int base = 10;
    const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string prefix;
    switch (verb) {
        case 'v':
        case 'd':
            break;
        case 'b':
            base = 2;
            if (sp.sharp) prefix = "0b";
            break;
        case 'o':
            base = 8;
            if (sp.sharp) prefix = "0";
            break;
        case 'O':
            base = 8;
            prefix = "0o";
            break;
        case 'x':
            base = 16;
            if (sp.sharp) prefix = "0x";
            break;
        case 'X':
            base = 16;
            digits = "0123456789ABCDEF";
            if (sp.sharp) prefix = "0X";
            break;
        default:
            return false;
    }
    std::string num;
    do {
        num.insert(num.begin(), digits[mag % base]);
        mag /= base;
    } while (mag);
    if (sp.prec == 0 && num == "0") num.clear();
    if (sp.prec > static_cast<int>(num.size())) num.insert(0, sp.prec - num.size(), '0');
    if (prefix == "0" && !num.empty() && num[0] == '0') prefix.clear();
    std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
    Spec p = sp;
    if (sp.prec >= 0) p.zero = false;  // precision turns zero padding off, as in Go
    if (p.zero && !p.minus && p.width > 0) {
        int fill = p.width - static_cast<int>(sign.size() + prefix.size() + num.size());
        if (fill > 0) num.insert(0, fill, '0');
    }
    pad(out, sign + prefix + num, p);
    return true;
}

// snprintf of one float into a string of the size it needs (%f of 1e300 is long).
std::string c_format(const char* fmt, int prec, double f) {
    int n = std::snprintf(nullptr, 0, fmt, prec, f);
    if (n <= 0) return {};
    std::string s(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(s.data(), s.size(), fmt, prec, f);
    s.resize(static_cast<size_t>(n));
    return s;
}

bool format_float(std::string& out, char verb, const Spec& sp, double f) {
    std::string s;
    switch (verb) {
        case 'v':
        case 'g':
        case 'G':
        case 'e':
        case 'E':
            if (sp.prec < 0 && verb != 'e' && verb != 'E') {  // %e defaults to precision 6
                s = go_float(f, 'g');
            } else {
                char c = verb == 'v' ? 'g' : verb;
                int prec = sp.prec < 0 ? 6 : sp.prec;
                s = c_format(c == 'g' ? "%.*g" : c == 'G' ? "%.*G" : c == 'e' ? "%.*e" : "%.*E", prec, f);
            }
            if (verb == 'E' || verb == 'G')
                for (auto& ch : s) ch = ch == 'e' ? 'E' : ch;
            break;
        case 'f':
        case 'F': {
            s = c_format("%.*f", sp.prec < 0 ? 6 : sp.prec, f);
            break;
        }
        default:
            return false;
    }
    if (!s.empty() && s[0] != '-') {
        if (sp.plus)
            s = "+" + s;
        else if (sp.space)
            s = " " + s;
    }
    pad(out, s, sp, std::isfinite(f));
    return true;
}

bool format_string(std::string& out, char verb, const Spec& sp, std::string_view s) {
    std::string t;
    if (sp.prec >= 0) {  // precision truncates to that many runes
        size_t runes = 0, i = 0;
        for (; i < s.size(); ++i) {
            if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && runes++ == static_cast<size_t>(sp.prec))
                break;
        }
        s = s.substr(0, i);
    }
    switch (verb) {
        case 'v':
        case 's':
            t = std::string(s);
            break;
        case 'q':
            t = go_quote(s);
            break;
        case 'x':
        case 'X': {
            const char* d = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
            if (sp.sharp) t = verb == 'x' ? "0x" : "0X";
            for (unsigned char c : s) {
                t += d[c >> 4];
                t += d[c & 15];
            }
            break;
        }
        default:
            return false;
    }
    pad(out, t, sp);
    return true;
}

void format_value(std::string& out, char verb, const Spec& sp, const Json& j, bool nested) {
    switch (j.type()) {
        case Json::value_t::null:
            if (verb == 'v' || nested)
                pad(out, "<nil>", sp);
            else
                bad_verb(out, verb, j);
            return;
        case Json::value_t::boolean:
            if (verb == 'v' || verb == 't')
                pad(out, j.get<bool>() ? "true" : "false", sp);
            else
                bad_verb(out, verb, j);
            return;
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            if (!format_int(out, verb, sp, j)) bad_verb(out, verb, j);
            return;
        case Json::value_t::number_float:
            if (!format_float(out, verb, sp, j.get<double>())) bad_verb(out, verb, j);
            return;
        case Json::value_t::string:
            if (!format_string(out, verb, sp, j.get_ref<const std::string&>())) bad_verb(out, verb, j);
            return;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& e : j) {
                if (!first) out += ' ';
                first = false;
                format_value(out, verb, sp, e, true);
            }
            out += ']';
            return;
        }
        case Json::value_t::object: {
            out += "map[";
            bool first = true;
            for (const auto& [k, v] : j.items()) {
                if (!first) out += ' ';
                first = false;
                format_value(out, verb, sp, Json(k), true);
                out += ':';
                format_value(out, verb, sp, v, true);
            }
            out += ']';
            return;
        }
        default:
            bad_verb(out, verb, j);
            return;
    }
}

// The flags after '%' (-, +, space, 0, #), from f[i] on; leaves i on the first other character.
// As in Go, '-' turns '0' off and a later '0' does not turn it back on.
void read_spec_flags(std::string_view f, size_t& i, Spec& sp) {
    for (; i < f.size(); ++i) {
        char c = f[i];
        if (c == '-')
            sp.minus = true, sp.zero = false;
        else if (c == '+')
            sp.plus = true;
        else if (c == ' ')
            sp.space = true;
        else if (c == '0')
            sp.zero = !sp.minus;
        else if (c == '#')
            sp.sharp = true;
        else
            break;
    }
}

// Go's "%!(EXTRA type=value, ...)" for the arguments from argi on that no verb used.
void append_extra_args(std::string& out, const std::vector<Value>& args, size_t argi) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
        if (k > argi) out += ", ";
        const Json& j = args[k].json();
        out += j.is_null() ? "<nil>" : go_type_name(j) + "=" + go_print(j);
    }
    out += ')';
}

}  // namespace

constexpr int64_t kTooLarge = 1000000;

std::string go_sprintf(std::string_view f, const std::vector<Value>& args) {
    std::string out;
    size_t argi = 0;
    for (size_t i = 0; i < f.size();) {
        if (f[i] != '%') {
            size_t next = f.find('%', i);
            if (next == std::string_view::npos) next = f.size();
            out += f.substr(i, next - i);
            i = next;
            continue;
        }
        ++i;
        Spec sp;
        read_spec_flags(f, i, sp);
        auto number = [&](int& n) {
            if (i < f.size() && f[i] == '*') {  // width or precision from the arguments
                ++i;
                int64_t v = 0;
                if (argi < args.size() && as_int64(args[argi].json(), v) && v >= -kTooLarge && v <= kTooLarge)
                    n = static_cast<int>(v);
                else
                    out += "%!(BADWIDTH)";
                ++argi;
                if (n < 0) sp.minus = true, n = -n;
                return;
            }
            bool digits = false;
            int64_t v = 0;
            while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
                digits = true;
                v = std::min<int64_t>(v * 10 + (f[i++] - '0'), kTooLarge + 1);
            }
            if (digits) n = static_cast<int>(v);
        };
        number(sp.width);
        if (sp.width > kTooLarge) {  // Go refuses widths and precisions over 1e6
            out += "%!(BADWIDTH)";
            sp.width = -1;
        }
        if (i < f.size() && f[i] == '.') {
            ++i;
            sp.prec = 0;
            number(sp.prec);
            if (sp.prec > kTooLarge) {
                out += "%!(BADPREC)";
                sp.prec = -1;
            }
        }
        if (i >= f.size()) {
            out += "%!(NOVERB)";
            break;
        }
        char verb = f[i++];
        if (verb == '%') {
            out += '%';
            continue;
        }
        if (argi >= args.size()) {
            out += "%!";
            out += verb;
            out += "(MISSING)";
            continue;
        }
        const Value& a = args[argi++];
        if (verb == 'T') {
            pad(out, a.json().is_null() ? "<nil>" : go_type_name(a.json()), sp);
            continue;
        }
        format_value(out, verb, sp, a.json(), false);
    }
    if (argi < args.size()) append_extra_args(out, args, argi);
    return out;
}

std::string go_sprint(const std::vector<Value>& args) {
    std::string out;
    bool prev_string = false;
    for (size_t k = 0; k < args.size(); ++k) {
        const Json& j = args[k].json();
        bool is_string = j.is_string();
        if (k > 0 && !is_string && !prev_string) out += ' ';
        out += go_print(j);
        prev_string = is_string;
    }
    return out;
}

std::string go_sprintln(const std::vector<Value>& args) {
    std::string out;
    for (size_t k = 0; k < args.size(); ++k) {
        if (k > 0) out += ' ';
        out += go_print(args[k].json());
    }
    out += '\n';
    return out;
}

}  // namespace berth::cli::format

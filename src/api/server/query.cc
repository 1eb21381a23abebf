// Query string parsing (Go url.ParseQuery semantics), docker booleans and filters.
#include "api/server/query.h"

#include <cerrno>
#include <cstdlib>

#include "common/json.h"

namespace berth::api {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace

Result<std::string> url_unescape(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                std::string_view bad = s.substr(i, 3);
                return Error::invalid("invalid URL escape \"" + std::string(bad) + "\"");
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<Query> Query::parse(std::string_view raw) {
    Query q;
    while (!raw.empty()) {
        std::size_t amp = raw.find('&');
        std::string_view pair = raw.substr(0, amp);
        raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
        if (pair.empty()) continue;
        if (pair.find(';') != std::string_view::npos) {
            // Go (1.17+) refuses semicolons as separators; be as strict.
            return Error::invalid("invalid semicolon separator in query");
        }
        std::size_t eq = pair.find('=');
        std::string key = BERTH_TRY(url_unescape(pair.substr(0, eq), true));
        std::string value;
        if (eq != std::string_view::npos) value = BERTH_TRY(url_unescape(pair.substr(eq + 1), true));
        q.add(std::move(key), std::move(value));
    }
    return q;
}

bool Query::has(std::string_view key) const {
    return values_.find(key) != values_.end();
}

std::string Query::get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end() || it->second.empty()) return {};
    return it->second.front();
}

std::vector<std::string> Query::get_all(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return {};
    return it->second;
}

bool parse_docker_bool(std::string_view value) {
    std::string s = lower_trimmed(value);
    return !(s.empty() || s == "0" || s == "no" || s == "false" || s == "none");
}

bool Query::get_bool(std::string_view key, bool def) const {
    if (!has(key)) return def;
    return parse_docker_bool(get(key));
}

Result<int64_t> Query::get_int(std::string_view key, int64_t def) const {
    std::string v = get(key);
    if (v.empty()) return def;
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (errno != 0 || end == v.c_str() || *end != '\0') {
        return Error::invalid("invalid value for " + std::string(key) + ": \"" + v + "\"");
    }
    return static_cast<int64_t>(n);
}

Result<Filters> Query::filters(std::string_view key) const {
    return parse_filters(get(key));
}

Result<Filters> parse_filters(std::string_view text) {
    Filters out;
    if (text.empty()) return out;
    auto parsed = parse_json(text, "filters");
    if (!parsed || !parsed->is_object()) {
        return Error::invalid("invalid filter '" + std::string(text) + "'");
    }
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
        std::vector<std::string>& values = out[it.key()];
        const Json& v = it.value();
        if (v.is_array()) {
            for (const Json& e : v) {
                if (!e.is_string()) return Error::invalid("invalid filter '" + std::string(text) + "'");
                values.push_back(e.get<std::string>());
            }
        } else if (v.is_object()) {
            // The old map form: {"status": {"running": true}}; moby takes every key.
            for (auto e = v.begin(); e != v.end(); ++e) {
                if (!e.value().is_boolean()) {
                    return Error::invalid("invalid filter '" + std::string(text) + "'");
                }
                values.push_back(e.key());
            }
        } else {
            return Error::invalid("invalid filter '" + std::string(text) + "'");
        }
    }
    return out;
}

}  // namespace berth::api

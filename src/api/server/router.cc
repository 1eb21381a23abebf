// Route patterns, version prefixes and matching (see router.h).
#include "api/server/router.h"

#include <cstdlib>

namespace berth::api {

namespace {

bool is_version_char(char c) {
    return (c >= '0' && c <= '9') || c == '.';
}

// Splits "/v1.47/containers/json" into version "1.47" and "/containers/json", as moby's
// "/v{version:[0-9.]+}" route prefix does; other paths are left whole.
void split_version(std::string_view path, std::string_view* version, std::string_view* rest) {
    *version = {};
    *rest = path;
    if (path.size() < 3 || path[0] != '/' || path[1] != 'v') return;
    std::size_t end = 2;
    while (end < path.size() && is_version_char(path[end])) ++end;
    if (end == 2 || end == path.size() || path[end] != '/') return;
    *version = path.substr(2, end - 2);
    *rest = path.substr(end);
}

bool match_parts(const std::vector<Route::Part>& parts, std::size_t i, std::string_view path, std::size_t pos,
                 std::map<std::string, std::string>& params) {
    if (i == parts.size()) return pos == path.size();
    const Route::Part& part = parts[i];
    if (!part.param) {
        if (path.compare(pos, part.text.size(), part.text) != 0) return false;
        return match_parts(parts, i + 1, path, pos + part.text.size(), params);
    }
    // Greedy like the regexps gorilla/mux builds: longest candidate first.
    std::size_t limit = path.size();
    std::size_t shortest = pos;
    if (!part.greedy) {
        std::size_t slash = path.find('/', pos);
        if (slash != std::string_view::npos) limit = slash;
        shortest = pos + 1;  // [^/]+
    }
    for (std::size_t end = limit + 1; end-- > shortest;) {
        if (match_parts(parts, i + 1, path, end, params)) {
            params[part.text] = std::string(path.substr(pos, end - pos));
            return true;
        }
    }
    return false;
}

Result<std::vector<Route::Part>> parse_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern[0] != '/') {
        return Error::invalid("route pattern must start with '/': " + std::string(pattern));
    }
    std::vector<Route::Part> parts;
    std::size_t pos = 0;
    while (pos < pattern.size()) {
        std::size_t open = pattern.find('{', pos);
        if (open != pos) {
            Route::Part lit;
            lit.text = std::string(pattern.substr(pos, open - pos));
            parts.push_back(std::move(lit));
            if (open == std::string_view::npos) break;
        }
        std::size_t close = pattern.find('}', open);
        if (close == std::string_view::npos) {
            return Error::invalid("unclosed '{' in route pattern " + std::string(pattern));
        }
        std::string_view spec = pattern.substr(open + 1, close - open - 1);
        Route::Part param;
        param.param = true;
        std::size_t colon = spec.find(':');
        param.text = std::string(spec.substr(0, colon));
        if (colon != std::string_view::npos) {
            if (spec.substr(colon + 1) != ".*") {
                return Error::invalid("only {name} and {name:.*} are supported: " + std::string(pattern));
            }
            param.greedy = true;
        }
        if (param.text.empty()) {
            return Error::invalid("empty parameter name in route pattern " + std::string(pattern));
        }
        parts.push_back(std::move(param));
        pos = close + 1;
    }
    return parts;
}

}  // namespace

int compare_api_versions(std::string_view a, std::string_view b) {
    // Missing components count as 0, like moby's api/types/versions.compare.
    while (!a.empty() || !b.empty()) {
        auto take = [](std::string_view& s) {
            std::size_t dot = s.find('.');
            std::string_view head = s.substr(0, dot);
            s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
            long n = 0;
            for (char c : head) {
                if (c < '0' || c > '9') break;
                n = n * 10 + (c - '0');
                if (n > 1000000) break;
            }
            return n;
        };
        long x = take(a);
        long y = take(b);
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

Router::Router(std::string min_version, std::string max_version)
    : min_(std::move(min_version)), max_(std::move(max_version)) {}

Result<> Router::add(std::string_view method, std::string_view pattern, Handler handler,
                     RouteOptions options) {
    Route route;
    route.method = std::string(method);
    route.pattern = std::string(pattern);
    route.handler = std::move(handler);
    route.options = options;
    route.parts = BERTH_TRY(parse_pattern(pattern));
    routes_.push_back(std::move(route));
    return ok();
}

Result<RouteMatch> Router::match(std::string_view method, std::string_view path) const {
    std::string_view version;
    std::string_view rest;
    split_version(path, &version, &rest);

    RouteMatch m;
    const Route* fallback = nullptr;  // GET route for a HEAD request
    std::map<std::string, std::string> fallback_params;
    for (const Route& r : routes_) {
        bool same = r.method == method;
        bool head_get = method == "HEAD" && r.method == "GET" && !fallback;
        if (!same && !head_get) continue;
        std::map<std::string, std::string> params;
        if (!match_parts(r.parts, 0, rest, 0, params)) continue;
        if (same) {
            m.route = &r;
            m.params = std::move(params);
            break;
        }
        fallback = &r;
        fallback_params = std::move(params);
    }
    if (!m.route && fallback) {
        m.route = fallback;
        m.params = std::move(fallback_params);
    }
    if (!m.route) return Error::not_found("page not found");

    m.path = std::string(rest);
    m.version = version.empty() ? max_ : std::string(version);
    if (compare_api_versions(m.version, max_) > 0) {
        return Error::invalid("client version " + m.version +
                              " is too new. Maximum supported API version is " + max_);
    }
    if (compare_api_versions(m.version, min_) < 0) {
        return Error::invalid("client version " + m.version +
                              " is too old. Minimum supported API version is " + min_ +
                              ", please upgrade your client to a newer version");
    }
    return m;
}

}  // namespace berth::api

// Routes "METHOD /pattern" to handlers, the way moby's gorilla/mux router does: an optional
// "/v1.47" prefix (stripped, checked against the supported range), `{name}` parameters
// matching one path segment and `{name:.*}` matching the rest including slashes (image
// names such as "registry:5000/org/app"). First registered match wins.
//
//   Router r;
//   r.add("GET", "/containers/{id}/json", inspect);
//   r.add("GET", "/images/{name:.*}/json", image_inspect);
//   auto m = r.match("GET", "/v1.45/images/library/busybox/json");  // name = library/busybox
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/server/request.h"
#include "common/error.h"

namespace berth::api {

inline constexpr std::string_view kApiVersion = "1.47";
inline constexpr std::string_view kMinApiVersion = "1.24";

struct RouteOptions {
    // The handler reads the body itself through Request::body_reader() (no size limit).
    bool stream_body = false;
    // True for a request this handler answers at once without blocking (no waiting on a
    // container, no streaming, no disk walk): it then runs on the connection's I/O thread,
    // sparing the two thread hand-offs that cost more than a ping itself.
    std::function<bool(const Request&)> quick;
};

struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    RouteOptions options;

    struct Part {
        bool param = false;
        bool greedy = false;  // {name:.*}
        std::string text;     // literal text, or the parameter's name
    };
    std::vector<Part> parts;
};

struct RouteMatch {
    const Route* route = nullptr;
    std::string path;     // without the version prefix
    std::string version;  // from the prefix, else the maximum
    std::map<std::string, std::string> params;
};

// <0, 0, >0 like strcmp, comparing dot-separated numbers ("1.9" < "1.10").
int compare_api_versions(std::string_view a, std::string_view b);

class Router {
public:
    explicit Router(std::string min_version = std::string(kMinApiVersion),
                    std::string max_version = std::string(kApiVersion));

    // Patterns are checked when added: a bad one (unclosed brace, empty name) is an error.
    Result<> add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options = {});

    // `path` is already percent-decoded and has no query. Errors: NotFound "page not found"
    // (unknown path, or a known path with another method, as moby answers both), and
    // InvalidArgument with docker's wording when the version is out of range. HEAD falls
    // back to the GET route (the server then drops the body).
    Result<RouteMatch> match(std::string_view method, std::string_view path) const;

    const std::string& min_version() const { return min_; }
    const std::string& max_version() const { return max_; }
    const std::vector<Route>& routes() const { return routes_; }

private:
    std::string min_;
    std::string max_;
    std::vector<Route> routes_;
};

}  // namespace berth::api

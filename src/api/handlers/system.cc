// System endpoints: /_ping, /version and the /events stream (Docker Engine API 1.47).
#include <sys/utsname.h>

#include <chrono>

#include "api/handlers/handlers.h"
#include "api/server/http_server.h"

namespace berth::api {

namespace {

constexpr const char* kMinApi = "1.24";
constexpr const char* kMaxApi = "1.47";

std::string kernel_version() {
    struct utsname u;
    return uname(&u) == 0 ? u.release : "";
}

Json version_json(const SystemServices& s) {
    std::string kernel = kernel_version();
    Json details = {{"ApiVersion", kMaxApi}, {"MinAPIVersion", kMinApi}, {"GitCommit", ""},
                    {"GoVersion", "n/a (C++20)"}, {"Os", "linux"}, {"Arch", "amd64"},
                    {"KernelVersion", kernel}, {"BuildTime", __DATE__ " " __TIME__}};
    return {{"Platform", {{"Name", "Berth"}}},
            {"Components", {{{"Name", "Engine"}, {"Version", s.version}, {"Details", details}}}},
            {"Version", s.version},
            {"ApiVersion", kMaxApi},
            {"MinAPIVersion", kMinApi},
            {"GitCommit", ""},
            {"GoVersion", "n/a (C++20)"},
            {"Os", "linux"},
            {"Arch", "amd64"},
            {"KernelVersion", kernel},
            {"BuildTime", __DATE__ " " __TIME__}};
}

// since/until: unix seconds, optionally with a fraction ("1700000000.5"); Docker also
// accepts RFC 3339 and durations, which the docker CLI converts before sending.
Result<int64_t> parse_time_param(const Query& q, const char* key) {
    std::string v = q.get(key);
    if (v.empty()) return int64_t(0);
    char* end;
    double seconds = strtod(v.c_str(), &end);
    if (*end || seconds < 0) return Error::invalid(std::string("invalid value for ") + key + ": \"" + v + "\"");
    return static_cast<int64_t>(seconds * 1e9);
}

const char* kEventFilterKeys[] = {"config", "container", "daemon", "event", "image", "label",
                                  "network", "node", "plugin", "scope", "secret", "service", "type", "volume"};

Result<Response> events(Request& req, const SystemServices& s) {
    auto filters = BERTH_TRY(req.query.filters());
    for (auto& [key, values] : filters) {
        bool known = false;
        for (auto* k : kEventFilterKeys) known |= key == k;
        if (!known) return Error::invalid("invalid filter '" + key + "'");
    }
    daemon::EventFilters f(filters.begin(), filters.end());
    int64_t since = BERTH_TRY(parse_time_param(req.query, "since"));
    int64_t until = BERTH_TRY(parse_time_param(req.query, "until"));
    Headers h;
    h.set("Content-Type", "application/json");
    auto stream = BERTH_TRY(req.start_stream(200, h));
    if (until > 0 && until <= daemon::now_nano()) {
        for (auto& ev : s.events->history(f, since, until)) (void)stream->write(dump_json(ev.to_json()) + "\n");
        stream->finish();
        return Response::empty(200);
    }
    auto sub = s.events->subscribe(f, since);
    while (!stream->disconnected() && !sub->closed()) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        auto ev = sub->next(deadline);
        if (!ev) {
            if (until > 0 && daemon::now_nano() > until) break;
            continue;
        }
        if (until > 0 && ev->time_nano > until) break;
        if (!stream->write(dump_json(ev->to_json()) + "\n")) break;
    }
    stream->finish();
    return Response::empty(200);
}

}  // namespace

Result<> add_system_routes(Router& router, const SystemServices& s) {
    auto ping = [](Request&) -> Result<Response> {
        auto r = Response::text(200, "OK");
        r.headers.set("Cache-Control", "no-cache, no-store, must-revalidate");
        r.headers.set("Pragma", "no-cache");
        return r;
    };
    BERTH_TRY(router.add("GET", "/_ping", ping));
    BERTH_TRY(router.add("HEAD", "/_ping", ping));
    BERTH_TRY(router.add("GET", "/version", [s](Request&) -> Result<Response> {
        return Response::json(200, version_json(s));
    }));
    BERTH_TRY(router.add("GET", "/events", [s](Request& req) { return events(req, s); }));
    return ok();
}

}  // namespace berth::api

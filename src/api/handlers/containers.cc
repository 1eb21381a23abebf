// /containers/...: the Engine API's container endpoints over the container manager.
#include "daemon/containers/containers.h"

#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "api/handlers/handlers.h"
#include "api/handlers/stdio_proxy.h"
#include "common/log.h"
#include "common/time.h"
#include "shim/shim.h"

namespace berth::api {

namespace {

namespace dc = daemon::containers;

Result<Json> body_json(const Request& req) {
    if (req.body.empty()) return Json::object();
    auto j = parse_json(req.body);
    if (!j) return Error::invalid("invalid JSON: " + j.error().message());
    return *j;
}

// ?t= (stop/restart timeout, seconds); absent -> the container's default.
Result<std::optional<int>> timeout_param(const Request& req) {
    if (!req.query.has("t")) return std::optional<int>();
    auto t = BERTH_TRY(req.query.get_int("t"));
    return std::optional<int>(static_cast<int>(t));
}

// since/until for logs: unix seconds with an optional fraction, or RFC 3339.
Result<int64_t> time_param(const Request& req, const char* key) {
    std::string v = req.query.get(key);
    if (v.empty() || v == "0") return int64_t(0);
    char* end;
    double d = strtod(v.c_str(), &end);
    if (!*end) return static_cast<int64_t>(d * 1e9);
    auto t = parse_rfc3339(v);
    if (!t) return Error::invalid("invalid value for " + std::string(key) + ": \"" + v + "\"");
    return *t;
}

Response no_content() {
    return Response::empty(204);
}
Response not_modified() {
    return Response::empty(304);
}

std::function<Result<>(std::string_view)> stream_writer(const std::shared_ptr<ResponseStream>& s) {
    return [s](std::string_view d) { return s->write(std::string(d)); };
}

// create, start, stop, restart, kill, pause, unpause, wait, remove, rename, prune.
Result<> add_lifecycle_routes(Router& r, dc::Lifecycle* m, dc::Queries* q) {
    BERTH_TRY(r.add("POST", "/containers/create", [m](Request& req) -> Result<Response> {
        auto request = BERTH_TRY(dc::read_create_request(BERTH_TRY(body_json(req))));
        auto created = BERTH_TRY(m->create(req.query.get("name"), request));
        return Response::json(201, {{"Id", created.id}, {"Warnings", created.warnings}});
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/start", [m](Request& req) -> Result<Response> {
        bool started = BERTH_TRY(m->start(req.param("id")));
        return started ? no_content() : not_modified();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/stop", [m](Request& req) -> Result<Response> {
        auto t = BERTH_TRY(timeout_param(req));
        bool stopped = BERTH_TRY(m->stop(req.param("id"), t, req.query.get("signal")));
        return stopped ? no_content() : not_modified();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/restart", [m](Request& req) -> Result<Response> {
        auto t = BERTH_TRY(timeout_param(req));
        BERTH_TRY(m->restart(req.param("id"), t, req.query.get("signal")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/kill", [m](Request& req) -> Result<Response> {
        BERTH_TRY(m->kill(req.param("id"), req.query.get("signal")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/pause", [m](Request& req) -> Result<Response> {
        BERTH_TRY(m->pause(req.param("id")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/unpause", [m](Request& req) -> Result<Response> {
        BERTH_TRY(m->unpause(req.param("id")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/wait", [m, q](Request& req) -> Result<Response> {
        std::string c = req.query.get("condition");
        daemon::containers::WaitCondition cond = daemon::containers::WaitCondition::NotRunning;
        if (c == "next-exit")
            cond = daemon::containers::WaitCondition::NextExit;
        else if (c == "removed")
            cond = daemon::containers::WaitCondition::Removed;
        else if (!c.empty() && c != "not-running")
            return Error::invalid("invalid condition: \"" + c + "\"");
        // Headers first, as Docker: the client knows the wait is registered before it starts
        // the container; the status follows when the condition holds.
        auto id = req.param("id");
        std::shared_ptr<ResponseStream> stream;
        auto cancelled = [&] { return stream && stream->disconnected(); };
        auto e = q->inspect(id, false);
        if (!e) return e.error();
        Headers h;
        h.set("Content-Type", "application/json");
        stream = BERTH_TRY(req.start_stream(200, h));
        auto out = m->wait(id, cond, cancelled);
        if (!out) out = Json{{"StatusCode", -1}, {"Error", {{"Message", out.error().message()}}}};
        (void)stream->write(dump_json(*out) + "\n");  // fails only when the client has left
        stream->finish();
        return Response::empty(200);
    }));
    BERTH_TRY(r.add("DELETE", "/containers/{id}", [m](Request& req) -> Result<Response> {
        BERTH_TRY(m->remove(req.param("id"), req.query.get_bool("force"), req.query.get_bool("v")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/{id}/rename", [m](Request& req) -> Result<Response> {
        BERTH_TRY(m->rename(req.param("id"), req.query.get("name")));
        return no_content();
    }));
    BERTH_TRY(r.add("POST", "/containers/prune", [m](Request& req) -> Result<Response> {
        auto filters = BERTH_TRY(req.query.filters());
        return Response::json(200, BERTH_TRY(m->prune(filters)));
    }));
    return ok();
}

// json (the list), {id}/json, top, changes, stats.
Result<> add_query_routes(Router& r, dc::Queries* m) {
    BERTH_TRY(r.add(
        "GET", "/containers/json",
        [m](Request& req) -> Result<Response> {
            auto filters = BERTH_TRY(req.query.filters());
            int64_t limit = BERTH_TRY(req.query.get_int("limit", -1));
            auto out = BERTH_TRY(m->list(req.query.get_bool("all"), static_cast<int>(limit),
                                         req.query.get_bool("size"), filters));
            return Response::text(200, std::move(out), "application/json");
        },
        // In memory unless sizes are asked for (a walk of every writable layer).
        RouteOptions{.quick = [](const Request& req) { return !req.query.get_bool("size"); }}));
    BERTH_TRY(r.add("GET", "/containers/{id}/json", [m](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(m->inspect(req.param("id"), req.query.get_bool("size"))));
    }));
    BERTH_TRY(r.add("GET", "/containers/{id}/top", [m](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(m->top(req.param("id"), req.query.get("ps_args"))));
    }));
    BERTH_TRY(r.add("GET", "/containers/{id}/changes", [m](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(m->changes(req.param("id"))));
    }));
    BERTH_TRY(r.add("GET", "/containers/{id}/stats", [m](Request& req) -> Result<Response> {
        bool stream_mode = req.query.has("stream") ? req.query.get_bool("stream") : true;
        if (req.query.get_bool("one-shot")) stream_mode = false;
        if (!stream_mode) return Response::json(200, BERTH_TRY(m->stats(req.param("id"))));
        Headers h;
        h.set("Content-Type", "application/json");
        BERTH_TRY(m->stats(req.param("id")));
        auto stream = BERTH_TRY(req.start_stream(200, h));
        while (!stream->disconnected()) {
            auto s = m->stats(req.param("id"));
            if (!s || !stream->write(dump_json(*s) + "\n")) break;
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        stream->finish();
        return Response::empty(200);
    }));
    return ok();
}

// GET /containers/{id}/export: the rootfs as a tar stream.
Result<Response> export_container(Request& req, dc::Io* m, dc::Queries* q) {
    BERTH_TRY(q->inspect(req.param("id"), false));
    Headers h;
    h.set("Content-Type", "application/x-tar");
    auto stream = BERTH_TRY(req.start_stream(200, h));
    auto r = m->export_rootfs(req.param("id"), stream_writer(stream));
    stream->finish();
    if (!r) return r.error();
    return Response::empty(200);
}

// The query of /containers/{id}/logs: stdout, stderr, follow, timestamps, since, until, tail.
Result<dc::LogOptions> log_options(const Request& req) {
    dc::LogOptions o;
    o.stdout_ = req.query.get_bool("stdout");
    o.stderr_ = req.query.get_bool("stderr");
    if (!o.stdout_ && !o.stderr_)
        return Error::invalid("Bad parameters: you must choose at least one stream");
    o.follow = req.query.get_bool("follow");
    o.timestamps = req.query.get_bool("timestamps");
    o.since_nanos = BERTH_TRY(time_param(req, "since"));
    o.until_nanos = BERTH_TRY(time_param(req, "until"));
    std::string tail = req.query.get("tail");
    if (!tail.empty() && tail != "all") {
        char* end;
        long v = strtol(tail.c_str(), &end, 10);
        if (*end || v < 0) return Error::invalid("invalid value for tail: \"" + tail + "\"");
        o.tail = v;
    }
    return o;
}

// GET /containers/{id}/logs
Result<Response> container_logs(Request& req, dc::Io* m) {
    auto o = BERTH_TRY(log_options(req));
    bool tty = BERTH_TRY(m->is_tty(req.param("id")));
    Headers h;
    h.set("Content-Type", std::string(tty ? kRawStream : kMultiplexedStream));
    // Errors before any output keep their status (e.g. the "none" log driver).
    std::shared_ptr<ResponseStream> stream;
    auto writer = [&](std::string_view d) -> Result<> {
        if (!stream) stream = BERTH_TRY(req.start_stream(200, h));
        return stream->write(std::string(d));
    };
    auto done = m->logs(req.param("id"), o, writer, [&] { return stream && stream->disconnected(); });
    if (!stream) {
        if (!done) return done.error();
        stream = BERTH_TRY(req.start_stream(200, h));
    }
    stream->finish();
    return Response::empty(200);
}

// POST /containers/{id}/attach: upgrades the connection and proxies the container's stdio.
Result<Response> attach_container(Request& req, dc::Io* m, dc::Queries* q) {
    std::string id = req.param("id");
    bool in = req.query.get_bool("stdin"), out = req.query.get_bool("stdout"),
         err = req.query.get_bool("stderr");
    std::string keys = req.query.get("detachKeys");
    std::string detach = BERTH_TRY(parse_detach_keys(keys.empty() ? "ctrl-p,ctrl-q" : keys));
    bool tty = BERTH_TRY(m->is_tty(id));
    bool want_logs = req.query.get_bool("logs"), want_stream = req.query.get_bool("stream");
    if (!want_logs && !want_stream)
        return Error::invalid("Bad parameters: you must choose at least one stream");
    // Errors we can see now keep their status code; then the 101 goes out before we
    // wait for the shim (docker run attaches first and starts only after the upgrade).
    auto info = BERTH_TRY(q->inspect(id, false));
    if (info["State"].value("Paused", false))
        return Error::conflict("You cannot attach to a paused container, unpause it first");
    std::shared_ptr<HijackedStream> stream;
    auto upgrade = [&]() -> Result<> {
        stream = BERTH_TRY(req.hijack(tty ? kRawStream : kMultiplexedStream));
        if (want_logs) {
            dc::LogOptions o;
            o.stdout_ = out;
            o.stderr_ = err;
            // The stream is taken: a log that cannot be read has no other way to be seen.
            if (auto r = m->logs(id, o, [&](std::string_view d) { return stream->write(d); }, {}); !r)
                log::debug("attach " + id + ": logs: " + r.error().str());
        }
        return ok();
    };
    if (!want_stream) {
        BERTH_TRY(upgrade());
        stream->close();
        return Response::empty(200);
    }
    auto a = m->attach(id, in, out, err, upgrade);
    if (!a) {
        if (!stream) return a.error();
        stream->close();  // the start's own error reaches the client through /start
        return Response::empty(200);
    }
    ProxyEnds ends;
    ends.output = a->fd.get();
    ends.input = in ? a->fd.get() : -1;
    ends.shutdown_input_at_eof = true;
    ends.detach_keys = in ? detach : "";
    proxy_stdio(stream, ends);
    return Response::empty(200);
}

// export, logs, attach, resize.
Result<> add_io_routes(Router& r, dc::Io* m, dc::Queries* q) {
    BERTH_TRY(r.add("GET", "/containers/{id}/export",
                    [m, q](Request& req) -> Result<Response> { return export_container(req, m, q); }));
    BERTH_TRY(r.add("GET", "/containers/{id}/logs",
                    [m](Request& req) -> Result<Response> { return container_logs(req, m); }));
    BERTH_TRY(r.add("POST", "/containers/{id}/attach",
                    [m, q](Request& req) -> Result<Response> { return attach_container(req, m, q); }));
    BERTH_TRY(r.add("POST", "/containers/{id}/resize", [m](Request& req) -> Result<Response> {
        auto h = BERTH_TRY(req.query.get_int("h"));
        auto w = BERTH_TRY(req.query.get_int("w"));
        BERTH_TRY(m->resize(req.param("id"), static_cast<int>(h), static_cast<int>(w)));
        return Response::empty(200);
    }));
    return ok();
}

}  // namespace

Result<> add_container_routes(Router& r, const ContainerServices& s) {
    BERTH_TRY(add_lifecycle_routes(r, s.lifecycle, s.queries));
    BERTH_TRY(add_query_routes(r, s.queries));
    BERTH_TRY(add_io_routes(r, s.io, s.queries));
    return add_exec_routes(r, s.execs);
}

Result<> add_container_routes(Router& r, dc::ContainerManager* m, daemon::EventBus* /*events*/) {
    return add_container_routes(r, ContainerServices{m, m, m, m});
}

}  // namespace berth::api

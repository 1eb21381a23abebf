// /containers/{id}/exec and /exec/...: exec instances over the container manager.
#include <mutex>

#include "api/handlers/handlers.h"
#include "api/handlers/stdio_proxy.h"
#include "common/stdcopy.h"
#include "daemon/containers/containers.h"

namespace berth::api {

Result<> add_exec_routes(Router& r, daemon::containers::Execs* m) {
    BERTH_TRY(r.add("POST", "/containers/{id}/exec", [m](Request& req) -> Result<Response> {
        auto body = parse_json(req.body.empty() ? "{}" : req.body);
        if (!body) return Error::invalid("invalid JSON: " + body.error().message());
        auto config = BERTH_TRY(daemon::containers::read_exec_config(*body));
        auto id = BERTH_TRY(m->exec_create(req.param("id"), config));
        return Response::json(201, {{"Id", id}});
    }));
    BERTH_TRY(r.add("GET", "/exec/{id}/json", [m](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(m->exec_inspect(req.param("id"))));
    }));
    BERTH_TRY(r.add("POST", "/exec/{id}/resize", [m](Request& req) -> Result<Response> {
        auto h = BERTH_TRY(req.query.get_int("h"));
        auto w = BERTH_TRY(req.query.get_int("w"));
        BERTH_TRY(m->exec_resize(req.param("id"), static_cast<int>(h), static_cast<int>(w)));
        return Response::empty(200);
    }));
    BERTH_TRY(r.add("POST", "/exec/{id}/start", [m](Request& req) -> Result<Response> {
        auto body = parse_json(req.body.empty() ? "{}" : req.body);
        if (!body || !body->is_object()) return Error::invalid("invalid JSON in exec start body");
        bool detach = body->value("Detach", false);
        auto info = BERTH_TRY(m->exec_inspect(req.param("id")));
        bool attach_stdin = info.value("OpenStdin", false);
        std::string keys = info.value("DetachKeys", "");
        std::string detach_keys = BERTH_TRY(parse_detach_keys(keys.empty() ? "ctrl-p,ctrl-q" : keys));
        auto started = m->exec_start(req.param("id"), detach);
        if (detach) {
            if (!started) return started.error();
            return Response::empty(200);
        }
        bool tty = info["ProcessConfig"].value("tty", false);
        auto stream = BERTH_TRY(req.hijack(tty ? kRawStream : kMultiplexedStream));
        if (!started) {
            // The stream is taken: the client reads the error as output, as with runc's.
            std::string msg = started.error().message();
            // A write fails only once the client is gone: then nobody is left to tell.
            std::string shown = tty ? msg + "\r\n" : stdcopy_encode(StdStream::Stderr, msg + "\n");
            (void)stream->write(shown);  // see above
            stream->close();
            return Response::empty(200);
        }
        auto& s = *started;
        ProxyEnds ends;
        if (tty) {
            ends.output = s.pty.get();
            ends.input = attach_stdin ? s.pty.get() : -1;
        } else {
            ends.output = s.stdout_fd.get();
            ends.output2 = s.stderr_fd.get();
            ends.frame_output = true;
            if (attach_stdin) {
                ends.input = s.stdin_fd.get();
                ends.on_input_eof = [&s] { s.stdin_fd.reset(); };
            } else {
                s.stdin_fd.reset();
            }
        }
        ends.detach_keys = attach_stdin ? detach_keys : "";
        // The exit code is recorded before the client sees the stream end and asks for it.
        std::once_flag reaped;
        auto reap = [&] {
            std::call_once(reaped, [&] {
                if (s.on_done) s.on_done();
            });
        };
        ends.on_output_done = reap;
        proxy_stdio(stream, ends);
        s.stdin_fd.reset();
        reap();
        return Response::empty(200);
    }));
    return ok();
}

}  // namespace berth::api

// Image endpoints (Docker Engine API 1.47): list, inspect, history, tag, remove, prune,
// load, save (get), import (create?fromSrc), pull (create?fromImage), push, search, and
// POST /auth. The work is the ImageService's; this file maps HTTP requests and responses
// onto it.
#include "api/handlers/handlers.h"
#include "daemon/images/image_service.h"
#include "image/reference/reference.h"

namespace berth::api {

namespace {

using daemon::images::ImageService;

// The request body as a ReadFn.
daemon::images::ReadFn body_reader(Request& req) {
    BodyReader* body = req.body_reader();
    if (!body) {
        // Not a streaming route (tests): read the buffered body.
        auto pos = std::make_shared<size_t>(0);
        return [&req, pos](void* buf, size_t len) -> Result<size_t> {
            size_t n = std::min(len, req.body.size() - *pos);
            memcpy(buf, req.body.data() + *pos, n);
            *pos += n;
            return n;
        };
    }
    return [body](void* buf, size_t len) -> Result<size_t> {
        return body->read(std::span<char>(static_cast<char*>(buf), len));
    };
}

std::string json_line(const Json& j) {
    return dump_json(j) + "\r\n";
}

Response json_stream_response(const std::vector<Json>& messages) {
    std::string body;
    for (auto& m : messages) body += json_line(m);
    auto r = Response::text(200, std::move(body), "application/json");
    return r;
}

Result<Response> list(Request& req, ImageService* svc) {
    auto filters = BERTH_TRY(req.query.filters());
    // Before API 1.25 a single reference came as ?filter=.
    if (std::string legacy = req.query.get("filter"); !legacy.empty()) filters["reference"].push_back(legacy);
    Json images = BERTH_TRY(svc->list(req.query.get_bool("all"), filters, req.query.get_bool("shared-size")));
    if (req.version_below("1.44"))
        for (auto& img : images) img["VirtualSize"] = img["Size"];
    return Response::json(200, images);
}

Result<Response> inspect(Request& req, ImageService* svc) {
    Json img = BERTH_TRY(svc->inspect(req.param("name")));
    if (req.version_below("1.44")) {
        img["VirtualSize"] = img["Size"];
        img["Container"] = "";
        img["ContainerConfig"] = Json::object();
    }
    return Response::json(200, img);
}

Result<Response> load(Request& req, ImageService* svc, daemon::EventBus*) {
    bool quiet = req.query.get_bool("quiet");
    auto r = BERTH_TRY(svc->load(body_reader(req)));
    std::vector<Json> messages;
    for (auto& line : r.loaded) messages.push_back({{"stream", line + "\n"}});
    (void)quiet;  // no progress bars to leave out: the messages are what quiet shows too
    return json_stream_response(messages);
}

Result<Response> save(Request& req, ImageService* svc, std::vector<std::string> names) {
    std::shared_ptr<ResponseStream> stream;
    auto write = [&](std::string_view data) -> Result<> {
        if (!stream) {
            Headers h;
            h.set("Content-Type", "application/x-tar");
            stream = BERTH_TRY(req.start_stream(200, h));
        }
        return stream->write(std::string(data));
    };
    auto r = svc->save(names, write);
    if (!r) {
        if (!stream) return r.error();
        // Too late for a status: the client sees a truncated tarball.
        stream->finish();
        return Response::empty(200);
    }
    if (!stream) BERTH_TRY(write(""));
    stream->finish();
    return Response::empty(200);
}

Result<registry::Credentials> credentials(Request& req) {
    return registry::decode_auth_header(req.headers.value("X-Registry-Auth"));
}

// Runs a pull or push, answering with Docker's JSON message stream. Errors before the first
// message are plain HTTP errors; later ones end the stream with {"errorDetail": ...}.
Result<Response> progress_stream(Request& req,
                                 const std::function<Result<>(const daemon::images::ProgressFn&)>& run) {
    std::shared_ptr<ResponseStream> stream;
    bool gone = false;
    auto start = [&]() -> Result<> {
        if (stream) return ok();
        Headers h;
        h.set("Content-Type", "application/json");
        stream = BERTH_TRY(req.start_stream(200, h));
        return ok();
    };
    daemon::images::ProgressFn emit = [&](const Json& m) {
        if (gone) return;
        if (!start() || !stream->write(json_line(m))) gone = true;
    };
    auto r = run(emit);
    if (!r) {
        if (!stream) return r.error();
        std::string msg = r.error().str();
        emit({{"errorDetail", {{"message", msg}}}, {"error", msg}});
    }
    if (!stream) BERTH_TRY(start());
    stream->finish();
    return Response::empty(200);
}

Result<Response> pull(Request& req, ImageService* svc) {
    daemon::images::PullOptions opts;
    opts.image = req.query.get("fromImage");
    opts.tag = req.query.get("tag");
    opts.platform = req.query.get("platform");
    opts.credentials = BERTH_TRY(credentials(req));
    // Bad references fail before the stream starts, with a 400.
    if (auto r = image::reference::parse_normalized(opts.image); !r) return r.error();
    return progress_stream(req, [&](const daemon::images::ProgressFn& emit) -> Result<> {
        BERTH_TRY(svc->pull(opts, emit));
        return ok();
    });
}

Result<Response> push(Request& req, ImageService* svc) {
    daemon::images::PushOptions opts;
    opts.name = req.param("name");
    opts.tag = req.query.get("tag");
    opts.credentials = BERTH_TRY(credentials(req));
    return progress_stream(req,
                           [&](const daemon::images::ProgressFn& emit) { return svc->push(opts, emit); });
}

Result<Response> search(Request& req, ImageService* svc) {
    int limit = 0;
    if (std::string l = req.query.get("limit"); !l.empty()) {
        char* end = nullptr;
        limit = static_cast<int>(strtol(l.c_str(), &end, 10));
        if (*end) return Error::invalid("invalid limit: " + l);
    }
    auto filters = BERTH_TRY(req.query.filters());
    auto creds = BERTH_TRY(credentials(req));
    return Response::json(200, BERTH_TRY(svc->search(req.query.get("term"), limit, filters, creds)));
}

Result<Response> auth(Request& req, ImageService* svc) {
    auto j = BERTH_TRY(parse_json(req.body, "auth config"));
    if (!j.is_object()) return Error::invalid("auth config: expected a JSON object");
    auto str = [&](const char* k) { return string_field(j, k); };
    registry::Credentials c;
    c.username = str("username");
    c.password = str("password");
    c.identity_token = str("identitytoken");
    c.registry_token = str("registrytoken");
    BERTH_TRY(svc->login(str("serveraddress"), c));
    return Response::json(200, {{"Status", "Login Succeeded"}, {"IdentityToken", ""}});
}

Result<Response> create(Request& req, ImageService* svc) {
    std::string src = req.query.get("fromSrc");
    if (src.empty()) {
        if (req.query.has("fromImage")) return pull(req, svc);
        return Error::invalid("fromSrc or fromImage is required");
    }
    if (src != "-")
        return Error::unsupported("import from a URL is not supported: send the tarball (fromSrc=-)");
    daemon::images::ImportOptions opts;
    std::string repo = req.query.get("repo");
    std::string tag = req.query.get("tag");
    if (!repo.empty()) opts.reference = tag.empty() ? repo : repo + ":" + tag;
    opts.message = req.query.get("message");
    opts.changes = req.query.get_all("changes");
    opts.platform = req.query.get("platform");
    auto id = BERTH_TRY(svc->import(body_reader(req), opts));
    return json_stream_response({Json{{"status", id.str()}}});
}

}  // namespace

Result<> add_image_routes(Router& router, ImageService* svc, daemon::EventBus* events) {
    if (!svc) return Error::invalid("add_image_routes: no image service");
    BERTH_TRY(router.add("GET", "/images/json", [svc](Request& req) { return list(req, svc); }));
    BERTH_TRY(router.add("POST", "/images/load",
                         [svc, events](Request& req) { return load(req, svc, events); },
                         {.stream_body = true}));
    BERTH_TRY(router.add("GET", "/images/get", [svc](Request& req) {
        auto names = req.query.get_all("names");
        if (names.empty()) return Result<Response>(Error::invalid("no images given: use ?names=..."));
        return save(req, svc, names);
    }));
    BERTH_TRY(router.add("POST", "/images/prune", [svc](Request& req) -> Result<Response> {
        auto filters = BERTH_TRY(req.query.filters());
        return Response::json(200, BERTH_TRY(svc->prune(filters)));
    }));
    BERTH_TRY(router.add("POST", "/images/create", [svc](Request& req) { return create(req, svc); },
                         {.stream_body = true}));
    BERTH_TRY(router.add("GET", "/images/search", [svc](Request& req) { return search(req, svc); }));
    BERTH_TRY(router.add("POST", "/auth", [svc](Request& req) { return auth(req, svc); }));
    BERTH_TRY(router.add("POST", "/images/{name:.*}/push", [svc](Request& req) { return push(req, svc); }));
    BERTH_TRY(router.add("GET", "/images/{name:.*}/get",
                         [svc](Request& req) { return save(req, svc, {req.param("name")}); }));
    BERTH_TRY(router.add("GET", "/images/{name:.*}/json", [svc](Request& req) { return inspect(req, svc); }));
    BERTH_TRY(router.add("GET", "/images/{name:.*}/history", [svc](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(svc->history(req.param("name"))));
    }));
    BERTH_TRY(router.add("POST", "/images/{name:.*}/tag", [svc](Request& req) -> Result<Response> {
        BERTH_TRY(svc->tag(req.param("name"), req.query.get("repo"), req.query.get("tag")));
        return Response::empty(201);
    }));
    BERTH_TRY(router.add("DELETE", "/images/{name:.*}", [svc](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(svc->remove(req.param("name"), req.query.get_bool("force"),
                                                         req.query.get_bool("noprune"))));
    }));
    return ok();
}

}  // namespace berth::api

// /volumes/...: the Engine API's volume endpoints over the volume service.
#include "api/handlers/handlers.h"
#include "daemon/volumes/volume_service.h"

namespace berth::api {

namespace vol = daemon::volumes;

Result<> add_volume_routes(Router& r, vol::VolumeService* volumes) {
    BERTH_TRY(r.add("GET", "/volumes", [volumes](Request& req) -> Result<Response> {
        Json list = Json::array();
        for (auto& v : BERTH_TRY(volumes->list(BERTH_TRY(req.query.filters()))))
            list.push_back(vol::to_json(v));
        return Response::json(200, Json{{"Volumes", list}, {"Warnings", nullptr}});
    }));
    BERTH_TRY(r.add("POST", "/volumes/create", [volumes](Request& req) -> Result<Response> {
        auto body = req.body.empty() ? Result<Json>(Json::object()) : parse_json(req.body);
        if (!body) return Error::invalid("invalid JSON: " + body.error().message());
        auto v = BERTH_TRY(volumes->create(BERTH_TRY(vol::read_create_request(*body))));
        return Response::json(201, vol::to_json(v));
    }));
    BERTH_TRY(r.add("GET", "/volumes/{name}", [volumes](Request& req) -> Result<Response> {
        return Response::json(200, vol::to_json(BERTH_TRY(volumes->inspect(req.param("name")))));
    }));
    BERTH_TRY(r.add("DELETE", "/volumes/{name}", [volumes](Request& req) -> Result<Response> {
        BERTH_TRY(volumes->remove(req.param("name"), req.query.get_bool("force")));
        return Response::empty(204);
    }));
    return r.add("POST", "/volumes/prune", [volumes](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(volumes->prune(BERTH_TRY(req.query.filters()))));
    });
}

}  // namespace berth::api

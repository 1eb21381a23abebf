// /networks/...: the Engine API's network endpoints. Networks themselves are the network
// service's; connect and disconnect go through the container manager, which owns the
// containers' configuration.
#include "api/handlers/handlers.h"
#include "daemon/containers/containers.h"
#include "daemon/networks/network_service.h"

namespace berth::api {

namespace {

Result<Json> body_object(const Request& req) {
    if (req.body.empty()) return Json::object();
    auto j = parse_json(req.body);
    if (!j) return Error::invalid("invalid JSON: " + j.error().message());
    if (!j->is_object()) return Error::invalid("invalid JSON: the body must be an object");
    return *j;
}

Result<std::string> container_of(const Json& body) {
    if (!body.contains("Container") || !body["Container"].is_string() ||
        body["Container"].get<std::string>().empty())
        return Error::invalid("Container: a container name or ID is required");
    return body["Container"].get<std::string>();
}

}  // namespace

Result<> add_network_routes(Router& r, daemon::networks::NetworkService* networks,
                            daemon::containers::Networking* containers) {
    BERTH_TRY(r.add("GET", "/networks", [networks](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(networks->list(BERTH_TRY(req.query.filters()))));
    }));
    BERTH_TRY(r.add("GET", "/networks/{id}", [networks](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(networks->inspect(req.param("id"))));
    }));
    BERTH_TRY(r.add("POST", "/networks/create", [networks](Request& req) -> Result<Response> {
        return Response::json(201, BERTH_TRY(networks->create(BERTH_TRY(body_object(req)))));
    }));
    BERTH_TRY(r.add("DELETE", "/networks/{id}", [networks](Request& req) -> Result<Response> {
        BERTH_TRY(networks->remove(req.param("id")));
        return Response::empty(204);
    }));
    BERTH_TRY(r.add("POST", "/networks/prune", [networks](Request& req) -> Result<Response> {
        return Response::json(200, BERTH_TRY(networks->prune(BERTH_TRY(req.query.filters()))));
    }));
    BERTH_TRY(
        r.add("POST", "/networks/{id}/connect", [networks, containers](Request& req) -> Result<Response> {
            Json body = BERTH_TRY(body_object(req));
            std::string container = BERTH_TRY(container_of(body));
            BERTH_TRY(networks->find(req.param("id")));
            auto endpoint = BERTH_TRY(daemon::containers::read_endpoint_config(
                body.value("EndpointConfig", Json()), "EndpointConfig"));
            BERTH_TRY(containers->connect_network(container, req.param("id"), endpoint));
            return Response::empty(200);
        }));
    BERTH_TRY(
        r.add("POST", "/networks/{id}/disconnect", [networks, containers](Request& req) -> Result<Response> {
            Json body = BERTH_TRY(body_object(req));
            std::string container = BERTH_TRY(container_of(body));
            bool force = body.value("Force", false);
            if (!force) BERTH_TRY(networks->find(req.param("id")));
            BERTH_TRY(containers->disconnect_network(container, req.param("id"), force));
            return Response::empty(200);
        }));
    return ok();
}

}  // namespace berth::api

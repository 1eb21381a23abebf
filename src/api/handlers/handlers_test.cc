// The container, exec, network and system routes over fakes of the daemon's services: what
// each route reads from the request, what it asks the service, and the status and body it
// answers, without a daemon.
#include "api/handlers/handlers.h"

#include <gtest/gtest.h>

#include "api/server/errors.h"
#include "support/fakes.h"

using namespace berth;
using namespace berth::api;

class HandlersTest : public ::testing::Test {
protected:
    void SetUp() override {
        ContainerServices s{&fake_, &fake_, &fake_, &fake_};
        ASSERT_TRUE(add_container_routes(router_, s));
        ASSERT_TRUE(add_network_routes(router_, &networks_, &fake_));
        config_.data_root = "/var/lib/berth-test";
        SystemServices sys{&config_, &events_};
        sys.containers = &fake_;
        ASSERT_TRUE(add_system_routes(router_, sys));
        fake_.inspected["web"] = {{"Id", "web"}, {"State", {{"Running", true}, {"Paused", false}}}};
        networks_.add("net1", true);
    }

    // Runs one request through the router and the handler, as the server would.
    Response call(const std::string& method, const std::string& target, const std::string& body = "") {
        auto q = target.find('?');
        std::string path = target.substr(0, q);
        auto m = router_.match(method, path);
        if (!m) return error_response(m.error());
        Request req;
        req.method = method;
        req.target = target;
        req.path = m->path;
        req.api_version = m->version;
        req.params = m->params;
        auto query = Query::parse(q == std::string::npos ? "" : target.substr(q + 1));
        if (!query) return error_response(query.error());
        req.query = *query;
        req.body = body;
        auto r = m->route->handler(req);
        return r ? *r : error_response(r.error());
    }
    Json body_of(const Response& r) { return parse_json(r.body).value_or(Json()); }

    Router router_;
    test::FakeContainers fake_;
    test::FakeNetworks networks_;
    daemon::Config config_;
    daemon::EventBus events_;
};

TEST_F(HandlersTest, CreateReadsTheBodyIntoTypes) {
    auto r = call("POST", "/v1.47/containers/create?name=app",
                  R"({"Image":"busybox","Cmd":["echo","hi"],"Labels":{"a":"b"},
                      "HostConfig":{"Memory":67108864,"NetworkMode":"default",
                                    "PortBindings":{"80/tcp":[{"HostPort":"8080"}]}},
                      "NetworkingConfig":{"EndpointsConfig":{"net1":{"Aliases":["db"]}}}})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(body_of(r)["Id"], std::string(64, 'c'));
    EXPECT_EQ(body_of(r)["Warnings"], Json({"a warning"}));
    ASSERT_EQ(fake_.calls.back(), "create app");
    auto& c = fake_.last_create;
    EXPECT_EQ(c.config.image, "busybox");
    EXPECT_EQ(c.config.cmd, (std::vector<std::string>{"echo", "hi"}));
    EXPECT_EQ(c.config.labels.at("a"), "b");
    EXPECT_EQ(c.host_config.memory, 67108864);
    EXPECT_EQ(c.host_config.network_mode, "bridge");
    EXPECT_EQ(c.host_config.port_bindings.at("80/tcp").at(0).host_port, "8080");
    EXPECT_EQ(c.endpoints.at("net1").aliases, std::vector<std::string>{"db"});
}

TEST_F(HandlersTest, CreateRefusesBadBodiesBeforeTheManagerSeesThem) {
    struct Case {
        std::string body, message;
    };
    for (
        auto& [body, message] : std::vector<Case>{
            {R"({"Image":"busybox","HostConfig":{"Memory":"1g"}})",
             "invalid JSON: HostConfig.Memory: expected integer, got string"},
            {R"({"Image":"busybox","Env":"A=1"})",
             "invalid JSON: Env: expected array of strings, got string"},
            {R"([1,2])", "invalid JSON: the body must be an object"},
            {R"({"Image":)", "invalid JSON"},
            {R"({"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"net1":{"IPAMConfig":{"IPv4Address":"1.2.3"}}}}})",
             "invalid IPv4 address: 1.2.3"}}) {
        auto r = call("POST", "/containers/create", body);
        EXPECT_EQ(r.status, 400) << body;
        EXPECT_NE(body_of(r).value("message", "").find(message), std::string::npos) << r.body;
    }
    EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(HandlersTest, LifecycleRoutesPassTheirParameters) {
    EXPECT_EQ(call("POST", "/containers/web/start").status, 304);  // already running
    EXPECT_EQ(call("POST", "/containers/web/stop?t=3&signal=SIGINT").status, 204);
    EXPECT_EQ(fake_.calls.back(), "stop web t=3 signal=SIGINT");
    EXPECT_EQ(call("POST", "/containers/web/restart").status, 204);
    EXPECT_EQ(fake_.calls.back(), "restart web t=default");
    EXPECT_EQ(call("POST", "/containers/web/stop?t=soon").status, 400);
    EXPECT_EQ(call("POST", "/containers/web/kill?signal=HUP").status, 204);
    EXPECT_EQ(fake_.calls.back(), "kill web HUP");
    EXPECT_EQ(call("DELETE", "/containers/web?force=1&v=true").status, 204);
    EXPECT_EQ(fake_.calls.back(), "remove web force volumes");
    EXPECT_EQ(call("POST", "/containers/web/rename?name=web2").status, 204);
    EXPECT_EQ(fake_.calls.back(), "rename web web2");
    EXPECT_EQ(call("POST", "/containers/web/pause").status, 204);
    EXPECT_EQ(call("POST", "/containers/web/unpause").status, 204);
    auto r = call("POST", "/containers/ghost/start");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(body_of(r)["message"], "No such container: ghost");
    EXPECT_EQ(call("POST", "/containers/web/wait?condition=sometime").status, 400);
    auto p = call("POST", "/containers/prune?filters=" + std::string(R"({"label":{"a=b":true}})"));
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(fake_.last_filters.at("label"), std::vector<std::string>{"a=b"});
}

TEST_F(HandlersTest, QueriesAnswerWhatTheServiceSays) {
    fake_.list_answer = R"([{"Id":"web"}])";
    auto r = call("GET", "/containers/json?all=1&limit=2&size=true");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, fake_.list_answer);
    EXPECT_EQ(fake_.calls.back(), "list all limit=2 size");
    EXPECT_EQ(call("GET", "/containers/json?limit=many").status, 400);
    EXPECT_EQ(call("GET", "/containers/json?filters=notjson").status, 400);
    r = call("GET", "/containers/web/json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r)["Id"], "web");
    EXPECT_EQ(call("GET", "/containers/ghost/json").status, 404);
    EXPECT_EQ(call("GET", "/containers/web/top?ps_args=aux").status, 200);
    EXPECT_EQ(fake_.calls.back(), "top web aux");
    EXPECT_EQ(call("GET", "/containers/web/stats?stream=false").status, 200);
    EXPECT_EQ(call("GET", "/containers/web/changes").status, 200);
}

TEST_F(HandlersTest, IoRoutesCheckParametersFirst) {
    EXPECT_EQ(call("POST", "/containers/web/resize?h=24&w=80").status, 200);
    EXPECT_EQ(fake_.calls.back(), "resize web 24x80");
    EXPECT_EQ(call("POST", "/containers/web/resize?h=tall&w=80").status, 400);
    auto r = call("GET", "/containers/web/logs");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["message"], "Bad parameters: you must choose at least one stream");
    EXPECT_EQ(call("GET", "/containers/web/logs?stdout=1&tail=-3").status, 400);
    EXPECT_EQ(call("GET", "/containers/web/logs?stdout=1&since=yesterday").status, 400);
    EXPECT_EQ(call("GET", "/containers/ghost/logs?stdout=1").status, 404);
    EXPECT_EQ(call("POST", "/containers/web/attach?stdout=1").status, 400);  // neither logs nor stream
}

TEST_F(HandlersTest, ExecCreateReadsTheBody) {
    auto r = call("POST", "/containers/web/exec", R"({"Cmd":["ls","-l"],"Tty":true,"User":"app"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(body_of(r)["Id"], std::string(64, 'x'));
    EXPECT_EQ(fake_.last_exec.cmd, (std::vector<std::string>{"ls", "-l"}));
    EXPECT_TRUE(fake_.last_exec.tty);
    EXPECT_EQ(fake_.last_exec.user, "app");
    r = call("POST", "/containers/web/exec", R"({"Cmd":[]})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["message"], "No exec command specified");
    EXPECT_EQ(call("POST", "/containers/ghost/exec", R"({"Cmd":["ls"]})").status, 404);
    EXPECT_EQ(call("GET", "/exec/" + std::string(64, 'x') + "/json").status, 200);
    EXPECT_EQ(call("GET", "/exec/nope/json").status, 404);
    EXPECT_EQ(call("POST", "/exec/nope/start", "[").status, 400);
}

TEST_F(HandlersTest, NetworkConnectReadsTheEndpointConfig) {
    auto r = call(
        "POST", "/networks/net1/connect",
        R"({"Container":"web","EndpointConfig":{"Aliases":["api"],"IPAMConfig":{"IPv4Address":"10.9.0.7"}}})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(fake_.calls.back(), "connect web net1");
    EXPECT_EQ(fake_.last_endpoint.aliases, std::vector<std::string>{"api"});
    EXPECT_EQ(fake_.last_endpoint.ipv4_address, "10.9.0.7");
    r = call("POST", "/networks/net1/connect", R"({"EndpointConfig":{}})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["message"], "Container: a container name or ID is required");
    EXPECT_EQ(call("POST", "/networks/nonet/connect", R"({"Container":"web"})").status, 404);
    r = call("POST", "/networks/net1/connect", R"({"Container":"web","EndpointConfig":{"MacAddress":"x"}})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(call("POST", "/networks/nonet/disconnect", R"({"Container":"web","Force":true})").status, 200);
    EXPECT_EQ(fake_.calls.back(), "disconnect web nonet force");
}

TEST_F(HandlersTest, InfoCountsContainersFromTheQueries) {
    fake_.counted = {5, 2, 1, 2};
    auto r = call("GET", "/info");
    ASSERT_EQ(r.status, 200) << r.body;
    auto info = body_of(r);
    EXPECT_EQ(info["Containers"], 5);
    EXPECT_EQ(info["ContainersRunning"], 2);
    EXPECT_EQ(info["ContainersPaused"], 1);
    EXPECT_EQ(info["ContainersStopped"], 2);
}

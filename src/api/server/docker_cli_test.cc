// The real docker CLI against the server on a unix socket: ping + version negotiation.
// Skipped when /usr/local/bin/docker is missing.
#include <unistd.h>

#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "common/file.h"
#include "common/stdcopy.h"
#include "common/strings.h"
#include "support/support.h"

namespace berth::api {
namespace {

constexpr const char* kDocker = "/usr/local/bin/docker";

Router version_router() {
    Router r;
    auto ping = [](Request& req) -> Result<Response> {
        Response resp = Response::text(200, req.method == "HEAD" ? "" : "OK");
        resp.headers.set("Cache-Control", "no-cache, no-store, must-revalidate");
        resp.headers.set("Pragma", "no-cache");
        resp.headers.set("Builder-Version", "1");
        return resp;
    };
    (void)r.add("GET", "/_ping", ping);
    (void)r.add("HEAD", "/_ping", ping);
    // A Docker-shaped /version with made-up values; the daemon's handler comes later.
    (void)r.add("GET", "/version", [](Request&) -> Result<Response> {
        Json v = {{"Platform", {{"Name", "Berth"}}},
                  {"Components", Json::array({{{"Name", "Engine"},
                                               {"Version", "0.1.0"},
                                               {"Details",
                                                {{"ApiVersion", "1.47"},
                                                 {"MinAPIVersion", "1.24"},
                                                 {"Os", "linux"},
                                                 {"Arch", "amd64"}}}}})},
                  {"Version", "0.1.0"},
                  {"ApiVersion", "1.47"},
                  {"MinAPIVersion", "1.24"},
                  {"GitCommit", "test"},
                  {"GoVersion", "n/a"},
                  {"Os", "linux"},
                  {"Arch", "amd64"},
                  {"KernelVersion", "6.0"},
                  {"BuildTime", "2026-01-01T00:00:00.000000000+00:00"}};
        return Response::json(200, v);
    });
    // Enough of a container for `docker attach`: wait, inspect, then the hijacked attach.
    (void)r.add("POST", "/containers/{id}/wait", [](Request&) -> Result<Response> {
        return Response::json(200, Json{{"StatusCode", 3}, {"Error", nullptr}});
    });
    (void)r.add("GET", "/containers/{id}/json", [](Request& req) -> Result<Response> {
        return Response::json(200,
                              Json{{"Id", req.param("id")},
                                   {"State", {{"Running", true}, {"Paused", false}, {"Restarting", false}}},
                                   {"Config", {{"Tty", false}, {"OpenStdin", false}}}});
    });
    (void)r.add("POST", "/containers/{id}/attach", [](Request& req) -> Result<Response> {
        if (!req.upgrade) return Error::invalid("expected an upgrade request");
        auto s = BERTH_TRY(req.hijack(kMultiplexedStream));
        BERTH_TRY(s->write(stdcopy_encode(StdStream::Stdout, "hello from berth\n")));
        BERTH_TRY(s->write(stdcopy_encode(StdStream::Stderr, "err line\n")));
        s->close();
        return Response{};
    });
    return r;
}

TEST(DockerCli, VersionNegotiatesApi147) {
    ASSERT_EQ(::access(kDocker, X_OK), 0) << kDocker << " not installed";
    berth::test::TempDir dir("berth-api-docker");
    std::string sock = dir.path() + "/berth.sock";
    HttpServer server(ServerConfig{}, version_router());
    ASSERT_TRUE(server.listen_unix({.path = sock}));
    ASSERT_TRUE(server.start());

    std::string env = "DOCKER_CONFIG='" + dir.path() + "/cfg' DOCKER_HOST= DOCKER_CONTEXT= ";
    auto r = berth::test::run_shell(
        env + kDocker + " -H unix://" + sock + " version --format '{{.Server.APIVersion}}'", 60);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(berth::trim(r.out), "1.47") << r.out << r.err;

    auto os = berth::test::run_shell(
        env + kDocker + " -H unix://" + sock + " version --format '{{.Server.Os}}/{{.Server.Version}}'", 60);
    EXPECT_EQ(berth::trim(os.out), "linux/0.1.0") << os.err;

    // Hijack + stdcopy demultiplexing + exit status through the real CLI.
    auto attach = berth::test::run_shell(env + kDocker + " -H unix://" + sock + " attach abc", 60);
    EXPECT_EQ(attach.exit_code, 3) << attach.err;
    EXPECT_EQ(attach.out, "hello from berth\n");
    EXPECT_NE(attach.err.find("err line"), std::string::npos) << attach.err;
    server.stop();
}

}  // namespace
}  // namespace berth::api

// The berth CLI against an in-process fake daemon (api/server's HttpServer with canned
// Docker-shaped answers): flag parsing, request shapes, tables, --format, exit codes.
#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "api/server/stdcopy.h"
#include "cli/commands/cli.h"
#include "cli/commands/humanize.h"
#include "support/support.h"

namespace berth::cli {
namespace {

using api::Request;
using api::Response;

Json container(const std::string& id, const std::string& name, const std::string& status, int64_t age) {
    return {{"Id", id},
            {"Names", {"/" + name}},
            {"Image", "busybox"},
            {"ImageID", "sha256:aaaa"},
            {"Command", "sh -c 'echo hello; sleep 1000'"},
            {"Created", now_seconds() - age},
            {"Ports", {{{"IP", "0.0.0.0"}, {"PrivatePort", 80}, {"PublicPort", 8080}, {"Type", "tcp"}}}},
            {"Labels", {{"a", "b"}}},
            {"State", "running"},
            {"Status", status},
            {"Mounts", Json::array()}};
}

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        sock_ = dir_.path() + "/d.sock";
        api::Router r;
        auto record = [this](Request& req) {
            std::lock_guard<std::mutex> l(mu_);
            requests_.push_back(req.method + " " + req.target);
            bodies_.push_back(req.body);
        };
        ASSERT_TRUE(r.add("GET", "/_ping", [](Request&) -> Result<Response> {
            Response resp = Response::text(200, "OK");
            resp.headers.set("Api-Version", "1.45");
            return resp;
        }));
        ASSERT_TRUE(r.add("GET", "/containers/json", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::json(
                200, Json{container(std::string(64, 'a'), "web", "Up 3 seconds", 3),
                          container(std::string(64, 'b'), "db", "Exited (0) 5 seconds ago", 90)});
        }));
        ASSERT_TRUE(r.add("GET", "/containers/{id}/json", [record](Request& req) -> Result<Response> {
            record(req);
            if (req.param("id") == "nope") return Error::not_found("No such container: nope");
            return Response::text(
                200,
                R"({"Id":")" + std::string(64, 'a') +
                    R"(","Name":"/web","State":{"Status":"running","Running":true},"Config":{"Tty":false,"OpenStdin":false}})",
                "application/json");
        }));
        ASSERT_TRUE(r.add("GET", "/images/{name:.*}/json", [](Request&) -> Result<Response> {
            return Error::not_found("No such image: nope");
        }));
        ASSERT_TRUE(r.add("DELETE", "/containers/{id}", [record](Request& req) -> Result<Response> {
            record(req);
            if (req.param("id") == "nope") return Error::not_found("No such container: nope");
            return Response::empty(204);
        }));
        ASSERT_TRUE(r.add("GET", "/images/json", [](Request&) -> Result<Response> {
            return Response::json(200, Json{{{"Id", "sha256:" + std::string(64, 'c')},
                                             {"RepoTags", {"busybox:latest", "localhost:5000/bb:v1"}},
                                             {"RepoDigests", Json::array()},
                                             {"Created", now_seconds() - 7200},
                                             {"Size", 4261234},
                                             {"Containers", -1}}});
        }));
        ASSERT_TRUE(r.add("POST", "/containers/create", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::json(201, Json{{"Id", std::string(64, 'f')}, {"Warnings", Json::array()}});
        }));
        ASSERT_TRUE(r.add("POST", "/containers/{id}/start", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::empty(204);
        }));
        ASSERT_TRUE(r.add("POST", "/containers/{id}/wait", [](Request&) -> Result<Response> {
            return Response::json(200, Json{{"StatusCode", 3}});
        }));
        ASSERT_TRUE(r.add("POST", "/containers/{id}/attach", [](Request& req) -> Result<Response> {
            auto s = BERTH_TRY(req.hijack(api::kMultiplexedStream));
            BERTH_TRY(s->write(api::stdcopy_encode(api::StdStream::Stdout, "hello\n")));
            BERTH_TRY(s->write(api::stdcopy_encode(api::StdStream::Stderr, "oops\n")));
            s->close_write();
            return Response{};
        }));
        ASSERT_TRUE(r.add("GET", "/events", [](Request& req) -> Result<Response> {
            auto s = BERTH_TRY(req.start_stream(200, {}));
            BERTH_TRY(s->write(
                R"({"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"web","image":"busybox"}},"time":1700000000,"timeNano":1700000000000000001})"
                "\n"));
            s->finish();
            return Response{};
        }));
        api::ServerConfig cfg;
        // Every client connection is closed by the time stop() runs; a short grace keeps
        // an occasional slow shutdown of the server from stretching the test.
        cfg.shutdown_timeout = std::chrono::milliseconds(500);
        server_ = std::make_unique<api::HttpServer>(cfg, std::move(r));
        ASSERT_TRUE(server_->listen_unix({.path = sock_}));
        ASSERT_TRUE(server_->start());
    }
    void TearDown() override { server_->stop(); }

    struct Out {
        int code;
        std::string out, err;
    };
    Out run(std::vector<std::string> args) {
        args.insert(args.begin(), {"-H", "unix://" + sock_});
        std::ostringstream out, err;
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        Io io{out, err, null, -1, false};
        int code = cli::run(args, io);
        ::close(null);
        return {code, out.str(), err.str()};
    }
    std::vector<std::string> requests() {
        std::lock_guard<std::mutex> l(mu_);
        return requests_;
    }
    std::string last_body() {
        std::lock_guard<std::mutex> l(mu_);
        return bodies_.empty() ? "" : bodies_.back();
    }

    test::TempDir dir_{"berth-cli-test"};
    std::string sock_;
    std::unique_ptr<api::HttpServer> server_;
    std::mutex mu_;
    std::vector<std::string> requests_, bodies_;
};

TEST_F(CliTest, PsTableWithDockerColumns) {
    auto r = run({"ps"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    std::string header, row1, row2;
    std::getline(in, header);
    std::getline(in, row1);
    std::getline(in, row2);
    EXPECT_EQ(
        header,
        "CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS                     "
        "PORTS                  NAMES");
    EXPECT_EQ(row1.substr(0, 15), "aaaaaaaaaaaa   ");
    EXPECT_NE(row1.find("\"sh -c 'echo hello; …\""), std::string::npos) << row1;
    EXPECT_NE(row1.find("3 seconds ago"), std::string::npos) << row1;
    EXPECT_NE(row1.find("0.0.0.0:8080->80/tcp"), std::string::npos) << row1;
    EXPECT_NE(row2.find("About a minute ago"), std::string::npos) << row2;
    // Negotiated down to the fake daemon's version.
    EXPECT_EQ(requests().back(), "GET /v1.45/containers/json");
}

TEST_F(CliTest, PsFlagsBuildTheQuery) {
    auto r = run({"container", "ls", "-aq", "--no-trunc", "-f", "status=exited", "--filter", "name=db"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(64, 'a') + "\n" + std::string(64, 'b') + "\n");
    std::string q = requests().back();
    EXPECT_NE(q.find("all=1"), std::string::npos) << q;
    // {"name":{"db":true},"status":{"exited":true}} percent-encoded
    EXPECT_NE(
        q.find("filters=%7B%22name%22%3A%7B%22db%22%3Atrue%7D%2C%22status%22%3A%7B%22exited%22%3Atrue%7D%7D"),
        std::string::npos)
        << q;
    auto n = run({"ps", "-n", "1"});
    EXPECT_NE(requests().back().find("limit=1"), std::string::npos);
}

TEST_F(CliTest, PsFormat) {
    auto r = run({"ps", "--format", "{{.Names}} {{.Labels}} {{.State | upper}}"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "web a=b RUNNING\ndb a=b RUNNING\n");
    r = run({"ps", "--format", "table {{.ID}}\\t{{.Names}}"});
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "CONTAINER ID   NAMES");
    r = run({"ps", "--format", "{{json .Names}}"});
    EXPECT_EQ(r.out, "\"web\"\n\"db\"\n");
}

TEST_F(CliTest, Images) {
    auto r = run({"images"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("REPOSITORY          TAG       IMAGE ID       CREATED       SIZE\n"
                                 "busybox             latest    cccccccccccc   2 hours ago   4.26MB\n"
                                 "localhost:5000/bb   v1        cccccccccccc   2 hours ago   4.26MB\n"));
    r = run({"image", "ls", "-q"});
    EXPECT_EQ(r.out, "cccccccccccc\n");
}

TEST_F(CliTest, InspectFormatAndMissing) {
    auto r = run({"inspect", "--format", "{{.State.Status}} {{.Name}}", "web"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "running /web\n");
    r = run({"inspect", "web"});
    EXPECT_EQ(r.out.substr(0, 16), "[\n    {\n        ") << r.out;
    EXPECT_NE(r.out.find("\"Id\": \"aaaa"), std::string::npos);
    r = run({"inspect", "nope"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "[]\n");
    EXPECT_EQ(r.err, "Error: No such object: nope\n");
}

TEST_F(CliTest, DaemonErrorsAndUsageErrors) {
    auto r = run({"rm", "-f", "nope", "web"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error response from daemon: No such container: nope\n");
    EXPECT_EQ(r.out, "web\n");
    EXPECT_NE(requests().back().find("force=1"), std::string::npos);

    r = run({"ps", "--bogus"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "unknown flag: --bogus");
    r = run({"rm"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "berth: 'berth rm' requires at least 1 argument");
    r = run({"run", "--bogus", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "unknown flag: --bogus");

    auto bad = [&] {
        std::ostringstream out, err;
        Io io{out, err, 0, -1, false};
        int code = cli::run({"-H", "unix://" + dir_.path() + "/none.sock", "ps"}, io);
        return std::make_pair(code, err.str());
    }();
    EXPECT_EQ(bad.first, 1);
    EXPECT_EQ(bad.second, "Cannot connect to the Berth daemon at unix://" + dir_.path() +
                              "/none.sock. Is the berth daemon running?\n");
}

TEST_F(CliTest, RunDetachedBuildsTheCreateBody) {
    auto r = run({"run",         "-d",        "--name",       "x",
                  "-e",          "A=1",       "-e",           "B=2",
                  "-l",          "k=v",       "--memory",     "512m",
                  "--cpus",      "1.5",       "-p",           "127.0.0.1:8080:80",
                  "--cap-add",   "NET_ADMIN", "--ulimit",     "nofile=10:20",
                  "--read-only", "--init",    "-w",           "/tmp",
                  "-u",          "1000",      "--entrypoint", "",
                  "busybox",     "sh",        "-c",           "echo -e hi"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(64, 'f') + "\n");
    auto reqs = requests();
    ASSERT_GE(reqs.size(), 2u);
    EXPECT_EQ(reqs[reqs.size() - 2], "POST /v1.45/containers/create?name=x");
    EXPECT_EQ(reqs.back(), "POST /v1.45/containers/" + std::string(64, 'f') + "/start");
    std::lock_guard<std::mutex> l(mu_);
    auto body = parse_json(bodies_[bodies_.size() - 2]);
    ASSERT_TRUE(body);
    const Json& b = *body;
    EXPECT_EQ(b["Image"], "busybox");
    EXPECT_EQ(b["Cmd"], Json({"sh", "-c", "echo -e hi"}));
    EXPECT_EQ(b["Env"], Json({"A=1", "B=2"}));
    EXPECT_EQ(b["Labels"], Json({{"k", "v"}}));
    EXPECT_EQ(b["Entrypoint"], Json({""}));
    EXPECT_EQ(b["WorkingDir"], "/tmp");
    EXPECT_EQ(b["User"], "1000");
    EXPECT_EQ(b["HostConfig"]["Memory"], 512 * 1024 * 1024);
    EXPECT_EQ(b["HostConfig"]["NanoCpus"], 1500000000);
    EXPECT_EQ(b["HostConfig"]["CapAdd"], Json({"NET_ADMIN"}));
    EXPECT_EQ(b["HostConfig"]["ReadonlyRootfs"], true);
    EXPECT_EQ(b["HostConfig"]["Init"], true);
    EXPECT_EQ(b["HostConfig"]["Ulimits"][0], Json({{"Name", "nofile"}, {"Soft", 10}, {"Hard", 20}}));
    EXPECT_EQ(b["HostConfig"]["PortBindings"]["80/tcp"][0],
              Json({{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}));
    EXPECT_EQ(b["ExposedPorts"], Json({{"80/tcp", Json::object()}}));
}

TEST_F(CliTest, RunAttachedDemuxesAndReturnsTheExitCode) {
    auto r = run({"run", "--rm", "-i", "busybox", "true"});
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(r.out, "hello\n");
    EXPECT_EQ(r.err, "oops\n");
    auto body = parse_json(last_body());
    auto reqs = requests();
    // create, then start (attach and wait are not recorded); AutoRemove for --rm.
    std::lock_guard<std::mutex> l(mu_);
    auto create = parse_json(bodies_[bodies_.size() - 2]);
    ASSERT_TRUE(create);
    EXPECT_EQ((*create)["HostConfig"]["AutoRemove"], true);
    EXPECT_EQ((*create)["OpenStdin"], true);
    EXPECT_EQ((*create)["AttachStdin"], true);
}

TEST_F(CliTest, Events) {
    auto r = run({"events", "--since", "0", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "container start web\n");
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    r = run({"events"});
    EXPECT_EQ(r.out, "2023-11-14T22:13:20.000000001Z container start abc (image=busybox, name=web)\n");
}

TEST_F(CliTest, HelpIsDockerShaped) {
    auto r = run({"ps", "--help"});
    ASSERT_EQ(r.code, 0);
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "Usage:  berth ps [OPTIONS]");
    EXPECT_NE(r.out.find("  -a, --all             Show all containers"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("berth container ls"), std::string::npos);
    r = run({"run", "--help"});
    EXPECT_NE(r.out.find("  -h, --hostname string"), std::string::npos) << r.out;
}

TEST(Humanize, DockerWording) {
    EXPECT_EQ(human_duration(0), "Less than a second");
    EXPECT_EQ(human_duration(1), "1 second");
    EXPECT_EQ(human_duration(59), "59 seconds");
    EXPECT_EQ(human_duration(60), "About a minute");
    EXPECT_EQ(human_duration(119), "About a minute");
    EXPECT_EQ(human_duration(120), "2 minutes");
    EXPECT_EQ(human_duration(3600), "About an hour");
    EXPECT_EQ(human_duration(3 * 3600), "3 hours");
    EXPECT_EQ(human_duration(3 * 86400), "3 days");
    EXPECT_EQ(human_size(0), "0B");
    EXPECT_EQ(human_size(4261234), "4.26MB");
    EXPECT_EQ(human_size(1200), "1.2kB");
    EXPECT_EQ(ellipsis("abcdef", 4), "abc…");
}

}  // namespace
}  // namespace berth::cli

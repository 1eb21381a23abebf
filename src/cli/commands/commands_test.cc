// The berth CLI against an in-process fake daemon (api/server's HttpServer with canned
// Docker-shaped answers): flag parsing, request shapes, tables, --format, exit codes.
#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "cli/commands/cli.h"
#include "cli/commands/humanize.h"
#include "common/stdcopy.h"
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
            if (req.param("id") == "pub")
                return Response::text(200, R"({"Id":"p","NetworkSettings":{"Ports":{
                    "80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}],
                    "443/tcp":null,"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}]}}})",
                                      "application/json");
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
            BERTH_TRY(s->write(stdcopy_encode(StdStream::Stdout, "hello\n")));
            BERTH_TRY(s->write(stdcopy_encode(StdStream::Stderr, "oops\n")));
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
        ASSERT_TRUE(r.add("GET", "/networks", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::json(200, Json{{{"Name", "web-net"},
                                             {"Id", std::string(64, '2')},
                                             {"Driver", "bridge"},
                                             {"Scope", "local"},
                                             {"Internal", true},
                                             {"Labels", {{"x", "y"}}}},
                                            {{"Name", "bridge"},
                                             {"Id", std::string(64, '1')},
                                             {"Driver", "bridge"},
                                             {"Scope", "local"}},
                                            {{"Name", "host"},
                                             {"Id", std::string(64, '3')},
                                             {"Driver", "host"},
                                             {"Scope", "local"}}});
        }));
        ASSERT_TRUE(r.add("GET", "/networks/{id}", [record](Request& req) -> Result<Response> {
            record(req);
            if (req.param("id") == "nope") return Error::not_found("network nope not found");
            return Response::text(
                200,
                R"({"Name":"web-net","Id":"2222","Driver":"bridge","IPAM":{"Config":[{"Subnet":"10.5.0.0/16"}]}})",
                "application/json");
        }));
        ASSERT_TRUE(r.add("DELETE", "/networks/{id}", [record](Request& req) -> Result<Response> {
            record(req);
            if (req.param("id") == "nope") return Error::not_found("network nope not found");
            return Response::empty(204);
        }));
        ASSERT_TRUE(r.add("POST", "/networks/create", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::json(201, Json{{"Id", std::string(64, '4')}, {"Warning", ""}});
        }));
        ASSERT_TRUE(r.add("POST", "/networks/prune", [record](Request& req) -> Result<Response> {
            record(req);
            return Response::json(200, Json{{"NetworksDeleted", {"a-net", "b-net"}}});
        }));
        for (const char* op : {"connect", "disconnect"})
            ASSERT_TRUE(r.add("POST", std::string("/networks/{id}/") + op,
                              [record](Request& req) -> Result<Response> {
                                  record(req);
                                  return Response::empty(200);
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

// The networking fields of the create body, flag set by flag, equal what docker CLI 28.2.2
// sent for the same flags (captured once into testdata/, see its "comment").
TEST_F(CliTest, CreateNetworkFieldsMatchDocker) {
    auto data = read_json_file(std::string(BERTH_CLI_TESTDATA) + "/docker28-create-network-fields.json");
    ASSERT_TRUE(data) << data.error().str();
    for (const auto& c : (*data)["cases"]) {
        std::vector<std::string> args = {"create"};
        for (const auto& a : c["args"]) args.push_back(a.get<std::string>());
        args.push_back("busybox");
        auto r = run(args);
        SCOPED_TRACE(dump_json(c["args"]));
        ASSERT_EQ(r.code, 0) << r.err;
        auto body = parse_json(last_body());
        ASSERT_TRUE(body);
        const Json& want = c["fields"];
        Json got = {{"HostConfig", Json::object()}, {"NetworkingConfig", (*body)["NetworkingConfig"]}};
        for (const auto& [k, v] : want["HostConfig"].items()) got["HostConfig"][k] = (*body)["HostConfig"][k];
        if (body->contains("ExposedPorts")) got["ExposedPorts"] = (*body)["ExposedPorts"];
        EXPECT_EQ(got, want);
        EXPECT_FALSE(body->contains("MacAddress"));  // per endpoint since API 1.44
    }
}

TEST_F(CliTest, CreateNetworkFlagErrorsAreDockers) {
    auto r = run({"create", "-p", "x", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err, "berth: invalid containerPort: x\n\nRun 'berth create --help' for more information\n");
    r = run({"run", "-d", "-p", "8000-8001:80-82", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "berth: invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
    r = run({"create", "--add-host", "foo", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(
        r.err,
        "invalid argument \"foo\" for \"--add-host\" flag: bad format for add-host: \"foo\"\n\nUsage:  berth "
        "create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth create --help' for more information\n");
    r = run({"create", "--network-alias", "x", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "berth: network-scoped aliases are only supported for user-defined networks");
    r = run({"create", "--network", "host", "--network", "mynet", "busybox"});
    EXPECT_EQ(
        r.err.substr(0, r.err.find('\n')),
        "berth: conflicting options: cannot attach both user-defined and non-user-defined network-modes");
    r = run({"create", "--mac-address", "zz", "busybox"});
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "berth: zz is not a valid mac address");
    r = run({"create", "--dns", "127.0.0.11", "busybox"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, "WARNING: Localhost DNS (127.0.0.11) may fail in containers.\n");
}

TEST_F(CliTest, PortCommand) {
    auto r = run({"port", "pub"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "53/udp -> 127.0.0.1:5353\n80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n");
    r = run({"port", "pub", "80"});
    EXPECT_EQ(r.out, "0.0.0.0:8080\n[::]:8080\n");
    r = run({"container", "port", "pub", "53/udp"});
    EXPECT_EQ(r.out, "127.0.0.1:5353\n");
    r = run({"port", "pub", "443"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: No public port '443' published for pub\n");
    r = run({"port", "pub", "x"});
    EXPECT_EQ(r.err, "Error: invalid port (x): strconv.ParseUint: parsing \"x\": invalid syntax\n");
    r = run({"port", "pub", "1", "2"});
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "berth: 'berth port' requires at least 1 and at most 2 arguments");
}

TEST_F(CliTest, NetworkLsAndInspect) {
    auto r = run({"network", "ls"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "NETWORK ID     NAME      DRIVER    SCOPE\n"
              "111111111111   bridge    bridge    local\n"
              "333333333333   host      host      local\n"
              "222222222222   web-net   bridge    local\n");
    r = run({"network", "list", "-q", "--no-trunc", "-f", "driver=bridge"});
    EXPECT_EQ(r.out, std::string(64, '1') + "\n" + std::string(64, '3') + "\n" + std::string(64, '2') + "\n");
    EXPECT_NE(requests().back().find("filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%7D"),
              std::string::npos);
    r = run({"network", "ls", "--format", "{{.Name}} {{.Internal}} {{.Labels}}"});
    EXPECT_EQ(r.out, "bridge false \nhost false \nweb-net true x=y\n");
    r = run({"network", "inspect", "--format", "{{.Name}} {{(index .IPAM.Config 0).Subnet}}", "web-net"});
    EXPECT_EQ(r.out, "web-net 10.5.0.0/16\n");
    r = run({"network", "inspect", "web-net", "nope"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out.substr(0, 16), "[\n    {\n        ") << r.out;
    EXPECT_EQ(r.err, "Error response from daemon: network nope not found\n");
}

TEST_F(CliTest, NetworkCreateRmPruneConnect) {
    auto r = run({"network", "create", "-d", "bridge", "--subnet", "10.5.0.0/16", "--gateway", "10.5.0.1",
                  "--ip-range", "10.5.1.0/24", "--internal", "--label", "a=b", "-o",
                  "com.docker.network.bridge.name=br5", "--attachable", "--ipv6", "n2"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(64, '4') + "\n");
    // The body docker CLI 28.2.2 sent for the same command.
    EXPECT_EQ(*parse_json(last_body()), Json::parse(R"({"Driver":"bridge","Scope":"","EnableIPv6":true,
        "IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.5.0.0/16","IPRange":"10.5.1.0/24",
        "Gateway":"10.5.0.1"}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigOnly":false,
        "ConfigFrom":null,"Options":{"com.docker.network.bridge.name":"br5"},"Labels":{"a":"b"},"Name":"n2"})"));
    r = run({"network", "create", "--ipv4=false", "n3"});
    EXPECT_EQ((*parse_json(last_body()))["EnableIPv4"], false);
    r = run({"network", "create", "--subnet", "10.1.0.0/16", "--subnet", "10.1.2.0/24", "n8"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "multiple overlapping subnet configuration is not supported\n");
    r = run({"network", "create", "--gateway", "10.1.0.1", "n5"});
    EXPECT_EQ(r.err, "every ip-range or gateway must have a corresponding subnet\n");
    r = run({"network", "create", "--subnet", "10.1.0.0/16", "--ip-range", "10.2.0.0/24", "n7"});
    EXPECT_EQ(r.err, "no matching subnet for range 10.2.0.0/24\n");
    r = run({"network", "create"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "berth: 'berth network create' requires 1 argument");

    r = run({"network", "rm", "web-net", "nope"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "web-net\n");
    EXPECT_EQ(r.err, "Error response from daemon: network nope not found\nexit status 1\n");
    r = run({"network", "remove", "-f", "nope"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, "");

    r = run({"network", "prune", "-f", "--filter", "until=1h"});
    EXPECT_EQ(r.out, "Deleted Networks:\na-net\nb-net\n\n");

    r = run({"network", "connect", "--alias", "a", "--alias", "b,c", "--ip", "10.0.0.5", "n1", "web"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(requests().back(), "POST /v1.45/networks/n1/connect");
    EXPECT_EQ(*parse_json(last_body()), Json::parse(R"({"Container":"web","EndpointConfig":{
        "IPAMConfig":{"IPv4Address":"10.0.0.5"},"Links":null,"Aliases":["a","b","c"],"MacAddress":"",
        "DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,
        "IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}})"));
    r = run({"network", "disconnect", "-f", "n1", "web"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(*parse_json(last_body()), Json::parse(R"({"Container":"web","Force":true})"));
}

TEST_F(CliTest, NetworkHelp) {
    auto r = run({"network", "--help"});
    EXPECT_NE(r.out.find("Connect a container to a network"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  prune "), std::string::npos) << r.out;
    r = run({"network", "create", "--help"});
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "Usage:  berth network create [OPTIONS] NETWORK");
    EXPECT_NE(r.out.find("--subnet strings"), std::string::npos) << r.out;
    r = run({"run", "--help"});
    EXPECT_NE(r.out.find("      --network network"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--net "), std::string::npos) << r.out;  // hidden, as in docker
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

// The registry commands: docker's jsonmessage rendering (terminal and plain) of recorded
// streams, config.json credentials (write, read, fallback, bad files), the X-Registry-Auth
// encoding, and pull/push/login/logout/search/run against a fake daemon that records what
// it was sent.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "api/server/http_server.h"
#include "cli/commands/cli.h"
#include "cli/commands/credentials.h"
#include "cli/commands/progress.h"
#include "common/base64.h"
#include "common/file.h"
#include "support/support.h"

namespace berth::cli {
namespace {

// A pull as docker's daemon streams it (layer statuses carry an empty progressDetail).
const std::vector<std::string> kDockerPull = {
    R"({"status":"Pulling from library/busybox","id":"latest"})",
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"a1"})",
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"b2"})",
    R"({"status":"Downloading","progressDetail":{"current":1000,"total":2000},"progress":"[==>  ]","id":"a1"})",
    R"({"status":"Downloading","progressDetail":{"current":2000,"total":2000},"progress":"[====>]","id":"a1"})",
    R"({"status":"Download complete","progressDetail":{},"id":"a1"})",
    R"({"status":"Download complete","progressDetail":{},"id":"a1"})",
    R"({"status":"Extracting","progressDetail":{"current":2000,"total":2000},"id":"a1"})",
    R"({"status":"Pull complete","progressDetail":{},"id":"a1"})",
    R"({"status":"Already exists","progressDetail":{},"id":"b2"})",
    R"({"status":"Digest: sha256:abc"})",
    R"({"status":"Status: Downloaded newer image for busybox:latest"})",
};

const std::string kPlainPull =
    "latest: Pulling from library/busybox\n"
    "a1: Pulling fs layer\n"
    "b2: Pulling fs layer\n"
    "a1: Download complete\n"
    "a1: Pull complete\n"
    "b2: Already exists\n"
    "Digest: sha256:abc\n"
    "Status: Downloaded newer image for busybox:latest\n";

// The screen a terminal shows for some output: \n, \r, cursor up/down, erase line.
std::vector<std::string> screen(const std::string& out) {
    std::vector<std::string> lines(1);
    size_t row = 0, col = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        char c = out[i];
        if (c == '\x1b' && i + 1 < out.size() && out[i + 1] == '[') {
            size_t j = i + 2;
            int n = 0;
            while (j < out.size() && isdigit(static_cast<unsigned char>(out[j])))
                n = n * 10 + (out[j++] - '0');
            char cmd = out[j];
            if (cmd == 'A') row -= std::min<size_t>(row, n);
            if (cmd == 'B') row += n;
            if (cmd == 'K') lines[row].clear();
            if (row >= lines.size()) lines.resize(row + 1);
            i = j;
        } else if (c == '\n') {
            if (++row >= lines.size()) lines.resize(row + 1);
            col = 0;
        } else if (c == '\r') {
            col = 0;
        } else {
            if (lines[row].size() <= col) lines[row].resize(col + 1, ' ');
            lines[row][col++] = c;
        }
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

std::string render(const std::vector<std::string>& stream, bool terminal, int width = 200,
                   Error* error = nullptr) {
    std::string out;
    ProgressRenderer r(
        {.write = [&](std::string_view s) { out += s; }, .terminal = terminal, .width = width});
    for (const auto& l : stream) {
        auto res = r.line(l);
        if (!res) {
            if (error) *error = res.error();
            break;
        }
    }
    return out;
}

TEST(Progress, BarText) {
    EXPECT_EQ(progress_text(1000, 2000, 200),
              "[=========================>                         ]      1kB/2kB");
    EXPECT_EQ(progress_text(1000, 2000, 80), "     1kB/2kB");  // narrow terminal: numbers only
    EXPECT_EQ(progress_text(12'300'000, 45'600'000, 120).substr(54), "  12.3MB/45.6MB");
    EXPECT_EQ(progress_text(3000, 2000, 200).substr(54), "     3kB");  // wonky total dropped
    EXPECT_EQ(progress_text(1500, 0, 200), "   1.5kB");
    EXPECT_EQ(progress_text(0, 0, 200), "");
    // Time left from the start time: half done in 10s, 10s to go.
    EXPECT_EQ(progress_text(1000, 2000, 200, 100, 110).substr(54), "     1kB/2kB 10s");
}

TEST(Progress, PlainOutputIsOneLinePerStatusChange) {
    EXPECT_EQ(render(kDockerPull, false), kPlainPull);
    // Berth's daemon sends layer statuses without progressDetail: the same output.
    std::vector<std::string> berth;
    for (auto l : kDockerPull) {
        auto j = *parse_json(l);
        if (j.contains("progressDetail") && j["progressDetail"].empty()) j.erase("progressDetail");
        berth.push_back(j.dump());
    }
    EXPECT_EQ(render(berth, false), kPlainPull);
}

TEST(Progress, TerminalUpdatesLayerLinesInPlace) {
    std::vector<std::string> head(kDockerPull.begin(), kDockerPull.begin() + 4);
    auto mid = screen(render(head, true));
    ASSERT_EQ(mid.size(), 3u) << render(head, true);
    EXPECT_EQ(mid[0], "latest: Pulling from library/busybox");
    EXPECT_EQ(mid[1], "a1: Downloading [=========================>                         ]      1kB/2kB");
    EXPECT_EQ(mid[2], "b2: Pulling fs layer");

    auto out = render(kDockerPull, true);
    EXPECT_NE(out.find("\x1b[2K"), std::string::npos);
    EXPECT_NE(out.find("\x1b[2A"), std::string::npos);  // a1 is two lines above the cursor
    auto end = screen(out);
    std::vector<std::string> want = {"latest: Pulling from library/busybox", "a1: Pull complete",
                                     "b2: Already exists", "Digest: sha256:abc",
                                     "Status: Downloaded newer image for busybox:latest"};
    EXPECT_EQ(end, want) << out;
}

TEST(Progress, ErrorsStopTheStream) {
    Error e = Error::internal("");
    std::vector<std::string> s = {R"({"status":"Pulling fs layer","progressDetail":{},"id":"a1"})",
                                  R"({"errorDetail":{"message":"unauthorized: authentication required"},)"
                                  R"("error":"unauthorized: authentication required"})",
                                  R"({"status":"never shown"})"};
    EXPECT_EQ(render(s, false, 200, &e), "a1: Pulling fs layer\n");
    EXPECT_EQ(e.message(), "unauthorized: authentication required");
    EXPECT_EQ(render({R"({"error":"boom"})"}, false, 200, &e), "");
    EXPECT_EQ(e.message(), "boom");
    EXPECT_EQ(render({"not json"}, false, 200, &e), "");
    EXPECT_NE(e.message().find("malformed message"), std::string::npos);
}

TEST(Progress, StreamTextAndAux) {
    EXPECT_EQ(render({R"({"stream":"Loaded image: busybox:latest\n"})", R"({"aux":{"ID":"sha256:1"}})",
                      R"({"status":"Loading layer","progressDetail":{"current":5,"total":10},"id":"x"})"},
                     false),
              "Loaded image: busybox:latest\n");
}

// ---- credentials ----

class CredentialsTest : public ::testing::Test {
protected:
    test::TempDir dir_{"berth-creds-test"};
    credentials::ConfigPaths paths() {
        return {dir_.path() + "/berth/config.json", dir_.path() + "/docker/config.json"};
    }
};

TEST_F(CredentialsTest, WriteThenReadWithDockerLayout) {
    auto f = credentials::ConfigFile::load(paths().berth);
    ASSERT_TRUE(f) << f.error().str();
    f->set("127.0.0.1:5000", {.username = "alice", .password = "s3cr:et"});
    ASSERT_TRUE(f->save());
    struct stat st;
    ASSERT_EQ(::stat(paths().berth.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir_.path() + "/berth").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto j = *parse_json(*read_file(paths().berth));
    EXPECT_EQ(j["auths"]["127.0.0.1:5000"]["auth"], base64_encode("alice:s3cr:et"));
    EXPECT_NE(read_file(paths().berth)->find("\n\t\"auths\""), std::string::npos);  // docker's tabs

    auto e = credentials::lookup(paths(), "127.0.0.1:5000");
    ASSERT_TRUE(e && *e);
    EXPECT_EQ((*e)->username, "alice");
    EXPECT_EQ((*e)->password, "s3cr:et");
    // A key spelled with a scheme and path matches its host.
    EXPECT_TRUE(*credentials::lookup(paths(), "http://127.0.0.1:5000/v2/"));
    EXPECT_FALSE(*credentials::lookup(paths(), "127.0.0.1:5001"));
}

TEST_F(CredentialsTest, OtherKeysSurviveAndEraseMatchesSpellings) {
    ASSERT_TRUE(mkdir_all(dir_.path() + "/berth", 0700));
    ASSERT_TRUE(write_file_atomic(paths().berth, R"({"auths":{"https://reg.example:5000/v2/":{"auth":")" +
                                                     base64_encode("u:p") +
                                                     R"("}},"proxies":{"default":{"httpProxy":"x"}}})"));
    auto f = credentials::ConfigFile::load(paths().berth);
    ASSERT_TRUE(f);
    auto e = f->find("reg.example:5000");
    ASSERT_TRUE(e && *e);
    EXPECT_EQ((*e)->username, "u");
    EXPECT_TRUE(f->erase("reg.example:5000"));
    EXPECT_FALSE(f->erase("reg.example:5000"));
    ASSERT_TRUE(f->save());
    auto j = *parse_json(*read_file(paths().berth));
    EXPECT_TRUE(j["auths"].empty());
    EXPECT_EQ(j["proxies"]["default"]["httpProxy"], "x");
}

TEST_F(CredentialsTest, FallsBackToDockerConfig) {
    ASSERT_TRUE(mkdir_all(dir_.path() + "/docker", 0700));
    ASSERT_TRUE(write_file_atomic(paths().docker, R"({"auths":{"https://index.docker.io/v1/":{"auth":")" +
                                                      base64_encode("hub:pw") + R"("}}})"));
    auto e = credentials::lookup(paths(), credentials::key_for_domain("docker.io"));
    ASSERT_TRUE(e && *e) << (e ? "none" : e.error().str());
    EXPECT_EQ((*e)->username, "hub");
    // berth's own entry wins over docker's.
    auto f = *credentials::ConfigFile::load(paths().berth);
    f.set(std::string(credentials::kDockerHubKey), {.username = "mine", .password = "x"});
    ASSERT_TRUE(f.save());
    EXPECT_EQ((*credentials::lookup(paths(), "https://index.docker.io/v1/"))->username, "mine");
}

TEST_F(CredentialsTest, BadJsonNamesTheFileAndIsKept) {
    ASSERT_TRUE(mkdir_all(dir_.path() + "/berth", 0700));
    ASSERT_TRUE(write_file_atomic(paths().berth, "{\"auths\": {"));
    auto f = credentials::ConfigFile::load(paths().berth);
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().str().find(paths().berth), std::string::npos) << f.error().str();
    auto e = credentials::lookup(paths(), "x:1");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().str().find(paths().berth), std::string::npos);
    ASSERT_TRUE(write_file_atomic(paths().berth, R"({"auths":{"x:1":{"auth":"!!notbase64"}}})"));
    e = credentials::lookup(paths(), "x:1");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().str().find("not base64"), std::string::npos) << e.error().str();
    // A bad docker file matters only when berth's has no entry.
    ASSERT_TRUE(write_file_atomic(paths().berth, R"({"auths":{}})"));
    ASSERT_TRUE(mkdir_all(dir_.path() + "/docker", 0700));
    ASSERT_TRUE(write_file_atomic(paths().docker, "[1,"));
    e = credentials::lookup(paths(), "x:1");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().str().find(paths().docker), std::string::npos);
}

TEST_F(CredentialsTest, ServerKeys) {
    EXPECT_EQ(credentials::server_key(""), "https://index.docker.io/v1/");
    EXPECT_EQ(credentials::server_key("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(credentials::server_key("https://index.docker.io/v1/"), "https://index.docker.io/v1/");
    EXPECT_EQ(credentials::server_key("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    EXPECT_EQ(credentials::key_for_domain("localhost:5000"), "localhost:5000");
}

TEST(AuthHeader, Base64UrlJson) {
    EXPECT_EQ(credentials::encode_auth_header({}, "x"), "e30=");
    std::string h = credentials::encode_auth_header({.username = "u", .password = "p>?~"}, "127.0.0.1:5000");
    EXPECT_EQ(h.find_first_of("+/"), std::string::npos) << h;
    auto j = parse_json(*base64_decode(h));
    ASSERT_TRUE(j);
    EXPECT_EQ(*j, (Json{{"username", "u"}, {"password", "p>?~"}, {"serveraddress", "127.0.0.1:5000"}}));
    EXPECT_EQ(base64_encode("a"), "YQ==");
    EXPECT_EQ(base64_encode("ab"), "YWI=");
    EXPECT_EQ(base64_encode("abc"), "YWJj");
    EXPECT_EQ(*base64_decode("YWI"), "ab");
    EXPECT_FALSE(base64_decode("a*b"));
}

// ---- commands against a fake daemon ----

class RegistryCliTest : public ::testing::Test {
protected:
    void SetUp() override {
        sock_ = dir_.path() + "/d.sock";
        ::setenv("BERTH_CONFIG", (dir_.path() + "/berth").c_str(), 1);
        ::setenv("DOCKER_CONFIG", (dir_.path() + "/docker").c_str(), 1);
        api::Router r;
        ASSERT_TRUE(r.add("GET", "/_ping", [](api::Request&) -> Result<api::Response> {
            api::Response resp = api::Response::text(200, "OK");
            resp.headers.set("Api-Version", "1.47");
            return resp;
        }));
        auto stream = [this](api::Request& req,
                             const std::vector<std::string>& lines) -> Result<api::Response> {
            record(req);
            api::Headers h;
            h.set("Content-Type", "application/json");
            auto s = BERTH_TRY(req.start_stream(200, h));
            for (const auto& l : lines) BERTH_TRY(s->write(l + "\n"));
            s->finish();
            return api::Response{};
        };
        ASSERT_TRUE(r.add("POST", "/images/create", [stream](api::Request& req) -> Result<api::Response> {
            if (req.query.get("fromImage").find("private") != std::string::npos &&
                req.headers.value("X-Registry-Auth") == "e30=")
                return stream(req, {kDockerPull[0],
                                    R"({"errorDetail":{"message":"unauthorized"},"error":"unauthorized"})"});
            return stream(req, kDockerPull);
        }));
        ASSERT_TRUE(
            r.add("POST", "/images/{name:.*}/push", [stream](api::Request& req) -> Result<api::Response> {
                return stream(req,
                              {R"({"status":"The push refers to repository [127.0.0.1:5000/app]"})",
                               R"({"status":"Preparing","progressDetail":{},"id":"a1"})",
                               R"({"status":"Pushing","progressDetail":{"current":5,"total":9},"id":"a1"})",
                               R"({"status":"Pushed","progressDetail":{},"id":"a1"})",
                               R"({"status":"v1: digest: sha256:abc size: 527"})",
                               R"({"aux":{"Tag":"v1","Digest":"sha256:abc","Size":527}})"});
            }));
        ASSERT_TRUE(r.add("POST", "/auth", [this](api::Request& req) -> Result<api::Response> {
            record(req);
            auto j = BERTH_TRY(parse_json(req.body));
            if (j.value("password", "") != "good")
                return Error(ErrorKind::PermissionDenied, "login attempt to http://" +
                                                              j.value("serveraddress", "") +
                                                              "/v2/ failed with status: 401 Unauthorized");
            return api::Response::json(200, Json{{"Status", "Login Succeeded"}, {"IdentityToken", ""}});
        }));
        ASSERT_TRUE(r.add("GET", "/images/search", [this](api::Request& req) -> Result<api::Response> {
            record(req);
            if (req.query.get("term").rfind("127.0.0.1:5000/", 0) == 0)
                return Error::unsupported("registry 127.0.0.1:5000 does not support search");
            return api::Response::json(
                200, Json{{{"name", "busybox"},
                           {"description", "Busybox base image.\nSmall, with a very long description line"},
                           {"star_count", 3300},
                           {"is_official", true},
                           {"is_automated", false}},
                          {{"name", "someone/bb"},
                           {"description", ""},
                           {"star_count", 2},
                           {"is_official", false}}});
        }));
        ASSERT_TRUE(r.add("POST", "/containers/create", [this](api::Request& req) -> Result<api::Response> {
            record(req);
            std::lock_guard<std::mutex> l(mu_);
            if (!created_) {
                created_ = true;
                return Error::not_found("No such image: busybox:latest");
            }
            return api::Response::json(201, Json{{"Id", std::string(64, 'f')}, {"Warnings", Json::array()}});
        }));
        api::ServerConfig cfg;
        cfg.shutdown_timeout = std::chrono::milliseconds(500);
        server_ = std::make_unique<api::HttpServer>(cfg, std::move(r));
        ASSERT_TRUE(server_->listen_unix({.path = sock_}));
        ASSERT_TRUE(server_->start());
    }
    void TearDown() override {
        server_->stop();
        ::unsetenv("BERTH_CONFIG");
        ::unsetenv("DOCKER_CONFIG");
    }

    void record(api::Request& req) {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(req.method + " " + req.target);
        auths_.push_back(req.headers.value("X-Registry-Auth"));
        bodies_.push_back(req.body);
    }

    struct Out {
        int code;
        std::string out, err;
    };
    Out run(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), {"-H", "unix://" + sock_});
        std::ostringstream out, err;
        std::string in_path = dir_.path() + "/stdin";
        EXPECT_TRUE(write_file_atomic(in_path, input));
        int in = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
        Io io{out, err, in, -1, false};
        int code = cli::run(args, io);
        ::close(in);
        return {code, out.str(), err.str()};
    }
    std::string last_request() {
        std::lock_guard<std::mutex> l(mu_);
        return requests_.empty() ? "" : requests_.back();
    }
    Json last_auth() {
        std::lock_guard<std::mutex> l(mu_);
        auto d = base64_decode(auths_.empty() ? "" : auths_.back());
        auto j = d ? parse_json(*d) : Result<Json>(Error::invalid("bad"));
        return j ? *j : Json("undecodable: " + (auths_.empty() ? "" : auths_.back()));
    }
    std::string config() { return read_file(dir_.path() + "/berth/config.json").value_or(""); }

    test::TempDir dir_{"berth-regcli-test"};
    std::string sock_;
    std::unique_ptr<api::HttpServer> server_;
    std::mutex mu_;
    bool created_ = false;
    std::vector<std::string> requests_, auths_, bodies_;
};

TEST_F(RegistryCliTest, PullPrintsProgressAndReference) {
    auto r = run({"pull", "busybox"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Using default tag: latest\n" + kPlainPull + "docker.io/library/busybox:latest\n");
    EXPECT_EQ(last_request(), "POST /v1.47/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest");
    EXPECT_EQ(last_auth(), Json::object());

    r = run({"image", "pull", "-q", "127.0.0.1:5000/app:v1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "127.0.0.1:5000/app:v1\n");
    r = run({"pull", "-a", "--platform", "Linux/AMD64", "127.0.0.1:5000/app"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1), "127.0.0.1:5000/app\n");
    EXPECT_EQ(last_request(),
              "POST /v1.47/images/create?fromImage=127.0.0.1%3A5000%2Fapp&platform=linux%2Famd64");

    r = run({"pull", "-a", "busybox:1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "tag can't be used with --all-tags/-a\n");
    r = run({"pull", "Bad:Ref:x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("invalid reference format"), std::string::npos) << r.err;
    r = run({"pull", "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("berth image pull, berth pull"), std::string::npos) << r.out;
}

TEST_F(RegistryCliTest, LoginStoresOnlyVerifiedCredentialsAndPullSendsThem) {
    auto r = run({"login", "-u", "alice", "--password-stdin", "127.0.0.1:5000"}, "bad\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(
        r.err,
        "Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 "
        "Unauthorized\n");
    EXPECT_EQ(config(), "");
    EXPECT_FALSE(path_exists(dir_.path() + "/berth/config.json"));

    r = run({"login", "-u", "alice", "--password-stdin", "127.0.0.1:5000"}, "good\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Login Succeeded\n");
    EXPECT_NE(r.err.find("stored unencrypted in '" + dir_.path() + "/berth/config.json'"), std::string::npos);
    EXPECT_EQ(*parse_json(bodies_.back()),
              (Json{{"username", "alice"}, {"password", "good"}, {"serveraddress", "127.0.0.1:5000"}}));
    auto j = parse_json(config());
    ASSERT_TRUE(j) << config();
    EXPECT_EQ((*j)["auths"]["127.0.0.1:5000"]["auth"], base64_encode("alice:good"));

    r = run({"pull", "127.0.0.1:5000/private/app:v1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(last_auth(),
              (Json{{"username", "alice"}, {"password", "good"}, {"serveraddress", "127.0.0.1:5000"}}));
    // Other registries get none.
    run({"pull", "-q", "busybox"});
    EXPECT_EQ(last_auth(), Json::object());

    // Stored credentials are re-used without a prompt.
    r = run({"login", "127.0.0.1:5000"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Login Succeeded"), std::string::npos);

    r = run({"logout", "127.0.0.1:5000"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, "Removing login credentials for 127.0.0.1:5000\n");
    r = run({"logout", "127.0.0.1:5000"});
    EXPECT_EQ(r.out, "Not logged in to 127.0.0.1:5000\n");
    r = run({"logout"});
    EXPECT_EQ(r.out, "Not logged in to https://index.docker.io/v1/\n");

    r = run({"pull", "127.0.0.1:5000/private/app:v1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "unauthorized\n");
}

TEST_F(RegistryCliTest, LoginFlagErrors) {
    auto r = run({"login", "-p", "x", "--password-stdin", "-u", "a", "h:1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "--password and --password-stdin are mutually exclusive\n");
    r = run({"login", "--password-stdin", "h:1"}, "x");
    EXPECT_EQ(r.err, "Must provide --username with --password-stdin\n");
    r = run({"login", "h:1"});  // stdin is a file, not a terminal
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: Cannot perform an interactive login from a non TTY device\n");
    r = run({"login", "-u", "a", "-p", "good", "h:1"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
              "WARNING! Using --password via the CLI is insecure. Use --password-stdin.");

    // A malformed config.json is reported by name and left alone.
    ASSERT_TRUE(write_file_atomic(dir_.path() + "/berth/config.json", "{oops"));
    r = run({"login", "-u", "a", "-p", "good", "h:1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(dir_.path() + "/berth/config.json"), std::string::npos) << r.err;
    EXPECT_EQ(config(), "{oops");
    r = run({"pull", "h:1/app"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(dir_.path() + "/berth/config.json"), std::string::npos) << r.err;
}

TEST_F(RegistryCliTest, PushSendsAuthAndRendersProgress) {
    ASSERT_EQ(run({"login", "-u", "bob", "--password-stdin", "127.0.0.1:5000"}, "good").code, 0);
    auto r = run({"push", "127.0.0.1:5000/app:v1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "The push refers to repository [127.0.0.1:5000/app]\n"
              "a1: Preparing\n"
              "a1: Pushed\n"
              "v1: digest: sha256:abc size: 527\n");
    EXPECT_EQ(last_request(), "POST /v1.47/images/127.0.0.1:5000/app/push?tag=v1");
    EXPECT_EQ(last_auth()["username"], "bob");
    r = run({"image", "push", "-q", "127.0.0.1:5000/app"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "127.0.0.1:5000/app:latest\n");
    r = run({"push", "-a", "127.0.0.1:5000/app"});
    EXPECT_EQ(last_request(), "POST /v1.47/images/127.0.0.1:5000/app/push");
    r = run({"push", "busybox@sha256:" + std::string(64, 'a')});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "cannot push a digest reference\n");
}

TEST_F(RegistryCliTest, Search) {
    auto r = run({"search", "busybox"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "NAME         DESCRIPTION                                     STARS     OFFICIAL\n"
              "busybox      Busybox base image. Small, with a very long …   3300      [OK]\n"
              "someone/bb                                                   2         \n");
    EXPECT_EQ(last_request(), "GET /v1.47/images/search?term=busybox");
    r = run({"search", "--no-trunc", "--limit", "5", "-f", "is-official=true", "--format",
             "{{.Name}}|{{.Description}}|{{.IsAutomated}}", "busybox"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
              "busybox|Busybox base image. Small, with a very long description line|");
    EXPECT_EQ(last_request(),
              "GET "
              "/v1.47/images/"
              "search?term=busybox&limit=5&filters=%7B%22is-official%22%3A%7B%22true%22%3Atrue%7D%7D");
    r = run({"search", "127.0.0.1:5000/app"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error response from daemon: registry 127.0.0.1:5000 does not support search\n");
}

TEST_F(RegistryCliTest, RunPullsAMissingImageToStderr) {
    auto r = run({"create", "busybox"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(64, 'f') + "\n");
    EXPECT_EQ(r.err, "Unable to find image 'busybox:latest' locally\n" + kPlainPull);
    std::lock_guard<std::mutex> l(mu_);
    ASSERT_EQ(requests_.size(), 3u);
    EXPECT_EQ(requests_[1], "POST /v1.47/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest");
    EXPECT_EQ(auths_[1], "e30=");
}

TEST_F(RegistryCliTest, RunPullAlwaysQuietAndNever) {
    created_ = true;
    auto r = run({"create", "-q", "--pull", "always", "busybox"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(requests_.size(), 2u);
    r = run({"create", "--pull", "never", "busybox"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(requests_.size(), 3u);
    r = run({"create", "--pull", "sometimes", "busybox"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("invalid pull option: 'sometimes'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::cli

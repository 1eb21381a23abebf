#include "shim/shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/strings.h"
#include "common/time.h"
#include "shim/clock.h"
#include "shim/json_log.h"
#include "shim/monitor.h"

namespace berth::shim {
namespace {

TEST(ShimOptions, RoundTrip) {
    Options o;
    o.id = "abc";
    o.bundle = "/b";
    o.state_dir = "/s";
    o.runtime_root = "/r";
    o.log_path = "/l.log";
    o.log_max_size = 1024;
    o.log_max_file = 3;
    o.tty = true;
    o.open_stdin = true;
    auto back = Options::from_args(o.to_args());
    ASSERT_TRUE(back) << back.error().str();
    EXPECT_EQ(back->id, "abc");
    EXPECT_EQ(back->log_max_size, 1024);
    EXPECT_EQ(back->log_max_file, 3);
    EXPECT_TRUE(back->tty);
    EXPECT_TRUE(back->open_stdin);
    EXPECT_FALSE(back->stdin_once);
    EXPECT_FALSE(Options::from_args({"--id", "x"}));
    EXPECT_FALSE(Options::from_args({"--bogus"}));
}

TEST(ShimExit, JsonRoundTrip) {
    ExitStatus e{137, "2026-01-01T00:00:00Z", true};
    auto back = ExitStatus::from_json(e.to_json());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->exit_code, 137);
    EXPECT_TRUE(back->oom_killed);
    EXPECT_FALSE(ExitStatus::from_json(Json::object()));
}

TEST(ShimExit, TextIsWhatTheJsonDumps) {
    for (auto e : {ExitStatus{0, "2026-11-28T01:02:03.000000004Z", false}, ExitStatus{137, "", true},
                   ExitStatus{-1, "odd \"<time>\"", false}}) {
        std::string text = exit_status_text(e.exit_code, e.finished_at, e.oom_killed);
        // Byte-identical for real times; with odd text only the escaping (Go's \u003c) differs.
        if (e.finished_at.find('<') == std::string::npos) {
            EXPECT_EQ(text, dump_json(e.to_json()));
        }
        EXPECT_EQ(*parse_json(text), e.to_json());
        auto back = ExitStatus::from_json(*parse_json(text));
        ASSERT_TRUE(back);
        EXPECT_EQ(back->exit_code, e.exit_code);
        EXPECT_EQ(back->finished_at, e.finished_at);
        EXPECT_EQ(back->oom_killed, e.oom_killed);
    }
}

TEST(ShimOptions, BadNumbersAreErrors) {
    std::vector<std::string> base = {"--id",        "a",  "--bundle",       "/b",
                                     "--state-dir", "/s", "--runtime-root", "/r"};
    for (auto bad : {"x", "12k", "", "99999999999999999999"}) {
        auto args = base;
        args.insert(args.end(), {"--log-max-size", bad});
        auto o = Options::from_args(args);
        ASSERT_FALSE(o) << bad;
        EXPECT_NE(o.error().str().find("--log-max-size"), std::string::npos) << o.error().str();
    }
}

// The monitor's hand-written clock prints exactly what common/time.h does.
TEST(ShimClock, MatchesCommonTime) {
    std::vector<int64_t> t = {0,
                              1,
                              999999999,
                              1000000000,
                              951782400123456789 /* 2000-02-29 */,
                              4102444799999999999 /* 2099-12-31T23:59:59 */,
                              now_unix_nanos()};
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20000; ++i) t.push_back(static_cast<int64_t>(rng() % 7258118400000000000ull));
    for (int64_t ns : t) ASSERT_EQ(rfc3339_nano(ns), format_rfc3339_nano(ns)) << ns;
    EXPECT_EQ(rfc3339_nano_now().size(), 30u);
}

class JsonLog : public ::testing::Test {
protected:
    void SetUp() override {
        char t[] = "/tmp/berth-jsonlog-XXXXXX";
        ASSERT_TRUE(mkdtemp(t));
        dir_ = t;
    }
    void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }
    std::vector<Json> lines(const std::string& path) {
        std::vector<Json> out;
        auto text = read_file(path);
        if (!text) return out;
        for (auto& l : split(*text, '\n')) out.push_back(*parse_json(l));
        return out;
    }
    std::string dir_;
};

TEST_F(JsonLog, SplitsLinesAndKeepsPartials) {
    JsonLogWriter w;
    std::string p = dir_ + "/c.log";
    ASSERT_TRUE(w.open(p, -1, 1));
    w.write(1, "one\ntw");
    w.write(2, "err <&>\n");
    w.write(1, "o\n");
    w.write(1, "partial");
    w.flush();
    auto l = lines(p);
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0]["log"], "one\n");
    EXPECT_EQ(l[0]["stream"], "stdout");
    EXPECT_EQ(l[1]["log"], "err <&>\n");
    EXPECT_EQ(l[1]["stream"], "stderr");
    EXPECT_EQ(l[2]["log"], "two\n");
    EXPECT_EQ(l[3]["log"], "partial");
    EXPECT_EQ(l[0]["time"].get<std::string>().back(), 'Z');
    // Go's encoder escapes HTML characters: the raw file has \u003c.
    EXPECT_NE(read_file(p)->find("\\u003c\\u0026\\u003e"), std::string::npos);
}

TEST_F(JsonLog, RotatesAtMaxSize) {
    JsonLogWriter w;
    std::string p = dir_ + "/c.log";
    ASSERT_TRUE(w.open(p, 300, 3));
    for (int i = 0; i < 20; ++i) w.write(1, "line number " + std::to_string(i) + "\n");
    EXPECT_TRUE(path_exists(p + ".1"));
    EXPECT_TRUE(path_exists(p + ".2"));
    EXPECT_FALSE(path_exists(p + ".3"));
    auto last = lines(p);
    ASSERT_FALSE(last.empty());
    EXPECT_EQ(last.back()["log"], "line number 19\n");
    EXPECT_LE(read_file(p)->size(), 300u);
}

// berth-monitor end to end without root: a fake "container" (sh) is its child, as after
// berth-shim's exec; output goes to the log and an attach client, stdin comes from the
// client, and the exit lands in exit.json.
class MonitorBinary : public JsonLog {
protected:
    static std::string monitor_binary() {
        if (const char* b = getenv("BERTH_BUILD_DIR"); b && *b)
            return std::string(b) + "/src/bin/berth-shim/berth-monitor";
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = 0;
        std::string dir(self);
        dir.erase(dir.rfind('/'));
        return dir + "/../bin/berth-shim/berth-monitor";
    }
    void TearDown() override {
        if (monitor_ > 0) {
            kill(monitor_, SIGKILL);
            waitpid(monitor_, nullptr, 0);
        }
        JsonLog::TearDown();
    }
    pid_t monitor_ = 0;
};

TEST_F(MonitorBinary, LogsAttachesAndRecordsExit) {
    std::string bin = monitor_binary();
    ASSERT_EQ(access(bin.c_str(), X_OK), 0) << bin;
    Options o;
    o.id = "mon";
    o.bundle = o.runtime_root = "/nonexistent";
    o.state_dir = dir_;
    o.log_path = dir_ + "/c.log";
    o.open_stdin = o.stdin_once = true;

    int out[2], err[2], in[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::string sock = dir_ + "/" + kAttachSocket;
    strcpy(addr.sun_path, sock.c_str());
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener, 4), 0);

    monitor_ = fork();
    ASSERT_GE(monitor_, 0);
    if (monitor_ == 0) {
        pid_t init = fork();
        if (init == 0) {
            dup2(in[0], 0), dup2(out[1], 1), dup2(err[1], 2);
            execl("/bin/sh", "sh", "-c", "read line; echo got:$line; echo oops >&2; exit 3", nullptr);
            _exit(127);
        }
        // The monitor's ends, without close-on-exec (as berth-shim's keep() does).
        MonitorFds fds{fcntl(out[0], F_DUPFD, 100), fcntl(err[0], F_DUPFD, 100), fcntl(in[1], F_DUPFD, 100),
                       fcntl(listener, F_DUPFD, 100)};
        auto args = monitor_args(o, fds, init);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(bin.c_str(), argv.data());
        _exit(126);
    }
    for (int fd : {out[0], out[1], err[0], err[1], in[0], in[1], listener}) close(fd);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv {
        20, 0
    };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string hello = "attach stdin=1 stdout=1 stderr=1\n";
    ASSERT_EQ(write(fd, hello.data(), hello.size()), static_cast<ssize_t>(hello.size()));
    char ok[3];
    ASSERT_EQ(read(fd, ok, 3), 3);
    EXPECT_EQ(std::string(ok, 3), "ok\n");
    ASSERT_EQ(write(fd, "hi\n", 3), 3);
    shutdown(fd, SHUT_WR);
    std::string got;
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, n);
    close(fd);
    std::string streams[3];
    for (size_t i = 0; i + 8 <= got.size();) {
        size_t len = (uint8_t(got[i + 4]) << 24) | (uint8_t(got[i + 5]) << 16) | (uint8_t(got[i + 6]) << 8) |
                     uint8_t(got[i + 7]);
        ASSERT_LE(got[i], 2);
        streams[int(got[i])] += got.substr(i + 8, len);
        i += 8 + len;
    }
    EXPECT_EQ(streams[1], "got:hi\n");
    EXPECT_EQ(streams[2], "oops\n");

    int status = 0;
    ASSERT_EQ(waitpid(monitor_, &status, 0), monitor_);
    monitor_ = 0;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    auto exit = read_exit_status(dir_);
    ASSERT_TRUE(exit) << exit.error().str();
    EXPECT_EQ(exit->exit_code, 3);
    EXPECT_FALSE(exit->oom_killed);
    auto finished = parse_rfc3339(exit->finished_at);
    ASSERT_TRUE(finished) << exit->finished_at;
    EXPECT_LT(std::abs(*finished - now_unix_nanos()), int64_t(60) * 1000000000);
    for (auto& name : list_dir(dir_)) EXPECT_FALSE(starts_with(name, "exit.json.tmp")) << name;
    auto l = lines(o.log_path);
    ASSERT_EQ(l.size(), 2u) << *read_file(o.log_path);
    std::map<std::string, std::string> by_stream;
    for (auto& j : l) by_stream[j["stream"]] = j["log"];
    EXPECT_EQ(by_stream["stdout"], "got:hi\n");
    EXPECT_EQ(by_stream["stderr"], "oops\n");
}

TEST_F(MonitorBinary, BadUsageIsAnError) {
    std::string bin = monitor_binary();
    int status = 0;
    pid_t p = fork();
    if (p == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(bin.c_str(), "berth-shim", "monitor", "x", nullptr);
        _exit(126);
    }
    ASSERT_EQ(waitpid(p, &status, 0), p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
}

}  // namespace
}  // namespace berth::shim

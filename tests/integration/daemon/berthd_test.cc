// berthd as a process: configuration, listeners, the system endpoints through curl and
// the real docker CLI, and a clean shutdown.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "support/daemon.h"
#include "support/support.h"

namespace berth::test {
namespace {

class Berthd : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        dir_ = std::make_unique<TempDir>("berthd");
        sock_ = dir_->path() + "/berth.sock";
        pidfile_ = dir_->path() + "/berthd.pid";
    }
    void TearDown() override { stop(); }

    std::vector<std::string> base_args() {
        return {binary("berthd"),
                "--config-file",
                dir_->path() + "/daemon.json",
                "--data-root",
                dir_->path() + "/data",
                "--exec-root",
                dir_->path() + "/exec",
                "--pidfile",
                pidfile_};
    }
    // Starts berthd and waits until its socket answers.
    void start(std::vector<std::string> extra = {}) {
        if (!path_exists(dir_->path() + "/daemon.json")) {
            ASSERT_TRUE(write_file_atomic(dir_->path() + "/daemon.json", net_.apply("{}")));
        }
        auto args = base_args();
        args.push_back("-H");
        args.push_back("unix://" + sock_);
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = spawn_berthd(args, dir_->path());
        if (pid_ < 0) pid_ = 0;
        ASSERT_GT(pid_, 0) << "berthd did not say READY=1";
        ASSERT_EQ(curl({"-s", "http://d/_ping"}).out, "OK") << "berthd did not answer on " << sock_;
    }
    int stop() {
        if (pid_ <= 0) return -1;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = 0;
        return status;
    }
    CommandResult curl(std::vector<std::string> args) {
        std::vector<std::string> argv = {"curl", "--unix-socket", sock_, "--max-time", "10"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv);
    }
    CommandResult docker(std::vector<std::string> args) {
        std::vector<std::string> argv = {"/usr/local/bin/docker", "-H", "unix://" + sock_};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv);
    }

    std::unique_ptr<TempDir> dir_;

    test::NetworkIsolation net_;  // its own bridge and nft table
    std::string sock_, pidfile_;
    pid_t pid_ = 0;
};

TEST_F(Berthd, PingVersionAndHeaders) {
    start();
    EXPECT_EQ(trim(*read_file(pidfile_)), std::to_string(pid_));
    auto head = curl({"-sI", "http://d/_ping"});
    EXPECT_NE(head.out.find("Api-Version: 1.47"), std::string::npos) << head.out;
    EXPECT_NE(head.out.find("Ostype: linux"), std::string::npos) << head.out;
    auto v = curl({"-s", "http://d/v1.47/version"});
    auto j = parse_json(v.out);
    ASSERT_TRUE(j) << v.out;
    EXPECT_EQ((*j)["ApiVersion"], "1.47");
    EXPECT_EQ((*j)["MinAPIVersion"], "1.24");
    EXPECT_EQ((*j)["Os"], "linux");
    auto old = curl({"-s", "http://d/v1.12/version"});
    EXPECT_NE(old.out.find("is too old"), std::string::npos) << old.out;
    auto missing = curl({"-s", "-o", "/dev/null", "-w", "%{http_code}", "http://d/nope"});
    EXPECT_EQ(missing.out, "404");
    struct stat st;
    ASSERT_EQ(stat(sock_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(Berthd, DockerCliTalksToIt) {
    ASSERT_EQ(access("/usr/local/bin/docker", X_OK), 0) << "no docker CLI at /usr/local/bin/docker";
    start();
    auto r = docker({"version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(trim(r.out), "1.47 linux");
}

TEST_F(Berthd, EventsWithUntilInThePastEndAtOnce) {
    start();
    auto r = curl({"-s", "http://d/events?since=1&until=2"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    auto bad = curl({"-s", "http://d/events?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D"});
    EXPECT_NE(bad.out.find("invalid filter 'bogus'"), std::string::npos) << bad.out;
}

TEST_F(Berthd, StopsCleanlyOnSigterm) {
    start();
    int status = stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_FALSE(path_exists(sock_));
    EXPECT_FALSE(path_exists(pidfile_));
}

TEST_F(Berthd, UnknownConfigKeyIsAStartupError) {
    ASSERT_TRUE(
        write_file_atomic(dir_->path() + "/daemon.json", R"({"log-level": "info", "colour": "blue"})"));
    auto args = base_args();
    auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("unknown configuration key \"colour\""), std::string::npos) << r.err;
}

TEST_F(Berthd, PlainTcpIsRefused) {
    ASSERT_TRUE(write_file_atomic(dir_->path() + "/daemon.json", net_.apply("{}")));
    auto args = base_args();
    args.insert(args.end(), {"-H", "tcp://127.0.0.1:2376"});
    auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("needs TLS"), std::string::npos) << r.err;
}

TEST_F(Berthd, SecondDaemonOnTheSamePidfileIsRefused) {
    start();
    auto args = base_args();
    args.insert(args.end(), {"-H", "unix://" + dir_->path() + "/other.sock"});
    auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("already running"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::test

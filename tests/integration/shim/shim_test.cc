// berth-shim end to end: spawn, start through the runtime library, logs, attach, exit
// status, and the shim's small footprint.
#include "shim/shim.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/container/container.h"
#include "support/support.h"

namespace berth::test {
namespace {

class Shim : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        state_ = std::make_unique<TempDir>("berth-shim-state");
        root_ = std::make_unique<TempDir>("berth-shim-rt");
        opts_.id = "shim" + std::to_string(getpid()) + "-" + std::to_string(++counter_);
        opts_.bundle = bundle_.dir();
        opts_.state_dir = state_->path();
        opts_.runtime_root = root_->path();
        opts_.log_path = state_->path() + "/container.log";
    }
    void TearDown() override {
        if (!root_) return;
        runtime::GlobalOptions g{root_->path()};
        (void)runtime::remove(g, opts_.id, true);
        if (spawned_.shim_pid > 0) {
            kill(spawned_.shim_pid, SIGKILL);
            waitpid(spawned_.shim_pid, nullptr, 0);
        }
    }
    shim::Spawned spawn(const std::vector<std::string>& args) {
        bundle_.set_args(args);
        bundle_.write_config();
        auto s = shim::spawn_shim(binary("berth-shim"), opts_);
        EXPECT_TRUE(s) << s.error().str();
        if (s) spawned_ = *s;
        return spawned_;
    }
    int wait_shim() {
        int status = 0;
        waitpid(spawned_.shim_pid, &status, 0);
        spawned_.shim_pid = 0;
        return status;
    }
    runtime::GlobalOptions g() { return {root_->path()}; }

    Bundle bundle_;
    std::unique_ptr<TempDir> state_, root_;
    shim::Options opts_;
    shim::Spawned spawned_;
    static inline int counter_ = 0;
};

TEST_F(Shim, RunsLogsAndRecordsExit) {
    auto s = spawn({"sh", "-c", "echo out; echo err >&2; exit 3"});
    ASSERT_GT(s.init_pid, 0);
    EXPECT_EQ(runtime::state(g(), opts_.id)->status, runtime::Status::Created);
    ASSERT_TRUE(runtime::start(g(), opts_.id));
    EXPECT_EQ(wait_shim(), 0);
    auto exit = shim::read_exit_status(state_->path());
    ASSERT_TRUE(exit) << exit.error().str();
    EXPECT_EQ(exit->exit_code, 3);
    auto log = read_file(opts_.log_path);
    ASSERT_TRUE(log);
    EXPECT_NE(log->find("{\"log\":\"out\\n\",\"stream\":\"stdout\""), std::string::npos) << *log;
    EXPECT_NE(log->find("{\"log\":\"err\\n\",\"stream\":\"stderr\""), std::string::npos) << *log;
    // The monitor leaves the runtime container to berthd (which reads its OOM kill first).
    auto st = runtime::state(g(), opts_.id);
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(st->status, runtime::Status::Stopped);
}

TEST_F(Shim, AttachStreamsOutputAndStdin) {
    opts_.open_stdin = true;
    opts_.stdin_once = true;
    auto s = spawn({"sh", "-c", "read line; echo got:$line"});
    ASSERT_GT(s.init_pid, 0);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::string path = state_->path() + "/" + shim::kAttachSocket;
    strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string hello = "attach stdin=1 stdout=1 stderr=1\n";
    ASSERT_EQ(write(fd, hello.data(), hello.size()), static_cast<ssize_t>(hello.size()));
    char ok[3];
    ASSERT_EQ(read(fd, ok, 3), 3);
    ASSERT_TRUE(runtime::start(g(), opts_.id));
    ASSERT_EQ(write(fd, "hi\n", 3), 3);
    shutdown(fd, SHUT_WR);
    std::string got;
    char buf[256];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, n);
    close(fd);
    // One stdcopy frame on stdout: header + "got:hi\n".
    ASSERT_GE(got.size(), 8u);
    EXPECT_EQ(got[0], 1);
    EXPECT_EQ(got.substr(8), "got:hi\n");
    EXPECT_EQ(wait_shim(), 0);
    EXPECT_EQ(shim::read_exit_status(state_->path())->exit_code, 0);
}

TEST_F(Shim, SurvivesItsParentAndStaysSmall) {
    auto s = spawn({"sleep", "30"});
    ASSERT_GT(s.init_pid, 0);
    ASSERT_TRUE(runtime::start(g(), opts_.id));
    usleep(100000);
    auto status = read_file("/proc/" + std::to_string(s.shim_pid) + "/status");
    ASSERT_TRUE(status);
    auto pos = status->find("VmRSS:");
    ASSERT_NE(pos, std::string::npos);
    long rss_kb = atol(status->c_str() + pos + 6);
    RecordProperty("shim_rss_kb", std::to_string(rss_kb));
    // An idle monitor (berth-monitor, static and tiny) is what each running container costs.
    EXPECT_LT(rss_kb, 1024) << "an idle shim should be small";
    auto cmdline = read_file("/proc/" + std::to_string(s.shim_pid) + "/cmdline");
    ASSERT_TRUE(cmdline);
    EXPECT_TRUE(starts_with(*cmdline, std::string("berth-shim\0monitor\0", 19)))
        << *cmdline;  // berthd's is_our_shim
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(s.shim_pid) + "/exe", ec);
    EXPECT_EQ(exe.filename(), "berth-monitor");
    // The shim runs in its own session.
    EXPECT_EQ(getsid(s.shim_pid), s.shim_pid);
    ASSERT_TRUE(runtime::kill(g(), opts_.id, SIGKILL, false));
    EXPECT_EQ(wait_shim(), 0);
    EXPECT_EQ(shim::read_exit_status(state_->path())->exit_code, 137);
}

TEST_F(Shim, BadBundleIsReported) {
    bundle_.config()["process"]["cwd"] = "relative";
    bundle_.write_config();
    auto s = shim::spawn_shim(binary("berth-shim"), opts_);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().str().find("process.cwd"), std::string::npos) << s.error().str();
}

}  // namespace
}  // namespace berth::test

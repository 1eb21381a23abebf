#include "support/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/json.h"
#include "common/strings.h"

namespace berth::test {

Daemon::Daemon(const std::string& name) : dir_(std::make_unique<TempDir>(name)) {
    sock_ = dir_->path() + "/berth.sock";
}

namespace {

// Suites run in parallel (ctest -j): each test daemon gets a /16 of its own, 10.<100+k>.0.0,
// for its default bridge and for the networks it creates without --subnet. Block k is held
// by the file <kBlockDir>/<k>, made with O_EXCL and holding the owner's pid; a block whose
// owner died (a test killed half-way) is taken over.
constexpr const char* kBlockDir = "/run/berth-test-nets";
constexpr int kBlocks = 120;  // 10.100.0.0 .. 10.219.0.0; networking tests use 10.252

bool pid_alive(pid_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

int take_block() {
    ::mkdir(kBlockDir, 0755);
    pid_t self = getpid();
    for (int attempt = 0; attempt < 2 * kBlocks; ++attempt) {
        int k = (self + attempt) % kBlocks;
        std::string path = std::string(kBlockDir) + "/" + std::to_string(k);
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            std::string pid = std::to_string(self);
            bool written = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
            ::close(fd);
            if (written) return k;
            ::unlink(path.c_str());
            continue;
        }
        auto owner = read_file(path);
        // An empty file is a block being written this instant: leave it.
        if (owner && !owner->empty() && !pid_alive(std::atoi(owner->c_str()))) ::unlink(path.c_str());
    }
    return -1;
}

}  // namespace

NetworkIsolation::NetworkIsolation() {
    static int counter = 0;
    int n = counter++;
    pid_t self = getpid();
    block_ = take_block();
    if (block_ < 0) ADD_FAILURE() << "no free test network block in " << kBlockDir;
    bridge_ = "bt" + std::to_string(self) + "x" + std::to_string(n);
    nft_table_ = "berth_t" + std::to_string(self) + "_" + std::to_string(n);
    std::string net = "10." + std::to_string(100 + std::max(block_, 0)) + ".";
    bip_ = net + "0.1/24";
    pool_ = net + "0.0/16";
}

NetworkIsolation::~NetworkIsolation() {
    run_shell("ip link del " + bridge_ + " 2>/dev/null; nft delete table ip " + nft_table_ +
                  " 2>/dev/null; nft delete table bridge " + nft_table_ + " 2>/dev/null; true",
              10);
    if (block_ >= 0) ::unlink((std::string(kBlockDir) + "/" + std::to_string(block_)).c_str());
}

std::string NetworkIsolation::apply(const std::string& daemon_json) const {
    auto doc = parse_json(daemon_json);
    if (!doc || !doc->is_object()) return daemon_json;  // let berthd name the error
    if (!doc->contains("bridge")) (*doc)["bridge"] = bridge_;
    if (!doc->contains("nft-table")) (*doc)["nft-table"] = nft_table_;
    if (!doc->contains("bip")) (*doc)["bip"] = bip_;
    if (!doc->contains("default-address-pools"))
        (*doc)["default-address-pools"] = Json::array({{{"base", pool_}, {"size", 24}}});
    return dump_json(*doc);
}

Daemon::~Daemon() {
    // Whatever the test left: containers (and their mounts and cgroups) go with the daemon.
    if (pid_ > 0)
        run_shell("DOCKER_HOST=" + host() + " /usr/local/bin/docker rm -f $(DOCKER_HOST=" + host() +
                      " /usr/local/bin/docker ps -aq) >/dev/null 2>&1",
                  60);
    if (pid_ > 0) docker({"network", "prune", "-f"});
    stop();
    run_shell("for m in $(awk '{print $5}' /proc/self/mountinfo | grep '^" + dir_->path() +
                  "' | sort -r); do umount -l $m; done 2>/dev/null",
              30);
    run_shell("pkill -9 -f 'berth-shim.*" + dir_->path() + "' 2>/dev/null; true", 10);
}

bool Daemon::start(const std::string& daemon_json, std::vector<std::string> extra) {
    if (!write_file_atomic(dir_->path() + "/daemon.json", net_.apply(daemon_json))) return false;
    std::vector<std::string> args = {binary("berthd"),
                                     "--config-file",
                                     dir_->path() + "/daemon.json",
                                     "--data-root",
                                     dir_->path() + "/data",
                                     "--exec-root",
                                     dir_->path() + "/exec",
                                     "--pidfile",
                                     dir_->path() + "/berthd.pid",
                                     "-H",
                                     host()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = spawn_berthd(args, dir_->path(), dir_->path() + "/berthd.log");
    if (pid_ < 0) {
        pid_ = 0;
        return false;
    }
    return curl({"-s", "http://d/_ping"}).out == "OK";
}

pid_t spawn_berthd(const std::vector<std::string>& args, const std::string& dir, const std::string& log,
                   int timeout_ms) {
    // berthd says READY=1 on $NOTIFY_SOCKET once it serves (berth.service is Type=notify).
    NotifySocket ready(dir + "/notify-" + std::to_string(getpid()) + ".sock");
    if (!ready.ok()) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        if (!log.empty())
            if (FILE* f = fopen(log.c_str(), "a")) dup2(fileno(f), 1), dup2(fileno(f), 2);
        setenv("NOTIFY_SOCKET", ready.path().c_str(), 1);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    if (pid < 0) return -1;
    if (!ready.wait_for("READY=1", pid, timeout_ms)) {
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return -1;
    }
    return pid;
}

int Daemon::stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return status;
}

void Daemon::kill9() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
}

CommandResult Daemon::curl(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"curl", "--unix-socket", sock_, "--max-time", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

CommandResult Daemon::docker(std::vector<std::string> args, const std::string& input, int timeout) const {
    std::vector<std::string> argv = {"/usr/local/bin/docker", "-H", host()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input, timeout);
}

const std::string& busybox_image_tar() {
    static TempDir dir("busybox-image");
    static std::string tar = [] {
        std::string t = dir.path() + "/busybox.tar";
        run_command({source_dir() + "/tests/fixtures/make-busybox-image", t});
        return t;
    }();
    return tar;
}

bool Daemon::load_busybox() const {
    auto r = docker({"load", "-i", busybox_image_tar()});
    return r.exit_code == 0;
}

void DaemonTest::SetUp() {
    BERTH_REQUIRE_ROOT();
    d_ = std::make_unique<Daemon>(name_);
    ASSERT_TRUE(d_->start()) << read_file(d_->dir() + "/berthd.log").value_or("");
    ASSERT_TRUE(d_->load_busybox());
}

std::string DaemonTest::out(std::vector<std::string> args) {
    auto r = docker(args);
    EXPECT_EQ(r.exit_code, 0) << r.err << "\n(docker " << args.front() << ")";
    return std::string(trim(r.out));
}

}  // namespace berth::test

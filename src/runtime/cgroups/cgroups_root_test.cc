// Root tests for cgroups on the real hierarchy: limits written and enforced (OOM kill, pids
// limit), freeze/thaw, pids, stats, kill_all, destroy; and the v2 eBPF device filter on a
// real cgroup2 directory (the unified mount on hybrid hosts).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"
#include "runtime/cgroups/cgroups.h"
#include "support/support.h"

namespace berth::runtime::cgroups {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// A forked child that waits for "go" (so the parent can move it into a cgroup first), then
// returns fn() as its exit code. Killed and reaped on destruction.
class Child {
public:
    explicit Child(std::function<int()> fn) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(p[1]);
            char c;
            if (::read(p[0], &c, 1) != 1) ::_exit(100);
            ::_exit(fn());
        }
        ::close(p[0]);
        go_ = p[1];
    }
    ~Child() {
        if (go_ >= 0) ::close(go_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    bool reaped() const { return reaped_; }
    void go() {
        ASSERT_EQ(::write(go_, "g", 1), 1);
        ::close(go_);
        go_ = -1;
    }
    int wait() {
        int status = 0;
        if (::waitpid(pid_, &status, 0) == pid_) reaped_ = true;
        return status;
    }

private:
    pid_t pid_ = -1;
    int go_ = -1;
    bool reaped_ = false;
};

int open_errno(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

// /dev/null allowed, /dev/zero refused with EPERM.
int check_null_only() {
    if (open_errno("/dev/null") != 0) return 1;
    int e = open_errno("/dev/zero");
    if (e == 0) return 2;
    return e == EPERM ? 0 : 3;
}

std::vector<spec::DeviceRule> null_only_rules() {
    return {{false, "a", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rwm"}};
}

std::string value_of(const std::string& path) {
    auto s = read_file(path);
    return s ? trim(*s) : "<" + s.error().str() + ">";
}

class RealCgroup : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        // Orphans of a test's children come back to us, so nothing is left unreaped.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        parent_ = "berth-test-" + std::to_string(::getpid());
    }
    void TearDown() override {
        for (auto& cg : cgs_) {
            (void)cg->kill_all(SIGKILL);
            reap_all();
            (void)cg->destroy();
        }
        reap_all();
        // The intermediate dir every test cgroup lives under, in every hierarchy.
        auto env = load_env();
        if (!env) return;
        for (const auto& m : env->v1) ::rmdir(path_join(m.mount, parent_).c_str());
        if (!env->unified_mount.empty()) ::rmdir(path_join(env->unified_mount, parent_).c_str());
    }
    static void reap_all() {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
    Cgroup* make(const std::string& name, const spec::Resources* r) {
        auto cg = Cgroup::create("/" + parent_ + "/" + name, name, r);
        EXPECT_TRUE(cg) << cg.error().str();
        if (!cg) return nullptr;
        cgs_.push_back(std::move(*cg));
        return cgs_.back().get();
    }
    // Moves the child in and lets it run.
    void start_in(Cgroup* cg, Child& c) {
        auto r = cg->add_process(c.pid());
        ASSERT_TRUE(r) << r.error().str();
        c.go();
    }

    std::string parent_;
    std::vector<std::unique_ptr<Cgroup>> cgs_;
};

TEST_F(RealCgroup, LimitsFreezeStatsKillDestroy) {
    spec::Resources r;
    r.memory = spec::MemoryResources{};
    r.memory->limit = 32 * kMiB;
    r.pids = spec::PidsResources{8};
    r.cpu = spec::CpuResources{};
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    Cgroup* cg = make("limits", &r);
    ASSERT_NE(cg, nullptr);
    Mode mode = cg->mode();
    if (mode == Mode::V2) {
        EXPECT_EQ(value_of(cg->path_of("memory") + "/memory.max"), "33554432");
        EXPECT_EQ(value_of(cg->path_of("cpu") + "/cpu.max"), "50000 100000");
    } else {
        EXPECT_EQ(value_of(cg->path_of("memory") + "/memory.limit_in_bytes"), "33554432");
        EXPECT_EQ(value_of(cg->path_of("cpu") + "/cpu.cfs_quota_us"), "50000");
        EXPECT_EQ(value_of(cg->path_of("cpu") + "/cpu.cfs_period_us"), "100000");
        EXPECT_NE(value_of(cg->path_of("cpuset") + "/cpuset.cpus"), "");
    }
    EXPECT_EQ(value_of(cg->path_of("pids") + "/pids.max"), "8");

    Child child([] {
        // Charge some memory to the cgroup, then wait to be killed.
        size_t n = 4 * kMiB;
        char* p = static_cast<char*>(
            ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED) return 1;
        std::memset(p, 1, n);
        for (;;) ::pause();
    });
    ASSERT_GT(child.pid(), 0);
    start_in(cg, child);
    std::string rel = cg->path_of("memory").substr(cg->path_of("memory").find(parent_));
    EXPECT_NE(value_of("/proc/" + std::to_string(child.pid()) + "/cgroup").find("/" + rel),
              std::string::npos);

    auto pids = cg->pids();
    ASSERT_TRUE(pids) << pids.error().str();
    EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});

    Stats st;
    for (int i = 0; i < 200; ++i) {  // the child touches its memory right after "go"
        auto s = cg->stats();
        ASSERT_TRUE(s) << s.error().str();
        st = *s;
        if (st.memory_usage >= 4u * kMiB) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(st.memory_usage, 4u * kMiB);
    EXPECT_EQ(st.memory_limit, 32u * kMiB);
    EXPECT_EQ(st.pids_current, 1u);
    EXPECT_EQ(st.pids_limit, 8u);
    EXPECT_TRUE(st.to_json()["memory"]["usage"]["usage"].get<uint64_t>() > 0);

    ASSERT_TRUE(cg->freeze());
    EXPECT_EQ(*cg->freezer_state(), FreezerState::Frozen);
    // Reopened from its saved form (as `pause` then `resume` would).
    auto again = Cgroup::open(cg->to_json());
    ASSERT_TRUE(again) << again.error().str();
    EXPECT_EQ(*(*again)->freezer_state(), FreezerState::Frozen);
    ASSERT_TRUE((*again)->thaw());
    EXPECT_EQ(*cg->freezer_state(), FreezerState::Thawed);

    // kill_all on a frozen cgroup still kills.
    ASSERT_TRUE(cg->freeze());
    ASSERT_TRUE(cg->kill_all(SIGKILL));
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_EQ(*cg->freezer_state(), FreezerState::Thawed);

    std::vector<std::string> dirs;
    for (const char* c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer",
                          "name=systemd", "unified"})
        if (!cg->path_of(c).empty()) dirs.push_back(cg->path_of(c));
    EXPECT_GE(dirs.size(), mode == Mode::V2 ? 1u : 8u);
    auto d = cg->destroy();
    ASSERT_TRUE(d) << d.error().str();
    for (const auto& dir : dirs) EXPECT_FALSE(path_exists(dir)) << dir;
    EXPECT_TRUE(cg->destroy());  // already gone
}

TEST_F(RealCgroup, MemoryLimitOomKills) {
    spec::Resources r;
    r.memory = spec::MemoryResources{};
    r.memory->limit = 32 * kMiB;
    r.memory->swap = 32 * kMiB;  // no swapping around the limit where swap exists
    Cgroup* cg = make("oom", &r);
    ASSERT_NE(cg, nullptr);
    Child child([] {
        size_t n = 64 * kMiB;
        char* p = static_cast<char*>(
            ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED) return 1;
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        return 0;  // survived: the limit did not hold
    });
    start_in(cg, child);
    int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    auto st = cg->stats();
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_GE(st->memory_oom_kills + st->memory_failcnt, 1u);
}

TEST_F(RealCgroup, PidsLimitStopsForkBomb) {
    spec::Resources r;
    r.pids = spec::PidsResources{8};
    Cgroup* cg = make("forks", &r);
    ASSERT_NE(cg, nullptr);
    Child child([] {
        // Forks sleepers until fork fails; 0 when it failed with EAGAIN within the limit.
        for (int i = 0; i < 64; ++i) {
            pid_t p = ::fork();
            if (p == 0) {
                for (;;) ::pause();
            }
            if (p < 0) return errno == EAGAIN && i == 7 ? 0 : 10 + i;
        }
        return 2;
    });
    start_in(cg, child);
    int status = child.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto pids = cg->pids();
    ASSERT_TRUE(pids);
    EXPECT_EQ(pids->size(), 7u);  // the sleepers; the forker has exited
    ASSERT_TRUE(cg->kill_all(SIGKILL));
    for (int i = 0; i < 200; ++i) {
        reap_all();
        auto left = cg->pids();
        if (left && left->empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(cg->pids()->empty());
    auto d = cg->destroy();
    EXPECT_TRUE(d) << d.error().str();
}

TEST_F(RealCgroup, DeviceRules) {
    // v1/hybrid: the devices controller; v2: the eBPF filter.
    spec::Resources r;
    r.devices = null_only_rules();
    Cgroup* cg = make("devices", &r);
    ASSERT_NE(cg, nullptr);
    ASSERT_EQ(check_null_only(), 2) << "/dev/zero must open outside the cgroup";
    Child child(check_null_only);
    start_in(cg, child);
    int status = child.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// The v2 backend on a real cgroup2 mount: the unified mount of a hybrid host, or the root of
// a pure v2 host. Covers the eBPF device filter, its replacement on update, cgroup.freeze and
// cgroup.kill.
TEST_F(RealCgroup, V2DeviceFilterFreezeKill) {
    auto host = load_env();
    ASSERT_TRUE(host) << host.error().str();
    if (host->unified_mount.empty()) GTEST_SKIP() << "no cgroup2 mount";
    Env env;
    env.mode = Mode::V2;
    env.unified_mount = host->unified_mount;
    env.unified_own = "/";
    spec::Resources r;
    r.devices = null_only_rules();
    auto made = create_in(env, "/" + parent_ + "/v2dev", "v2dev", &r);
    ASSERT_TRUE(made) << made.error().str();
    cgs_.push_back(std::move(*made));
    Cgroup* cg = cgs_.back().get();
    EXPECT_EQ(cg->path_of("devices"), path_join(env.unified_mount, parent_ + "/v2dev"));

    Child checker(check_null_only);
    start_in(cg, checker);
    int status = checker.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    // Replacing the rules detaches the old program: with both attached /dev/zero stays denied.
    spec::Resources more;
    more.devices = null_only_rules();
    more.devices.push_back({true, "c", 1, 5, "r"});
    auto u = cg->update(more);
    ASSERT_TRUE(u) << u.error().str();
    Child reader([] { return open_errno("/dev/zero") == 0 && open_errno("/dev/full") == EPERM ? 0 : 1; });
    start_in(cg, reader);
    status = reader.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    Child sleeper([]() -> int {
        for (;;) ::pause();
    });
    start_in(cg, sleeper);
    ASSERT_TRUE(cg->freeze());
    EXPECT_EQ(*cg->freezer_state(), FreezerState::Frozen);
    ASSERT_TRUE(cg->thaw());
    EXPECT_EQ(*cg->freezer_state(), FreezerState::Thawed);
    EXPECT_EQ(*cg->pids(), std::vector<pid_t>{sleeper.pid()});
    ASSERT_TRUE(cg->kill_all(SIGKILL));
    status = sleeper.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    auto d = cg->destroy();
    ASSERT_TRUE(d) << d.error().str();
    EXPECT_FALSE(path_exists(path_join(env.unified_mount, parent_ + "/v2dev")));
}

TEST_F(RealCgroup, DirectBpfAttachOnCgroup2) {
    auto host = load_env();
    ASSERT_TRUE(host);
    if (host->unified_mount.empty()) GTEST_SKIP() << "no cgroup2 mount";
    std::string dir = path_join(host->unified_mount, "berth-bpf-" + std::to_string(::getpid()));
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << strerror(errno);
    Child child(check_null_only);
    ScopeExit cleanup([&] {
        if (!child.reaped()) {
            ::kill(child.pid(), SIGKILL);
            child.wait();
        }
        ::rmdir(dir.c_str());
    });
    auto a = attach_device_program(dir, null_only_rules());
    ASSERT_TRUE(a) << a.error().str();
    ASSERT_TRUE(write_file(path_join(dir, "cgroup.procs"), std::to_string(child.pid())));
    child.go();
    int status = child.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace berth::runtime::cgroups

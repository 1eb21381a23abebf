// Probes from inside a container, run through berth-runtime, runc and crun with the same
// bundle: each runtime must give the expected answer (and so the same answers as the
// others). Runtimes that are not installed are skipped.
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "common/file.h"
#include "common/strings.h"
#include "integration/runtime/runtime_harness.h"

namespace berth::test {
namespace {

class Probes : public ::testing::TestWithParam<Runtime> {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        ASSERT_TRUE(GetParam().available)
            << GetParam().name << " is not installed (scripts/setup installs it)";
        session_ = std::make_unique<RuntimeSession>(GetParam());
    }
    // Runs args in a fresh container and returns trimmed stdout (expects exit 0).
    std::string probe(Bundle& b, const std::vector<std::string>& args) {
        auto r = session_->run(b, args);
        EXPECT_EQ(r.exit_code, 0) << GetParam().name << " " << args.back() << "\nstdout: " << r.out
                                  << "\nstderr: " << r.err;
        return trim(r.out);
    }
    Json& linux(Bundle& b) { return b.config()["linux"]; }
    std::unique_ptr<RuntimeSession> session_;
};

TEST_P(Probes, NewHostname) {
    Bundle b;
    b.config()["hostname"] = "probe-host";
    EXPECT_EQ(probe(b, {"hostname"}), "probe-host");
}

TEST_P(Probes, IsPidOne) {
    Bundle b;
    EXPECT_EQ(probe(b, {"sh", "-c", "echo $$"}), "1");
}

TEST_P(Probes, OnlyLoopback) {
    Bundle b;
    EXPECT_EQ(probe(b, {"ls", "/sys/class/net"}), "lo");
}

TEST_P(Probes, EmptyIpcNamespace) {
    Bundle b;
    // A host segment must not be visible inside.
    auto mk = run_shell("ipcmk -M 4096 2>&1 | grep -o '[0-9]*$'");
    std::string shmid = trim(mk.out);
    std::string inside = probe(b, {"sh", "-c", "wc -l < /proc/sysvipc/shm; readlink /proc/self/ns/ipc"});
    if (!shmid.empty()) run_shell("ipcrm -m " + shmid);
    auto lines = split(inside, '\n');
    ASSERT_EQ(lines.size(), 2u) << inside;
    EXPECT_EQ(trim(lines[0]), "1");  // the header line only
    char host_ns[64] = {};
    ASSERT_GT(readlink("/proc/self/ns/ipc", host_ns, sizeof host_ns - 1), 0);
    EXPECT_NE(lines[1], host_ns);
}

TEST_P(Probes, MappedRootUid) {
    Bundle b;
    auto& l = linux(b);
    l["namespaces"].push_back({{"type", "user"}});
    l["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    l["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    // cgroup v1 hierarchies cannot be mounted from a user namespace without cgroupns
    // delegation; the spec's rootless default drops that mount too.
    auto& mounts = b.config()["mounts"];
    for (auto it = mounts.begin(); it != mounts.end(); ++it)
        if ((*it)["destination"] == "/sys/fs/cgroup") {
            mounts.erase(it);
            break;
        }
    std::string out = probe(b, {"sh", "-c", "id -u; cat /proc/self/uid_map"});
    auto lines = split(out, '\n');
    ASSERT_EQ(lines.size(), 2u) << out;
    EXPECT_EQ(lines[0], "0");
    auto fields = split(lines[1], ' ');
    EXPECT_EQ(fields, (std::vector<std::string>{"0", "100000", "65536"}));
}

TEST_P(Probes, MemoryLimitOomKills) {
    Bundle b;
    linux(b)["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
    // The shell holds 64 MiB in a variable inside a 32 MiB cgroup without swap.
    auto r = session_->run(b, {"sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo ${#x}"});
    EXPECT_EQ(r.exit_code, 137) << "stdout: " << r.out << "\nstderr: " << r.err;
    // A small allocation in the same limits works.
    EXPECT_EQ(probe(b, {"sh", "-c", "x=$(head -c 1048576 /dev/zero | tr '\\0' a); echo ${#x}"}), "1048576");
}

TEST_P(Probes, PidsLimitMakesForkFail) {
    Bundle b;
    linux(b)["resources"]["pids"] = {{"limit", 6}};
    auto r =
        session_->run(b, {"sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & done; wait; echo done"});
    // Some of the forks fail: busybox sh reports "can't fork".
    EXPECT_NE(r.err.find("fork"), std::string::npos) << "stdout: " << r.out << "\nstderr: " << r.err;
}

TEST_P(Probes, SeccompRuleReturnsEperm) {
    Bundle b;
    b.config()["mounts"].push_back(
        {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "nodev"}}});
    linux(b)["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                           {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                           {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
    auto r = session_->run(b, {"mkdir", "/tmp/x"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("mkdir: can't create directory '/tmp/x': Operation not permitted"),
              std::string::npos)
        << r.err;
    // The same container without the rule can create it.
    linux(b).erase("seccomp");
    EXPECT_EQ(probe(b, {"sh", "-c", "mkdir /tmp/x && echo made"}), "made");
}

TEST_P(Probes, CapEffMatchesSpec) {
    Bundle b;
    Json caps = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"};
    b.config()["process"]["capabilities"] = {
        {"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"inheritable", Json::array()}};
    std::string out = probe(b, {"sh", "-c", "grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status"});
    // CHOWN=0, KILL=5, NET_RAW=13
    EXPECT_NE(out.find("CapEff:\t0000000000002021"), std::string::npos) << out;
    EXPECT_NE(out.find("CapBnd:\t0000000000002021"), std::string::npos) << out;
}

TEST_P(Probes, MaskedPathsUnreadable) {
    Bundle b;
    // Masked files read as empty (/dev/null over them), masked directories are empty.
    std::string script = "ls /proc/acpi | wc -l";
    int files = 0;
    for (auto* f : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"})
        if (path_exists(f)) {
            script += std::string("; wc -c < ") + f;
            ++files;
        }
    ASSERT_GT(files, 0) << "no masked /proc file exists on this kernel";
    std::string expected = "0";
    for (int i = 0; i < files; ++i) expected += "\n0";
    EXPECT_EQ(probe(b, {"sh", "-c", script}), expected);
}

TEST_P(Probes, ReadonlyPathsUnwritable) {
    Bundle b;
    auto r = session_->run(b, {"sh", "-c", "echo x > /proc/sys/kernel/domainname"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
    auto r2 = session_->run(b, {"touch", "/newfile"});  // root.readonly
    EXPECT_NE(r2.exit_code, 0);
    EXPECT_NE(r2.err.find("Read-only file system"), std::string::npos) << r2.err;
}

TEST_P(Probes, ExitCodePassesThrough) {
    Bundle b;
    EXPECT_EQ(session_->run(b, {"sh", "-c", "exit 42"}).exit_code, 42);
    EXPECT_EQ(session_->run(b, {"false"}).exit_code, 1);
}

TEST_P(Probes, SignalPassesThrough) {
    Bundle b;
    // pid 1 ignores signals it has no handler for: the shell kills a child with SIGKILL
    // and exits with the child's status, which is then the container's.
    auto r = session_->run(b, {"sh", "-c", "sleep 30 & kill -9 $!; wait $!"});
    EXPECT_EQ(r.exit_code, 137) << r.err;
}

TEST_P(Probes, Sysctl) {
    Bundle b;
    linux(b)["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.msgmax", "4096"}};
    EXPECT_EQ(probe(b, {"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"}), "1\n4096");
}

TEST_P(Probes, Domainname) {
    if (GetParam().name == "runc") GTEST_SKIP() << "runc 1.1 ignores \"domainname\" (added in runc 1.2)";
    Bundle b;
    b.config()["domainname"] = "example.test";
    EXPECT_EQ(probe(b, {"cat", "/proc/sys/kernel/domainname"}), "example.test");
}

TEST_P(Probes, UserAndCwdAndEnv) {
    Bundle b;
    b.config()["process"]["user"] = {{"uid", 65534}, {"gid", 65534}, {"additionalGids", {5}}};
    b.config()["process"]["cwd"] = "/bin";
    b.config()["process"]["env"] = {"PATH=/bin:/usr/bin", "GREETING=hello"};
    EXPECT_EQ(probe(b, {"sh", "-c", "id -u; id -g; id -G; pwd; echo $GREETING"}),
              "65534\n65534\n65534 5\n/bin\nhello");
}

INSTANTIATE_TEST_SUITE_P(Runtimes, Probes, ::testing::ValuesIn(all_runtimes()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace berth::test

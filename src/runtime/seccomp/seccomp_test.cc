// Tests for seccomp: profiles are compiled here and loaded in a forked child (with
// no_new_privs, so no root is needed), which reports what its syscalls returned.
#include "runtime/seccomp/seccomp.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace berth::runtime::seccomp {
namespace {

struct ChildResult {
    std::string out;  // what the child wrote
    int status = 0;   // its wait status
};

// Runs fn in a forked child with no_new_privs set; fn loads a filter and returns a verdict.
// Verdicts are short literals (no allocation after the filter is loaded).
ChildResult run_in_child(const std::function<std::string()>& fn) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return {"pipe failed", -1};
    pid_t pid = ::fork();
    if (pid < 0) return {"fork failed", -1};
    if (pid == 0) {
        ::close(p[0]);
        std::string out = ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? fn() : "nnp failed";
        ssize_t n = ::write(p[1], out.data(), out.size());
        ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    ::close(p[1]);
    ChildResult r;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) r.out.append(buf, n);
    ::close(p[0]);
    ::waitpid(pid, &r.status, 0);
    return r;
}

// The profile as config.json carries it, parsed by the spec parser the runtime uses.
spec::Seccomp parse(const Json& seccomp) {
    Json doc = {
        {"ociVersion", "1.0.2"}, {"root", {{"path", "/nonexistent"}}}, {"linux", {{"seccomp", seccomp}}}};
    auto s = spec::parse_spec(doc, "/tmp");
    EXPECT_TRUE(s) << s.error().str();
    return s ? *s->linux->seccomp : spec::Seccomp{};
}

Result<Filter> compile(const Json& seccomp) {
    return Filter::compile(parse(seccomp));
}

Filter compile_ok(const Json& seccomp) {
    auto f = compile(seccomp);
    EXPECT_TRUE(f) << f.error().str();
    return f ? std::move(*f) : Filter{};
}

// The syscall's result as "rc/errno", for comparing in one line.
std::string res(long rc) {
    return std::to_string(rc) + "/" + std::to_string(rc < 0 ? errno : 0);
}

Json arg(unsigned index, uint64_t value, const char* op, uint64_t value_two = 0) {
    return {{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

TEST(Seccomp, ErrnoRuleAndArgumentCondition) {
    Filter f = compile_ok({
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"getcwd"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}},
          {{"names", {"personality"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 38},
           {"args", {arg(0, 0xffffffff, "SCMP_CMP_EQ")}}}}},
    });
    ASSERT_FALSE(f.empty());
    auto r = run_in_child([&] {
        if (!f.load()) return std::string("load failed");
        char buf[256];
        std::string out = res(::syscall(SYS_getcwd, buf, sizeof buf));
        out += " " + res(::syscall(SYS_personality, 0xffffffffUL));
        out += " " + res(::syscall(SYS_personality, 0UL));  // PER_LINUX: allowed, returns old
        out += " " + std::string(::syscall(SYS_getpid) == ::getpid() ? "pid" : "nopid");
        return out;
    });
    EXPECT_EQ(r.out, "-1/1 -1/38 0/0 pid");
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

// Two conditions on one argument become two rules (either matches); conditions on
// different arguments stay one rule (both must match).
TEST(Seccomp, ConditionsOnOneArgumentAreAlternatives) {
    Filter f = compile_ok({
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"getpriority"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 13},
           {"args", {arg(0, PRIO_PROCESS, "SCMP_CMP_EQ"), arg(0, PRIO_PGRP, "SCMP_CMP_EQ")}}},
          {{"names", {"getpriority"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 2},
           {"args", {arg(0, PRIO_USER, "SCMP_CMP_EQ"), arg(1, 12345, "SCMP_CMP_EQ")}}},
          {{"names", {"dup3"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 22},
           {"args", {arg(2, O_CLOEXEC, "SCMP_CMP_MASKED_EQ", O_CLOEXEC)}}}}},
    });
    auto r = run_in_child([&] {
        if (!f.load()) return std::string("load failed");
        std::string out = res(::syscall(SYS_getpriority, PRIO_PROCESS, 0));
        out += " " + res(::syscall(SYS_getpriority, PRIO_PGRP, 0));
        out += " " + res(::syscall(SYS_getpriority, PRIO_USER, 12345));
        long user = ::syscall(SYS_getpriority, PRIO_USER, 0);
        out += user >= 0 ? " user-ok" : " user-denied";
        out += " " + res(::syscall(SYS_dup3, 0, 100, O_CLOEXEC));
        out += " " + res(::syscall(SYS_dup3, 0, 101, 0));
        return out;
    });
    EXPECT_EQ(r.out, "-1/13 -1/13 -1/2 user-ok -1/22 101/0");
}

TEST(Seccomp, DefaultErrnoRetAndAllowList) {
    Filter f = compile_ok({
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 38},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"syscalls",
         {{{"names",
            {"write", "exit", "exit_group", "brk", "mmap", "munmap", "mremap", "rt_sigreturn", "getpid"}},
           {"action", "SCMP_ACT_ALLOW"}}}},
    });
    auto r = run_in_child([&] {
        if (!f.load()) return std::string("load failed");
        std::string out = res(::syscall(SYS_getppid));
        out += " " + std::string(::syscall(SYS_getpid) > 0 ? "pid" : "nopid");
        return out;
    });
    EXPECT_EQ(r.out, "-1/38 pid");
}

TEST(Seccomp, DefaultErrnoIsEperm) {
    Filter f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                           {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}}}}});
    auto r = run_in_child([&] { return f.load() ? res(::syscall(SYS_getppid)) : "load failed"; });
    EXPECT_EQ(r.out, "-1/1");
}

TEST(Seccomp, KillProcessAndTrap) {
    for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_KILL"}) {
        Filter f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                               {"syscalls", {{{"names", {"getppid"}}, {"action", action}}}}});
        auto r = run_in_child([&] {
            if (!f.load()) return std::string("load failed");
            ::syscall(SYS_getppid);
            return std::string("survived");
        });
        EXPECT_EQ(r.out, "") << action;
        EXPECT_TRUE(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS) << action;
    }
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
    Filter f = compile_ok(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls",
          {{{"names", {"no_such_syscall", "getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 5}}}}});
    auto r = run_in_child([&] { return f.load() ? res(::syscall(SYS_getppid)) : "load failed"; });
    EXPECT_EQ(r.out, "-1/5");
}

TEST(Seccomp, RulesRepeatingTheDefaultAreSkipped) {
    // libseccomp refuses these; runc drops them, and so do we.
    auto f = compile(
        {{"defaultAction", "SCMP_ACT_ERRNO"},
         {"syscalls",
          {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}},
           {{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", {arg(0, 1, "SCMP_CMP_EQ")}}},
           {{"names", {"getuid"}}, {"action", "SCMP_ACT_ALLOW"}}}}});
    EXPECT_TRUE(f) << f.error().str();
}

TEST(Seccomp, ArchitecturesAndFlags) {
    Filter f = compile_ok(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"architectures",
          {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}},
         {"flags",
          {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
         {"syscalls",
          {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}},
           {{"names", {"getpid"}}, {"action", "SCMP_ACT_LOG"}}}}});
    auto r = run_in_child([&] {
        auto l = f.load();
        if (!l) return l.error().str();
        return res(::syscall(SYS_getppid)) + (::syscall(SYS_getpid) > 0 ? " pid" : " nopid");
    });
    EXPECT_EQ(r.out, "-1/1 pid");
}

TEST(Seccomp, EmptyFilterLoadsNothing) {
    Filter f;
    EXPECT_TRUE(f.empty());
    EXPECT_TRUE(f.load());
}

void expect_error(const Json& profile, const std::string& message,
                  ErrorKind kind = ErrorKind::InvalidArgument) {
    auto f = compile(profile);
    ASSERT_FALSE(f) << "compiled: " << profile.dump();
    EXPECT_EQ(f.error().str(), message);
    EXPECT_EQ(f.error().kind(), kind);
}

TEST(Seccomp, ErrorsNameTheField) {
    Json ok_rule = {{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}};
    expect_error({{"defaultAction", "SCMP_ACT_NOPE"}},
                 "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
    expect_error(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls", {ok_rule, ok_rule, ok_rule, {{"names", {"getpid"}}, {"action", "SCMP_ACT_FOO"}}}}},
        "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
    expect_error({{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls",
                   {ok_rule,
                    {{"names", {"getpid"}},
                     {"action", "SCMP_ACT_ERRNO"},
                     {"args", {arg(0, 1, "SCMP_CMP_EQ"), arg(1, 1, "SCMP_CMP_BOGUS")}}}}}},
                 "linux.seccomp.syscalls[1].args[1].op: unknown operator \"SCMP_CMP_BOGUS\"");
    // Even a rule that would be skipped (same action as the default) is checked.
    expect_error(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"syscalls",
          {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {arg(0, 1, "SCMP_CMP_ABOUT")}}}}}},
        "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
    expect_error(
        {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"}}},
        "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
    expect_error({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}},
                 "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
    auto f = compile({{"defaultAction", "SCMP_ACT_ALLOW"},
                      {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_NOTIFY"}}}}});
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(f.error().str().find("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY"), std::string::npos)
        << f.error().str();
}

TEST(Seccomp, FeatureLists) {
    auto has = [](const std::vector<std::string>& v, const char* s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    EXPECT_TRUE(has(known_actions(), "SCMP_ACT_ERRNO"));
    EXPECT_TRUE(has(known_actions(), "SCMP_ACT_KILL_PROCESS"));
    EXPECT_EQ(known_operators().size(), 7u);
    EXPECT_TRUE(has(known_architectures(), "SCMP_ARCH_X86_64"));
    EXPECT_TRUE(has(known_architectures(), "SCMP_ARCH_AARCH64"));
    EXPECT_TRUE(has(known_flags(), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
}

// Docker's default capability set (no CAP_SYS_ADMIN, no CAP_SYS_PTRACE).
const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

bool lists(const Json& profile, const std::string& name, const char* action) {
    for (const auto& rule : profile["syscalls"])
        if (rule["action"] == action)
            for (const auto& n : rule["names"])
                if (n == name) return true;
    return false;
}

TEST(DockerDefault, ShapeFollowsCapabilities) {
    Json p = docker_default_profile(kDockerCaps);
    EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(p["defaultErrnoRet"], 1);
    EXPECT_TRUE(lists(p, "read", "SCMP_ACT_ALLOW"));
    EXPECT_TRUE(lists(p, "chroot", "SCMP_ACT_ALLOW"));  // CAP_SYS_CHROOT is in the set
    EXPECT_FALSE(lists(p, "mount", "SCMP_ACT_ALLOW"));
    EXPECT_FALSE(lists(p, "unshare", "SCMP_ACT_ALLOW"));
    EXPECT_FALSE(lists(p, "reboot", "SCMP_ACT_ALLOW"));
    EXPECT_TRUE(lists(p, "clone3", "SCMP_ACT_ERRNO"));

    Json admin = docker_default_profile({"CAP_SYS_ADMIN", "CAP_SYS_BOOT"});
    EXPECT_TRUE(lists(admin, "mount", "SCMP_ACT_ALLOW"));
    EXPECT_TRUE(lists(admin, "unshare", "SCMP_ACT_ALLOW"));
    EXPECT_TRUE(lists(admin, "reboot", "SCMP_ACT_ALLOW"));
    EXPECT_TRUE(lists(admin, "clone3", "SCMP_ACT_ALLOW"));
    EXPECT_FALSE(lists(admin, "clone3", "SCMP_ACT_ERRNO"));
    EXPECT_FALSE(lists(admin, "chroot", "SCMP_ACT_ALLOW"));
}

TEST(DockerDefault, LoadedProfileAllowsNormalWorkAndBlocksNamespaces) {
    Filter f = compile_ok(docker_default_profile(kDockerCaps));
    auto r = run_in_child([&] {
        if (!f.load()) return std::string("load failed");
        std::string out = ::getpid() > 0 ? "pid" : "nopid";
        int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        out += fd >= 0 ? " open" : " noopen";
        if (fd >= 0) ::close(fd);
        pid_t child = ::fork();  // clone(2) without namespace flags
        if (child == 0) ::_exit(7);
        int st = 0;
        out += child > 0 && ::waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 7
                   ? " fork"
                   : " nofork";
        out += " unshare=" + res(::unshare(CLONE_NEWNS));
        out += " clone-ns=" + res(::syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0));
        out += " clone3=" + res(::syscall(SYS_clone3, nullptr, 0));
        out += " mount=" + res(::syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, nullptr));
        out += " vsock=" + res(::socket(AF_VSOCK, SOCK_STREAM, 0));
        out += " persona=" + res(::syscall(SYS_personality, ADDR_NO_RANDOMIZE));
        // Allowed (kernel >= 4.8): the kernel answers, ESRCH as we do not trace ourselves.
        out += " ptrace=" + res(::syscall(SYS_ptrace, 3 /* PEEKUSER */, ::getppid(), 0, 0));
        return out;
    });
    EXPECT_EQ(r.out,
              "pid open fork unshare=-1/1 clone-ns=-1/1 clone3=-1/38 mount=-1/1 vsock=-1/1 "
              "persona=-1/1 ptrace=-1/3");
}

TEST(DockerDefault, SysAdminUnlocksUnshare) {
    if (::geteuid() != 0) GTEST_SKIP() << "unshare needs CAP_SYS_ADMIN in the test process";
    Filter f = compile_ok(docker_default_profile({"CAP_SYS_ADMIN"}));
    auto r = run_in_child([&] {
        if (!f.load()) return std::string("load failed");
        return "unshare=" + res(::unshare(CLONE_NEWNS));
    });
    EXPECT_EQ(r.out, "unshare=0/0");
}

}  // namespace
}  // namespace berth::runtime::seccomp

namespace berth::runtime::seccomp {
namespace {

TEST(SeccompCache, GivesTheCompiledProgramAndSurvivesDamage) {
    char tmpl[] = "/tmp/berth-seccomp-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = std::string(tmpl) + "/cache";
    spec::Seccomp profile = parse(docker_default_profile({"CAP_CHOWN", "CAP_KILL"}));
    auto direct = Filter::compile(profile);
    ASSERT_TRUE(direct) << direct.error().str();
    auto first = Filter::compile_cached(profile, dir);  // compiles and stores
    ASSERT_TRUE(first) << first.error().str();
    auto second = Filter::compile_cached(profile, dir);  // from the cache
    ASSERT_TRUE(second);
    EXPECT_EQ(first->program_bytes(), direct->program_bytes());
    EXPECT_EQ(second->program_bytes(), direct->program_bytes());
    // Another profile is another entry, never the first one's program.
    spec::Seccomp other = parse(docker_default_profile({"CAP_SYS_ADMIN"}));
    auto third = Filter::compile_cached(other, dir);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->program_bytes(), Filter::compile(other)->program_bytes());
    EXPECT_NE(third->program_bytes(), direct->program_bytes());
    // A damaged entry (flipped byte in the program, truncated file) is recompiled.
    for (auto damage : {"flip", "truncate"}) {
        DIR* d = ::opendir(dir.c_str());
        ASSERT_NE(d, nullptr);
        while (auto* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::string path = dir + "/" + e->d_name;
            int fd = ::open(path.c_str(), O_RDWR);
            off_t size = ::lseek(fd, 0, SEEK_END);
            if (std::string(damage) == "flip") {
                char c;
                ASSERT_EQ(::pread(fd, &c, 1, size - 3), 1);
                c ^= 0x55;
                ASSERT_EQ(::pwrite(fd, &c, 1, size - 3), 1);
            } else {
                ASSERT_EQ(::ftruncate(fd, size - 8), 0);
            }
            ::close(fd);
        }
        ::closedir(d);
        auto again = Filter::compile_cached(profile, dir);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->program_bytes(), direct->program_bytes()) << damage;
    }
    std::string rm = std::string("rm -rf ") + tmpl;
    ASSERT_EQ(::system(rm.c_str()), 0);
}

}  // namespace
}  // namespace berth::runtime::seccomp

// Tests for process.rlimits: names, validation, and prlimit(2) in a forked child (the
// test process's own limits are never changed).
#include "runtime/rlimits/rlimits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "support/support.h"

namespace berth::runtime::rlimits {
namespace {

using berth::test::run_in_child;

// CapEff from /proc/self/status; CAP_SYS_RESOURCE is capability 24.
bool have_cap_sys_resource() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> 24) & 1;
    return false;
}

TEST(Rlimits, NamesCoverTheSpec) {
    const char* names[] = {"RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
                           "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
                           "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
                           "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
    std::set<int> seen;
    for (auto* n : names) {
        auto r = resource_from_name(n);
        ASSERT_TRUE(r) << n;
        seen.insert(*r);
    }
    EXPECT_EQ(seen.size(), 16u);
    EXPECT_EQ(*resource_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
    EXPECT_EQ(*resource_from_name("RLIMIT_STACK"), RLIMIT_STACK);
    EXPECT_FALSE(resource_from_name("RLIMIT_FOO"));
    EXPECT_FALSE(resource_from_name("nofile"));
}

TEST(Rlimits, SoftAboveHardIsInvalid) {
    auto r = apply({{"RLIMIT_NOFILE", 10, 20}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(r.error().str().find("RLIMIT_NOFILE"), std::string::npos) << r.error().str();
}

TEST(Rlimits, UnknownNameIsInvalid) {
    auto r = apply({{"RLIMIT_BOGUS", 1, 1}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(r.error().str().find("RLIMIT_BOGUS"), std::string::npos);
}

TEST(Rlimits, EmptyListIsANoop) {
    EXPECT_TRUE(apply({}));
}

TEST(Rlimits, LowerNofileInChild) {
    std::string out = run_in_child([] {
        struct rlimit cur;
        if (getrlimit(RLIMIT_NOFILE, &cur) != 0) return std::string("getrlimit failed");
        uint64_t hard = cur.rlim_max == RLIM_INFINITY ? 4096 : std::min<uint64_t>(cur.rlim_max, 4096);
        uint64_t soft = hard / 2;
        auto r = apply({{"RLIMIT_NOFILE", hard, soft}, {"RLIMIT_CORE", 0, 0}});
        if (!r) return r.error().str();
        struct rlimit now, core;
        getrlimit(RLIMIT_NOFILE, &now);
        getrlimit(RLIMIT_CORE, &core);
        if (now.rlim_cur != soft || now.rlim_max != hard)
            return "got " + std::to_string(now.rlim_cur) + "/" + std::to_string(now.rlim_max);
        if (core.rlim_cur != 0 || core.rlim_max != 0) return std::string("core not 0");
        return std::string("ok");
    });
    EXPECT_EQ(out, "ok");
}

// Raising a hard limit is allowed only with CAP_SYS_RESOURCE; this machine may or may not
// have it, so the expectation follows what the process holds.
TEST(Rlimits, RaiseHardAboveCurrent) {
    bool privileged = have_cap_sys_resource();
    std::string out = run_in_child([] {
        struct rlimit low = {256, 512};
        if (setrlimit(RLIMIT_NOFILE, &low) != 0) return std::string("setrlimit failed");
        auto r = apply({{"RLIMIT_NOFILE", 4096, 2048}});
        if (r) {
            struct rlimit now;
            getrlimit(RLIMIT_NOFILE, &now);
            return "ok " + std::to_string(now.rlim_cur) + "/" + std::to_string(now.rlim_max);
        }
        return std::string(r.error().kind() == ErrorKind::PermissionDenied ? "denied: " : "other: ") +
               r.error().str();
    });
    if (privileged) {
        EXPECT_EQ(out, "ok 2048/4096");
    } else {
        EXPECT_EQ(out,
                  "denied: set RLIMIT_NOFILE to soft=2048 hard=4096: EPERM (Operation not "
                  "permitted); raising a hard limit needs CAP_SYS_RESOURCE (current hard limit "
                  "512)");
    }
}

}  // namespace
}  // namespace berth::runtime::rlimits

#include <sched.h>
#include <signal.h>

#include <gtest/gtest.h>

#include "common/file.h"
#include "runtime/container/internal.h"

namespace berth::runtime {
namespace {

TEST(Signals, ParsesNamesAndNumbers) {
    EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
    EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
    EXPECT_EQ(*parse_signal("sigusr1"), SIGUSR1);
    EXPECT_EQ(*parse_signal("9"), 9);
    EXPECT_EQ(*parse_signal("RTMIN+2"), SIGRTMIN + 2);
    EXPECT_FALSE(parse_signal("NOPE"));
    EXPECT_FALSE(parse_signal("0"));
    EXPECT_FALSE(parse_signal("99999"));
    EXPECT_NE(parse_signal("BOGUS").error().str().find("BOGUS"), std::string::npos);
}

TEST(Ids, RejectsPathsAndOddCharacters) {
    EXPECT_TRUE(validate_id("abc-1.2_x"));
    EXPECT_FALSE(validate_id(""));
    EXPECT_FALSE(validate_id(".."));
    EXPECT_FALSE(validate_id("a/b"));
    EXPECT_FALSE(validate_id("a b"));
}

spec::Linux with(std::vector<spec::Namespace> ns) {
    spec::Linux l;
    l.namespaces = std::move(ns);
    return l;
}

TEST(Namespaces, NewOnesAreClonedCgroupIsUnsharedLater) {
    using T = spec::NamespaceType;
    auto l = with({{T::Pid, ""}, {T::Mount, ""}, {T::Network, ""}, {T::Cgroup, ""}});
    auto p = plan_namespaces(&l);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->clone_flags, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET);
    EXPECT_EQ(p->unshare_flags, CLONE_NEWCGROUP);
    EXPECT_TRUE(p->join.empty());
    EXPECT_FALSE(p->new_userns);
}

TEST(Namespaces, JoinedUserNamespaceComesFirstAndOwnsTheNewOnes) {
    using T = spec::NamespaceType;
    auto l =
        with({{T::Network, "/proc/1/ns/net"}, {T::Pid, ""}, {T::Mount, ""}, {T::User, "/proc/1/ns/user"}});
    auto p = plan_namespaces(&l);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->join.size(), 2u);
    EXPECT_EQ(p->join[0].first, T::User);
    EXPECT_EQ(p->join[1].first, T::Network);
    EXPECT_EQ(p->clone_flags, CLONE_NEWPID);
    EXPECT_EQ(p->unshare_flags, CLONE_NEWNS);
}

TEST(Namespaces, JoinedPidNamespaceIsEnteredByTheParent) {
    using T = spec::NamespaceType;
    auto l = with({{T::Pid, "/proc/1/ns/pid"}, {T::Mount, ""}});
    auto p = plan_namespaces(&l);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->pid_path, "/proc/1/ns/pid");
    EXPECT_EQ(p->clone_flags, CLONE_NEWNS);
}

TEST(State, StatusFollowsTheInit) {
    char tmpl[] = "/tmp/berth-state-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    GlobalOptions g{tmpl};
    SavedState s;
    s.id = "c1";
    s.pid = getpid();
    s.pid_start = process_start_time(getpid()).value_or(0);
    ASSERT_TRUE(mkdir_all(container_dir(g, "c1")));
    ASSERT_TRUE(save_state(g, s));
    auto loaded = load_state(g, "c1");
    ASSERT_TRUE(loaded) << loaded.error().str();
    EXPECT_EQ(derive_status(g, *loaded, nullptr), Status::Running);
    ASSERT_TRUE(write_file_atomic(fifo_path(g, "c1"), ""));
    EXPECT_EQ(derive_status(g, *loaded, nullptr), Status::Created);
    loaded->pid_start += 1;  // pid reused by another process
    EXPECT_EQ(derive_status(g, *loaded, nullptr), Status::Stopped);
    auto missing = load_state(g, "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    ASSERT_TRUE(remove_all(tmpl));
}

TEST(Process, FindsExecutablesInPath) {
    auto sh = find_executable("sh", {"PATH=/nonexistent:/bin"});
    ASSERT_TRUE(sh);
    EXPECT_EQ(*sh, "/bin/sh");
    auto missing = find_executable("no-such-tool-xyz", {"PATH=/bin"});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().str().find("no-such-tool-xyz"), std::string::npos);
}

}  // namespace
}  // namespace berth::runtime

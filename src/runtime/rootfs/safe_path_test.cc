// open_in_root / mkdir_in_root against a tree of hostile symlinks, run twice: through
// openat2 (the public functions) and through the hand-written walker (the ENOSYS path).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file.h"
#include "runtime/rootfs/rootfs_internal.h"
#include "support/support.h"

namespace berth::runtime::rootfs {
namespace {

struct Impl {
    const char* name;
    Result<UniqueFd> (*open)(int, const std::string&, int);
    Result<UniqueFd> (*mkdir)(int, const std::string&, bool);
};

void PrintTo(const Impl& impl, std::ostream* os) {
    *os << impl.name;
}

const Impl kImpls[] = {
    {"openat2", &open_in_root, &mkdir_in_root},
    {"fallback", &open_in_root_fallback, &mkdir_in_root_walk},
};

void write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(path, text)) << path;
}

void link(const std::string& target, const std::string& at) {
    ASSERT_EQ(::symlink(target.c_str(), at.c_str()), 0) << at;
}

// tmp/
//   etc/passwd                 "host"  (what an escape would reach)
//   outside/                   must stay empty
//   a/b/root/                  the container root
//     etc/passwd               "inside"
//     abs -> /etc  rel -> ../../../../etc  chain1 -> chain2 -> ../../abs
//     loop1 -> loop2 -> loop1  file  dir/sub/deep -> /etc
//     dangling -> /made/x      esc -> ../../../../outside/new
class SafePath : public ::testing::TestWithParam<Impl> {
protected:
    void SetUp() override {
        std::string t = tmp_.path();
        root_ = t + "/a/b/root";
        ASSERT_TRUE(mkdir_all(t + "/etc"));
        ASSERT_TRUE(mkdir_all(t + "/outside"));
        ASSERT_TRUE(mkdir_all(root_ + "/etc"));
        ASSERT_TRUE(mkdir_all(root_ + "/dir/sub"));
        write(t + "/etc/passwd", "host");
        write(root_ + "/etc/passwd", "inside");
        write(root_ + "/file", "f");
        link("/etc", root_ + "/abs");
        link("/etc", root_ + "/dir/sub/deep");
        link("../../../../etc", root_ + "/rel");
        link("chain2", root_ + "/chain1");
        link("../../abs", root_ + "/chain2");
        link("loop2", root_ + "/loop1");
        link("loop1", root_ + "/loop2");
        link("/made/x", root_ + "/dangling");
        link("../../../../outside/new", root_ + "/esc");
        rootfd_.reset(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(rootfd_.valid());
    }

    std::string read_in_root(const std::string& path) {
        auto fd = GetParam().open(rootfd_.get(), path, O_RDONLY);
        if (!fd) return "error: " + fd.error().str();
        auto text = read_fd(fd->get());
        return text ? *text : "read error";
    }

    int open_errno(const std::string& path, int flags = O_RDONLY) {
        auto fd = GetParam().open(rootfd_.get(), path, flags);
        return fd ? 0 : fd.error().sys_errno();
    }

    bool outside_untouched() {
        auto r = test::run_command({"ls", "-A", tmp_.path() + "/outside"});
        return r.exit_code == 0 && r.out.empty() && *read_file(tmp_.path() + "/etc/passwd") == "host";
    }

    test::TempDir tmp_{"berth-safepath"};
    std::string root_;
    UniqueFd rootfd_;
};

TEST_P(SafePath, AbsoluteSymlinkStaysInRoot) {
    EXPECT_EQ(read_in_root("/abs/passwd"), "inside");
    EXPECT_EQ(read_in_root("abs/passwd"), "inside");
    EXPECT_EQ(read_in_root("/dir/sub/deep/passwd"), "inside");  // restarts at the root
}

TEST_P(SafePath, DotDotStopsAtRoot) {
    EXPECT_EQ(read_in_root("/rel/passwd"), "inside");
    EXPECT_EQ(read_in_root("/../../../../etc/passwd"), "inside");
    EXPECT_EQ(read_in_root("/dir/sub/../../../../../../etc/passwd"), "inside");
    EXPECT_EQ(read_in_root("/chain1/passwd"), "inside");
}

TEST_P(SafePath, Errors) {
    EXPECT_EQ(open_errno("/loop1"), ELOOP);
    EXPECT_EQ(open_errno("/loop1/x"), ELOOP);
    EXPECT_EQ(open_errno("/file/x"), ENOTDIR);
    EXPECT_EQ(open_errno("/missing"), ENOENT);
    EXPECT_EQ(open_errno("/file", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_EQ(open_errno("/abs", O_RDONLY | O_NOFOLLOW), ELOOP);
}

TEST_P(SafePath, RootAndNoFollow) {
    auto fd = GetParam().open(rootfd_.get(), "/dir/..", O_PATH);
    ASSERT_TRUE(fd) << fd.error().str();
    struct stat a {
    }, b{};
    ASSERT_EQ(::fstat(fd->get(), &a), 0);
    ASSERT_EQ(::fstat(rootfd_.get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);

    auto lnk = GetParam().open(rootfd_.get(), "/abs", O_PATH | O_NOFOLLOW);
    ASSERT_TRUE(lnk) << lnk.error().str();
    ASSERT_EQ(::fstat(lnk->get(), &a), 0);
    EXPECT_TRUE(S_ISLNK(a.st_mode));
}

TEST_P(SafePath, MkdirThroughSymlinksLandsInRoot) {
    auto d = GetParam().mkdir(rootfd_.get(), "/abs/newdir/sub", false);
    ASSERT_TRUE(d) << d.error().str();
    struct stat st {};
    EXPECT_EQ(::stat((root_ + "/etc/newdir/sub").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_FALSE(path_exists(tmp_.path() + "/etc/newdir"));

    ASSERT_TRUE(GetParam().mkdir(rootfd_.get(), "/dir/sub/deep/d2", false));
    EXPECT_TRUE(path_exists(root_ + "/etc/d2"));

    auto f = GetParam().mkdir(rootfd_.get(), "/rel/newfile", true);
    ASSERT_TRUE(f) << f.error().str();
    ASSERT_EQ(::stat((root_ + "/etc/newfile").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_FALSE(path_exists(tmp_.path() + "/etc/newfile"));

    // Existing paths come back as they are.
    EXPECT_TRUE(GetParam().mkdir(rootfd_.get(), "/dir/sub", false));
    EXPECT_TRUE(outside_untouched());
}

TEST_P(SafePath, MkdirDanglingSymlinkCreatesTargetInRoot) {
    auto d = GetParam().mkdir(rootfd_.get(), "/dangling", false);
    ASSERT_TRUE(d) << d.error().str();
    struct stat st {};
    ASSERT_EQ(::lstat((root_ + "/made/x").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    ASSERT_EQ(::lstat((root_ + "/dangling").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));  // the link itself is left alone

    auto f = GetParam().mkdir(rootfd_.get(), "/esc", true);
    ASSERT_TRUE(f) << f.error().str();
    ASSERT_EQ(::lstat((root_ + "/outside/new").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_TRUE(outside_untouched());
}

TEST_P(SafePath, MkdirErrors) {
    auto r = GetParam().mkdir(rootfd_.get(), "/loop1/x", false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno(), ELOOP);
    r = GetParam().mkdir(rootfd_.get(), "/file/x", false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys_errno(), ENOTDIR);
}

INSTANTIATE_TEST_SUITE_P(Impls, SafePath, ::testing::ValuesIn(kImpls),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace berth::runtime::rootfs

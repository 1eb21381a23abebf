// common/sys: EINTR retry, confined resolution against hostile symlinks (run through openat2
// and through the walker it falls back to), mkdir through links, and the no-follow remove.
#include "common/sys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/file.h"

namespace berth::sys {
namespace {

TEST(RetryEintr, RetriesUntilTheCallIsNotInterrupted) {
    int calls = 0;
    int r = retry_eintr([&] {
        if (++calls < 4) {
            errno = EINTR;
            return -1;
        }
        return 7;
    });
    EXPECT_EQ(r, 7);
    EXPECT_EQ(calls, 4);
}

TEST(RetryEintr, OtherErrorsComeBackAtOnce) {
    int calls = 0;
    long r = retry_eintr([&] {
        ++calls;
        errno = EBADF;
        return -1L;
    });
    EXPECT_EQ(r, -1);
    EXPECT_EQ(errno, EBADF);
    EXPECT_EQ(calls, 1);
}

class TempTree : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-sys-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }

    void mkdir(const std::string& rel) { ASSERT_TRUE(mkdir_all(dir_ + "/" + rel)) << rel; }
    void write(const std::string& rel, const std::string& text) {
        ASSERT_TRUE(write_file_atomic(dir_ + "/" + rel, text)) << rel;
    }
    void link(const std::string& target, const std::string& rel) {
        ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/" + rel).c_str()), 0) << rel;
    }
    bool exists(const std::string& rel) {
        struct stat st;
        return ::lstat((dir_ + "/" + rel).c_str(), &st) == 0;
    }

    std::string dir_;
};

using OpenFn = Result<UniqueFd> (*)(int, std::string_view, int, uint64_t);
using MkdirFn = Result<UniqueFd> (*)(int, std::string_view, uint64_t, Last);

struct Impl {
    const char* name;
    OpenFn open;
    MkdirFn mkdir;
};

void PrintTo(const Impl& impl, std::ostream* os) {
    *os << impl.name;
}

// dir_/
//   etc/passwd  "host"          what an escape would reach
//   outside/                    must stay empty
//   a/b/root/                   the confining directory
//     etc/passwd  "inside"  file  dir/sub/
//     abs -> /etc   rel -> ../../../../etc   deep: dir/sub/up -> ../../..
//     loop1 <-> loop2   dangling -> /made/x   esc -> ../../../../outside/new
class Resolve : public TempTree, public ::testing::WithParamInterface<Impl> {
protected:
    void SetUp() override {
        TempTree::SetUp();
        mkdir("etc");
        mkdir("outside");
        mkdir("a/b/root/etc");
        mkdir("a/b/root/dir/sub");
        write("etc/passwd", "host");
        write("a/b/root/etc/passwd", "inside");
        write("a/b/root/file", "f");
        link("/etc", "a/b/root/abs");
        link("../../../../etc", "a/b/root/rel");
        link("../../..", "a/b/root/dir/sub/up");
        link("loop2", "a/b/root/loop1");
        link("loop1", "a/b/root/loop2");
        link("/made/x", "a/b/root/dangling");
        link("../../../../outside/new", "a/b/root/esc");
        root_.reset(::open((dir_ + "/a/b/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_.valid());
    }

    std::string read(const std::string& path, uint64_t resolve = RESOLVE_IN_ROOT) {
        auto fd = GetParam().open(root_.get(), path, O_RDONLY, resolve);
        if (!fd) return "errno " + std::to_string(fd.error().sys_errno());
        auto text = read_fd(fd->get());
        return text ? *text : "read error";
    }
    int err(const std::string& path, uint64_t resolve, int flags = O_RDONLY) {
        auto fd = GetParam().open(root_.get(), path, flags, resolve);
        return fd ? 0 : fd.error().sys_errno();
    }
    bool outside_untouched() {
        return list_dir(dir_ + "/outside").empty() && *read_file(dir_ + "/etc/passwd") == "host";
    }

    UniqueFd root_;
};

const Impl kImpls[] = {
    {"openat2", &openat2, &mkdirat_resolved},
    {"walker", &openat2_walk, &mkdirat_walk},
};

INSTANTIATE_TEST_SUITE_P(Both, Resolve, ::testing::ValuesIn(kImpls),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(Resolve, InRootAbsoluteSymlinksAndDotDotStayInside) {
    EXPECT_EQ(read("/abs/passwd"), "inside");
    EXPECT_EQ(read("rel/passwd"), "inside");
    EXPECT_EQ(read("/../../../../etc/passwd"), "inside");
    EXPECT_EQ(read("dir/sub/up/etc/passwd"), "inside");
    EXPECT_EQ(read("esc", RESOLVE_IN_ROOT), "errno " + std::to_string(ENOENT));
    EXPECT_TRUE(outside_untouched());
}

TEST_P(Resolve, BeneathRefusesEveryEscape) {
    EXPECT_EQ(read("etc/passwd", RESOLVE_BENEATH), "inside");
    EXPECT_EQ(read("dir/../etc/passwd", RESOLVE_BENEATH), "inside");
    EXPECT_EQ(err("/etc/passwd", RESOLVE_BENEATH), EXDEV);
    EXPECT_EQ(err("../root/etc/passwd", RESOLVE_BENEATH), EXDEV);
    EXPECT_EQ(err("dir/../../root/etc/passwd", RESOLVE_BENEATH), EXDEV);
    EXPECT_EQ(err("abs/passwd", RESOLVE_BENEATH), EXDEV);
    EXPECT_EQ(err("rel/passwd", RESOLVE_BENEATH), EXDEV);
    EXPECT_EQ(err("esc", RESOLVE_BENEATH), EXDEV);
}

TEST_P(Resolve, NoSymlinksRefusesAnyLink) {
    EXPECT_EQ(read("etc/passwd", RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), "inside");
    EXPECT_EQ(err("abs/passwd", RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), ELOOP);
    EXPECT_EQ(err("dir/sub/up", RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), ELOOP);
}

TEST_P(Resolve, Errors) {
    EXPECT_EQ(err("loop1", RESOLVE_IN_ROOT), ELOOP);
    EXPECT_EQ(err("loop1/x", RESOLVE_IN_ROOT), ELOOP);
    EXPECT_EQ(err("file/x", RESOLVE_IN_ROOT), ENOTDIR);
    EXPECT_EQ(err("missing", RESOLVE_IN_ROOT), ENOENT);
    EXPECT_EQ(err("file", RESOLVE_IN_ROOT, O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_EQ(err("abs", RESOLVE_IN_ROOT, O_RDONLY | O_NOFOLLOW), ELOOP);
    EXPECT_EQ(err("new", RESOLVE_IN_ROOT, O_WRONLY | O_CREAT), EINVAL);
}

TEST_P(Resolve, EmptyPathIsTheRootAndNoFollowGivesTheLink) {
    struct stat a {
    }, b{};
    auto self = GetParam().open(root_.get(), "", O_PATH, RESOLVE_BENEATH);
    ASSERT_TRUE(self) << self.error().str();
    ASSERT_EQ(::fstat(self->get(), &a), 0);
    ASSERT_EQ(::fstat(root_.get(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);

    auto lnk = GetParam().open(root_.get(), "abs", O_PATH | O_NOFOLLOW, RESOLVE_IN_ROOT);
    ASSERT_TRUE(lnk) << lnk.error().str();
    ASSERT_EQ(::fstat(lnk->get(), &a), 0);
    EXPECT_TRUE(S_ISLNK(a.st_mode));
}

TEST_P(Resolve, MkdirThroughLinksLandsInside) {
    auto d = GetParam().mkdir(root_.get(), "/abs/newdir/sub", RESOLVE_IN_ROOT, Last::Directory);
    ASSERT_TRUE(d) << d.error().str();
    EXPECT_TRUE(exists("a/b/root/etc/newdir/sub"));
    EXPECT_FALSE(exists("etc/newdir"));

    ASSERT_TRUE(GetParam().mkdir(root_.get(), "dangling", RESOLVE_IN_ROOT, Last::File));
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/a/b/root/made/x").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));

    EXPECT_EQ(GetParam().mkdir(root_.get(), "abs/x", RESOLVE_BENEATH, Last::Directory).error().sys_errno(),
              EXDEV);
    EXPECT_TRUE(GetParam().mkdir(root_.get(), "dir/sub", RESOLVE_IN_ROOT, Last::Directory));
    EXPECT_FALSE(exists("made"));
    EXPECT_TRUE(outside_untouched());
}

class RemoveTree : public TempTree {};

TEST_F(RemoveTree, NeverFollowsALinkOut) {
    mkdir("outside/keep");
    write("outside/keep/file", "x");
    write("outside/lone", "y");
    mkdir("victim/sub");
    write("victim/sub/f", "z");
    link(dir_ + "/outside/keep", "victim/to_dir");
    link(dir_ + "/outside/lone", "victim/sub/to_file");
    link("../outside", "victim/rel");
    UniqueFd parent(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(remove_tree_at(parent.get(), "victim"));
    EXPECT_FALSE(exists("victim"));
    EXPECT_EQ(*read_file(dir_ + "/outside/keep/file"), "x");
    EXPECT_EQ(*read_file(dir_ + "/outside/lone"), "y");
}

TEST_F(RemoveTree, ALinkAsTheTopIsUnlinkedNotEntered) {
    mkdir("outside/keep");
    write("outside/keep/file", "x");
    link(dir_ + "/outside/keep", "top");
    ASSERT_TRUE(remove_tree_at(AT_FDCWD, dir_ + "/top"));
    EXPECT_FALSE(exists("top"));
    EXPECT_TRUE(exists("outside/keep/file"));
    EXPECT_TRUE(remove_tree_at(AT_FDCWD, dir_ + "/missing"));
}

}  // namespace
}  // namespace berth::sys

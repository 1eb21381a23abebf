// Snapshotter against the real kernel (root): deep stacks (128 and 200 layers) through the
// new mount API and the legacy short-name path, whiteouts, read-only views, usage, cleanup.
#include "image/snapshotter/snapshotter.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "common/file.h"
#include "support/support.h"

namespace berth::image::snapshotter {
namespace {

std::string chain(int i) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "sha256:%064x", i + 1);
    return buf;
}

bool is_mounted(const std::string& path) {
    auto info = read_file("/proc/self/mountinfo");
    return info && info->find(" " + path + " ") != std::string::npos;
}

class SnapshotterTest : public ::testing::TestWithParam<MountApi> {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        auto s =
            Snapshotter::open(tmp_.path() + "/overlay", {.mount_api = GetParam(), .sync_on_commit = false});
        ASSERT_TRUE(s) << s.error().str();
        snap_.emplace(std::move(*s));
    }
    void TearDown() override {
        // Whatever happened, leave no mount behind (TempDir refuses to cross mounts).
        if (snap_) {
            for (const char* key : {"c1", "view", "single"}) (void)snap_->unmount(key);
        }
    }
    // Layer i holds layer-<i> and its own version of `top`; every 10th hides layer-<i-1>.
    void make_layers(int n) {
        for (int i = 0; i < n; ++i) {
            auto p = snap_->prepare_layer(chain(i), i ? chain(i - 1) : "");
            ASSERT_TRUE(p) << p.error().str();
            ASSERT_TRUE(write_file_atomic(p->diff + "/layer-" + std::to_string(i), "x"));
            ASSERT_TRUE(write_file_atomic(p->diff + "/top", std::to_string(i)));
            if (i % 10 == 9) {
                ASSERT_EQ(
                    ::mknod((p->diff + "/layer-" + std::to_string(i - 1)).c_str(), S_IFCHR, makedev(0, 0)),
                    0);
            }
            ASSERT_TRUE(snap_->commit(*p));
        }
    }
    std::vector<std::string> parents(int n) {
        std::vector<std::string> out;
        for (int i = n - 1; i >= 0; --i) out.push_back(chain(i));
        return out;
    }
    void deep_stack(int n) {
        make_layers(n);
        auto m = snap_->create_active("c1", parents(n));
        ASSERT_TRUE(m) << m.error().str();
        EXPECT_EQ(m->type, "overlay");
        EXPECT_EQ(m->lowers.size(), static_cast<size_t>(n));
        auto r = snap_->mount("c1");
        ASSERT_TRUE(r) << r.error().str();
        std::string merged = snap_->merged_dir("c1");
        EXPECT_TRUE(is_mounted(merged));
        auto top = read_file(merged + "/top");
        ASSERT_TRUE(top);
        EXPECT_EQ(*top, std::to_string(n - 1)) << "the top layer must win";
        for (int i = 0; i < n; ++i) {
            bool hidden = i % 10 == 8 && i + 1 < n;
            EXPECT_EQ(path_exists(merged + "/layer-" + std::to_string(i)), !hidden) << i;
        }
        ASSERT_TRUE(write_file_atomic(merged + "/new-file", std::string(100000, 'n')));
        EXPECT_TRUE(path_exists(snap_->root() + "/active/c1/upper/new-file"));
        auto used = snap_->usage("c1");
        ASSERT_TRUE(used) << used.error().str();
        EXPECT_GE(*used, 100000u);
        ASSERT_TRUE(snap_->unmount("c1"));
        EXPECT_FALSE(is_mounted(merged));
        ASSERT_TRUE(snap_->remove_active("c1"));
        EXPECT_FALSE(path_exists(snap_->root() + "/active/c1"));
        for (int i = n - 1; i >= 0; --i) ASSERT_TRUE(snap_->remove_layer(chain(i)));
        EXPECT_FALSE(snap_->has_layer(chain(0)));
    }

    berth::test::TempDir tmp_{"berth-snapshotter"};
    std::optional<Snapshotter> snap_;
};

TEST_P(SnapshotterTest, Mount128Layers) {
    deep_stack(128);
}
TEST_P(SnapshotterTest, Mount200Layers) {
    deep_stack(200);
}

TEST_P(SnapshotterTest, ReadOnlyViews) {
    make_layers(2);
    auto single = snap_->create_active("single", {chain(0)}, true);
    ASSERT_TRUE(single) << single.error().str();
    EXPECT_EQ(single->type, "bind");
    ASSERT_TRUE(snap_->mount("single"));
    EXPECT_TRUE(path_exists(snap_->merged_dir("single") + "/layer-0"));
    EXPECT_FALSE(write_file_atomic(snap_->merged_dir("single") + "/w", "x"));
    auto view = snap_->create_active("view", parents(2), true);
    ASSERT_TRUE(view) << view.error().str();
    EXPECT_EQ(view->type, "overlay");
    EXPECT_TRUE(view->upper.empty());
    ASSERT_TRUE(snap_->mount("view"));
    EXPECT_TRUE(path_exists(snap_->merged_dir("view") + "/layer-1"));
    auto w = write_file_atomic(snap_->merged_dir("view") + "/w", "x");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().sys_errno(), EROFS);
    ASSERT_TRUE(snap_->remove_active("single"));
    ASSERT_TRUE(snap_->remove_active("view"));
}

// A volatile upper (run --rm) mounts with the option, keeps writes, and mounts again after
// a clean unmount although overlay leaves its incompat/volatile marker behind.
TEST_P(SnapshotterTest, VolatileUpperRemounts) {
    make_layers(2);
    ASSERT_TRUE(snap_->create_active("c1", parents(2)));
    std::string merged = snap_->merged_dir("c1");
    for (int round = 0; round < 2; ++round) {
        auto r = snap_->mount("c1", {}, true);
        ASSERT_TRUE(r) << "round " << round << ": " << r.error().str();
        auto info = read_file("/proc/self/mountinfo");
        ASSERT_TRUE(info);
        auto line = info->substr(info->find(" " + merged + " "));
        EXPECT_NE(line.substr(0, line.find('\n')).find("volatile"), std::string::npos) << line;
        ASSERT_TRUE(write_file_atomic(merged + "/round-" + std::to_string(round), "x"));
        ASSERT_TRUE(snap_->unmount("c1"));
    }
    EXPECT_TRUE(path_exists(snap_->root() + "/active/c1/upper/round-0"));
    EXPECT_TRUE(path_exists(snap_->root() + "/active/c1/upper/round-1"));
    ASSERT_TRUE(snap_->remove_active("c1"));
}

TEST_P(SnapshotterTest, PrepareCommitAbortAndErrors) {
    EXPECT_FALSE(snap_->prepare_layer("sha256:nothex", ""));
    EXPECT_FALSE(snap_->prepare_layer(chain(1), "sha256:nothex"));
    // A child may be prepared (and filled) before its parent, but not committed before it.
    auto child = snap_->prepare_layer(chain(1), chain(0));
    ASSERT_TRUE(child);
    EXPECT_EQ(snap_->commit(*child).error().kind(), ErrorKind::NotFound) << "parent must be committed";
    EXPECT_FALSE(snap_->has_layer(chain(1)));
    auto p = snap_->prepare_layer(chain(0), "");
    ASSERT_TRUE(p);
    EXPECT_FALSE(snap_->has_layer(chain(0)));
    ASSERT_TRUE(snap_->abort(*p));
    EXPECT_FALSE(path_exists(p->dir));
    auto q = snap_->prepare_layer(chain(0), "");
    auto q2 = snap_->prepare_layer(chain(0), "");
    ASSERT_TRUE(q && q2);
    ASSERT_TRUE(snap_->commit(*q));
    ASSERT_TRUE(snap_->commit(*q2)) << "a second commit of the same chain id is a no-op";
    EXPECT_TRUE(snap_->has_layer(chain(0)));
    ASSERT_TRUE(snap_->commit(*child));
    EXPECT_TRUE(snap_->has_layer(chain(1)));
    EXPECT_FALSE(snap_->create_active("../evil", {chain(0)}));
    EXPECT_FALSE(snap_->create_active("c1", {chain(5)})) << "unknown parent";
    ASSERT_TRUE(snap_->create_active("c1", {chain(0)}));
    EXPECT_EQ(snap_->create_active("c1", {chain(0)}).error().kind(), ErrorKind::AlreadyExists);
    // A crash mid-prepare leaves tmp/ dirs that open() removes.
    auto stale = snap_->prepare_layer(chain(3), "");
    ASSERT_TRUE(stale);
    auto again = Snapshotter::open(snap_->root());
    ASSERT_TRUE(again);
    EXPECT_FALSE(path_exists(stale->dir));
    ASSERT_TRUE(snap_->remove_active("c1"));
}

INSTANTIATE_TEST_SUITE_P(Apis, SnapshotterTest, ::testing::Values(MountApi::New, MountApi::Legacy),
                         [](const auto& info) { return info.param == MountApi::New ? "NewApi" : "Legacy"; });

}  // namespace
}  // namespace berth::image::snapshotter

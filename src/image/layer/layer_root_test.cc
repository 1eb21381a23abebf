// Layer round trips that need root: ownership, devices, security.capability, overlay
// whiteouts and opaque dirs (trusted.* xattrs), then diff_layer back to OCI whiteouts.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "common/file.h"
#include "image/layer/layer.h"
#include "image/layer/test_tar.h"
#include "support/support.h"

namespace berth::image::layer {
namespace {

using test::TarEntry;

std::vector<TarEntry> sorted(std::vector<TarEntry> v) {
    std::sort(v.begin(), v.end(), [](const TarEntry& a, const TarEntry& b) { return a.name < b.name; });
    return v;
}

UniqueFd open_dir(const std::string& path) {
    auto fd = open_file(path, O_RDONLY | O_DIRECTORY);
    return fd ? std::move(*fd) : UniqueFd();
}

// A v2 file capability blob: cap_net_bind_service (10) permitted + effective.
std::string net_bind_cap() {
    std::string v(20, '\0');
    v[0] = 0x01;
    v[3] = 0x02;  // magic VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
    v[4] = 0x00;
    v[5] = 0x04;  // permitted[0] = 1 << 10
    return v;
}

TEST(LayerRootTest, OwnershipDevicesCapabilitiesRoundTrip) {
    BERTH_REQUIRE_ROOT();
    berth::test::TempDir tmp("berth-layer-root");
    std::string lower = tmp.path() + "/lower", upper = tmp.path() + "/upper";
    ASSERT_TRUE(mkdir_all(lower));
    ASSERT_TRUE(mkdir_all(upper));
    // What the layers below hold: the diff keeps only whiteouts that hide something.
    ASSERT_TRUE(write_file_atomic(lower + "/gone", "old"));
    ASSERT_TRUE(mkdir_all(lower + "/var/cache"));

    std::vector<TarEntry> layer = {
        {.name = "dev/", .type = 'd', .mode = 0755},
        {.name = "dev/null", .type = 'c', .mode = 0666, .major = 1, .minor = 3},
        {.name = "dev/sda", .type = 'b', .mode = 0660, .gid = 6, .major = 8, .minor = 0},
        {.name = "home/", .type = 'd', .mode = 0755},
        {.name = "home/user/", .type = 'd', .mode = 0700, .uid = 1000, .gid = 1000},
        {.name = "home/user/notes", .data = "mine", .mode = 0600, .uid = 1000, .gid = 1000},
        {.name = "ping", .data = "elf", .mode = 04755, .xattrs = {{"security.capability", net_bind_cap()}}},
        {.name = "var/", .type = 'd', .mode = 0755},
        {.name = "var/cache/", .type = 'd', .mode = 0755},
        {.name = "var/cache/.wh..wh..opq", .mode = 0755},
        {.name = "var/cache/fresh", .data = "new", .mode = 0644},
        {.name = ".wh.gone", .mode = 0},
        {.name = ".wh.never-existed", .mode = 0},
    };
    UniqueFd upper_fd = open_dir(upper);
    auto r = apply_layer(test::string_reader(test::make_tar(layer)), upper_fd.get(), {});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->skipped_devices, 0u);

    struct stat st;
    ASSERT_EQ(::lstat((upper + "/home/user/notes").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    ASSERT_EQ(::lstat((upper + "/ping").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u) << "setuid must survive chown";
    char buf[64];
    EXPECT_EQ(::lgetxattr((upper + "/ping").c_str(), "security.capability", buf, sizeof buf), 20);
    ASSERT_EQ(::lstat((upper + "/dev/sda").c_str(), &st), 0);
    EXPECT_TRUE(S_ISBLK(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(8, 0));
    ASSERT_EQ(::lstat((upper + "/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == 0) << "overlay whiteout";
    ssize_t n = ::lgetxattr((upper + "/var/cache").c_str(), "trusted.overlay.opaque", buf, sizeof buf);
    ASSERT_EQ(n, 1);
    EXPECT_EQ(buf[0], 'y');

    auto out = open_file(tmp.path() + "/diff.tar.gz", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(out);
    auto d = diff_layer({lower}, upper, out->get(), {.compression = Compression::Gzip});
    ASSERT_TRUE(d) << d.error().str();
    auto written = read_file(tmp.path() + "/diff.tar.gz");
    ASSERT_TRUE(written);
    auto got = sorted(test::read_tar(*written));

    // Expected: the same entries, whiteouts as OCI files again, the needless one dropped.
    std::vector<TarEntry> want;
    for (auto e : layer) {
        if (e.name == ".wh.never-existed") continue;
        want.push_back(e);
    }
    want = sorted(want);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].name, want[i].name);
        EXPECT_EQ(got[i].type, want[i].type) << want[i].name;
        EXPECT_EQ(got[i].uid, want[i].uid) << want[i].name;
        EXPECT_EQ(got[i].gid, want[i].gid) << want[i].name;
        EXPECT_EQ(got[i].major, want[i].major) << want[i].name;
        EXPECT_EQ(got[i].minor, want[i].minor) << want[i].name;
        EXPECT_TRUE(got[i].data == want[i].data) << want[i].name;
        if (want[i].name.find(".wh.") == std::string::npos) {
            EXPECT_EQ(got[i].mode, want[i].mode) << want[i].name;
            EXPECT_EQ(got[i].xattrs, want[i].xattrs) << want[i].name;
        }
    }

    // And the diff applies again to the same tree (digests stable).
    std::string again = tmp.path() + "/again";
    ASSERT_TRUE(mkdir_all(again));
    UniqueFd again_fd = open_dir(again);
    auto r2 = apply_layer(test::string_reader(*written), again_fd.get(), {});
    ASSERT_TRUE(r2) << r2.error().str();
    EXPECT_EQ(r2->diff_id, d->diff_id);
    EXPECT_EQ(r2->digest, d->digest);
}

TEST(LayerRootTest, TrustedXattrsSkippedUnlessEnabled) {
    BERTH_REQUIRE_ROOT();
    berth::test::TempDir tmp("berth-layer-root");
    UniqueFd fd = open_dir(tmp.path());
    std::string layer =
        test::make_tar({{.name = "f", .data = "x", .xattrs = {{"trusted.evil", "1"}, {"user.ok", "2"}}}});
    auto r = apply_layer(test::string_reader(layer), fd.get(), {});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->skipped_xattrs, 1u) << (r->warnings.empty() ? "" : r->warnings[0]);
    char buf[8];
    EXPECT_LT(::lgetxattr((tmp.path() + "/f").c_str(), "trusted.evil", buf, sizeof buf), 0);
    EXPECT_EQ(::lgetxattr((tmp.path() + "/f").c_str(), "user.ok", buf, sizeof buf), 1);
}

// Files are created with their final mode when nothing would change it afterwards: modes the
// umask would cut, setuid bits and a setgid parent's group must still come out exact.
TEST(LayerRootTest, ModesAndOwnersAreExactWhateverTheUmask) {
    BERTH_REQUIRE_ROOT();
    berth::test::TempDir tmp("berth-layer-root");
    std::string shared = tmp.path() + "/shared";
    ASSERT_TRUE(mkdir_all(shared));
    ASSERT_EQ(::chown(shared.c_str(), 0, 4321), 0);
    ASSERT_EQ(::chmod(shared.c_str(), 02775), 0);
    UniqueFd fd = open_dir(tmp.path());
    mode_t old = ::umask(027);
    auto r = apply_layer(test::string_reader(test::make_tar({
                             {.name = "rw-all", .data = "x", .mode = 0666},
                             {.name = "exec", .data = "x", .mode = 0755},
                             {.name = "ro", .data = "x", .mode = 0400},
                             {.name = "none", .data = "x", .mode = 0},
                             {.name = "sgid", .data = "x", .mode = 02755, .gid = 5},
                             {.name = "shared/root-file", .data = "x", .mode = 0644},
                         })),
                         fd.get(), {});
    ::umask(old);
    ASSERT_TRUE(r) << r.error().str();
    auto mode_of = [&](const char* n) {
        struct stat st {};
        ::lstat((tmp.path() + "/" + n).c_str(), &st);
        return std::pair<mode_t, gid_t>(st.st_mode & 07777, st.st_gid);
    };
    EXPECT_EQ(mode_of("rw-all").first, 0666u);
    EXPECT_EQ(mode_of("exec").first, 0755u);
    EXPECT_EQ(mode_of("ro").first, 0400u);
    EXPECT_EQ(mode_of("none").first, 0u);
    EXPECT_EQ(mode_of("sgid"), std::make_pair(mode_t{02755}, gid_t{5}));
    EXPECT_EQ(mode_of("shared/root-file"), std::make_pair(mode_t{0644}, gid_t{0}))
        << "not the setgid dir's group";
}

TEST(LayerRootTest, IdMapShiftsOwnership) {
    BERTH_REQUIRE_ROOT();
    berth::test::TempDir tmp("berth-layer-root");
    UniqueFd fd = open_dir(tmp.path());
    ApplyOptions opts;
    opts.uid_map = {{0, 100000, 65536}};
    opts.gid_map = {{0, 100000, 65536}};
    std::string layer = test::make_tar({{.name = "f", .data = "x", .uid = 5, .gid = 7}});
    auto r = apply_layer(test::string_reader(layer), fd.get(), opts);
    ASSERT_TRUE(r) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat((tmp.path() + "/f").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 100005u);
    EXPECT_EQ(st.st_gid, 100007u);
    auto bad =
        apply_layer(test::string_reader(test::make_tar({{.name = "g", .uid = 70000}})), fd.get(), opts);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().str().find("uid 70000 is not in the id map"), std::string::npos)
        << bad.error().str();
}

}  // namespace
}  // namespace berth::image::layer

// Layer apply/diff round trips without root: files, dirs, symlinks, hard links, fifos,
// user xattrs, digests for none/gzip/zstd, plain whiteouts.
#include "image/layer/layer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "common/file.h"
#include "image/content/digest.h"
#include "image/layer/test_tar.h"
#include "support/support.h"

namespace berth::image::layer {
namespace {

using test::TarEntry;

std::string sha256(const std::string& s) {
    content::Sha256 h;
    h.update(s.data(), s.size());
    return h.finish().str();
}

std::vector<TarEntry> sorted(std::vector<TarEntry> v) {
    std::sort(v.begin(), v.end(), [](const TarEntry& a, const TarEntry& b) { return a.name < b.name; });
    return v;
}

void expect_same(const std::vector<TarEntry>& want, const std::vector<TarEntry>& got) {
    auto w = sorted(want), g = sorted(got);
    ASSERT_EQ(w.size(), g.size());
    for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(test::to_string(w[i]), test::to_string(g[i]));
    for (size_t i = 0; i < w.size(); ++i) EXPECT_TRUE(w[i].data == g[i].data) << w[i].name;
}

// Regular content of every kind an unprivileged user can create.
std::vector<TarEntry> sample_entries() {
    int64_t uid = ::getuid(), gid = ::getgid();
    std::string big;
    for (int i = 0; i < 200000; ++i) big += "line " + std::to_string(i) + "\n";
    return {
        {.name = "bin/", .type = 'd', .mode = 0755, .uid = uid, .gid = gid, .mtime = 1600000000},
        {.name = "bin/tool", .data = "#!/bin/sh\necho hi\n", .mode = 04755, .uid = uid, .gid = gid},
        {.name = "bin/tool2", .type = 'h', .link = "bin/tool", .mode = 04755, .uid = uid, .gid = gid},
        {.name = "etc/", .type = 'd', .mode = 0700, .uid = uid, .gid = gid, .mtime = 1500000000},
        {.name = "etc/big.txt", .data = big, .mode = 0600, .uid = uid, .gid = gid},
        {.name = "etc/empty", .mode = 0444, .uid = uid, .gid = gid},
        {.name = "etc/fifo", .type = 'p', .mode = 0640, .uid = uid, .gid = gid},
        {.name = "etc/link", .type = 'l', .link = "../bin/tool", .mode = 0777, .uid = uid, .gid = gid},
        {.name = "etc/abs", .type = 'l', .link = "/does/not/exist", .mode = 0777, .uid = uid, .gid = gid},
        {.name = "etc/x.conf",
         .data = "k=v\n",
         .mode = 0644,
         .uid = uid,
         .gid = gid,
         .xattrs = {{"user.berth.test", "value"}}},
        {.name = "ro/", .type = 'd', .mode = 0555, .uid = uid, .gid = gid},
        {.name = "ro/inside", .data = "x", .mode = 0644, .uid = uid, .gid = gid},
    };
}

class LayerTest : public ::testing::TestWithParam<Compression> {
protected:
    void SetUp() override {
        target_ = tmp_.path() + "/target";
        ASSERT_TRUE(mkdir_all(target_));
        auto fd = open_file(target_, O_RDONLY | O_DIRECTORY);
        ASSERT_TRUE(fd);
        fd_ = std::move(*fd);
        opts_.set_ownership = false;
    }
    berth::test::TempDir tmp_{"berth-layer-test"};
    std::string target_;
    UniqueFd fd_;
    ApplyOptions opts_;
};

TEST_P(LayerTest, ApplyThenTarGivesTheSameEntries) {
    auto entries = sample_entries();
    std::string tar = test::make_tar(entries);
    std::string layer = test::compress(tar, GetParam());
    auto r = apply_layer(test::string_reader(layer), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->compression, GetParam());
    EXPECT_EQ(r->diff_id, sha256(tar));
    EXPECT_EQ(r->digest, sha256(layer));
    EXPECT_EQ(r->compressed_size, layer.size());
    EXPECT_EQ(r->uncompressed_size, tar.size());
    EXPECT_EQ(r->entries, entries.size());

    struct stat st;
    ASSERT_EQ(::stat((target_ + "/etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtime, 1500000000) << "directory mtime must be set after its children";

    auto out = open_file(tmp_.path() + "/out.tar", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(out);
    auto d = tar_directory(target_, out->get(), {.compression = GetParam()});
    ASSERT_TRUE(d) << d.error().str();
    auto written = read_file(tmp_.path() + "/out.tar");
    ASSERT_TRUE(written);
    EXPECT_EQ(d->digest, sha256(*written));
    EXPECT_EQ(d->entries, entries.size());
    expect_same(entries, test::read_tar(*written));

    // Deterministic: the same tree tars to the same bytes.
    auto out2 = open_file(tmp_.path() + "/out2.tar", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(out2);
    auto d2 = tar_directory(target_, out2->get(), {.compression = GetParam()});
    ASSERT_TRUE(d2);
    EXPECT_EQ(d2->digest, d->digest);
    EXPECT_EQ(d2->diff_id, d->diff_id);
}

INSTANTIATE_TEST_SUITE_P(Compressions, LayerTest,
                         ::testing::Values(Compression::None, Compression::Gzip, Compression::Zstd));

TEST_F(LayerTest, SameResultWithoutTheDecompressThread) {
    std::string tar = test::make_tar(sample_entries());
    std::string layer = test::compress(tar, Compression::Gzip);
    opts_.decompress_thread = false;
    auto r = apply_layer(test::string_reader(layer), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->diff_id, sha256(tar));
    EXPECT_EQ(r->digest, sha256(layer));
    std::string bad = layer.substr(0, layer.size() / 2);
    auto t = apply_layer(test::string_reader(bad), fd_.get(), opts_);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().str().find("gzip: unexpected end of stream"), std::string::npos) << t.error().str();
}

TEST_P(LayerTest, WithoutInputDigestOnlyAnUncompressedLayerHasOne) {
    std::string tar = test::make_tar(sample_entries());
    std::string layer = test::compress(tar, GetParam());
    opts_.digest_input = false;
    auto r = apply_layer(test::string_reader(layer), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->diff_id, sha256(tar));
    // A plain tar is its own diff: both digests are needed and equal.
    EXPECT_EQ(r->digest, GetParam() == Compression::None ? sha256(tar) : "");
}

TEST_F(LayerTest, RelativeSymlinkInsideTheLayerIsFollowed) {
    std::string layer = test::make_tar({{.name = "usr/lib/", .type = 'd', .mode = 0755},
                                        {.name = "lib", .type = 'l', .link = "usr/lib"},
                                        {.name = "lib/libc.so", .data = "elf"}});
    auto r = apply_layer(test::string_reader(layer), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_TRUE(path_exists(target_ + "/usr/lib/libc.so"));
}

TEST_F(LayerTest, MissingParentsAreCreated) {
    auto r = apply_layer(test::string_reader(test::make_tar({{.name = "a/b/c/file", .data = "x"}})),
                         fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_TRUE(path_exists(target_ + "/a/b/c/file"));
}

TEST_F(LayerTest, PlainWhiteoutsRemoveLowerFiles) {
    opts_.whiteout_format = WhiteoutFormat::Plain;
    auto base = apply_layer(test::string_reader(test::make_tar({
                                {.name = "keep", .data = "1"},
                                {.name = "gone", .data = "2"},
                                {.name = "dir/", .type = 'd'},
                                {.name = "dir/old", .data = "3"},
                                {.name = "dir/sub/deep", .data = "4"},
                            })),
                            fd_.get(), opts_);
    ASSERT_TRUE(base) << base.error().str();
    auto top = apply_layer(test::string_reader(test::make_tar({
                               {.name = ".wh.gone"},
                               {.name = "dir/", .type = 'd'},
                               {.name = "dir/.wh..wh..opq"},
                               {.name = "dir/new", .data = "5"},
                           })),
                           fd_.get(), opts_);
    ASSERT_TRUE(top) << top.error().str();
    EXPECT_TRUE(path_exists(target_ + "/keep"));
    EXPECT_FALSE(path_exists(target_ + "/gone"));
    EXPECT_FALSE(path_exists(target_ + "/dir/old"));
    EXPECT_FALSE(path_exists(target_ + "/dir/sub"));
    EXPECT_TRUE(path_exists(target_ + "/dir/new"));
}

TEST_F(LayerTest, OverlayWhiteoutIsACharDevice) {
    // Unprivileged whiteout creation is allowed since Linux 5.8.
    auto r = apply_layer(test::string_reader(test::make_tar({{.name = "d/.wh.gone"}})), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    struct stat st;
    ASSERT_EQ(::lstat((target_ + "/d/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, 0u);
    EXPECT_FALSE(path_exists(target_ + "/d/.wh.gone"));
}

TEST_F(LayerTest, EntryReplacesEntryOfAnotherType) {
    auto r = apply_layer(test::string_reader(test::make_tar({
                             {.name = "a/", .type = 'd'},
                             {.name = "a/f", .data = "x"},
                             {.name = "a", .data = "now a file"},
                             {.name = "b", .data = "file"},
                             {.name = "b/", .type = 'd'},
                         })),
                         fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    auto a = read_file(target_ + "/a");
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, "now a file");
    struct stat st;
    ASSERT_EQ(::lstat((target_ + "/b").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(LayerTest, EmptyLayer) {
    std::string layer = test::compress(std::string(1024, '\0'), Compression::Gzip);
    auto r = apply_layer(test::string_reader(layer), fd_.get(), opts_);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->entries, 0u);
    EXPECT_EQ(r->diff_id, sha256(std::string(1024, '\0')));
}

}  // namespace
}  // namespace berth::image::layer

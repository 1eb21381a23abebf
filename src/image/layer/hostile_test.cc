// Hostile layers: each must be rejected with an error naming the entry, and nothing outside
// the target may change (a canary dir next to the target is checked after every apply).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <set>

#include <gtest/gtest.h>

#include "common/file.h"
#include "image/layer/layer.h"
#include "image/layer/test_tar.h"
#include "support/support.h"

namespace berth::image::layer {
namespace {

using test::TarEntry;

std::set<std::string> list_dir(const std::string& path) {
    std::set<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.insert(n);
    }
    ::closedir(d);
    return out;
}

class HostileTest : public ::testing::Test {
protected:
    void SetUp() override {
        canary_ = tmp_.path() + "/canary";
        target_ = tmp_.path() + "/target";
        ASSERT_TRUE(mkdir_all(canary_));
        ASSERT_TRUE(mkdir_all(target_));
        ASSERT_TRUE(write_file_atomic(canary_ + "/file", "keep"));
        auto fd = open_file(target_, O_RDONLY | O_DIRECTORY);
        ASSERT_TRUE(fd);
        target_fd_ = std::move(*fd);
        opts_.set_ownership = false;
    }
    void TearDown() override { expect_untouched(); }

    // Applies and returns the error text ("" when it succeeded).
    std::string apply_error(const std::string& layer) {
        auto r = apply_layer(test::string_reader(layer), target_fd_.get(), opts_);
        return r ? std::string() : r.error().str();
    }
    void expect_rejected(const std::string& layer, const std::string& entry, const std::string& why) {
        std::string err = apply_error(layer);
        EXPECT_NE(err, "") << "hostile layer was accepted";
        EXPECT_NE(err.find("layer entry \"" + entry), std::string::npos) << err;
        EXPECT_NE(err.find(why), std::string::npos) << err;
    }
    void expect_untouched() {
        EXPECT_EQ(list_dir(tmp_.path()), (std::set<std::string>{"canary", "target"}));
        EXPECT_EQ(list_dir(canary_), (std::set<std::string>{"file"}));
        auto content = read_file(canary_ + "/file");
        ASSERT_TRUE(content);
        EXPECT_EQ(*content, "keep");
    }

    berth::test::TempDir tmp_{"berth-layer-hostile"};
    std::string canary_, target_;
    UniqueFd target_fd_;
    ApplyOptions opts_;
};

TEST_F(HostileTest, DotDotEscape) {
    expect_rejected(test::make_tar({{.name = "../escape", .data = "x"}}), "../escape",
                    "path escapes the layer root");
}

TEST_F(HostileTest, DotDotInTheMiddle) {
    expect_rejected(test::make_tar({{.name = "a/../../canary/file", .data = "x"}}), "a/../../canary/file",
                    "path escapes the layer root");
}

TEST_F(HostileTest, AbsolutePath) {
    expect_rejected(test::make_tar({{.name = canary_ + "/pwned", .data = "x"}}), canary_ + "/pwned",
                    "absolute path");
}

TEST_F(HostileTest, FileThroughAbsoluteSymlink) {
    std::string layer =
        test::make_tar({{.name = "x", .type = 'l', .link = canary_}, {.name = "x/pwned", .data = "owned"}});
    expect_rejected(layer, "x/pwned", "escapes the layer root");
    // With chroot semantics the link resolves inside the target, where nothing is there.
    opts_.follow_absolute_symlinks = true;
    expect_rejected(layer, "x/pwned", "dangling symlink");
}

TEST_F(HostileTest, FileThroughClimbingSymlink) {
    std::string layer =
        test::make_tar({{.name = "x", .type = 'l', .link = "../.."}, {.name = "x/pwned", .data = "owned"}});
    expect_rejected(layer, "x/pwned", "escapes the layer root");
    // Chroot semantics: `..` stops at the target's root, so the file lands inside it.
    opts_.follow_absolute_symlinks = true;
    EXPECT_EQ(apply_error(layer), "");
    EXPECT_TRUE(path_exists(target_ + "/pwned"));
}

TEST_F(HostileTest, FileReplacingSymlinkIsNotWrittenThrough) {
    std::string layer = test::make_tar(
        {{.name = "f", .type = 'l', .link = canary_ + "/file"}, {.name = "f", .data = "owned"}});
    EXPECT_EQ(apply_error(layer), "");
    struct stat st;
    ASSERT_EQ(::lstat((target_ + "/f").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(HostileTest, HardLinkToHostFile) {
    expect_rejected(test::make_tar({{.name = "passwd", .type = 'h', .link = "/etc/passwd"}}), "passwd",
                    "hard link target \"/etc/passwd\": absolute path");
}

TEST_F(HostileTest, HardLinkClimbingOut) {
    expect_rejected(test::make_tar({{.name = "f", .type = 'h', .link = "../../canary/file"}}), "f",
                    "path escapes the layer root");
}

TEST_F(HostileTest, HardLinkThroughSymlink) {
    std::string layer = test::make_tar(
        {{.name = "x", .type = 'l', .link = canary_}, {.name = "f", .type = 'h', .link = "x/file"}});
    expect_rejected(layer, "f", "escapes the layer root");
}

TEST_F(HostileTest, HardLinkToMissingEntry) {
    expect_rejected(test::make_tar({{.name = "f", .type = 'h', .link = "not/there"}}), "f",
                    "is not an entry already extracted");
}

TEST_F(HostileTest, WhiteoutOfDotDot) {
    expect_rejected(test::make_tar({{.name = ".wh...", .data = ""}}), ".wh...",
                    "whiteout names an invalid file");
    expect_rejected(test::make_tar({{.name = "a/.wh..", .data = ""}}), "a/.wh..",
                    "whiteout names an invalid file");
    opts_.whiteout_format = WhiteoutFormat::Plain;
    expect_rejected(test::make_tar({{.name = ".wh...", .data = ""}}), ".wh...",
                    "whiteout names an invalid file");
}

TEST_F(HostileTest, HugeClaimedSize) {
    // 100 GB in the header, a few bytes of body.
    std::string layer =
        test::make_tar({{.name = "big", .data = "short", .claimed_size = int64_t{100} << 30}}, 4096);
    expect_rejected(layer, "big", "exceeds the limit");
}

TEST_F(HostileTest, TruncatedBody) {
    std::string layer = test::make_tar({{.name = "big", .data = "short", .claimed_size = 1 << 20}}, 2048);
    expect_rejected(layer, "big", "runcated");
}

TEST_F(HostileTest, HugeName) {
    std::string name(10000, 'a');
    std::string err = apply_error(test::make_tar({{.name = name, .data = "x"}}));
    EXPECT_NE(err.find("layer entry \"aaaa"), std::string::npos) << err;
    EXPECT_NE(err.find("longer than the limit"), std::string::npos) << err;
    EXPECT_LT(err.size(), 400u) << "the message should not repeat a 10000-byte name";
}

TEST_F(HostileTest, TruncatedGzip) {
    std::string tar = test::make_tar({{.name = "f", .data = std::string(300000, 'z') + "tail"}});
    std::string gz = test::compress(tar, Compression::Gzip);
    ASSERT_GT(gz.size(), 100u);
    std::string err = apply_error(gz.substr(0, gz.size() / 2));
    EXPECT_NE(err.find("gzip: unexpected end of stream"), std::string::npos) << err;
}

TEST_F(HostileTest, CorruptGzip) {
    std::string data;
    for (int i = 0; i < 20000; ++i) data += std::to_string(i * 7919) + "\n";
    std::string gz = test::compress(test::make_tar({{.name = "f", .data = data}}), Compression::Gzip);
    for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
    std::string err = apply_error(gz);
    EXPECT_NE(err.find("gzip"), std::string::npos) << err;
}

TEST_F(HostileTest, GzipCrcMismatch) {
    std::string gz = test::compress(test::make_tar({{.name = "f", .data = "hello"}}), Compression::Gzip);
    gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 1);  // inside the CRC32 trailer
    std::string err = apply_error(gz);
    EXPECT_NE(err.find("gzip: CRC mismatch"), std::string::npos) << err;
}

TEST_F(HostileTest, TruncatedZstd) {
    std::string tar = test::make_tar({{.name = "f", .data = std::string(300000, 'z') + "tail"}});
    std::string zst = test::compress(tar, Compression::Zstd);
    std::string err = apply_error(zst.substr(0, zst.size() - 8));
    EXPECT_NE(err.find("zstd: unexpected end of stream"), std::string::npos) << err;
}

TEST_F(HostileTest, NotATar) {
    std::string err = apply_error(std::string(4096, 'x'));
    EXPECT_NE(err, "");
}

}  // namespace
}  // namespace berth::image::layer

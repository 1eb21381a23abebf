#include "common/file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/json.h"

namespace berth {
namespace {

class FileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-file-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }
    std::string dir_;
};

TEST_F(FileTest, AtomicWriteThenRead) {
    auto p = dir_ + "/a.json";
    ASSERT_TRUE(write_file_atomic(p, "{\"a\":1}"));
    auto text = read_file(p);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "{\"a\":1}");
    ASSERT_TRUE(write_file_atomic(p, "{\"a\":2}"));
    EXPECT_EQ((*read_json_file(p))["a"], 2);
}

TEST_F(FileTest, ReadMissingNamesThePath) {
    auto r = read_file(dir_ + "/missing");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::NotFound);
    EXPECT_NE(r.error().str().find("missing"), std::string::npos);
}

TEST_F(FileTest, MkdirAllAndRemoveAll) {
    ASSERT_TRUE(mkdir_all(dir_ + "/x/y/z"));
    ASSERT_TRUE(mkdir_all(dir_ + "/x/y/z"));
    ASSERT_TRUE(write_file_atomic(dir_ + "/x/y/z/f", "data"));
    ASSERT_EQ(symlink("/etc", (dir_ + "/x/link").c_str()), 0);
    ASSERT_TRUE(remove_all(dir_ + "/x"));
    EXPECT_FALSE(path_exists(dir_ + "/x"));
    EXPECT_TRUE(path_exists("/etc/passwd"));
}

TEST(File, PathJoin) {
    EXPECT_EQ(path_join("/a/", "/b"), "/a/b");
    EXPECT_EQ(path_join("a", "b"), "a/b");
}

TEST(Json, ParseErrorNamesTheSource) {
    auto r = parse_json("{\"a\":", "config.json");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("config.json"), std::string::npos);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace berth

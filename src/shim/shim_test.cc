#include <gtest/gtest.h>

#include "common/file.h"
#include "shim/json_log.h"
#include "shim/shim.h"

namespace berth::shim {
namespace {

TEST(ShimOptions, RoundTrip) {
    Options o;
    o.id = "abc";
    o.bundle = "/b";
    o.state_dir = "/s";
    o.runtime_root = "/r";
    o.log_path = "/l.log";
    o.log_max_size = 1024;
    o.log_max_file = 3;
    o.tty = true;
    o.open_stdin = true;
    auto back = Options::from_args(o.to_args());
    ASSERT_TRUE(back) << back.error().str();
    EXPECT_EQ(back->id, "abc");
    EXPECT_EQ(back->log_max_size, 1024);
    EXPECT_EQ(back->log_max_file, 3);
    EXPECT_TRUE(back->tty);
    EXPECT_TRUE(back->open_stdin);
    EXPECT_FALSE(back->stdin_once);
    EXPECT_FALSE(Options::from_args({"--id", "x"}));
    EXPECT_FALSE(Options::from_args({"--bogus"}));
}

TEST(ShimExit, JsonRoundTrip) {
    ExitStatus e{137, "2026-01-01T00:00:00Z", true};
    auto back = ExitStatus::from_json(e.to_json());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->exit_code, 137);
    EXPECT_TRUE(back->oom_killed);
    EXPECT_FALSE(ExitStatus::from_json(Json::object()));
}

TEST(Stdcopy, FrameHeader) {
    auto f = stdcopy_frame(2, "hello");
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(f[0], 2);
    EXPECT_EQ(f[7], 5);
    EXPECT_EQ(f.substr(8), "hello");
}

class JsonLog : public ::testing::Test {
protected:
    void SetUp() override {
        char t[] = "/tmp/berth-jsonlog-XXXXXX";
        ASSERT_TRUE(mkdtemp(t));
        dir_ = t;
    }
    void TearDown() override { ASSERT_TRUE(remove_all(dir_)); }
    std::vector<Json> lines(const std::string& path) {
        std::vector<Json> out;
        auto text = read_file(path);
        if (!text) return out;
        for (auto& l : split(*text, '\n')) out.push_back(*parse_json(l));
        return out;
    }
    std::string dir_;
};

TEST_F(JsonLog, SplitsLinesAndKeepsPartials) {
    JsonLogWriter w;
    std::string p = dir_ + "/c.log";
    ASSERT_TRUE(w.open(p, -1, 1));
    w.write(1, "one\ntw");
    w.write(2, "err <&>\n");
    w.write(1, "o\n");
    w.write(1, "partial");
    w.flush();
    auto l = lines(p);
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0]["log"], "one\n");
    EXPECT_EQ(l[0]["stream"], "stdout");
    EXPECT_EQ(l[1]["log"], "err <&>\n");
    EXPECT_EQ(l[1]["stream"], "stderr");
    EXPECT_EQ(l[2]["log"], "two\n");
    EXPECT_EQ(l[3]["log"], "partial");
    EXPECT_EQ(l[0]["time"].get<std::string>().back(), 'Z');
    // Go's encoder escapes HTML characters: the raw file has \u003c.
    EXPECT_NE(read_file(p)->find("\\u003c\\u0026\\u003e"), std::string::npos);
}

TEST_F(JsonLog, RotatesAtMaxSize) {
    JsonLogWriter w;
    std::string p = dir_ + "/c.log";
    ASSERT_TRUE(w.open(p, 300, 3));
    for (int i = 0; i < 20; ++i) w.write(1, "line number " + std::to_string(i) + "\n");
    EXPECT_TRUE(path_exists(p + ".1"));
    EXPECT_TRUE(path_exists(p + ".2"));
    EXPECT_FALSE(path_exists(p + ".3"));
    auto last = lines(p);
    ASSERT_FALSE(last.empty());
    EXPECT_EQ(last.back()["log"], "line number 19\n");
    EXPECT_LE(read_file(p)->size(), 300u);
}

}  // namespace
}  // namespace berth::shim

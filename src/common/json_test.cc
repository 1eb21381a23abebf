#include "common/json.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

std::string appended(std::string_view s) {
    std::string out = "x";
    append_json_string(out, s);
    return out.substr(1);
}

TEST(AppendJsonString, ReadsBackAsWhatDumpJsonWrites) {
    const std::string cases[] = {"",
                                 "plain",
                                 "/name_1.2-3",
                                 "sh -c 'echo hi'",
                                 "quote \" and backslash \\",
                                 std::string("nul \0 byte", 10),
                                 "tab\tnewline\ncr\r\x1f\x7f\b\f",
                                 "caf\xc3\xa9 \xe2\x82\xac <&>",
                                 "line \xe2\x80\xa8 separators \xe2\x80\xa9"};
    for (const auto& s : cases) {
        auto back = parse_json(appended(s));
        ASSERT_TRUE(back) << s;
        EXPECT_EQ(*back, Json(s)) << s;
    }
    // Plain text is written as dump_json writes it, byte for byte.
    for (const char* s : {"plain", "/name_1.2-3", "quote \" and backslash \\", "tab\tnewline"})
        EXPECT_EQ(appended(s), dump_json(Json(s))) << s;
}

TEST(AppendJsonString, InvalidUtf8IsReplacedNotThrown) {
    std::string out;
    append_json_string(out, "a\xff");
    EXPECT_EQ(out, "\"a\\ufffd\"");
    auto back = parse_json(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->get<std::string>(), "a\xef\xbf\xbd");  // U+FFFD
}

}  // namespace
}  // namespace berth

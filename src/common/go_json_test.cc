// Go's encoding/json string rules, checked against what Go 1.22's json.Marshal writes.
#include "common/go_json.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

std::string quoted(std::string_view s, bool html) {
    std::string out;
    append_go_json_string(out, s, html);
    return out;
}

TEST(GoJsonString, EscapesAsGoDoes) {
    EXPECT_EQ(quoted("plain", false), "\"plain\"");
    EXPECT_EQ(quoted("", false), "\"\"");
    EXPECT_EQ(quoted("q\" b\\", false), R"("q\" b\\")");
    EXPECT_EQ(quoted("\b\f\n\r\t", false), R"("\b\f\n\r\t")");
    EXPECT_EQ(quoted(std::string("\0\x01\x1f\x7f", 4), false), "\"\\u0000\\u0001\\u001f\x7f\"");
    EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", false),
              "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"");
    EXPECT_EQ(quoted("\xe2\x80\xa8\xe2\x80\xa9", false), R"("\u2028\u2029")");
}

TEST(GoJsonString, HtmlCharactersOnlyWhenAsked) {
    EXPECT_EQ(quoted("<a href=\"x\">&</a>", true), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
    EXPECT_EQ(quoted("<&>", false), "\"<&>\"");
}

TEST(GoJsonString, InvalidUtf8BecomesReplacementCharacter) {
    EXPECT_EQ(quoted("a\xff"
                     "b",
                     false),
              R"("a\ufffdb")");
    EXPECT_EQ(quoted("\xc3", false), R"("\ufffd")");                      // truncated
    EXPECT_EQ(quoted("\xc0\xaf", false), R"("\ufffd\ufffd")");            // overlong '/'
    EXPECT_EQ(quoted("\xed\xa0\x80", false), R"("\ufffd\ufffd\ufffd")");  // a surrogate
}

}  // namespace
}  // namespace berth

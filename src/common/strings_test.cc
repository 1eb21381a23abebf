#include "common/strings.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Strings, Split) {
    EXPECT_EQ(split("/a//b/", '/'), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(split("a,,b", ',', false), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(split("", ',', false), (std::vector<std::string>{""}));
    EXPECT_TRUE(split("", ',').empty());
}

TEST(Strings, Trim) {
    EXPECT_EQ(trim("  x y \n"), "x y");
    EXPECT_EQ(trim("\v\f x\t"), "x");
    EXPECT_EQ(trim(" \t "), "");
    EXPECT_EQ(trim("--x-", "-"), "x");
}

TEST(Strings, StartsWithAndLower) {
    EXPECT_TRUE(starts_with("trusted.overlay.opaque", "trusted."));
    EXPECT_FALSE(starts_with("tr", "trusted."));
    EXPECT_EQ(to_lower("Content-Type: TCP/ÄB"), "content-type: tcp/Äb");
}

TEST(Strings, PercentEncode) {
    EXPECT_EQ(percent_encode("a-Z_0.~"), "a-Z_0.~");
    EXPECT_EQ(percent_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
    EXPECT_EQ(percent_encode("library/redis", "/"), "library/redis");
    EXPECT_EQ(percent_encode("a b+c", {}, true), "a+b%2Bc");
    EXPECT_EQ(percent_encode(std::string_view("\xc3\xa9\0", 3)), "%C3%A9%00");
}

TEST(Strings, DecodeUtf8) {
    uint32_t cp = 0;
    EXPECT_EQ(decode_utf8("a", 0, cp), 1u);
    EXPECT_EQ(cp, uint32_t{'a'});
    EXPECT_EQ(decode_utf8("\xe2\x82\xac", 0, cp), 3u);
    EXPECT_EQ(cp, 0x20acu);
    EXPECT_EQ(decode_utf8("\xf0\x9f\x90\xb3", 0, cp), 4u);
    EXPECT_EQ(cp, 0x1f433u);
    EXPECT_EQ(decode_utf8("\xe2\x82", 0, cp), 0u);          // truncated
    EXPECT_EQ(decode_utf8("\xc1\x81", 0, cp), 0u);          // overlong
    EXPECT_EQ(decode_utf8("\xed\xb0\x80", 0, cp), 0u);      // surrogate
    EXPECT_EQ(decode_utf8("\xf4\x90\x80\x80", 0, cp), 0u);  // past U+10FFFF
}

}  // namespace
}  // namespace berth

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

}  // namespace
}  // namespace berth

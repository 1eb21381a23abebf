#include "common/time.h"

#include <climits>

#include <gtest/gtest.h>

using namespace berth;

TEST(Time, FormatsAndParsesBack) {
    int64_t t = 1795816115123456789;
    std::string s = format_rfc3339_nano(t);
    EXPECT_EQ(s, "2026-11-27T21:48:35.123456789Z");
    EXPECT_EQ(*parse_rfc3339(s), t);
}

TEST(Time, ParsesOffsetsAndShortFractions) {
    EXPECT_EQ(*parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
    EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:01.5Z"), 1500000000);
    EXPECT_EQ(*parse_rfc3339(kZeroTime), INT64_MIN);
}

TEST(Time, RejectsGarbage) {
    EXPECT_FALSE(parse_rfc3339("yesterday"));
    EXPECT_FALSE(parse_rfc3339("2026-11-27T22:28:35"));
    EXPECT_FALSE(parse_rfc3339("2026-11-27T22:28:35.Z"));
    EXPECT_FALSE(parse_rfc3339("2026-11-27T22:28:35Zjunk"));
}

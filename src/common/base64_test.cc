// Base64 round trips in both alphabets, the RFC 4648 vectors, and bad input.
#include "common/base64.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Base64, RfcVectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (auto [plain, coded] : vectors) {
        EXPECT_EQ(base64_encode(plain), coded);
        EXPECT_EQ(*base64_decode(coded), plain);
    }
}

TEST(Base64, UrlAlphabetAndLooseInput) {
    std::string bytes = "\xfb\xff\xfe";
    EXPECT_EQ(base64_encode(bytes), "+//+");
    EXPECT_EQ(base64_encode(bytes, true), "-__-");
    EXPECT_EQ(*base64_decode("-__-"), bytes);
    EXPECT_EQ(*base64_decode("YWI"), "ab");               // padding optional
    EXPECT_EQ(*base64_decode("Zm9v\nYmFy\n"), "foobar");  // line breaks skipped
}

TEST(Base64, BadInputIsRefused) {
    EXPECT_FALSE(base64_decode("a*b"));
    EXPECT_FALSE(base64_decode("Z"));         // truncated
    EXPECT_FALSE(base64_decode("Zg==Zg=="));  // data after padding
}

}  // namespace
}  // namespace berth

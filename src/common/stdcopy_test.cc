// stdcopy framing: header layout, round trips and incremental decoding.
#include "common/stdcopy.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Stdcopy, HeaderLayout) {
    std::string f = stdcopy_encode(StdStream::Stderr, std::string(258, 'x'));
    ASSERT_EQ(f.size(), 8u + 258u);
    EXPECT_EQ(f[0], 2);
    EXPECT_EQ(f[1], 0);
    EXPECT_EQ(f[2], 0);
    EXPECT_EQ(f[3], 0);
    EXPECT_EQ(static_cast<unsigned char>(f[4]), 0u);
    EXPECT_EQ(static_cast<unsigned char>(f[5]), 0u);
    EXPECT_EQ(static_cast<unsigned char>(f[6]), 1u);
    EXPECT_EQ(static_cast<unsigned char>(f[7]), 2u);
}

TEST(Stdcopy, RoundTripByteByByte) {
    std::string wire;
    stdcopy_append(wire, StdStream::Stdout, "hello\n");
    stdcopy_append(wire, StdStream::Stderr, "oops\n");
    stdcopy_append(wire, StdStream::Stdout, "");
    stdcopy_append(wire, StdStream::Stdout, std::string(100000, 'z'));

    StdcopyDecoder dec;
    std::vector<StdFrame> frames;
    for (char c : wire) ASSERT_TRUE(dec.feed(std::string_view(&c, 1), frames));
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[0].stream, StdStream::Stdout);
    EXPECT_EQ(frames[0].payload, "hello\n");
    EXPECT_EQ(frames[1].stream, StdStream::Stderr);
    EXPECT_EQ(frames[1].payload, "oops\n");
    EXPECT_EQ(frames[2].payload, "");
    EXPECT_EQ(frames[3].payload, std::string(100000, 'z'));
    EXPECT_EQ(dec.pending(), 0u);
}

TEST(Stdcopy, KeepsPartialFrames) {
    std::string wire = stdcopy_encode(StdStream::Stdout, "abcdef");
    StdcopyDecoder dec;
    std::vector<StdFrame> frames;
    ASSERT_TRUE(dec.feed(wire.substr(0, 10), frames));
    EXPECT_TRUE(frames.empty());
    EXPECT_EQ(dec.pending(), 10u);
    ASSERT_TRUE(dec.feed(wire.substr(10), frames));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload, "abcdef");
}

TEST(Stdcopy, RejectsUnknownStream) {
    StdcopyDecoder dec;
    std::vector<StdFrame> frames;
    std::string bad("\x07\0\0\0\0\0\0\1x", 9);
    auto r = dec.feed(bad, frames);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace berth

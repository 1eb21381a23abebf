// LayerStream: bytes arrive in order through a ring smaller than the layer, the writer
// blocks instead of buffering without bound, and an end, an error or a cancel reach the
// other side.
#include "daemon/images/layer_stream.h"

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace berth::daemon::images {
namespace {

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) % 251);
    return s;
}

std::string drain(LayerStream& s, size_t read_size) {
    std::string out;
    std::string buf(read_size, '\0');
    for (;;) {
        auto n = s.read(buf.data(), buf.size());
        if (!n) return out + "<error: " + n.error().message() + ">";
        if (*n == 0) return out;
        out.append(buf.data(), *n);
    }
}

TEST(LayerStream, PassesEveryByteInOrderThroughASmallRing) {
    LayerStream s(1000);  // far smaller than the data, and not a divisor of the chunk sizes
    std::string data = pattern(200000);
    std::thread writer([&] {
        for (size_t off = 0; off < data.size(); off += 1777)
            ASSERT_TRUE(s.push(std::string_view(data).substr(off, 1777)));
        s.finish(std::nullopt);
    });
    EXPECT_EQ(drain(s, 333), data);
    writer.join();
}

TEST(LayerStream, ADownloadErrorReachesTheReaderAfterTheBytesBeforeIt) {
    LayerStream s(64);
    ASSERT_TRUE(s.push("abc"));
    s.finish(Error::invalid("digest mismatch"));
    EXPECT_EQ(drain(s, 2), "abc<error: digest mismatch>");
}

TEST(LayerStream, CancelUnblocksAFullWriter) {
    LayerStream s(8);
    std::thread writer([&] {
        auto r = s.push(pattern(100));  // fills the ring, then waits for a reader
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message().find("extraction stopped"), std::string::npos);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s.cancel();
    writer.join();
    // What was buffered still reads, then the stream ends in an error, never cleanly.
    EXPECT_EQ(drain(s, 100), pattern(8) + "<error: layer extraction stopped>");
}

}  // namespace
}  // namespace berth::daemon::images

#include "hostnet/dns_codec.h"

#include <random>

#include <gtest/gtest.h>

namespace berth::hostnet::dns {
namespace {

std::vector<uint8_t> make_query(uint16_t id, const std::string& name, uint16_t type) {
    std::vector<uint8_t> m = {uint8_t(id >> 8), uint8_t(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t start = 0;
    std::string n = name;
    while (start < n.size()) {
        size_t dot = n.find('.', start);
        if (dot == std::string::npos) dot = n.size();
        m.push_back(uint8_t(dot - start));
        m.insert(m.end(), n.begin() + long(start), n.begin() + long(dot));
        start = dot + 1;
    }
    m.push_back(0);
    m.push_back(uint8_t(type >> 8));
    m.push_back(uint8_t(type));
    m.push_back(0);
    m.push_back(1);
    return m;
}

TEST(DnsCodec, ParsesAQuery) {
    auto q = parse_query(make_query(0x1234, "Web.Example", kTypeA));
    ASSERT_TRUE(q) << q.error().str();
    EXPECT_EQ(q->id, 0x1234);
    ASSERT_EQ(q->questions.size(), 1u);
    EXPECT_EQ(q->questions[0].name, "Web.Example");
    EXPECT_EQ(q->questions[0].type, kTypeA);
    EXPECT_EQ(q->questions[0].cls, kClassIN);
    EXPECT_EQ(normalize(q->questions[0].name), "web.example");
    EXPECT_EQ(normalize("Web.Example."), "web.example");
}

TEST(DnsCodec, BuildsAnswersWithCompressionPointerAndTtl) {
    auto q = parse_query(make_query(7, "db", kTypeA));
    ASSERT_TRUE(q);
    auto r = build_response(*q, kRcodeNoError, {"172.18.0.3", "bogus", "10.0.0.1"});
    // header 12 + question (4 bytes name + 4) + 2 answers of 16 bytes
    ASSERT_EQ(r.size(), 12u + 8u + 32u);
    EXPECT_EQ(r[0], 0);
    EXPECT_EQ(r[1], 7);
    EXPECT_TRUE(r[2] & 0x80);   // QR
    EXPECT_TRUE(r[2] & 0x01);   // RD copied
    EXPECT_EQ(r[3] & 0x0f, 0);  // NOERROR
    EXPECT_EQ(r[7], 2);         // ANCOUNT
    size_t a = 20;
    EXPECT_EQ(r[a], 0xc0);
    EXPECT_EQ(r[a + 1], 0x0c);
    EXPECT_EQ((r[a + 6] << 24 | r[a + 7] << 16 | r[a + 8] << 8 | r[a + 9]), 600);
    EXPECT_EQ(r[a + 12], 172);
    EXPECT_EQ(r[a + 15], 3);
    // The answer parses back: its name pointer leads to the question's name.
    size_t off = a;
    auto name = read_name(r, off);
    ASSERT_TRUE(name);
    EXPECT_EQ(*name, "db");
    EXPECT_EQ(off, a + 2);
}

TEST(DnsCodec, AAAAForKnownNameIsEmptyNoError) {
    auto q = parse_query(make_query(9, "db", kTypeAAAA));
    ASSERT_TRUE(q);
    auto r = build_response(*q, kRcodeNoError, {"172.18.0.3"});
    EXPECT_EQ(r[7], 0);
    EXPECT_EQ(r[3] & 0x0f, 0);
}

TEST(DnsCodec, ErrorsKeepTheId) {
    auto q = make_query(0xbeef, "x", kTypeA);
    auto r = build_error(q, kRcodeServFail);
    ASSERT_EQ(r.size(), 12u);
    EXPECT_EQ(r[0], 0xbe);
    EXPECT_EQ(r[1], 0xef);
    EXPECT_EQ(r[3] & 0x0f, kRcodeServFail);
}

TEST(DnsCodec, FollowsPointersAndRejectsLoops) {
    // header, then "a.example" at 12, then a name "b" + pointer to 14 ("example").
    std::vector<uint8_t> m(12, 0);
    std::vector<uint8_t> n1 = {1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    m.insert(m.end(), n1.begin(), n1.end());
    size_t second = m.size();
    m.insert(m.end(), {1, 'b', 0xc0, 14});
    size_t off = second;
    std::vector<uint8_t> wire;
    auto name = read_name(m, off, &wire);
    ASSERT_TRUE(name) << name.error().str();
    EXPECT_EQ(*name, "b.example");
    EXPECT_EQ(off, m.size());
    EXPECT_EQ(wire.size(), 2u + 8u + 1u);

    std::vector<uint8_t> loop(12, 0);
    loop.insert(loop.end(), {0xc0, 12});
    off = 12;
    EXPECT_FALSE(read_name(loop, off));
    std::vector<uint8_t> forward(12, 0);
    forward.insert(forward.end(), {0xc0, 20, 0, 0, 0, 0, 0, 0, 0});
    off = 12;
    EXPECT_FALSE(read_name(forward, off));
}

TEST(DnsCodec, RejectsTruncatedAndResponses) {
    auto q = make_query(1, "web", kTypeA);
    for (size_t n = 0; n < q.size(); ++n)
        EXPECT_FALSE(parse_query(std::span<const uint8_t>(q.data(), n))) << "length " << n;
    q[2] |= 0x80;
    EXPECT_FALSE(parse_query(q));
}

TEST(DnsCodec, RandomBytesNeverCrash) {
    std::mt19937 rng(42);
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> m(rng() % 80);
        for (auto& b : m) b = uint8_t(rng());
        if (m.size() > 5 && (i & 1)) m[5] = uint8_t(1 + rng() % 3), m[4] = 0;  // plausible qdcount
        auto q = parse_query(m);
        if (q) (void)build_response(*q, kRcodeNoError, {"1.2.3.4"});
        (void)build_error(m, kRcodeFormErr);
    }
    // Mutations of a valid query.
    auto base = make_query(3, "service.internal", kTypeA);
    for (int i = 0; i < 20000; ++i) {
        auto m = base;
        for (int k = 0; k < 3; ++k) m[rng() % m.size()] = uint8_t(rng());
        m.resize(rng() % (m.size() + 1));
        auto q = parse_query(m);
        if (q) (void)build_response(*q, kRcodeNoError, {"1.2.3.4"});
    }
}

}  // namespace
}  // namespace berth::hostnet::dns

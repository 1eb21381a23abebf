#include "response_parser.h"

#include <string>

#include <gtest/gtest.h>

namespace berth::bench {
namespace {

TEST(ResponseParser, ContentLength) {
    std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.47\r\n\r\nOK";
    auto e = find_response_end(r, false);
    EXPECT_EQ(e.state, ResponseEnd::Complete);
    EXPECT_EQ(e.status, 200);
    EXPECT_EQ(e.length, r.size());
    EXPECT_FALSE(e.close);
    EXPECT_EQ(find_response_end(r.substr(0, r.size() - 1), false).state, ResponseEnd::Incomplete);
    EXPECT_EQ(find_response_end(r.substr(0, 20), false).state, ResponseEnd::Incomplete);
    // Bytes of a following response are not part of this one.
    EXPECT_EQ(find_response_end(r + "HTTP/1.1", false).length, r.size());
}

TEST(ResponseParser, Chunked) {
    std::string head = "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n";
    std::string body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n";
    auto e = find_response_end(head + body, false);
    EXPECT_EQ(e.state, ResponseEnd::Complete);
    EXPECT_EQ(e.length, head.size() + body.size());
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
        EXPECT_EQ(find_response_end(head + body.substr(0, cut), false).state, ResponseEnd::Incomplete) << cut;
    }
    std::string trailers = "0\r\nX-Trailer: 1\r\n\r\n";
    EXPECT_EQ(find_response_end(head + trailers, false).length, head.size() + trailers.size());
    EXPECT_EQ(find_response_end(head + "zz\r\n", false).state, ResponseEnd::Invalid);
    EXPECT_EQ(find_response_end(head + "2\r\nabXX", false).state, ResponseEnd::Invalid);
}

TEST(ResponseParser, BodilessAndClose) {
    auto e = find_response_end("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", false);
    EXPECT_EQ(e.state, ResponseEnd::Complete);
    EXPECT_EQ(e.status, 204);
    e = find_response_end("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n", true);
    EXPECT_EQ(e.state, ResponseEnd::Complete);
    EXPECT_TRUE(e.close);
    e = find_response_end("HTTP/1.0 404 Not Found\r\n\r\nnope", false);
    EXPECT_EQ(e.state, ResponseEnd::UntilClose);
    EXPECT_EQ(e.status, 404);
    EXPECT_TRUE(e.close);
    e = find_response_end("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false);
    EXPECT_EQ(e.state, ResponseEnd::Complete);
    EXPECT_FALSE(e.close);
}

TEST(ResponseParser, Invalid) {
    EXPECT_EQ(find_response_end("SSH-2.0-OpenSSH\r\n\r\n", false).state, ResponseEnd::Invalid);
    EXPECT_EQ(find_response_end("HTTP/1.1 2x0 OK\r\n\r\n", false).state, ResponseEnd::Invalid);
    EXPECT_EQ(find_response_end("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false).state,
              ResponseEnd::Invalid);
    EXPECT_EQ(find_response_end("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false).state, ResponseEnd::Invalid);
    EXPECT_EQ(find_response_end(std::string(70000, 'x'), false).state, ResponseEnd::Invalid);
}

}  // namespace
}  // namespace berth::bench

// Query parsing, docker booleans, filters and the error -> status mapping.
#include "api/server/query.h"

#include <gtest/gtest.h>

#include "api/server/errors.h"

namespace berth::api {
namespace {

TEST(Query, ParsesPairsRepeatedKeysAndEscapes) {
    auto q = Query::parse("all=1&name=a%2Fb&name=c+d&flag&empty=&x=%7B%22k%22%7D");
    ASSERT_TRUE(q) << q.error().str();
    EXPECT_EQ(q->get("all"), "1");
    EXPECT_EQ(q->get_all("name"), (std::vector<std::string>{"a/b", "c d"}));
    EXPECT_TRUE(q->has("flag"));
    EXPECT_EQ(q->get("flag"), "");
    EXPECT_TRUE(q->has("empty"));
    EXPECT_EQ(q->get("x"), "{\"k\"}");
    EXPECT_FALSE(q->has("missing"));
    EXPECT_EQ(q->get("missing"), "");
    EXPECT_TRUE(q->get_all("missing").empty());
}

TEST(Query, RejectsBadEscapesAndSemicolons) {
    EXPECT_FALSE(Query::parse("a=%zz"));
    EXPECT_FALSE(Query::parse("a=%4"));
    EXPECT_FALSE(Query::parse("a=1;b=2"));
    auto r = Query::parse("a=%g1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

TEST(Query, UnescapeKeepsPlusInPaths) {
    EXPECT_EQ(*url_unescape("a+b%20c", false), "a+b c");
    EXPECT_EQ(*url_unescape("a+b%20c", true), "a b c");
}

TEST(Query, DockerBooleans) {
    for (const char* t : {"1", "true", "True", "TRUE", "yes", " on ", "anything"}) {
        EXPECT_TRUE(parse_docker_bool(t)) << t;
    }
    for (const char* f : {"", "0", "false", "False", "no", "NO", "none", " 0 "}) {
        EXPECT_FALSE(parse_docker_bool(f)) << f;
    }
    auto q = Query::parse("a=1&b=0&c=&d=True");
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->get_bool("a"));
    EXPECT_FALSE(q->get_bool("b", true));
    EXPECT_FALSE(q->get_bool("c", true));  // present but empty is false, like moby
    EXPECT_TRUE(q->get_bool("d"));
    EXPECT_TRUE(q->get_bool("missing", true));
    EXPECT_FALSE(q->get_bool("missing"));
}

TEST(Query, Integers) {
    auto q = Query::parse("tail=100&bad=12x&neg=-5&empty=");
    ASSERT_TRUE(q);
    EXPECT_EQ(*q->get_int("tail"), 100);
    EXPECT_EQ(*q->get_int("neg"), -5);
    EXPECT_EQ(*q->get_int("empty", 7), 7);
    EXPECT_EQ(*q->get_int("missing", 3), 3);
    auto bad = q->get_int("bad");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("bad"), std::string::npos);
}

TEST(Filters, BothJsonForms) {
    auto a = parse_filters(R"({"status":["running","paused"],"label":["a=b"]})");
    ASSERT_TRUE(a) << a.error().str();
    EXPECT_EQ(a->at("status"), (std::vector<std::string>{"running", "paused"}));
    EXPECT_EQ(a->at("label"), (std::vector<std::string>{"a=b"}));

    auto b = parse_filters(R"({"dangling":{"true":true},"status":{"exited":true,"dead":false}})");
    ASSERT_TRUE(b) << b.error().str();
    EXPECT_EQ(b->at("dangling"), (std::vector<std::string>{"true"}));
    EXPECT_EQ(b->at("status").size(), 2u);

    auto empty = parse_filters("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(Filters, RejectsMalformed) {
    for (const char* bad : {"{", "[]", R"({"a":"b"})", R"({"a":[1]})", R"({"a":{"b":"c"}})"}) {
        auto r = parse_filters(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    }
}

TEST(Filters, FromQueryParameter) {
    auto q = Query::parse("filters=%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D");
    ASSERT_TRUE(q);
    auto f = q->filters();
    ASSERT_TRUE(f) << f.error().str();
    EXPECT_EQ(f->at("label"), (std::vector<std::string>{"x=y"}));
}

TEST(Errors, KindsMapToDockerStatuses) {
    EXPECT_EQ(http_status(ErrorKind::InvalidArgument), 400);
    EXPECT_EQ(http_status(ErrorKind::NotFound), 404);
    EXPECT_EQ(http_status(ErrorKind::AlreadyExists), 409);
    EXPECT_EQ(http_status(ErrorKind::Conflict), 409);
    EXPECT_EQ(http_status(ErrorKind::PermissionDenied), 403);
    EXPECT_EQ(http_status(ErrorKind::Unsupported), 501);
    EXPECT_EQ(http_status(ErrorKind::Unavailable), 503);
    EXPECT_EQ(http_status(ErrorKind::Internal), 500);
    Response r = error_response(Error::not_found("No such container: abc"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.headers.value("content-type"), "application/json");
    EXPECT_EQ(r.body, "{\"message\":\"No such container: abc\"}\n");
}

}  // namespace
}  // namespace berth::api

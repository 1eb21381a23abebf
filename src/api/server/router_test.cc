// Router: patterns, parameters (image names with slashes), version prefixes and errors.
#include "api/server/router.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

Handler tag(std::string name) {
    return [name](Request&) -> Result<Response> { return Response::text(200, name); };
}

std::string run(const RouteMatch& m) {
    Request req;
    auto r = m.route->handler(req);
    return r ? r->body : "error";
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(router.add("GET", "/_ping", tag("ping")));
        ASSERT_TRUE(router.add("HEAD", "/_ping", tag("ping-head")));
        ASSERT_TRUE(router.add("GET", "/version", tag("version")));
        ASSERT_TRUE(router.add("GET", "/containers/json", tag("ps")));
        ASSERT_TRUE(router.add("GET", "/containers/{id}/json", tag("inspect")));
        ASSERT_TRUE(router.add("POST", "/containers/{id}/start", tag("start")));
        ASSERT_TRUE(router.add("GET", "/images/json", tag("images")));
        ASSERT_TRUE(router.add("GET", "/images/{name:.*}/json", tag("image-inspect")));
        ASSERT_TRUE(router.add("POST", "/images/{name:.*}/tag", tag("image-tag")));
        ASSERT_TRUE(router.add("DELETE", "/images/{name:.*}", tag("image-rm")));
    }
    Router router;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
    auto m = router.match("GET", "/containers/json");
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(run(*m), "ps");
    EXPECT_EQ(m->version, "1.47");
    EXPECT_EQ(m->path, "/containers/json");
}

TEST_F(RouterTest, ExtractsSegmentParameter) {
    auto m = router.match("POST", "/containers/3f2a9b/start");
    ASSERT_TRUE(m);
    EXPECT_EQ(run(*m), "start");
    EXPECT_EQ(m->params.at("id"), "3f2a9b");
    // {id} is one segment: no slashes.
    EXPECT_FALSE(router.match("POST", "/containers/a/b/start"));
    EXPECT_FALSE(router.match("POST", "/containers//start"));
}

TEST_F(RouterTest, ImageNamesMayContainSlashes) {
    auto m = router.match("GET", "/images/registry.example.com:5000/org/app:1.2/json");
    ASSERT_TRUE(m);
    EXPECT_EQ(run(*m), "image-inspect");
    EXPECT_EQ(m->params.at("name"), "registry.example.com:5000/org/app:1.2");

    auto del = router.match("DELETE", "/images/library/busybox:latest");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->params.at("name"), "library/busybox:latest");

    auto t = router.match("POST", "/v1.45/images/a/b/c/tag");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->params.at("name"), "a/b/c");
    EXPECT_EQ(t->version, "1.45");

    // The literal route registered first still wins for /images/json.
    auto list = router.match("GET", "/images/json");
    ASSERT_TRUE(list);
    EXPECT_EQ(run(*list), "images");
}

TEST_F(RouterTest, StripsVersionPrefix) {
    auto m = router.match("GET", "/v1.24/containers/abc/json");
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(m->version, "1.24");
    EXPECT_EQ(m->path, "/containers/abc/json");
    EXPECT_EQ(m->params.at("id"), "abc");
    // "/version" is a route, not a version prefix.
    auto v = router.match("GET", "/version");
    ASSERT_TRUE(v);
    EXPECT_EQ(run(*v), "version");
    auto v2 = router.match("GET", "/v1.47/version");
    ASSERT_TRUE(v2);
    EXPECT_EQ(run(*v2), "version");
}

TEST_F(RouterTest, VersionTooNewOrTooOld) {
    auto hi = router.match("GET", "/v1.99/_ping");
    ASSERT_FALSE(hi);
    EXPECT_EQ(hi.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(hi.error().message(), "client version 1.99 is too new. Maximum supported API version is 1.47");
    auto lo = router.match("GET", "/v1.12/_ping");
    ASSERT_FALSE(lo);
    EXPECT_EQ(lo.error().message(),
              "client version 1.12 is too old. Minimum supported API version is 1.24, "
              "please upgrade your client to a newer version");
    EXPECT_TRUE(router.match("GET", "/v1.47/_ping"));
    EXPECT_TRUE(router.match("GET", "/v1.30/_ping"));
}

TEST_F(RouterTest, UnknownPathAndWrongMethodAreNotFound) {
    auto m = router.match("GET", "/nope");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(m.error().message(), "page not found");
    auto wrong = router.match("DELETE", "/containers/json");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().kind(), ErrorKind::NotFound);
    EXPECT_FALSE(router.match("GET", "/v1.47"));
    EXPECT_FALSE(router.match("GET", "/containers/json/"));
}

TEST_F(RouterTest, HeadPrefersHeadRouteElseGet) {
    auto m = router.match("HEAD", "/_ping");
    ASSERT_TRUE(m);
    EXPECT_EQ(run(*m), "ping-head");
    auto v = router.match("HEAD", "/version");
    ASSERT_TRUE(v);
    EXPECT_EQ(run(*v), "version");
}

TEST(RouterPatterns, RejectsBadPatterns) {
    Router r;
    EXPECT_FALSE(r.add("GET", "nope", tag("x")));
    EXPECT_FALSE(r.add("GET", "/a/{id", tag("x")));
    EXPECT_FALSE(r.add("GET", "/a/{}", tag("x")));
    EXPECT_FALSE(r.add("GET", "/a/{id:[0-9]+}", tag("x")));
    EXPECT_TRUE(r.add("GET", "/a/{id}", tag("x")));
}

TEST(ApiVersions, CompareNumerically) {
    EXPECT_LT(compare_api_versions("1.9", "1.10"), 0);
    EXPECT_GT(compare_api_versions("1.47", "1.24"), 0);
    EXPECT_EQ(compare_api_versions("1.40", "1.40"), 0);
    EXPECT_EQ(compare_api_versions("1.40", "1.40.0"), 0);
    EXPECT_LT(compare_api_versions("1", "1.1"), 0);
}

TEST(RequestVersion, AtLeast) {
    Request req;
    req.api_version = "1.41";
    EXPECT_TRUE(req.version_at_least("1.41"));
    EXPECT_TRUE(req.version_at_least("1.9"));
    EXPECT_FALSE(req.version_at_least("1.42"));
    EXPECT_TRUE(req.version_below("1.44"));
}

}  // namespace
}  // namespace berth::api

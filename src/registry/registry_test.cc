#include "registry/registry.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/file.h"
#include "registry/auth.h"
#include "registry/curl_api.h"
#include "registry/http.h"

namespace berth::registry {

TEST(Challenge, BearerWithParams) {
    auto c = auth::parse_challenges(
        {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")"});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].scheme, "bearer");
    EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
    EXPECT_EQ(c[0].params["service"], "registry.docker.io");
    EXPECT_EQ(c[0].params["scope"], "repository:library/busybox:pull");
}

TEST(Challenge, BasicAndSeveral) {
    auto c = auth::parse_challenges(
        {R"(Basic realm="Registry Realm")", R"(Bearer realm="x", error="insufficient_scope")"});
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].scheme, "basic");
    EXPECT_EQ(c[0].params["realm"], "Registry Realm");
    EXPECT_EQ(c[1].params["error"], "insufficient_scope");
}

TEST(Base64, RoundTrip) {
    for (std::string s : {"", "a", "ab", "abc", "user:pa ss\xff"})
        EXPECT_EQ(*base64_decode(base64_encode(s)), s);
    EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
    EXPECT_FALSE(base64_decode("a*b").has_value());
}

TEST(AuthHeader, Decodes) {
    auto c = decode_auth_header(
        base64_encode(R"({"username":"u","password":"p","serveraddress":"localhost:5000"})"));
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->username, "u");
    EXPECT_EQ(c->password, "p");
    EXPECT_TRUE(decode_auth_header("")->empty());
    auto t = decode_auth_header(base64_encode(R"({"identitytoken":"tok"})"));
    EXPECT_EQ(t->identity_token, "tok");
}

TEST(Endpoints, InsecureAndMirrors) {
    Config cfg;
    cfg.insecure_registries = {"myreg:5000", "10.1.0.0/16"};
    cfg.mirrors = {"https://mirror.example/", "127.0.0.1:5001"};
    EXPECT_TRUE(is_insecure(cfg, "127.0.0.1:5000"));
    EXPECT_TRUE(is_insecure(cfg, "localhost:5000"));
    EXPECT_TRUE(is_insecure(cfg, "myreg:5000"));
    EXPECT_TRUE(is_insecure(cfg, "10.1.2.3:443"));
    EXPECT_FALSE(is_insecure(cfg, "myreg:5001"));
    EXPECT_FALSE(is_insecure(cfg, "registry-1.docker.io"));
    auto eps = endpoints(cfg, "docker.io");
    ASSERT_EQ(eps.size(), 3u);
    EXPECT_EQ(eps[0].base_url, "https://mirror.example");
    EXPECT_EQ(eps[1].base_url, "http://127.0.0.1:5001");
    EXPECT_EQ(eps[2].base_url, "https://registry-1.docker.io");
    auto local = endpoints(cfg, "127.0.0.1:5000");
    ASSERT_EQ(local.size(), 1u);
    EXPECT_EQ(local[0].base_url, "http://127.0.0.1:5000");
    EXPECT_EQ(http::host_of("https://h:1/v2/x?y"), "h:1");
}

TEST(Endpoints, LoopbackWithCertificatesIsHttps) {
    char tmpl[] = "/tmp/berth-certsd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    Config cfg;
    cfg.certs_dir = tmpl;
    ASSERT_TRUE(mkdir_all(cfg.certs_dir + "/127.0.0.1:5443"));
    EXPECT_TRUE(is_insecure(cfg, "127.0.0.1:5443"));  // an empty directory changes nothing
    ASSERT_TRUE(write_file_atomic(cfg.certs_dir + "/127.0.0.1:5443/ca.crt", "-----BEGIN CERTIFICATE-----\n"));
    EXPECT_FALSE(is_insecure(cfg, "127.0.0.1:5443"));
    EXPECT_TRUE(is_insecure(cfg, "127.0.0.1:5000"));
    EXPECT_EQ(endpoints(cfg, "127.0.0.1:5443")[0].base_url, "https://127.0.0.1:5443");
    cfg.insecure_registries = {"127.0.0.1:5443"};  // named insecure: plain HTTP all the same
    EXPECT_TRUE(is_insecure(cfg, "127.0.0.1:5443"));
    ASSERT_TRUE(remove_all(tmpl));
}

TEST(CurlApi, LoadsOnceWithEveryFunction) {
    auto api = http::curl_api();
    ASSERT_TRUE(api.has_value()) << api.error().message();
    const http::CurlApi* a = *api;
    EXPECT_TRUE(a->easy_init && a->easy_cleanup && a->easy_setopt && a->easy_getinfo && a->easy_perform &&
                a->easy_strerror && a->slist_append && a->slist_free_all);
    EXPECT_EQ(*http::curl_api(), a);
    EXPECT_STREQ(a->easy_strerror(CURLE_OK), "No error");
}

TEST(Http, ConnectionRefusedIsUnavailable) {
    Config cfg;
    cfg.retries = 1;
    cfg.backoff_ms = 1;
    auto repo = Repository::open(cfg, {"http://127.0.0.1:1", "127.0.0.1:1", false}, "x", {}, Access::Pull);
    ASSERT_TRUE(repo.has_value());
    auto m = repo->get_manifest("latest");
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().kind(), ErrorKind::Unavailable);
}

}  // namespace berth::registry

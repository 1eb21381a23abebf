// Reference parsing: tables of valid and invalid inputs, including the test vectors of
// distribution/reference (normalize_test.go, reference_test.go) so we behave as Docker does.
#include "image/reference/reference.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::image::reference {
namespace {

const std::string kHex = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kDigest = "sha256:" + kHex;

struct Normalized {
    std::string input, full, familiar_name, domain, path, tag, digest;
};

TEST(Reference, NormalizedTable) {
    const std::vector<Normalized> cases = {
        {"busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox", "", ""},
        {"busybox:latest", "docker.io/library/busybox:latest", "busybox", "docker.io", "library/busybox",
         "latest", ""},
        {"library/busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox", "", ""},
        {"docker.io/busybox", "docker.io/library/busybox", "busybox", "docker.io", "library/busybox", "", ""},
        {"index.docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox", "docker.io",
         "library/busybox", "1", ""},
        {"localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000/a/b", "localhost:5000", "a/b",
         "tag", ""},
        {"localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost", "fooo", "", ""},
        {"LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN", "fooo/bar",
         "", ""},
        {"Foo/bar", "Foo/bar", "Foo/bar", "Foo", "bar", "", ""},
        {"fooo/bar", "docker.io/fooo/bar", "fooo/bar", "docker.io", "fooo/bar", "", ""},
        {"library/foo/bar", "docker.io/library/foo/bar", "library/foo/bar", "docker.io", "library/foo/bar",
         "", ""},
        {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase",
         "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase", "", ""},
        {"example.com:8000/privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee",
         "example.com:8000", "privatebasee", "", ""},
        {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io",
         "library/ubuntu-12.04-base", "", ""},
        {"test_com/foo", "docker.io/test_com/foo", "test_com/foo", "docker.io", "test_com/foo", "", ""},
        {"test-com:8080/foo", "test-com:8080/foo", "test-com:8080/foo", "test-com:8080", "foo", "", ""},
        {"xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080",
         "foo", "", ""},
        {"192.168.0.1", "docker.io/library/192.168.0.1", "192.168.0.1", "docker.io", "library/192.168.0.1",
         "", ""},
        {"[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "[fc00::1]:5000",
         "docker", "", ""},
        {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase", "docker.io",
         "library/lowercase", "Uppercase", ""},
        {"busybox@" + kDigest, "docker.io/library/busybox@" + kDigest, "busybox", "docker.io",
         "library/busybox", "", kDigest},
        {"busybox:1.36@" + kDigest, "docker.io/library/busybox:1.36@" + kDigest, "busybox", "docker.io",
         "library/busybox", "1.36", kDigest},
        {"b.gcr.io/test.example.com/my-app:test.example.com",
         "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app", "b.gcr.io",
         "test.example.com/my-app", "test.example.com", ""},
        {"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
         "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
         "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io",
         "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "", ""},
        {"dock__er/docker", "docker.io/dock__er/docker", "dock__er/docker", "docker.io", "dock__er/docker",
         "", ""},
        {"docker---rules/docker", "docker.io/docker---rules/docker", "docker---rules/docker", "docker.io",
         "docker---rules/docker", "", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        auto r = parse_normalized(c.input);
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_EQ(r->string(), c.full);
        EXPECT_EQ(r->familiar_name(), c.familiar_name);
        EXPECT_EQ(r->domain(), c.domain);
        EXPECT_EQ(r->path(), c.path);
        EXPECT_EQ(r->tag(), c.tag);
        EXPECT_EQ(r->digest(), c.digest);
        // The full form parses back to the same reference.
        auto again = parse_normalized(r->string());
        ASSERT_TRUE(again) << again.error().str();
        EXPECT_EQ(*again, *r);
    }
}

TEST(Reference, InvalidTable) {
    const std::vector<std::string> invalid = {
        "",
        "https://github.com/docker/docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        ":justtag",
        "@" + kDigest,
        "aa/asdf$$^/aa",
        "busybox:-tag",
        "busybox:" + std::string(129, 'a'),
        "busybox@sha256:abc",
        "busybox@md5:" + kHex,
        "busybox@sha256:" + std::string(64, 'F'),
        "a@b@" + kDigest,
        "busy box",
    };
    for (const auto& s : invalid) {
        SCOPED_TRACE(s);
        auto r = parse_normalized(s);
        EXPECT_FALSE(r) << "parsed as " << r->string();
        if (!r) {
            EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
        }
    }
}

TEST(Reference, DockerErrorWording) {
    auto upper = parse_normalized("Busybox");
    ASSERT_FALSE(upper);
    EXPECT_EQ(upper.error().str(),
              "invalid reference format: repository name (library/Busybox) must be lowercase");
    auto upper2 = parse_normalized("docker/Docker:tag");
    ASSERT_FALSE(upper2);
    EXPECT_EQ(upper2.error().str(),
              "invalid reference format: repository name (docker/Docker) must be lowercase");
    auto bad = parse_normalized("busybox:");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().str(), "invalid reference format");
    std::string id = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
    auto hex = parse_normalized(id);
    ASSERT_FALSE(hex);
    EXPECT_EQ(hex.error().str(),
              "invalid repository name (" + id + "), cannot specify 64-byte hexadecimal strings");
    auto len = parse_normalized("domain.com/" + std::string(256, 'a') + ":tag");
    ASSERT_FALSE(len);
    EXPECT_EQ(len.error().str(), "repository name must not be more than 255 characters");
    EXPECT_EQ(parse_normalized("repo@sha256:" + std::string(34, 'f')).error().str(),
              "invalid checksum digest length");
    EXPECT_EQ(parse_normalized("repo@sha512:" + kHex + kHex).error().str(), "unsupported digest algorithm");
}

TEST(Reference, LengthLimitIsOnThePath) {
    // distribution/reference v0.6 excludes the domain from the 255-character limit.
    EXPECT_TRUE(parse_normalized("example.com/" + std::string(255, 'a') + ":tag"));
    EXPECT_FALSE(parse_normalized("example.com/" + std::string(256, 'a')));
    // "library/" counts: a 248-char official name is the longest accepted.
    EXPECT_TRUE(parse_normalized(std::string(247, 'a')));
    EXPECT_FALSE(parse_normalized(std::string(248, 'a')));
}

TEST(Reference, RawParseVectors) {
    struct Raw {
        std::string input, domain, name, tag, digest;
    };
    const std::vector<Raw> cases = {
        {"test_com", "", "test_com", "", ""},
        {"test.com:tag", "", "test.com", "tag", ""},
        {"test.com:5000", "", "test.com", "5000", ""},
        {"test:5000/repo", "test:5000", "test:5000/repo", "", ""},
        {"test:5000/repo:tag@" + kDigest, "test:5000", "test:5000/repo", "tag", kDigest},
        {"foo_bar.com:8080", "", "foo_bar.com", "8080", ""},
        {"foo/foo_bar.com:8080", "foo", "foo/foo_bar.com", "8080", ""},
        {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "192.168.1.1:5000/repo", "5050", ""},
        {"[2001:db8::1]:5000/repo:tag@" + kDigest, "[2001:db8::1]:5000", "[2001:db8::1]:5000/repo", "tag",
         kDigest},
        {"[2001:db8::1]/repo", "[2001:db8::1]", "[2001:db8::1]/repo", "", ""},
        {std::string(254, 'a').replace(1, 1, "/") + ":t", "a", std::string(254, 'a').replace(1, 1, "/"), "t",
         ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        auto r = parse(c.input);
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_EQ(r->domain(), c.domain);
        EXPECT_EQ(r->name(), c.name);
        EXPECT_EQ(r->tag(), c.tag);
        EXPECT_EQ(r->digest(), c.digest);
    }
    EXPECT_EQ(parse("Uppercase:tag").error().str(), "repository name must be lowercase");
    EXPECT_EQ(parse("test:5000/Uppercase/lowercase:tag").error().str(), "repository name must be lowercase");
    EXPECT_EQ(parse("").error().str(), "repository name must have at least one component");
    EXPECT_EQ(parse("[2001:db8::1]:tag").error().str(), "invalid reference format");
}

TEST(Reference, FamiliarFormsAndDefaultTag) {
    auto r = parse_normalized("busybox");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->name_only());
    EXPECT_EQ(r->name(), "docker.io/library/busybox");
    EXPECT_EQ(r->familiar_name(), "busybox");
    auto tagged = r->with_default_tag();
    EXPECT_EQ(tagged.string(), "docker.io/library/busybox:latest");
    EXPECT_EQ(tagged.familiar_string(), "busybox:latest");

    auto digested = parse_normalized("busybox@" + kDigest);
    ASSERT_TRUE(digested);
    EXPECT_EQ(digested->with_default_tag().string(), "docker.io/library/busybox@" + kDigest);
    auto both = parse_normalized("busybox:latest@" + kDigest);
    ASSERT_TRUE(both);
    EXPECT_EQ(both->familiar_string(), "busybox:latest@" + kDigest);
    EXPECT_EQ(both->docker_ref().string(), "docker.io/library/busybox@" + kDigest);
    EXPECT_EQ(r->docker_ref().string(), "docker.io/library/busybox:latest");

    auto user = parse_normalized("dmcgowan/myapp:1");
    ASSERT_TRUE(user);
    EXPECT_EQ(user->familiar_string(), "dmcgowan/myapp:1");
    EXPECT_EQ(user->repository().string(), "docker.io/dmcgowan/myapp");
}

TEST(Reference, WithTagAndDigestValidate) {
    auto r = parse_normalized("busybox");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->with_tag("-foo"));
    EXPECT_FALSE(r->with_digest("foo"));
    auto t = r->with_tag("v1.2_x-y");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->familiar_string(), "busybox:v1.2_x-y");
    auto d = r->with_digest(kDigest);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->string(), "docker.io/library/busybox@" + kDigest);
}

TEST(Reference, Helpers) {
    EXPECT_TRUE(valid_tag("latest"));
    EXPECT_TRUE(valid_tag("_x"));
    EXPECT_TRUE(valid_tag(std::string(128, 'a')));
    EXPECT_FALSE(valid_tag(std::string(129, 'a')));
    EXPECT_FALSE(valid_tag(".x"));
    EXPECT_FALSE(valid_tag(""));
    EXPECT_TRUE(is_full_identifier(kHex));
    EXPECT_FALSE(is_full_identifier(kHex.substr(1)));
    EXPECT_TRUE(validate_digest(kDigest));
    EXPECT_EQ(validate_digest("sha256").error().str(), "invalid checksum digest format");
    EXPECT_EQ(validate_digest("sha256:" + std::string(64, 'g')).error().str(),
              "invalid checksum digest format");
}

}  // namespace
}  // namespace berth::image::reference

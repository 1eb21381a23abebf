// Manifests, indexes, configs, platforms and chain IDs, including hostile documents.
#include "image/manifest/manifest.h"

#include <string>

#include <gtest/gtest.h>

namespace berth::image::manifest {
namespace {

std::string hex(char c) {
    return std::string(64, c);
}
std::string dg(char c) {
    return "sha256:" + hex(c);
}

const std::string kOciManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
             "digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 1469},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
     "digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "size": 2479,
     "annotations": {"org.example": "x"}},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
     "digest": "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "size": 0,
     "urls": ["https://example.com/layer"]}
  ],
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
})";

const std::string kDockerList = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "sha256:4444444444444444444444444444444444444444444444444444444444444444",
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "sha256:5555555555555555555555555555555555555555555555555555555555555555",
     "platform": {"architecture": "386", "os": "linux"}}
  ]
})";

const std::string kConfig = R"({
  "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
  "config": {
    "User": "nobody", "Env": ["PATH=/usr/bin:/bin", "A=b=c"], "Cmd": ["sh"], "Entrypoint": null,
    "WorkingDir": "/srv", "Labels": {"maintainer": "me"}, "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
    "Volumes": {"/data": {}}, "StopSignal": "SIGTERM", "StopTimeout": 5, "ArgsEscaped": true,
    "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Retries": 3},
    "Shell": ["/bin/sh", "-c"], "OnBuild": null, "Hostname": "", "Tty": false
  },
  "rootfs": {"type": "layers", "diff_ids": [
    "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e",
    "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"]},
  "history": [{"created_by": "ADD rootfs /"}, {"created_by": "ENV x", "empty_layer": true},
              {"created_by": "RUN true", "comment": "c"}]
})";

TEST(Manifest, ParseOciAndRoundTrip) {
    auto type = detect_media_type(kOciManifest);
    ASSERT_TRUE(type) << type.error().str();
    EXPECT_EQ(*type, media_type::kOciManifest);
    auto m = parse_image_manifest(kOciManifest, *type);
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(m->config.digest.str(), dg('a'));
    ASSERT_EQ(m->layers.size(), 2u);
    EXPECT_EQ(m->layers[0].size, 2479);
    EXPECT_EQ(m->layers[0].annotations.at("org.example"), "x");
    EXPECT_EQ(m->layers[1].urls.at(0), "https://example.com/layer");
    EXPECT_EQ(*layer_compression(m->layers[1].media_type), Compression::Zstd);

    std::string text = canonical(to_json(*m));
    EXPECT_EQ(text.find(' '), std::string::npos);
    EXPECT_LT(text.find("\"annotations\""), text.find("\"config\""));  // sorted keys
    auto again = parse_image_manifest(text);
    ASSERT_TRUE(again) << again.error().str();
    EXPECT_EQ(again->layers, m->layers);
    EXPECT_EQ(again->config, m->config);
    EXPECT_EQ(canonical(to_json(*again)), text);
}

TEST(Manifest, DockerSchema2AndMediaTypeDetection) {
    std::string doc = R"({"schemaVersion":2,
      "mediaType":"application/vnd.docker.distribution.manifest.v2+json",
      "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,
                "digest":")" +
                      dg('a') + R"("},
      "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,
                 "digest":")" +
                      dg('b') + R"("}]})";
    auto m = parse_image_manifest(doc, media_type::kDockerManifest);
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(m->media_type, media_type::kDockerManifest);
    EXPECT_EQ(*layer_compression(m->layers[0].media_type), Compression::Gzip);
    // The document's own type wins over a disagreeing expectation: that is an error.
    auto mismatch = parse_manifest(doc, media_type::kOciManifest);
    ASSERT_FALSE(mismatch);
    EXPECT_NE(mismatch.error().str().find("mediaType"), std::string::npos);

    // No mediaType field: Content-Type decides, then the shape.
    std::string bare = R"({"schemaVersion":2,"manifests":[]})";
    EXPECT_EQ(*detect_media_type(bare), media_type::kOciIndex);
    EXPECT_EQ(*detect_media_type(bare, "application/vnd.docker.distribution.manifest.list.v2+json; x=y"),
              media_type::kDockerManifestList);
    auto s1 = detect_media_type(R"({"schemaVersion":1,"fsLayers":[]})");
    ASSERT_FALSE(s1);
    EXPECT_EQ(s1.error().kind(), ErrorKind::Unsupported);
    EXPECT_FALSE(
        detect_media_type(R"({"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"})"));
    auto weird = detect_media_type(R"({"mediaType":"text/html"})");
    ASSERT_FALSE(weird);
    EXPECT_EQ(weird.error().str(), "mediaType: unsupported manifest media type \"text/html\"");
}

struct Hostile {
    std::string doc;
    std::string error;  // expected substring
};

TEST(Manifest, HostileManifestsNameTheField) {
    auto layer = [](const std::string& extra) {
        return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1,"digest":")" +
               dg('a') + R"("},"layers":[)" + extra + "]}";
    };
    const std::string good_digest = "\"digest\":\"" + dg('b') + "\"";
    const std::vector<Hostile> cases = {
        {"[]", "expected a JSON object, got array"},
        {"{", "manifest"},
        {R"({"config":{}})", "schemaVersion: required"},
        {R"({"schemaVersion":"2"})", "schemaVersion: expected integer, got string"},
        {R"({"schemaVersion":3})", "schemaVersion: must be 2, got 3"},
        {R"({"schemaVersion":2,"layers":[]})", "config: required"},
        {R"({"schemaVersion":2,"config":[],"layers":[]})", "config: expected object, got array"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":-1,)" + good_digest + "}"),
         "layers[0].size: must not be negative"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":"12",)" + good_digest + "}"),
         "layers[0].size: expected integer, got string"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1.5,)" + good_digest + "}"),
         "layers[0].size: expected integer, got number"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar",)" + good_digest + "}"),
         "layers[0].size: required"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"sha256:xyz"})"),
         "layers[0].digest: invalid digest"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"md5:)" + hex('a') +
               "\"}"),
         "layers[0].digest: unsupported digest algorithm"},
        {layer(R"({"size":1,)" + good_digest + "}"), "layers[0].mediaType: required"},
        {layer(R"({"mediaType":7,"size":1,)" + good_digest + "}"),
         "layers[0].mediaType: expected string, got integer"},
        {layer(R"({"mediaType":"application/x-evil","size":1,)" + good_digest + "}"),
         "layers[0].mediaType: unsupported layer media type \"application/x-evil\""},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"urls":[1],)" + good_digest +
               "}"),
         "layers[0].urls[0]: expected string, got integer"},
        {layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"annotations":{"a":1},)" +
               good_digest + "}"),
         "layers[0].annotations[\"a\"]: expected string, got integer"},
        {layer(
             R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"platform":{"os":"linux"},)" +
             good_digest + "}"),
         "layers[0].platform.architecture: required"},
        {R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1,"digest":")" +
             dg('a') + R"("},"layers":{}})",
         "layers: expected array, got object"},
        {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
         "is not an image manifest media type"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.doc);
        auto m = parse_image_manifest(c.doc);
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_NE(m.error().str().find(c.error), std::string::npos) << m.error().str();
        EXPECT_EQ(m.error().str().rfind("invalid image manifest: ", 0), 0u) << m.error().str();
    }
    std::string huge =
        layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,)" + good_digest +
              ",\"annotations\":{\"pad\":\"" + std::string(kMaxManifestSize, 'x') + "\"}}");
    auto big = parse_manifest(huge);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().str().find("too large"), std::string::npos);
}

TEST(Index, ParseAndSelectPlatform) {
    auto idx = parse_index(kDockerList, media_type::kDockerManifestList);
    ASSERT_TRUE(idx) << idx.error().str();
    ASSERT_EQ(idx->manifests.size(), 5u);
    auto pick = [&](const std::string& p) -> std::string {
        auto want = parse_platform(p);
        if (!want) return "bad platform";
        auto d = select_manifest(*idx, *want);
        return d ? d->digest.str().substr(7, 1) : d.error().str();
    };
    EXPECT_EQ(pick("linux/amd64"), "1");
    EXPECT_EQ(pick("linux/x86_64"), "1");
    EXPECT_EQ(pick("linux/arm64"), "4");
    EXPECT_EQ(pick("linux/aarch64/v8"), "4");
    EXPECT_EQ(pick("linux/arm"), "3");  // arm defaults to v7
    EXPECT_EQ(pick("linux/arm/v7"), "3");
    EXPECT_EQ(pick("linux/arm/v6"), "2");
    EXPECT_EQ(pick("linux/arm/v8"), "3");  // v8 runs v7 images, best first
    EXPECT_EQ(pick("linux/386"), "5");
    EXPECT_EQ(pick("linux/arm/v5"), "no matching manifest for linux/arm/v5 in the manifest list entries");
    EXPECT_EQ(pick("windows/amd64"), "no matching manifest for windows/amd64 in the manifest list entries");

    // arm64 falls back to 32-bit arm when there is no arm64 image; amd64 to 386.
    Index armonly = *idx;
    armonly.manifests.erase(armonly.manifests.begin() + 3);  // drop arm64
    armonly.manifests.erase(armonly.manifests.begin());      // drop amd64
    EXPECT_EQ(select_manifest(armonly, *parse_platform("linux/arm64"))->digest.str(), dg('3'));
    EXPECT_EQ(select_manifest(armonly, *parse_platform("linux/amd64"))->digest.str(), dg('5'));

    // Docker manifest lists require a platform on every entry; OCI indexes don't.
    std::string no_platform =
        R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::kDockerManifestList) +
        R"(","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":")" +
        dg('1') + R"("}]})";
    auto bad = parse_index(no_platform);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().str(), "invalid image index: manifests[0].platform: required");
    std::string oci =
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":")" +
        dg('1') + R"("}]})";
    auto any = parse_index(oci);
    ASSERT_TRUE(any) << any.error().str();
    EXPECT_EQ(select_manifest(*any, *parse_platform("linux/s390x"))->digest.str(), dg('1'));
    auto text = canonical(to_json(*idx));
    auto back = parse_index(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->manifests, idx->manifests);
}

TEST(Platform, NormalizeAndCompatibility) {
    auto n = [](std::string arch, std::string variant) {
        Platform p;
        p.os = "Linux";
        p.architecture = std::move(arch);
        p.variant = std::move(variant);
        return format_platform(normalize(p));
    };
    EXPECT_EQ(n("x86_64", ""), "linux/amd64");
    EXPECT_EQ(n("x86-64", "v1"), "linux/amd64");
    EXPECT_EQ(n("aarch64", "v8"), "linux/arm64");
    EXPECT_EQ(n("arm64", "8"), "linux/arm64");
    EXPECT_EQ(n("arm", ""), "linux/arm/v7");
    EXPECT_EQ(n("arm", "6"), "linux/arm/v6");
    EXPECT_EQ(n("armhf", ""), "linux/arm/v7");
    EXPECT_EQ(n("armel", ""), "linux/arm/v6");
    EXPECT_EQ(n("i386", ""), "linux/386");
    EXPECT_EQ(n("ppc64le", ""), "linux/ppc64le");
    EXPECT_FALSE(parse_platform("linux//amd64"));
    EXPECT_FALSE(parse_platform("a/b/c/d"));
    EXPECT_FALSE(parse_platform("linux/am d64"));
    EXPECT_EQ(format_platform(*parse_platform("arm64")), "linux/arm64");
    EXPECT_EQ(parse_platform("linux")->architecture, host_platform().architecture);

    Platform amd64v3 = *parse_platform("linux/amd64/v3");
    auto vec = compatible_platforms(amd64v3);
    std::vector<std::string> names;
    for (const auto& p : vec) names.push_back(format_platform(p));
    EXPECT_EQ(names,
              (std::vector<std::string>{"linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"}));
    EXPECT_TRUE(platform_matches(*parse_platform("linux/arm64"), *parse_platform("linux/arm/v7")));
    EXPECT_FALSE(platform_matches(*parse_platform("linux/arm/v7"), *parse_platform("linux/arm64")));
    EXPECT_FALSE(host_platform().architecture.empty());
}

TEST(Config, ParseFullDockerConfig) {
    auto c = parse_config(kConfig);
    ASSERT_TRUE(c) << c.error().str();
    EXPECT_EQ(c->config.user, "nobody");
    EXPECT_EQ(c->config.env.size(), 2u);
    ASSERT_TRUE(c->config.cmd);
    EXPECT_EQ(*c->config.cmd, std::vector<std::string>{"sh"});
    EXPECT_FALSE(c->config.entrypoint);  // null = not set
    EXPECT_EQ(c->config.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
    EXPECT_EQ(c->config.volumes, std::vector<std::string>{"/data"});
    EXPECT_EQ(c->config.labels.at("maintainer"), "me");
    EXPECT_EQ(c->config.stop_timeout, 5);
    ASSERT_TRUE(c->config.healthcheck);
    EXPECT_EQ(c->config.healthcheck->interval, 30000000000);
    EXPECT_EQ(c->config.healthcheck->retries, 3);
    EXPECT_EQ(c->rootfs.diff_ids.size(), 2u);
    EXPECT_EQ(c->history.size(), 3u);
    EXPECT_TRUE(c->history[1].empty_layer);
    EXPECT_EQ(format_platform(c->platform()), "linux/amd64");

    auto text = canonical(to_json(*c));
    auto back = parse_config(text);
    ASSERT_TRUE(back) << back.error().str();
    EXPECT_EQ(canonical(to_json(*back)), text);
    EXPECT_EQ(back->config.healthcheck, c->config.healthcheck);
    EXPECT_EQ(back->config.cmd, c->config.cmd);
}

TEST(Config, HostileConfigsNameTheField) {
    const std::vector<Hostile> cases = {
        {R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})", "architecture: required"},
        {R"({"architecture":"amd64","os":"linux"})", "rootfs: required"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"tar","diff_ids":[]}})",
         "rootfs.type: must be \"layers\""},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["nope"]}})",
         "rootfs.diff_ids[0]: invalid digest"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":"A=b"}})",
         "config.Env: expected array of strings, got string"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Cmd":[1]}})",
         "config.Cmd[0]: expected string, got integer"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"ExposedPorts":["80"]}})",
         "config.ExposedPorts: expected object, got array"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Healthcheck":{"Interval":-5}}})",
         "config.Healthcheck.Interval: must not be negative"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"x"}]})",
         "history: too many non-empty layers"},
        {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[{"empty_layer":"yes"}]})",
         "history[0].empty_layer: expected boolean, got string"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.doc);
        auto r = parse_config(c.doc);
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().str().find(c.error), std::string::npos) << r.error().str();
    }
}

TEST(ChainId, MatchesIndependentComputation) {
    // Values computed with Python's hashlib, independently of this code.
    std::vector<Digest> diff_ids = {
        *Digest::parse("sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e"),
        *Digest::parse("sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"),
        *Digest::parse("sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"),
    };
    auto ids = chain_ids(diff_ids);
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids[0], diff_ids[0]);
    EXPECT_EQ(ids[1].str(), "sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79");
    EXPECT_EQ(ids[2].str(), "sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d");
    EXPECT_EQ(chain_id(diff_ids), ids[2]);
    EXPECT_TRUE(chain_id({}).empty());
}

}  // namespace
}  // namespace berth::image::manifest

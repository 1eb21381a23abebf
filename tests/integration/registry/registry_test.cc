// Registries through berthd and the real docker CLI: pull and push against Debian's
// docker-registry (plain HTTP on 127.0.0.1), interop with skopeo (same digests both ways),
// zstd layers, search and login errors, and a hostile registry (tests/fixtures/hostile-registry):
// wrong digest, truncated blob, 500s then success, a stall, malformed/unknown/huge manifests.
#include "common/file.h"
#include "common/strings.h"
#include "integration/registry/fixture.h"

namespace berth::test {
namespace {

TEST_F(RegistryTest, PullRunPushWithSkopeoInterop) {
    Registry reg;
    ASSERT_TRUE(reg.ready());
    auto seed =
        run_command({"skopeo", "copy", "--dest-tls-verify=false", "docker-archive:" + busybox_image_tar(),
                     "docker://" + reg.host() + "/busybox:latest"},
                    {}, 120);
    ASSERT_EQ(seed.exit_code, 0) << seed.err;
    std::string seeded = skopeo_digest(reg.host() + "/busybox:latest");

    auto pull = daemon_.docker({"pull", reg.host() + "/busybox"}, {}, 120);
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    EXPECT_NE(pull.out.find("Pulling from busybox"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Pull complete"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Digest: " + seeded), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Status: Downloaded newer image for " + reg.host() + "/busybox:latest"),
              std::string::npos);
    auto digests = daemon_.docker({"inspect", "--format", "{{json .RepoDigests}}", reg.host() + "/busybox"});
    EXPECT_NE(digests.out.find(reg.host() + "/busybox@" + seeded), std::string::npos) << digests.out;

    auto run = daemon_.docker({"run", "--rm", reg.host() + "/busybox", "echo", "pulled-and-ran"}, {}, 60);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("pulled-and-ran"), std::string::npos);

    // Again: nothing to download.
    auto again = daemon_.docker({"pull", reg.host() + "/busybox"}, {}, 60);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("Image is up to date"), std::string::npos) << again.out;

    // Push under another name: the layer is mounted from busybox, the digest unchanged.
    ASSERT_EQ(daemon_.docker({"tag", reg.host() + "/busybox", reg.host() + "/team/copy:v1"}).exit_code, 0);
    auto push = daemon_.docker({"push", reg.host() + "/team/copy:v1"}, {}, 120);
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    EXPECT_NE(push.out.find("Mounted from busybox"), std::string::npos) << push.out;
    EXPECT_EQ(skopeo_digest(reg.host() + "/team/copy:v1"), seeded);

    // Removing both tags removes the image, its digest reference with it (as Docker).
    EXPECT_EQ(daemon_.docker({"rmi", reg.host() + "/team/copy:v1"}).exit_code, 0);
    auto rmi = daemon_.docker({"rmi", reg.host() + "/busybox"});
    EXPECT_EQ(rmi.exit_code, 0) << rmi.err;
    EXPECT_NE(rmi.out.find("Deleted"), std::string::npos) << rmi.out;
    EXPECT_EQ(trim(daemon_.docker({"images", "-q"}).out), "");
}

TEST_F(RegistryTest, PushLoadedImageUploadsBlobs) {
    Registry reg;
    ASSERT_TRUE(reg.ready());
    ASSERT_TRUE(daemon_.load_busybox());
    ASSERT_EQ(daemon_.docker({"tag", "busybox", reg.host() + "/fresh"}).exit_code, 0);
    auto push = daemon_.docker({"push", reg.host() + "/fresh"}, {}, 120);
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    EXPECT_NE(push.out.find("Pushed"), std::string::npos) << push.out;
    std::string local = trim(daemon_.docker({"inspect", "--format", "{{.Id}}", "busybox"}).out);
    // skopeo sees the image: its manifest names our config (the image ID).
    auto cfg = run_shell("skopeo inspect --tls-verify=false --raw docker://" + reg.host() +
                         "/fresh | jq -r .config.digest");
    ASSERT_EQ(cfg.exit_code, 0) << cfg.err;
    EXPECT_EQ(trim(cfg.out), local);
    // And skopeo copies it out whole (every blob verifies).
    TempDir out("berth-skopeo-out");
    auto copy = run_command({"skopeo", "copy", "--src-tls-verify=false", "docker://" + reg.host() + "/fresh",
                             "dir:" + out.path() + "/img"},
                            {}, 120);
    EXPECT_EQ(copy.exit_code, 0) << copy.err;
    // And a second push finds everything there.
    auto again = daemon_.docker({"push", reg.host() + "/fresh"}, {}, 60);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("Layer already exists"), std::string::npos) << again.out;
}

TEST_F(RegistryTest, ErrorsAreClear) {
    Registry reg;
    ASSERT_TRUE(reg.ready());
    auto missing = daemon_.docker({"pull", reg.host() + "/nothing:here"}, {}, 60);
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
    auto search = daemon_.docker({"search", reg.host() + "/busybox"}, {}, 60);
    EXPECT_NE(search.exit_code, 0);
    EXPECT_NE(search.err.find("does not support search"), std::string::npos) << search.err;
    TempDir config("berth-docker-config");
    auto login = docker_with_config(daemon_, config.path(),
                                    {"login", "-u", "u", "--password-stdin", reg.host()}, "p\n", 60);
    EXPECT_EQ(login.exit_code, 0) << login.err;  // a registry without auth accepts anyone
    auto bad = daemon_.docker({"pull", "127.0.0.1:1/x"}, {}, 60);
    EXPECT_NE(bad.exit_code, 0);
}

TEST_F(RegistryTest, PullsAndRunsZstdLayers) {
    Registry reg;
    ASSERT_TRUE(reg.ready());
    // skopeo recompresses the layer with zstd (an OCI manifest: Docker's v2 schema has no zstd).
    std::string ref = reg.host() + "/zbox:latest";
    auto seed =
        run_command({"skopeo", "copy", "--dest-tls-verify=false", "--format", "oci", "--dest-compress-format",
                     "zstd", "docker-archive:" + busybox_image_tar(), "docker://" + ref},
                    {}, 120);
    ASSERT_EQ(seed.exit_code, 0) << seed.err;
    auto types = run_shell("skopeo inspect --tls-verify=false --raw docker://" + ref +
                           " | jq -r '.layers[].mediaType'");
    ASSERT_EQ(trim(types.out), "application/vnd.oci.image.layer.v1.tar+zstd");
    auto pull = daemon_.docker({"pull", ref}, {}, 120);
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    EXPECT_NE(pull.out.find("Digest: " + skopeo_digest(ref)), std::string::npos) << pull.out;
    auto run = daemon_.docker({"run", "--rm", ref, "sh", "-c", "echo zstd-$((6*7))"}, {}, 60);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("zstd-42"), std::string::npos) << run.out;
}

TEST(RegistryMirrors, DockerHubImagesComeFromTheFirstWorkingMirror) {
    BERTH_REQUIRE_ROOT();
    ASSERT_TRUE(have_registry_tools()) << "no docker CLI or docker-registry";
    Registry mirror;
    ASSERT_TRUE(mirror.ready());
    auto seed =
        run_command({"skopeo", "copy", "--dest-tls-verify=false", "docker-archive:" + busybox_image_tar(),
                     "docker://" + mirror.host() + "/library/busybox:latest"},
                    {}, 120);
    ASSERT_EQ(seed.exit_code, 0) << seed.err;
    Daemon d;
    // The first mirror is down: the pull falls through to the next one.
    ASSERT_TRUE(
        d.start(R"({"registry-mirrors": ["http://127.0.0.1:1", "http://)" + mirror.host() + R"("]})"));
    auto pull = d.docker({"pull", "busybox"}, {}, 120);
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    EXPECT_NE(pull.out.find("Pulling from library/busybox"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Downloaded newer image for busybox:latest"), std::string::npos) << pull.out;
    auto run = d.docker({"run", "--rm", "busybox", "echo", "from-mirror"}, {}, 60);
    EXPECT_NE(run.out.find("from-mirror"), std::string::npos) << run.err;
}

struct HostileCase {
    const char* mode;
    bool succeeds;
    const char* message;  // expected in the error
};

class HostileTest : public RegistryTest, public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostileTest, StoreNeverHoldsBadData) {
    auto c = GetParam();
    Hostile h(c.mode);
    ASSERT_TRUE(h.ready());
    auto before_blobs = blobs();
    auto before_layers = layers();
    auto r = daemon_.docker({"pull", h.image()}, {}, 120);
    if (c.succeeds) {
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        auto run = daemon_.docker({"image", "inspect", h.image()});
        EXPECT_EQ(run.exit_code, 0);
        return;
    }
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE((r.out + r.err).find(c.message), std::string::npos) << r.out << r.err;
    EXPECT_EQ(blobs(), before_blobs);
    EXPECT_EQ(layers(), before_layers);
    EXPECT_NE(daemon_.docker({"image", "inspect", h.image()}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, HostileTest,
                         ::testing::Values(HostileCase{"ok", true, ""}, HostileCase{"flaky", true, ""},
                                           HostileCase{"wrong-digest", false, "layer"},
                                           HostileCase{"truncated", false, "layer"},
                                           HostileCase{"bad-manifest", false, "manifest"},
                                           HostileCase{"unknown-media", false, "media type"},
                                           HostileCase{"huge-manifest", false, "manifest"}),
                         [](const auto& info) {
                             std::string n = info.param.mode;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

}  // namespace
}  // namespace berth::test

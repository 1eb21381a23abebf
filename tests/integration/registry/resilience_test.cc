// Registries that go away or stop answering, through berthd and the real docker CLI: a
// pull-through cache (a second docker-registry) whose upstream is killed half-way, and a
// blob that stalls (tests/fixtures/hostile-registry stall) under a short
// daemon.json "registry-stall-timeout". Failed pulls leave the store as it was.
#include <chrono>
#include <thread>

#include "common/file.h"
#include "integration/registry/fixture.h"

namespace berth::test {
namespace {

TEST(RegistryResilience, MirrorKeepsServingWhenItsUpstreamStops) {
    BERTH_REQUIRE_ROOT();
    ASSERT_TRUE(have_registry_tools()) << "no docker CLI or docker-registry";
    auto upstream = std::make_unique<Registry>();
    ASSERT_TRUE(upstream->ready());
    for (auto name : {"library/busybox:latest", "library/uncached:latest"}) {
        auto seed =
            run_command({"skopeo", "copy", "--dest-tls-verify=false", "docker-archive:" + busybox_image_tar(),
                         "docker://" + upstream->host() + "/" + name},
                        {}, 120);
        ASSERT_EQ(seed.exit_code, 0) << seed.err;
    }
    Registry mirror({.proxy_remote_url = upstream->url()});
    ASSERT_TRUE(mirror.ready()) << mirror.log();
    Daemon d;
    ASSERT_TRUE(d.start(R"({"registry-mirrors": ["http://)" + mirror.host() + R"("]})"));

    // Through the mirror while the upstream is up: the mirror caches what it passes on.
    auto first = d.docker({"pull", "busybox"}, {}, 120);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    ASSERT_EQ(d.docker({"rmi", "busybox"}).exit_code, 0);

    // The mirror stores a blob it passes on from a second fetch of its own: let that finish.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    upstream->kill();  // stopped half-way
    auto before_blobs = store_blobs(d);
    auto before_layers = store_layers(d);

    // What the mirror has cached still pulls and runs.
    auto cached = d.docker({"pull", "busybox"}, {}, 120);
    ASSERT_EQ(cached.exit_code, 0) << cached.out << cached.err;
    EXPECT_NE(cached.out.find("Downloaded newer image for busybox:latest"), std::string::npos) << cached.out;
    auto run = d.docker({"run", "--rm", "busybox", "echo", "cached"}, {}, 60);
    EXPECT_NE(run.out.find("cached"), std::string::npos) << run.err;
    ASSERT_EQ(d.docker({"rmi", "busybox"}).exit_code, 0);
    EXPECT_EQ(store_blobs(d), before_blobs);

    // What it never fetched cannot come from anywhere: the pull falls back to Docker Hub and fails
    // with the reason, leaving the store as it was.
    auto uncached = d.docker({"pull", "uncached"}, {}, 120);
    EXPECT_NE(uncached.exit_code, 0) << uncached.out;
    EXPECT_NE(uncached.err.find("uncached"), std::string::npos) << uncached.err;
    EXPECT_EQ(store_blobs(d), before_blobs);
    EXPECT_EQ(store_layers(d), before_layers);
    EXPECT_NE(d.docker({"image", "inspect", "uncached"}).exit_code, 0);
}

TEST(RegistryResilience, StalledBlobFailsWithinTheStallTimeout) {
    BERTH_REQUIRE_ROOT();
    ASSERT_TRUE(have_registry_tools()) << "no docker CLI or docker-registry";
    Hostile h("stall");
    ASSERT_TRUE(h.ready());
    Daemon d;
    ASSERT_TRUE(d.start(R"({"registry-stall-timeout": 2})"));
    auto before_blobs = store_blobs(d);
    auto before_layers = store_layers(d);
    auto t0 = std::chrono::steady_clock::now();
    auto r = d.docker({"pull", h.image()}, {}, 120);
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE((r.out + r.err).find("stalled"), std::string::npos) << r.out << r.err;
    // One stall after the first half, one retry that brings nothing new: about twice the timeout.
    EXPECT_LT(secs, 12.0);
    EXPECT_EQ(store_blobs(d), before_blobs);
    EXPECT_EQ(store_layers(d), before_layers);
    EXPECT_NE(d.docker({"image", "inspect", h.image()}).exit_code, 0);
}

}  // namespace
}  // namespace berth::test

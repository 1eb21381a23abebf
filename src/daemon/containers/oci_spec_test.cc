#include "daemon/containers/oci_spec.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/time.h"
#include "support/support.h"

using namespace berth;
using namespace berth::daemon::containers;

namespace {

struct Rootfs {
    test::TempDir dir;
    Rootfs() {
        EXPECT_TRUE(mkdir_all(dir.path() + "/etc", 0755));
        EXPECT_TRUE(
            write_file_atomic(dir.path() + "/etc/passwd",
                              "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n"
                              "app:x:1000:1000:App User:/home/app:/bin/sh\n",
                              0644));
        EXPECT_TRUE(write_file_atomic(dir.path() + "/etc/group",
                                      "root:x:0:\nwheel:x:10:app\nstaff:x:50:app,other\napp:x:1000:\n",
                                      0644));
    }
};

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

Container sample(const std::string& user = "") {
    Container c;
    c.id = std::string(64, 'a');
    c.name = "sample";
    c.path = "sh";
    c.args = {"-c", "echo hi"};
    c.config.env = {"PATH=/bin", "A=1"};
    c.config.user = user;
    c.config.hostname = "box";
    c.host_config.memory = 64 << 20;
    c.host_config.nano_cpus = 500000000;
    c.host_config.pids_limit = 20;
    c.hosts_path = "/tmp/hosts";
    return c;
}

}  // namespace

TEST(ResolveUser, NamesNumbersAndGroups) {
    Rootfs r;
    auto u = resolve_user(r.dir.path(), "app", {});
    ASSERT_TRUE(u) << u.error().str();
    EXPECT_EQ(u->uid, 1000u);
    EXPECT_EQ(u->gid, 1000u);
    EXPECT_EQ(u->home, "/home/app");
    EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{10, 50}));

    u = resolve_user(r.dir.path(), "app:staff", {"wheel"});
    ASSERT_TRUE(u);
    EXPECT_EQ(u->gid, 50u);
    EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{10}));

    u = resolve_user(r.dir.path(), "4242:4343", {});
    ASSERT_TRUE(u);
    EXPECT_EQ(u->uid, 4242u);
    EXPECT_EQ(u->gid, 4343u);

    auto bad = resolve_user(r.dir.path(), "ghost", {});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("unable to find user ghost"), std::string::npos);
    EXPECT_FALSE(resolve_user(r.dir.path(), "app:nogroup", {}));
}

HostConfig caps_config(std::vector<std::string> add, std::vector<std::string> drop) {
    HostConfig hc;
    hc.cap_add = std::move(add);
    hc.cap_drop = std::move(drop);
    return hc;
}

TEST(Capabilities, AddDropAndAll) {
    auto caps = effective_capabilities(caps_config({"sys_admin"}, {"CAP_NET_RAW", "chown"}));
    ASSERT_TRUE(caps);
    EXPECT_TRUE(has(*caps, "CAP_SYS_ADMIN"));
    EXPECT_FALSE(has(*caps, "CAP_NET_RAW"));
    EXPECT_FALSE(has(*caps, "CAP_CHOWN"));
    EXPECT_TRUE(has(*caps, "CAP_KILL"));
    caps = effective_capabilities(caps_config({"NET_BIND_SERVICE"}, {"ALL"}));
    ASSERT_TRUE(caps);
    EXPECT_EQ(*caps, std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
    auto bad = effective_capabilities(caps_config({"CAP_FLY"}, {}));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "invalid capability: CAP_FLY");
    EXPECT_EQ(effective_capabilities(HostConfig{})->size(), default_capabilities().size());
}

TEST(OciSpec, DockerDefaultsAndResources) {
    Rootfs r;
    Container c = sample("app");
    auto spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
    ASSERT_TRUE(spec) << spec.error().str();
    auto& s = *spec;
    EXPECT_EQ(s["process"]["args"], Json({"sh", "-c", "echo hi"}));
    EXPECT_EQ(s["process"]["user"]["uid"], 1000);
    EXPECT_EQ(s["hostname"], "box");
    auto env = s["process"]["env"].get<std::vector<std::string>>();
    EXPECT_TRUE(has(env, "HOSTNAME=box"));
    EXPECT_TRUE(has(env, "HOME=/home/app"));
    EXPECT_TRUE(has(env, "PATH=/bin"));
    EXPECT_EQ(s["linux"]["resources"]["memory"]["limit"], 64 << 20);
    EXPECT_EQ(s["linux"]["resources"]["memory"]["swap"], 128 << 20);
    EXPECT_EQ(s["linux"]["resources"]["cpu"]["quota"], 50000);
    EXPECT_EQ(s["linux"]["resources"]["pids"]["limit"], 20);
    EXPECT_EQ(s["linux"]["cgroupsPath"], "/berth/" + c.id);
    EXPECT_TRUE(s["linux"].contains("seccomp"));
    EXPECT_FALSE(s["linux"]["maskedPaths"].empty());
    bool hosts = false, shm = false;
    for (auto& m : s["mounts"]) {
        hosts |= m["destination"] == "/etc/hosts" && m["source"] == "/tmp/hosts";
        shm |= m["destination"] == "/dev/shm";
    }
    EXPECT_TRUE(hosts);
    EXPECT_TRUE(shm);
    std::vector<std::string> ns;
    for (auto& n : s["linux"]["namespaces"]) ns.push_back(n["type"]);
    EXPECT_EQ(ns, (std::vector<std::string>{"mount", "network", "pid", "ipc", "uts"}));
}

TEST(OciSpec, ConsoleSizeOfATtyContainer) {
    Rootfs r;
    Container c = sample();
    c.config.tty = true;
    c.host_config.console_size = {37, 91};
    auto spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
    ASSERT_TRUE(spec) << spec.error().str();
    EXPECT_EQ((*spec)["process"]["consoleSize"], Json({{"height", 37}, {"width", 91}}));
    // [0, 0] (the CLI without a terminal) and malformed sizes leave the runtime's default.
    for (Json bad : {Json::array({0, 0}), Json::array({-1, 80}), Json("80x24"), Json::array({24})}) {
        auto hc = read_host_config({{"ConsoleSize", bad}});
        ASSERT_TRUE(hc) << hc.error().str();
        c.host_config = *hc;
        spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
        ASSERT_TRUE(spec);
        EXPECT_FALSE((*spec)["process"].contains("consoleSize")) << bad;
    }
    c.config.tty = false;
    c.host_config.console_size = {37, 91};
    spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
    ASSERT_TRUE(spec);
    EXPECT_FALSE((*spec)["process"].contains("consoleSize"));
}

TEST(OciSpec, PrivilegedAndHostNetwork) {
    Rootfs r;
    Container c = sample();
    c.host_config.privileged = true;
    c.host_config.network_mode = "host";
    auto spec = build_oci_spec({&c, r.dir.path(), "/berth", true, ""});
    ASSERT_TRUE(spec);
    EXPECT_FALSE((*spec)["linux"].contains("seccomp"));
    EXPECT_FALSE((*spec)["linux"].contains("maskedPaths"));
    EXPECT_FALSE(spec->contains("hostname"));
    for (auto& n : (*spec)["linux"]["namespaces"]) EXPECT_NE(n["type"], "network");
    EXPECT_GT((*spec)["process"]["capabilities"]["bounding"].size(), 30u);
}

TEST(OciSpec, BadBindsAndTmpfsAreNamed) {
    Rootfs r;
    Container c = sample();
    c.host_config.binds = {"relative:/data"};
    auto spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
    ASSERT_FALSE(spec);
    EXPECT_NE(spec.error().message().find("relative:/data"), std::string::npos);
    c.host_config.binds.clear();
    c.host_config.tmpfs = {{"run", ""}};
    spec = build_oci_spec({&c, r.dir.path(), "/berth", false, ""});
    ASSERT_FALSE(spec);
    EXPECT_NE(spec.error().message().find("tmpfs"), std::string::npos);
}

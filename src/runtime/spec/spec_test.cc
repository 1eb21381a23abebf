#include "runtime/spec/spec.h"

#include <gtest/gtest.h>

namespace berth::runtime::spec {
namespace {

Json base() {
    auto j = default_spec_json();
    j["process"]["args"] = {"true"};
    return j;
}

std::string error_of(const Json& j) {
    auto r = parse_spec(j, "/bundle");
    EXPECT_FALSE(r) << "expected an error";
    return r ? "" : r.error().str();
}

TEST(Spec, DefaultSpecParses) {
    auto r = parse_spec(base(), "/bundle");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->root.path, "/bundle/rootfs");
    EXPECT_TRUE(r->root.readonly);
    ASSERT_TRUE(r->linux);
    EXPECT_TRUE(r->linux->has_namespace(NamespaceType::Pid));
    EXPECT_FALSE(r->linux->has_namespace(NamespaceType::User));
    EXPECT_EQ(r->mounts.size(), 7u);
    ASSERT_TRUE(r->process);
    EXPECT_EQ(r->process->rlimits.at(0).type, "RLIMIT_NOFILE");
    EXPECT_TRUE(r->process->no_new_privileges);
    EXPECT_EQ(r->hostname, "berth");
}

TEST(Spec, RootlessSpecHasUserNamespace) {
    auto r = parse_spec(default_spec_json(true), "/b");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_TRUE(r->linux->has_namespace(NamespaceType::User));
    EXPECT_EQ(r->linux->uid_mappings.at(0).host_id, 1000u);
}

TEST(Spec, ErrorsNameTheField) {
    auto j = base();
    j["process"]["args"] = Json::array();
    EXPECT_EQ(error_of(j), "process.args: must not be empty");

    j = base();
    j["process"]["args"][0] = 5;
    EXPECT_EQ(error_of(j), "process.args[0]: expected string, got number");

    j = base();
    j["linux"]["namespaces"].push_back({{"type", "foo"}});
    EXPECT_EQ(error_of(j), "linux.namespaces[6].type: unknown namespace \"foo\"");

    j = base();
    j.erase("root");
    EXPECT_EQ(error_of(j), "root: required");

    j = base();
    j["mounts"][1]["destination"] = "dev";
    EXPECT_NE(error_of(j).find("mounts[1].destination: must be an absolute path"), std::string::npos);

    j = base();
    j["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS";
    EXPECT_EQ(error_of(j), "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");

    j = base();
    j["process"]["capabilities"]["bounding"][0] = "NET_ADMIN";
    EXPECT_NE(error_of(j).find("unknown capability \"NET_ADMIN\""), std::string::npos);

    j = base();
    j["linux"]["resources"]["memory"] = {{"limit", "lots"}};
    EXPECT_EQ(error_of(j), "linux.resources.memory.limit: expected integer, got string");

    j = base();
    j["ociVersion"] = "0.9";
    EXPECT_NE(error_of(j).find("ociVersion"), std::string::npos);

    j = base();
    j["linux"]["namespaces"].push_back({{"type", "user"}});
    EXPECT_NE(error_of(j).find("uidMappings"), std::string::npos);
}

TEST(Spec, ResourcesAndSeccomp) {
    auto j = base();
    j["linux"]["resources"]["memory"] = {{"limit", 1 << 20}, {"swap", 2 << 20}};
    j["linux"]["resources"]["pids"] = {{"limit", 10}};
    j["linux"]["resources"]["cpu"] = {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}};
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"syscalls",
                              {{{"names", {"getcwd"}},
                                {"action", "SCMP_ACT_ERRNO"},
                                {"errnoRet", 1},
                                {"args", {{{"index", 0}, {"value", 0}, {"op", "SCMP_CMP_NE"}}}}}}}};
    auto r = parse_spec(j, "/b");
    ASSERT_TRUE(r) << r.error().str();
    auto& res = *r->linux->resources;
    EXPECT_EQ(*res.memory->limit, 1 << 20);
    EXPECT_EQ(res.pids->limit, 10);
    EXPECT_EQ(*res.cpu->quota, 50000);
    EXPECT_EQ(res.cpu->cpus, "0");
    ASSERT_EQ(r->linux->seccomp->syscalls.size(), 1u);
    EXPECT_EQ(r->linux->seccomp->syscalls[0].args[0].op, "SCMP_CMP_NE");
    EXPECT_EQ(*r->linux->seccomp->syscalls[0].errno_ret, 1u);
}

TEST(Spec, NamespaceHelpers) {
    EXPECT_EQ(*namespace_from_name("network"), NamespaceType::Network);
    EXPECT_STREQ(namespace_proc_name(NamespaceType::Network), "net");
    EXPECT_FALSE(namespace_from_name("nope"));
}

TEST(Spec, NotAnObject) {
    EXPECT_NE(error_of(Json::array()).find("expected an object"), std::string::npos);
}

}  // namespace
}  // namespace berth::runtime::spec

#include "daemon/config/config.h"

#include <gtest/gtest.h>

namespace berth::daemon {
namespace {

std::string error_of(const Json& j) {
    Config c;
    auto r = apply_json(c, j, "daemon.json");
    return r ? "" : r.error().str();
}

TEST(DaemonConfig, TutorialExampleParses) {
    Config c;
    auto j = Json::parse(
        R"({"registry-mirrors": ["https://mirror.example"], "insecure-registries": ["localhost:5000"],
        "log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}, "live-restore": true,
        "bip": "10.200.0.1/24", "default-address-pools": [{"base": "10.201.0.0/16", "size": 24}],
        "data-root": "/srv/berth", "hosts": ["unix:///run/b.sock"], "max-concurrent-downloads": 5})");
    ASSERT_TRUE(apply_json(c, j, "daemon.json"));
    EXPECT_EQ(c.registry_mirrors.at(0), "https://mirror.example");
    EXPECT_EQ(c.log_opts["max-size"], "10m");
    EXPECT_TRUE(c.live_restore);
    EXPECT_EQ(c.default_address_pools.at(0).size, 24);
    EXPECT_EQ(c.data_root, "/srv/berth");
    EXPECT_EQ(c.max_concurrent_downloads, 5);
    EXPECT_TRUE(validate(c));
}

TEST(DaemonConfig, UnknownKeyIsAnError) {
    EXPECT_NE(error_of({{"no-such-option", 1}}).find("unknown configuration key \"no-such-option\""),
              std::string::npos);
}

TEST(DaemonConfig, DockerKeysWeIgnoreWarn) {
    Config c;
    ASSERT_TRUE(apply_json(c, {{"storage-driver", "overlay2"}}, "daemon.json"));
    ASSERT_EQ(c.warnings.size(), 1u);
}

TEST(DaemonConfig, BadValuesNameTheKey) {
    EXPECT_NE(error_of({{"live-restore", "yes"}}).find("\"live-restore\": expected true or false"),
              std::string::npos);
    EXPECT_NE(error_of({{"bip", "300.1.1.1/24"}}).find("\"bip\""), std::string::npos);
    EXPECT_NE(error_of({{"log-level", "loud"}}).find("unknown level"), std::string::npos);
    EXPECT_NE(error_of({{"max-concurrent-downloads", 0}}).find("between 1 and 64"), std::string::npos);
    EXPECT_NE(error_of({{"default-address-pools", {{{"base", "10.0.0.0/8"}, {"size", 4}}}}}).find("size"),
              std::string::npos);
    EXPECT_NE(error_of(Json::array()).find("expected a JSON object"), std::string::npos);
}

TEST(DaemonConfig, RegistryKeysOfBerth) {
    Config c;
    EXPECT_EQ(c.registry_certs_dir, "/etc/berth/certs.d");
    EXPECT_EQ(c.registry_stall_timeout, 30);
    ASSERT_TRUE(
        apply_json(c, {{"registry-certs-dir", "/tmp/certs"}, {"registry-stall-timeout", 2}}, "daemon.json"));
    EXPECT_EQ(c.registry_certs_dir, "/tmp/certs");
    EXPECT_EQ(c.registry_stall_timeout, 2);
    EXPECT_NE(error_of({{"registry-stall-timeout", 0}}).find("\"registry-stall-timeout\""),
              std::string::npos);
    EXPECT_NE(error_of({{"registry-certs-dir", 5}}).find("\"registry-certs-dir\""), std::string::npos);
}

TEST(DaemonConfig, TcpNeedsTls) {
    Config c;
    c.hosts = {"tcp://127.0.0.1:2376"};
    auto r = validate(c);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("TLS"), std::string::npos);
    c.insecure_tcp = true;
    EXPECT_TRUE(validate(c));
}

TEST(DaemonConfig, ParseHost) {
    auto u = parse_host("unix:///run/berth/berth.sock");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->path, "/run/berth/berth.sock");
    auto t = parse_host("tcp://0.0.0.0:2376");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->port, 2376);
    EXPECT_FALSE(parse_host("tcp://host"));
    EXPECT_FALSE(parse_host("http://x"));
    EXPECT_FALSE(parse_host("unix://relative"));
    auto all = parse_host("fd://");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->kind, HostAddr::Kind::Fd);
    EXPECT_EQ(all->fd, -1);
    auto three = parse_host("fd://3");
    ASSERT_TRUE(three);
    EXPECT_EQ(three->fd, 3);
    EXPECT_FALSE(parse_host("fd://x"));
    EXPECT_FALSE(parse_host("fd://1"));
}

}  // namespace
}  // namespace berth::daemon

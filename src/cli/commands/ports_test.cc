// The port notation, the PORTS column and the networking flag validators against what
// docker CLI 28.2.2 does (results and messages captured from that CLI).
#include "cli/commands/ports.h"

#include <gtest/gtest.h>

#include "cli/commands/netopts.h"

namespace berth::cli {
namespace {

std::string err_of(const std::vector<std::string>& specs) {
    auto r = publish_specs(specs);
    return r ? "" : r.error().str();
}

TEST(PortSpecs, DockerForms) {
    auto r = publish_specs({"8080:80"});
    ASSERT_TRUE(r);
    EXPECT_EQ(bindings_json(r->bindings), Json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"}]})"));
    EXPECT_EQ(exposed_json(r->exposed), Json::parse(R"({"80/tcp":{}})"));

    r = publish_specs({"127.0.0.1::80", "80", "53:53/udp", "9:9/sctp", "[::1]:81:81", "90/UDP"});
    ASSERT_TRUE(r);
    EXPECT_EQ(bindings_json(r->bindings), Json::parse(R"({
        "80/tcp":[{"HostIp":"127.0.0.1","HostPort":""},{"HostIp":"","HostPort":""}],
        "53/udp":[{"HostIp":"","HostPort":"53"}],
        "9/sctp":[{"HostIp":"","HostPort":"9"}],
        "81/tcp":[{"HostIp":"::1","HostPort":"81"}],
        "90/udp":[{"HostIp":"","HostPort":""}]})"));

    r = publish_specs({"8000-8002:80-82"});
    ASSERT_TRUE(r);
    EXPECT_EQ(bindings_json(r->bindings), Json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8000"}],
        "81/tcp":[{"HostIp":"","HostPort":"8001"}],"82/tcp":[{"HostIp":"","HostPort":"8002"}]})"));
    // A host range for one container port: the daemon picks a port in the range.
    r = publish_specs({"8000-8010:80"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->bindings["80/tcp"][0], (PortBinding{"", "8000-8010"}));
    // The long form.
    r = publish_specs({"published=8080,target=80,protocol=udp"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->bindings["80/udp"][0], (PortBinding{"", "8080"}));
}

TEST(PortSpecs, DockerErrors) {
    EXPECT_EQ(err_of({"x"}), "invalid containerPort: x");
    EXPECT_EQ(err_of({"8080:x"}), "invalid containerPort: x");
    EXPECT_EQ(err_of({"x:80"}), "invalid hostPort: x");
    EXPECT_EQ(err_of({"80/foo"}), "invalid proto: foo");
    EXPECT_EQ(err_of({"1.2.3:80:80"}), "invalid IP address: 1.2.3");
    EXPECT_EQ(err_of({"8000-8001:80-82"}),
              "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
    EXPECT_EQ(err_of({"70000"}), "invalid containerPort: 70000");
    EXPECT_EQ(err_of({""}), "no port specified: <empty>");
    EXPECT_EQ(err_of({"80:"}), "no port specified: 80:<empty>");
    EXPECT_EQ(err_of({"[::1:80:80"}), "invalid IP address [::1: address [::1:: missing ']' in address");
    EXPECT_EQ(err_of({"90-80"}), "invalid containerPort: 90-80");
    EXPECT_EQ(err_of({"published=8080"}), "no port specified: 8080:/tcp<empty>");
    EXPECT_EQ(err_of({"published=8080,bad"}),
              "invalid publish opts format (should be name=value but got 'bad')");
}

TEST(PortSpecs, Expose) {
    std::set<std::string> e;
    ASSERT_TRUE(add_exposed({"80", "90-92/udp"}, e));
    EXPECT_EQ(e, (std::set<std::string>{"80/tcp", "90/udp", "91/udp", "92/udp"}));
    auto r = add_exposed({"80:90"}, e);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().str(), "invalid port format for --expose: 80:90");
    r = add_exposed({"x"}, e);
    ASSERT_FALSE(r);
    EXPECT_EQ(
        r.error().str(),
        "invalid range format for --expose: x, error: strconv.ParseUint: parsing \"x\": invalid syntax");
}

Json port(const std::string& ip, int priv, int pub, const std::string& type = "tcp") {
    Json p = {{"PrivatePort", priv}, {"Type", type}};
    if (!ip.empty()) p["IP"] = ip;
    if (pub) p["PublicPort"] = pub;
    return p;
}

TEST(PortsColumn, DockerDisplayablePorts) {
    EXPECT_EQ(ports_column(Json::array()), "");
    EXPECT_EQ(ports_column(Json{port("0.0.0.0", 80, 8080), port("", 443, 0)}),
              "443/tcp, 0.0.0.0:8080->80/tcp");
    // Same-numbered published ports and unpublished ports are grouped into ranges.
    EXPECT_EQ(ports_column(Json{port("0.0.0.0", 8001, 8001), port("0.0.0.0", 8000, 8000),
                                port("0.0.0.0", 8002, 8002)}),
              "0.0.0.0:8000-8002->8000-8002/tcp");
    EXPECT_EQ(ports_column(Json{port("", 80, 0), port("", 81, 0), port("", 83, 0, "udp")}),
              "80-81/tcp, 83/udp");
    // Different host and container numbers are listed one by one, as docker does.
    EXPECT_EQ(ports_column(Json{port("0.0.0.0", 81, 8001), port("0.0.0.0", 80, 8000)}),
              "0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp");
    EXPECT_EQ(ports_column(Json{port("::", 80, 8080), port("0.0.0.0", 80, 8080)}),
              "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
}

TEST(PortsColumn, NaturalOrder) {
    EXPECT_TRUE(natural_less("80/tcp -> 0.0.0.0:8080", "443/tcp -> 0.0.0.0:8443"));
    EXPECT_TRUE(natural_less("net2", "net10"));
    EXPECT_FALSE(natural_less("b", "a"));
    EXPECT_TRUE(natural_less("a", "ab"));
}

TEST(NetOpts, Validators) {
    EXPECT_EQ(*validate_extra_host("db:10.0.0.2"), "db:10.0.0.2");
    EXPECT_EQ(*validate_extra_host("a=1.2.3.4"), "a:1.2.3.4");
    EXPECT_EQ(*validate_extra_host("v6=[::1]"), "v6:::1");
    EXPECT_EQ(*validate_extra_host("gw:host-gateway"), "gw:host-gateway");
    EXPECT_EQ(validate_extra_host("foo").error().str(), "bad format for add-host: \"foo\"");
    EXPECT_EQ(validate_extra_host(":1.2.3.4").error().str(), "bad format for add-host: \":1.2.3.4\"");
    EXPECT_EQ(validate_extra_host("foo:bar").error().str(), "invalid IP address in add-host: \"bar\"");
    EXPECT_EQ(*validate_dns("0:0::1"), "::1");
    EXPECT_EQ(validate_dns("x").error().str(), "IP address is not correctly formatted: x");
    EXPECT_EQ(*validate_dns_search("example.com"), "example.com");
    EXPECT_EQ(*validate_dns_search("."), ".");
    EXPECT_EQ(validate_dns_search("-bad").error().str(), "-bad is not a valid domain");
    EXPECT_TRUE(valid_mac("92:d0:c6:0a:29:33"));
    EXPECT_TRUE(valid_mac("92-d0-c6-0a-29-33"));
    EXPECT_FALSE(valid_mac("zz"));
    EXPECT_FALSE(valid_mac("92:d0:c6:0a:29"));
}

TEST(NetOpts, NetworkFlag) {
    auto a = parse_network_flag("name=mynet,alias=web,ip=10.1.0.7");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->target, "mynet");
    EXPECT_EQ(a->aliases, std::vector<std::string>{"web"});
    EXPECT_EQ(a->ipv4, "10.1.0.7");
    EXPECT_EQ(parse_network_flag("name=")->target, "name=");  // not the long syntax
    EXPECT_EQ(parse_network_flag("name=a,foo=b").error().str(), "invalid field key foo");
    EXPECT_TRUE(is_user_defined("mynet"));
    for (const char* m : {"default", "bridge", "host", "none", "container:abc"})
        EXPECT_FALSE(is_user_defined(m));
}

}  // namespace
}  // namespace berth::cli

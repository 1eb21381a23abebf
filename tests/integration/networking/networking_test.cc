// Container networking through berthd, driven by the real docker CLI: the default bridge
// (eth0 with its lease, /etc/hosts), published ports reached from the host and from a
// second namespace acting as another host, user-defined networks with names and aliases
// through the embedded DNS, connect/disconnect, --internal, host/none/container modes,
// leases and rules across a daemon crash, nothing left behind, and bad input.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "support/daemon.h"

namespace berth::test {
namespace {

// A network namespace wired to the host by a veth pair, routed through it: "another host".
class OtherHost {
public:
    OtherHost() {
        int n = getpid() % 200;
        ns_ = "bnh" + std::to_string(getpid());
        veth_ = "bvh" + std::to_string(getpid());
        host_ip_ = "10.251." + std::to_string(n) + ".1";
        run_shell("ip netns add " + ns_ + " && ip link add " + veth_ + " type veth peer name eth0 netns " +
                  ns_ + " && ip addr add " + host_ip_ + "/30 dev " + veth_ + " && ip link set " + veth_ +
                  " up && ip -n " + ns_ + " addr add 10.251." + std::to_string(n) +
                  ".2/30 dev eth0 && ip -n " + ns_ + " link set eth0 up && ip -n " + ns_ +
                  " link set lo up && ip -n " + ns_ + " route add default via " + host_ip_);
    }
    ~OtherHost() {
        run_shell("ip link del " + veth_ + " 2>/dev/null; ip netns del " + ns_ + " 2>/dev/null; true");
    }
    CommandResult run(const std::string& cmd) const {
        return run_shell("ip netns exec " + ns_ + " " + cmd, 20);
    }
    const std::string& host_ip() const { return host_ip_; }

private:
    std::string ns_, veth_, host_ip_;
};

class Networking : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        d_ = std::make_unique<Daemon>("networking");
        ASSERT_TRUE(d_->start()) << read_file(d_->dir() + "/berthd.log").value_or("");
        ASSERT_TRUE(d_->load_busybox());
    }
    CommandResult docker(std::vector<std::string> args) { return d_->docker(std::move(args)); }
    std::string out(std::vector<std::string> args) {
        auto r = docker(args);
        EXPECT_EQ(r.exit_code, 0) << r.err << "\n(docker " << args.front() << ")";
        return trim(r.out);
    }
    std::string subnet_prefix() const {  // "10.x.y." of the daemon's bip
        const std::string& bip = d_->network().bip();
        return bip.substr(0, bip.rfind('.') + 1);
    }
    // Fetches url with curl (from the host, or from the other host's namespace).
    static CommandResult fetch(const std::string& url, const OtherHost* from = nullptr) {
        std::string cmd = "curl -sf --max-time 3 " + url;
        return from ? from->run(cmd) : run_shell(cmd, 20);
    }
    std::unique_ptr<Daemon> d_;
};

TEST_F(Networking, DefaultBridgeGivesEth0ItsLease) {
    auto addr = out({"run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0"});
    EXPECT_NE(addr.find("inet " + subnet_prefix()), std::string::npos) << addr;
    EXPECT_NE(addr.find("/24"), std::string::npos) << addr;
    auto route = out({"run", "--rm", "busybox", "ip", "route"});
    EXPECT_NE(route.find("default via " + subnet_prefix() + "1"), std::string::npos) << route;

    std::string id = out({"run", "-d", "--name", "bridged", "--hostname", "web1", "busybox", "sleep", "60"});
    std::string ip = out({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "bridged"});
    EXPECT_EQ(ip.rfind(subnet_prefix(), 0), 0u) << ip;
    EXPECT_EQ(out({"inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "bridged"}), ip);
    EXPECT_EQ(out({"inspect", "-f", "{{.NetworkSettings.MacAddress}}", "bridged"}).substr(0, 6), "02:42:");
    auto hosts = out({"exec", "bridged", "cat", "/etc/hosts"});
    EXPECT_NE(hosts.find(ip + "\tweb1"), std::string::npos) << hosts;
    // The host reaches the container's address over the bridge, and the container the host.
    EXPECT_EQ(run_shell("/bin/busybox ping -c1 -W2 " + ip).exit_code, 0);
    EXPECT_EQ(docker({"exec", "bridged", "ping", "-c1", "-W2", subnet_prefix() + "1"}).exit_code, 0);
    // The network shows its endpoint.
    EXPECT_NE(out({"network", "inspect", "-f", "{{json .Containers}}", "bridge"}).find(id),
              std::string::npos);
    out({"rm", "-f", "bridged"});
    EXPECT_EQ(out({"network", "inspect", "-f", "{{json .Containers}}", "bridge"}), "{}");
}

TEST_F(Networking, PublishedPortsReachFromHostAndAnotherHost) {
    OtherHost other;
    int port = free_port();
    out({"run", "-d", "--name", "web", "-p", std::to_string(port) + ":80", "busybox", "httpd", "-f", "-p",
         "80", "-h", "/etc"});
    EXPECT_EQ(out({"port", "web"}), "80/tcp -> 0.0.0.0:" + std::to_string(port));
    EXPECT_EQ(out({"ps", "--filter", "publish=" + std::to_string(port), "--format", "{{.Names}}"}), "web");
    EXPECT_EQ(
        out({"ps", "--filter", "expose=80/tcp", "--filter", "network=bridge", "--format", "{{.Names}}"}),
        "web");
    EXPECT_EQ(out({"ps", "--filter", "publish=1", "--format", "{{.Names}}"}), "");
    EXPECT_NE(out({"ps", "--format", "{{.Ports}}"}).find("0.0.0.0:" + std::to_string(port) + "->80/tcp"),
              std::string::npos);
    std::string hostname = out({"exec", "web", "hostname"});
    std::string url = ":" + std::to_string(port) + "/hostname";
    auto r = fetch("http://127.0.0.1" + url);
    EXPECT_EQ(trim(r.out), hostname) << r.err;
    r = fetch("http://" + other.host_ip() + url);  // the host's own address, from the host
    EXPECT_EQ(trim(r.out), hostname) << r.err;
    r = fetch("http://" + other.host_ip() + url, &other);  // from another host
    EXPECT_EQ(trim(r.out), hostname) << r.err;

    // The port is taken: a second container cannot have it, and the first keeps serving.
    auto clash =
        docker({"run", "-d", "--name", "web2", "-p", std::to_string(port) + ":80", "busybox", "sleep", "30"});
    EXPECT_NE(clash.exit_code, 0);
    EXPECT_NE(clash.err.find("port is already allocated"), std::string::npos) << clash.err;
    EXPECT_EQ(out({"ps", "-a", "--filter", "name=web2", "--format", "{{.Status}}"}).find("Up"),
              std::string::npos);
    EXPECT_EQ(trim(fetch("http://127.0.0.1" + url).out), hostname);

    // -P: EXPOSEd ports get ephemeral host ports.
    out({"run", "-d", "--name", "webp", "--expose", "80", "-P", "busybox", "httpd", "-f", "-p", "80", "-h",
         "/etc"});
    std::string mapped = out({"port", "webp", "80"});
    auto colon = mapped.rfind(':');
    ASSERT_NE(colon, std::string::npos) << mapped;
    r = fetch("http://127.0.0.1:" + mapped.substr(colon + 1) + "/hostname");
    EXPECT_EQ(trim(r.out), out({"exec", "webp", "hostname"})) << r.err;

    // Stopping the container removes its rules: the port answers no more.
    out({"rm", "-f", "web", "webp"});
    EXPECT_NE(fetch("http://127.0.0.1" + url).exit_code, 0);
    EXPECT_NE(fetch("http://" + other.host_ip() + url, &other).exit_code, 0);
    auto maps = run_shell("nft list map ip " + d_->network().nft_table() + " ports");
    EXPECT_EQ(maps.out.find("elements"), std::string::npos) << maps.out;
}

TEST_F(Networking, UserDefinedNetworksResolveNamesAndAliases) {
    std::string since = std::to_string(time(nullptr) - 1);
    out({"network", "create", "--subnet", "10.252.7.0/24", "--label", "team=net", "appnet"});
    auto ls = out({"network", "ls", "--filter", "label=team=net", "--format", "{{.Name}} {{.Driver}}"});
    EXPECT_EQ(ls, "appnet bridge");
    out({"run", "-d", "--name", "db1", "--network", "appnet", "--network-alias", "database", "busybox",
         "sleep", "60"});
    out({"run", "-d", "--name", "fixed", "--network", "appnet", "--ip", "10.252.7.50", "busybox", "sleep",
         "60"});
    EXPECT_EQ(out({"inspect", "-f", "{{.NetworkSettings.Networks.appnet.IPAddress}}", "fixed"}),
              "10.252.7.50");
    std::string db_ip = out({"inspect", "-f", "{{.NetworkSettings.Networks.appnet.IPAddress}}", "db1"});
    auto r =
        docker({"run", "--rm", "--network", "appnet", "busybox", "sh", "-c",
                "cat /etc/resolv.conf; nslookup db1; nslookup database; ping -c1 -W2 database && ping -c1 "
                "-W2 fixed"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("nameserver 127.0.0.11"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Address: " + db_ip), std::string::npos) << r.out;
    // A renamed container answers to its new name.
    out({"rename", "db1", "db2"});
    EXPECT_EQ(
        docker({"run", "--rm", "--network", "appnet", "busybox", "ping", "-c1", "-W2", "db2"}).exit_code, 0);
    out({"rename", "db2", "db1"});
    // A fixed address is never handed out twice.
    auto dup = docker({"run", "-d", "--network", "appnet", "--ip", "10.252.7.50", "busybox", "true"});
    EXPECT_NE(dup.exit_code, 0);
    EXPECT_NE(dup.err.find("already in use"), std::string::npos) << dup.err;

    // connect/disconnect a running container: eth1 comes and goes.
    out({"run", "-d", "--name", "roamer", "busybox", "sleep", "60"});
    out({"network", "connect", "--alias", "wanderer", "appnet", "roamer"});
    auto links = out({"exec", "roamer", "ip", "-o", "-4", "addr"});
    EXPECT_NE(links.find("eth1"), std::string::npos) << links;
    EXPECT_NE(links.find("10.252.7."), std::string::npos) << links;
    EXPECT_EQ(docker({"exec", "db1", "ping", "-c1", "-W2", "wanderer"}).exit_code, 0);
    out({"network", "disconnect", "appnet", "roamer"});
    links = out({"exec", "roamer", "ip", "-o", "-4", "addr"});
    EXPECT_EQ(links.find("eth1"), std::string::npos) << links;
    EXPECT_NE(docker({"exec", "db1", "ping", "-c1", "-W1", "wanderer"}).exit_code, 0);

    // A network in use cannot go; once empty it can.
    auto busy = docker({"network", "rm", "appnet"});
    EXPECT_NE(busy.exit_code, 0);
    EXPECT_NE(busy.err.find("active endpoints"), std::string::npos) << busy.err;
    out({"rm", "-f", "db1", "fixed", "roamer"});
    out({"network", "rm", "appnet"});
    auto events = out({"events", "--since", since, "--until", std::to_string(time(nullptr) + 1), "--filter",
                       "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}}"});
    for (const char* e : {"create appnet", "connect appnet", "disconnect appnet", "destroy appnet"})
        EXPECT_NE(events.find(e), std::string::npos) << e << " in\n" << events;
}

TEST_F(Networking, InternalNetworksHaveNoWayOut) {
    out({"network", "create", "--internal", "--subnet", "10.252.9.0/24", "inside"});
    out({"run", "-d", "--name", "in1", "--network", "inside", "busybox", "sleep", "60"});
    // Its peers, yes; the host's other addresses or anything beyond, no.
    EXPECT_EQ(
        docker({"run", "--rm", "--network", "inside", "busybox", "ping", "-c1", "-W2", "in1"}).exit_code, 0);
    auto out_ = docker(
        {"run", "--rm", "--network", "inside", "busybox", "sh", "-c", "ip route; ping -c1 -W1 8.8.8.8"});
    EXPECT_NE(out_.exit_code, 0) << out_.out;
    EXPECT_EQ(out_.out.find("default"), std::string::npos) << out_.out;
}

TEST_F(Networking, HostNoneAndContainerModes) {
    auto none = out({"run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"});
    EXPECT_NE(none.find("lo:"), std::string::npos);
    EXPECT_EQ(none.find("eth0"), std::string::npos) << none;
    EXPECT_NE(none.find("UP"), std::string::npos) << none;  // loopback is up
    auto host = out({"run", "--rm", "--network", "host", "busybox", "ip", "-o", "link"});
    EXPECT_NE(host.find(d_->network().bridge()), std::string::npos) << host;
    out({"run", "-d", "--name", "owner", "busybox", "sleep", "60"});
    std::string ip = out({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "owner"});
    auto shared = out({"run", "--rm", "--network", "container:owner", "busybox", "ip", "-4", "-o", "addr"});
    EXPECT_NE(shared.find(ip + "/"), std::string::npos) << shared;
}

TEST_F(Networking, DnsAndHostsOptions) {
    auto files = out({"run", "--rm", "--dns", "192.0.2.53", "--dns-search", "example.org", "--dns-option",
                      "ndots:2", "--add-host", "db:10.1.2.3", "--add-host", "gw:host-gateway", "--hostname",
                      "box1", "busybox", "cat", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname"});
    EXPECT_NE(files.find("nameserver 192.0.2.53\n"), std::string::npos) << files;
    EXPECT_NE(files.find("search example.org\n"), std::string::npos) << files;
    EXPECT_NE(files.find("options ndots:2\n"), std::string::npos) << files;
    EXPECT_NE(files.find("10.1.2.3\tdb\n"), std::string::npos) << files;
    EXPECT_NE(files.find(subnet_prefix() + "1\tgw\n"), std::string::npos) << files;
    EXPECT_NE(files.find("\tbox1\n"), std::string::npos) << files;
    auto mac = out({"run", "--rm", "--mac-address", "02:42:de:ad:be:ef", "busybox", "cat",
                    "/sys/class/net/eth0/address"});
    EXPECT_EQ(mac, "02:42:de:ad:be:ef");
}

TEST_F(Networking, LeasesAndRulesSurviveADaemonCrash) {
    d_->stop();
    ASSERT_TRUE(d_->start(R"({"live-restore": true})"));
    int port = free_port();
    out({"run", "-d", "--name", "keeper", "-p", "127.0.0.1:" + std::to_string(port) + ":80", "busybox",
         "httpd", "-f", "-p", "80", "-h", "/etc"});
    std::string ip = out({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "keeper"});
    d_->kill9();
    ASSERT_TRUE(d_->start(R"({"live-restore": true})")) << read_file(d_->dir() + "/berthd.log").value_or("");
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Running}} {{.NetworkSettings.IPAddress}}", "keeper"}),
              "true " + ip);
    std::string hostname = out({"exec", "keeper", "hostname"});
    EXPECT_EQ(trim(fetch("http://127.0.0.1:" + std::to_string(port) + "/hostname").out), hostname);
    // The port is still held, the address still leased.
    auto clash =
        docker({"run", "--rm", "-p", "127.0.0.1:" + std::to_string(port) + ":80", "busybox", "true"});
    EXPECT_NE(clash.exit_code, 0);
    for (int i = 0; i < 3; ++i) {
        auto fresh = out({"run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0"});
        EXPECT_EQ(fresh.find("inet " + ip + "/"), std::string::npos) << fresh;
    }
    out({"rm", "-f", "keeper"});
    EXPECT_NE(fetch("http://127.0.0.1:" + std::to_string(port) + "/hostname").exit_code, 0);
}

TEST_F(Networking, NothingIsLeftBehind) {
    out({"network", "create", "--subnet", "10.252.11.0/24", "tmpnet"});
    std::string net_id = out({"network", "inspect", "-f", "{{.Id}}", "tmpnet"});
    int port = free_port();
    out({"run", "-d", "--name", "l1", "--network", "tmpnet", "busybox", "sleep", "60"});
    out({"run", "-d", "--name", "l2", "-p", std::to_string(port) + ":80", "busybox", "sleep", "60"});
    out({"network", "connect", "tmpnet", "l2"});
    out({"rm", "-f", "l1", "l2"});
    out({"network", "rm", "tmpnet"});
    auto links = run_shell("ip -o link").out;
    EXPECT_EQ(links.find("br-" + net_id.substr(0, 12)), std::string::npos) << links;
    EXPECT_EQ(links.find("master " + d_->network().bridge()), std::string::npos) << links;
    auto table = run_shell("nft list table ip " + d_->network().nft_table()).out;
    EXPECT_EQ(table.find("10.252.11."), std::string::npos) << table;
    EXPECT_EQ(table.find(std::to_string(port)), std::string::npos) << table;
    EXPECT_EQ(out({"network", "inspect", "-f", "{{json .Containers}}", "bridge"}), "{}");
}

TEST_F(Networking, BadInputGetsClearErrors) {
    out({"network", "create", "--subnet", "10.252.13.0/24", "first"});
    auto r = docker({"network", "create", "--subnet", "10.252.13.128/25", "second"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("overlaps"), std::string::npos) << r.err;
    r = docker({"network", "create", "--subnet", "10.252.300.0/24", "third"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("10.252.300.0/24"), std::string::npos) << r.err;
    r = docker({"network", "create", "first"});
    EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
    r = docker({"run", "--rm", "--network", "nope", "busybox", "true"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("network nope not found"), std::string::npos) << r.err;
    out({"run", "-d", "--name", "c1", "busybox", "sleep", "60"});
    r = docker({"network", "connect", "nope", "c1"});
    EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
    r = docker({"network", "rm", "bridge"});
    EXPECT_NE(r.err.find("pre-defined network"), std::string::npos) << r.err;
    // Through the API: a malformed port binding is a 400 that names it.
    auto api =
        d_->curl({"-s", "-w", "\n%{http_code}", "-XPOST", "-H", "Content-Type: application/json", "-d",
                  R"({"Image":"busybox","HostConfig":{"PortBindings":{"eighty/tcp":[{"HostPort":"1"}]}}})",
                  "http://d/containers/create"});
    EXPECT_NE(api.out.find("invalid containerPort: eighty"), std::string::npos) << api.out;
    EXPECT_NE(api.out.find("\n400"), std::string::npos) << api.out;
    api = d_->curl({"-s", "-w", "\n%{http_code}", "-XPOST", "-H", "Content-Type: application/json", "-d",
                    R"({"Name":"x1","IPAM":{"Config":[{"Subnet":"10.252.20.0/24","Gateway":"10.9.9.9"}]}})",
                    "http://d/networks/create"});
    EXPECT_NE(api.out.find("\n400"), std::string::npos) << api.out;
    // Nothing was half made: the failed networks do not exist, the good one still works.
    EXPECT_EQ(out({"network", "ls", "-q", "--filter", "name=second"}), "");
    EXPECT_EQ(out({"network", "ls", "-q", "--filter", "name=x1"}), "");
    EXPECT_EQ(docker({"run", "--rm", "--network", "first", "busybox", "true"}).exit_code, 0);
}

}  // namespace
}  // namespace berth::test

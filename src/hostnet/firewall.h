// NAT and published ports with libnftables, in Berth's OWN tables (`ip berth`, plus
// `bridge berth` for icc=false): other tables, iptables-nft ones included, are never read
// or touched.
//
// The table holds two maps that every published port is an element of, so adding or
// removing a container's ports is one small transaction whatever the number of containers:
//   ports       proto . host port            -> container ip . port  (host_ip "" / 0.0.0.0)
//   addr_ports  host ip . proto . host port  -> container ip . port  (one host address)
// DNAT happens in prerouting (traffic from other hosts/namespaces) and in output (the
// host's own traffic, 127.0.0.1 included; the bridge then needs route_localnet, see
// link.h enable_forwarding). Each bridge adds a few rules tagged with its name: masquerade
// of its subnet leaving by other interfaces, masquerade of 127.0.0.0/8 and hairpin
// traffic entering it, and the forward drops of --internal and icc=false.
//
//   auto fw = Firewall::open();                       // at daemon start (keeps elements)
//   fw->add_bridge({"berth0", "172.17.0.0/16"});      // per network
//   fw->add_ports({{"tcp", "", 8080, "172.17.0.2", 80}});   // per container start
//   fw->remove_ports(...);                            // per container stop
// A Firewall is safe to use from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::hostnet {

struct PortMapping {
    std::string proto = "tcp";  // tcp | udp | sctp
    std::string host_ip;        // "" or "0.0.0.0": every host address; else that address
    uint16_t host_port = 0;
    std::string container_ip;
    uint16_t container_port = 0;
};

struct BridgeRules {
    std::string bridge, subnet;  // "berth0", "172.17.0.0/16"
    bool internal = false;       // no traffic between the bridge and other interfaces
    bool icc = true;             // containers on the bridge may talk to each other
    bool masquerade = true;      // NAT of the subnet going out (ignored when internal)
};

class Firewall {
public:
    // Ensures table `ip <table>` and its base chains and maps exist (keeps existing rules and
    // elements: containers kept running by live-restore keep their ports).
    static Result<std::unique_ptr<Firewall>> open(const std::string& table = "berth");
    ~Firewall();
    Firewall(const Firewall&) = delete;
    Firewall& operator=(const Firewall&) = delete;

    // Idempotent: replaces the bridge's rules (atomically) if it had some.
    Result<> add_bridge(const BridgeRules& rules);
    Result<> remove_bridge(const BridgeRules& rules);  // only rules.bridge is used
    // All or nothing. A key already mapped elsewhere (same proto, host ip and port) is a
    // Conflict; the identical mapping again is fine.
    Result<> add_ports(const std::vector<PortMapping>& ports);
    // Removes by key (proto, host ip, host port); keys not present are ignored.
    Result<> remove_ports(const std::vector<PortMapping>& ports);
    Result<> destroy();  // deletes both tables

    const std::string& table() const { return table_; }

private:
    explicit Firewall(std::string table);
    // Runs one nft command buffer as one transaction, in a context of its own (none is kept
    // between calls: see firewall.cc); output (JSON when asked) on success.
    Result<std::string> run(const std::string& commands, bool json = false);
    // "delete rule" commands for the bridge's rules in both of our tables (mu_ held).
    Result<std::string> delete_commands(const std::string& bridge);

    std::string table_;
    std::mutex mu_;  // one change at a time: delete_commands() reads what the next run() edits
};

}  // namespace berth::hostnet

// Network interfaces through netlink (libnl-route; never by running `ip`): the bridge of a
// network, one veth pair per container endpoint, loopback, and what the host already routes.
//
// Typical sequence for a container on a bridge network:
//   ensure_bridge("berth0", "172.17.0.1/16", 1500);          // once per network (idempotent)
//   enable_forwarding("berth0");
//   loopback_up("/proc/1234/ns/net");                          // every new netns
//   create_endpoint({.bridge = "berth0", .host_name = "veth1a2b3c4",
//                    .netns_path = "/proc/1234/ns/net", .address_cidr = "172.17.0.2/16",
//                    .gateway = "172.17.0.1"});
//   ...
//   remove_endpoint("veth1a2b3c4");                            // or the netns just goes away
// Work inside a container's namespace runs on a short-lived thread that joins it; the
// caller's threads never switch namespace. Every call is safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace berth::hostnet {

// Creates bridge `name` if missing, gives it `gateway_cidr` ("172.17.0.1/16") if it lacks
// it, sets mtu and brings it up. Idempotent (daemon restarts call it again). A link of that
// name that is not a bridge is a Conflict.
Result<> ensure_bridge(const std::string& name, const std::string& gateway_cidr, int mtu);
Result<> delete_link(const std::string& name);  // missing link: ok
Result<bool> link_exists(const std::string& name);

struct VethConfig {
    std::string bridge;      // host end is enslaved to it and brought up
    std::string host_name;   // "veth1a2b3c4" (<=15 chars)
    std::string netns_path;  // "/proc/<pid>/ns/net" of the container
    std::string ifname = "eth0";
    std::string address_cidr;  // "172.17.0.2/16"
    std::string gateway;       // "172.17.0.1"; empty: no default route (internal net, 2nd nic)
    std::string mac;           // "02:42:ac:11:00:02"; empty: derive Docker's 02:42:<ip bytes>
    int mtu = 1500;
    // Bridge port hairpin mode: lets the container reach itself through its own published
    // ports (Docker sets it when the userland proxy is off). It also reflects the
    // container's broadcasts back to it, so it is off by default.
    bool hairpin = false;
    // No IPv6 on ifname (Docker's behaviour on networks without IPv6): it also avoids the
    // kernel's IPv6 link-local work on every new interface.
    bool disable_ipv6 = true;
};

// veth pair; the peer is created directly inside the netns as ifname, with its address, mtu,
// up, and the default route. On failure nothing is left behind (the pair is deleted).
Result<> create_endpoint(const VethConfig& cfg);
Result<> remove_endpoint(const std::string& host_name);                               // missing: ok
Result<> remove_interface(const std::string& netns_path, const std::string& ifname);  // missing: ok
Result<> loopback_up(const std::string& netns_path);                                  // for every new netns
// Next free interface name in the netns: "eth0", "eth1", ... (for `network connect`).
Result<std::string> next_ifname(const std::string& netns_path);
// Destination prefixes of the host's IPv4 routes (main table, default route excluded),
// "10.0.0.0/8" form, and the networks of addresses on host interfaces: the daemon picks
// subnets that clash with none.
Result<std::vector<std::string>> host_ipv4_networks();
// /proc/sys/net/ipv4/ip_forward = 1; net.ipv4.conf.<bridge>.route_localnet = 1 (so ports
// published on 127.0.0.1 reach containers).
Result<> enable_forwarding(const std::string& bridge);

// Docker's MAC for an IPv4 address: 02:42 followed by the four address bytes.
Result<std::string> mac_for_ipv4(const std::string& ip);

}  // namespace berth::hostnet

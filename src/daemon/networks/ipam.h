// IPv4 address management for bridge networks: CIDR parsing and overlap checks, picking a
// subnet for a new network from the address pools (skipping subnets that clash with the
// host's routes or other networks), and leasing addresses inside a subnet.
//
//     auto net = BERTH_TRY(Cidr::parse("172.18.0.0/16"));
//     Pool pool(net, gateway, ip_range);        // the leases already stored: pool.mark(addr)
//     auto addr = BERTH_TRY(pool.allocate());   // next free address, round robin
//     pool.release(addr);
//
// Pure logic: persistence is the network store's, kernel work the network library's.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::daemon::networks {

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

Result<Ipv4> parse_ipv4(std::string_view text);
std::string format_ipv4(Ipv4 addr);

struct Cidr {
    Ipv4 addr = 0;  // as written (may have host bits: "172.17.0.1/16" for a bridge address)
    int prefix = 0;

    // "10.1.0.0/16"; errors name the text ("invalid CIDR address: 10.1/40").
    static Result<Cidr> parse(std::string_view text);
    Ipv4 mask() const { return prefix == 0 ? 0 : ~Ipv4(0) << (32 - prefix); }
    Ipv4 network() const { return addr & mask(); }
    Ipv4 broadcast() const { return network() | ~mask(); }
    Cidr masked() const { return {network(), prefix}; }
    bool contains(Ipv4 a) const { return (a & mask()) == network(); }
    bool contains(const Cidr& other) const { return other.prefix >= prefix && contains(other.network()); }
    bool overlaps(const Cidr& other) const { return contains(other.network()) || other.contains(network()); }
    std::string str() const { return format_ipv4(addr) + "/" + std::to_string(prefix); }
    bool operator==(const Cidr&) const = default;
};

// Docker's default address pools: 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 in /20s.
struct AddressPool {
    Cidr base;
    int size = 16;  // prefix length of each subnet carved from base
};
std::vector<AddressPool> default_pools();

// The first subnet of the pools that overlaps none of `taken` (host routes, other networks).
Result<Cidr> pick_subnet(const std::vector<AddressPool>& pools, const std::vector<Cidr>& taken);

// The leases of one network's subnet. Network and broadcast addresses and the gateway are
// never handed out; with an ip_range, dynamic addresses come from it only (a fixed --ip may
// be anywhere in the subnet).
class Pool {
public:
    Pool(Cidr subnet, Ipv4 gateway, std::optional<Cidr> ip_range = std::nullopt);
    // Marks an address as leased (loading stored leases). False if it was already.
    bool mark(Ipv4 addr);
    // A fixed address: must be in the subnet, not reserved and free.
    Result<> claim(Ipv4 addr);
    // The next free address after the last one handed out (so a released address is not
    // reused at once, as Docker's allocator does); Unavailable when the range is full.
    Result<Ipv4> allocate();
    void release(Ipv4 addr);
    bool leased(Ipv4 addr) const { return leased_.count(addr) != 0; }
    size_t size() const { return leased_.size(); }

private:
    bool reserved(Ipv4 addr) const;

    Cidr subnet_;
    Ipv4 gateway_;
    Cidr range_;
    Ipv4 cursor_ = 0;  // last address handed out
    std::set<Ipv4> leased_;
};

// Docker's MAC for an address: 02:42 followed by the address's four bytes.
std::string mac_for(Ipv4 addr);

}  // namespace berth::daemon::networks

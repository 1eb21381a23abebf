// Internal: the networking flags of `run`/`create`/`network connect` checked and turned into
// Engine API fields as docker CLI 28 does (opts.ValidateExtraHost, ValidateIPAddress,
// ValidateDNSSearch, ValidateMACAddress, the --network long syntax and parseNetworkOpts).
//
//   auto host = BERTH_TRY(validate_extra_host("db=10.0.0.2"));   // "db:10.0.0.2"
//   NetworkFlags f{.networks = {"mynet"}, .aliases = {"web"}};
//   Json endpoints = BERTH_TRY(endpoints_config(f));  // NetworkingConfig.EndpointsConfig
//   std::string mode = network_mode(f);               // HostConfig.NetworkMode
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::cli {

// net.ParseIP then String(): the canonical text of an IPv4/IPv6 address, nullopt if invalid.
std::optional<std::string> parse_ip(const std::string& s);

// Each returns docker's message for a bad value (without the "invalid argument" prefix).
Result<std::string> validate_extra_host(const std::string& v);  // "h:ip", "h=ip", "h:host-gateway"
Result<std::string> validate_dns(const std::string& v);         // canonical address
Result<std::string> validate_dns_search(const std::string& v);  // domain or "."
bool valid_mac(const std::string& v);                           // net.ParseMAC

// One --network value: a name, or "name=n,alias=a,ip=...,ip6=...,mac-address=...,
// link-local-ip=...,driver-opt=k=v,gw-priority=n".
struct NetworkAttachment {
    std::string target;
    std::vector<std::string> aliases, link_local_ips;
    std::map<std::string, std::string> driver_opts;
    std::string ipv4, ipv6, mac;
    int gw_priority = 0;
    bool long_syntax = false;
};
Result<NetworkAttachment> parse_network_flag(const std::string& v);

// What `run`/`create` got for networking.
struct NetworkFlags {
    std::vector<std::string> networks;  // --network/--net values, in order
    std::vector<std::string> aliases, link_local_ips;
    std::string ipv4, ipv6, mac;
};
// "bridge", "host", "none", "default" and "container:x" are not user-defined networks.
bool is_user_defined(const std::string& mode);
std::string network_mode(const NetworkFlags& f);
// NetworkingConfig.EndpointsConfig, with docker's rules (aliases only on user-defined
// networks, one endpoint per network, the plain flags applied to the first network).
Result<Json> endpoints_config(const NetworkFlags& f);
// A full EndpointSettings object as docker's client marshals it (zero values included).
Json endpoint_settings(const NetworkAttachment& a);

}  // namespace berth::cli

// A container's NetworkSettings and EndpointSettings as types: what the network service
// reports for a sandbox, what the container manager fills in for a container that does not
// run, and what inspect and the list write. to_json gives Docker's shape (field names,
// nulls where Docker has them); it is the one writer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"

namespace berth::daemon::networks {

struct PortBinding {
    std::string host_ip;    // "0.0.0.0" for every address
    std::string host_port;  // Docker's is a string
};

// One network a container is on (NetworkSettings.Networks[name]).
struct EndpointSettings {
    std::string ipam_ipv4;  // IPAMConfig.IPv4Address (--ip); empty: IPAMConfig is null
    std::optional<std::vector<std::string>> aliases;  // null on the predefined networks
    std::string mac_address, network_id, endpoint_id, gateway, ip_address;
    int ip_prefix_len = 0;
    std::optional<std::vector<std::string>> dns_names;  // user-defined networks only
};

// Docker's NetworkSettings. The top-level address fields describe the default bridge only.
struct NetworkSettings {
    std::string sandbox_id, sandbox_key;
    // "80/tcp" -> host bindings; nullopt: exposed but not published (null in Docker's JSON).
    std::map<std::string, std::optional<std::vector<PortBinding>>> ports;
    std::string endpoint_id, gateway, ip_address, mac_address;
    int ip_prefix_len = 0;
    std::map<std::string, EndpointSettings> networks;  // by network name

    // The first address among the networks ("" when there is none): /etc/hosts' own line.
    std::string first_address() const;
};

Json to_json(const EndpointSettings& e);
Json to_json(const std::map<std::string, EndpointSettings>& networks);
Json to_json(const NetworkSettings& s);

}  // namespace berth::daemon::networks

// The daemon's network service: Docker's networks (the default `bridge`, `host`, `none`
// and user-defined bridge networks), their address leases, and each container's sandbox
// (its interfaces, published ports and embedded-DNS registration).
//
// The container manager calls it around a container's life:
//   create   check_mode()/find() validate NetworkMode and NetworkingConfig
//   start    join(): for the init's netns (/proc/PID/ns/net, before the init runs): loopback
//            up, one veth per network (leased address, default route via the first), the
//            published ports (nft DNAT, host ports reserved by bound sockets), DNS on
//            user-defined networks
//   running  connect()/disconnect() (docker network connect/disconnect)
//   exit     leave(): ports, leases and DNS released, host veths removed
//   restart  restore() for containers that kept running (live-restore), then
//            release_others() for those that did not
// State lives in <data_root>/berth.db (tables networks, endpoints, sandboxes; one
// transaction per change); kernel work goes through src/hostnet (netlink, nftables, DNS).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "daemon/events/events.h"
#include "daemon/networks/network_settings.h"

namespace berth::daemon::networks {

using Filters = std::map<std::string, std::vector<std::string>>;

struct ServiceOptions {
    std::string data_root;  // berth.db
    std::string bridge_name = "berth0";
    std::string bip;  // "172.17.0.1/16"; empty: the first free default pool
    std::vector<std::pair<std::string, int>> address_pools;  // {"172.80.0.0/16", 24}; empty: Docker's
    int mtu = 1500;
    bool icc = true;  // inter-container traffic on the default bridge
    bool ip_forward = true;
    bool iptables = true;  // NAT and published ports (nftables)
    std::string nft_table = "berth";
    std::string host_resolv_conf = "/etc/resolv.conf";
};

// One network a container asks to be on (NetworkingConfig.EndpointsConfig / connect).
struct EndpointRequest {
    std::string network;               // name, ID or ID prefix
    std::vector<std::string> aliases;  // Aliases (+ the container's short ID, added by the service)
    std::string ipv4;                  // IPAMConfig.IPv4Address (--ip)
    std::string mac;                   // MacAddress (--mac-address)
};

// A published port: HostConfig.PortBindings / PublishAllPorts, one container port each.
struct PortRequest {
    std::string proto = "tcp";
    uint16_t container_port = 0;
    std::string host_ip;                               // "" = every address
    uint16_t host_port_first = 0, host_port_last = 0;  // 0: ephemeral; a range: the first free one
};

struct SandboxRequest {
    std::string container_id, container_name, hostname;
    std::string netns_path;                  // the init's /proc/PID/ns/net
    std::vector<EndpointRequest> endpoints;  // the first gives the default route
    std::vector<PortRequest> ports;
};

struct ContainerInfo {
    std::string id, name;  // for inspect's Containers and DNS
};

class NetworkService {
public:
    static Result<std::unique_ptr<NetworkService>> open(const ServiceOptions& options, EventBus* events);
    virtual ~NetworkService() = default;

    // --- the Engine API's /networks ---
    // POST /networks/create: {"Id": ..., "Warning": ""}.
    virtual Result<Json> create(const Json& request) = 0;
    virtual Result<Json> list(const Filters& filters) = 0;
    virtual Result<Json> inspect(std::string_view name_or_id) = 0;
    virtual Result<> remove(std::string_view name_or_id) = 0;
    // {"NetworksDeleted": [names]}: user-defined networks without endpoints.
    virtual Result<Json> prune(const Filters& filters) = 0;

    // --- for containers ---
    // The network's canonical {Id, Name, Driver, UserDefined, Internal, Gateway};
    // NotFound "network X not found".
    virtual Result<Json> find(std::string_view name_or_id) = 0;
    // Connects the sandbox; on failure nothing stays configured. Returns its settings.
    virtual Result<NetworkSettings> join(const SandboxRequest& request) = 0;
    // A running container joins one more network (next ethN); returns its EndpointSettings.
    virtual Result<EndpointSettings> connect(const ContainerInfo& container, const std::string& netns_path,
                                             const EndpointRequest& request) = 0;
    virtual Result<> disconnect(const std::string& container_id, std::string_view network, bool force) = 0;
    // The container is gone: everything of its sandbox is released. Idempotent.
    virtual Result<> leave(const std::string& container_id) = 0;
    // After a daemon restart, for a container still running in netns_path: DNS again, ports
    // re-reserved. Returns its settings.
    virtual Result<NetworkSettings> restore(const std::string& container_id,
                                            const std::string& netns_path) = 0;
    // Releases every sandbox except those of `running` (they died while the daemon was away).
    virtual void release_others(const std::vector<std::string>& running) = 0;
    // The container was renamed: the embedded DNS answers the new name.
    virtual void rename(const std::string& container_id, const std::string& new_name) = 0;
    // The container's current settings (empty ones when it has no sandbox).
    virtual NetworkSettings settings(const std::string& container_id) = 0;
    // /etc/resolv.conf for a container on these networks: 127.0.0.11 on user-defined ones.
    virtual std::string resolv_conf(const std::vector<std::string>& networks,
                                    const std::vector<std::string>& dns,
                                    const std::vector<std::string>& search,
                                    const std::vector<std::string>& options) = 0;
    // Networks summary for /info (counts) and the container list.
    virtual size_t count() = 0;
};

}  // namespace berth::daemon::networks

// Inside the network service (network_service.h): its records and the class, shared by
// service.cc (start-up, lookups), networks.cc (the /networks API), sandboxes.cc (containers
// joining and leaving), dns.cc (the embedded DNS and resolv.conf) and records.cc.
//
// Bookkeeping happens under mu_; kernel work (netlink, nftables, DNS sockets) outside it,
// with the addresses and ports already reserved, so a failure only has to give them back.
// Work outside the lock uses copies (a Network is copied, its Pool shared), never a pointer
// into nets_, which a concurrent remove may free.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/background.h"
#include "common/fd.h"
#include "daemon/networks/ipam.h"
#include "daemon/networks/network_service.h"
#include "daemon/networks/store.h"
#include "hostnet/dns.h"
#include "hostnet/firewall.h"

namespace berth::daemon::networks {

namespace net = berth::hostnet;

inline constexpr const char* kBridgeNameOpt = "com.docker.network.bridge.name";
inline constexpr const char* kIccOpt = "com.docker.network.bridge.enable_icc";
inline constexpr const char* kMasqOpt = "com.docker.network.bridge.enable_ip_masquerade";
inline constexpr const char* kMtuOpt = "com.docker.network.driver.mtu";

struct Network {
    Json doc;  // Docker's network object, without Containers
    std::string id, name, driver, bridge;
    Cidr subnet;
    Ipv4 gateway = 0;
    bool internal = false, icc = true, masquerade = true, predefined = false;
    int mtu = 1500;
    std::shared_ptr<Pool> pool;  // touched under the service's lock only

    bool is_bridge() const { return driver == "bridge"; }
    // Docker's embedded DNS and --ip/aliases belong to user-defined networks only.
    bool user_defined() const { return is_bridge() && !predefined; }
    net::BridgeRules rules() const { return {bridge, subnet.masked().str(), internal, icc, masquerade}; }
};

// A container's place on one network; stored in berth.db's endpoints table (records.cc).
struct Endpoint {
    std::string id, network_id, container_id, container_name;
    std::vector<std::string> aliases;
    Ipv4 ip = 0;
    std::string mac, host_veth, ifname, gateway;  // gateway: "" unless it has the default route
    bool fixed_ip = false;

    Json doc() const;
    static Result<Endpoint> from_doc(const Json& d);
};

// A container's network namespace: its published ports and DNS registration.
struct Sandbox {
    std::string container_id, container_name, hostname, netns_path;
    std::vector<net::PortMapping> ports;
    std::vector<UniqueFd> reservations;  // the published host ports, held as bound sockets
    bool dns = false;

    Json doc() const;
    static Sandbox from_doc(const Json& d);
};

// Docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_network_name(const std::string& n);

struct CreateSpec;  // a checked POST /networks/create body (networks.cc)

class Service final : public NetworkService {
public:
    Service(ServiceOptions o, EventBus* events) : o_(std::move(o)), events_(events) {}

    Result<> init();

    Result<Json> create(const Json& request) override;
    Result<Json> list(const Filters& filters) override;
    Result<Json> inspect(std::string_view name_or_id) override;
    Result<> remove(std::string_view name_or_id) override;
    Result<Json> prune(const Filters& filters) override;
    Result<Json> find(std::string_view name_or_id) override;
    Result<NetworkSettings> join(const SandboxRequest& request) override;
    Result<EndpointSettings> connect(const ContainerInfo& container, const std::string& netns_path,
                                     const EndpointRequest& request) override;
    Result<> disconnect(const std::string& container_id, std::string_view network, bool force) override;
    Result<> leave(const std::string& container_id) override;
    Result<NetworkSettings> restore(const std::string& container_id, const std::string& netns_path) override;
    void release_others(const std::vector<std::string>& running) override;
    void rename(const std::string& container_id, const std::string& new_name) override;
    NetworkSettings settings(const std::string& container_id) override;
    std::string resolv_conf(const std::vector<std::string>& networks, const std::vector<std::string>& dns,
                            const std::vector<std::string>& search,
                            const std::vector<std::string>& options) override;
    size_t count() override {
        std::lock_guard lk(mu_);
        return nets_.size();
    }

private:
    // --- start-up (service.cc) ---
    Result<> load_networks();
    Result<> ensure_default_bridge();
    Result<> ensure_builtin(const char* name);
    Result<> load_sandboxes();
    Result<std::vector<AddressPool>> address_pools() const;

    // --- under mu_ ---
    Network* lookup(std::string_view name_or_id);
    Result<Network*> must_find(std::string_view name_or_id);
    Network* by_name(const std::string& name);
    std::vector<Cidr> taken_subnets(const std::string& except_id);
    Result<Network*> add_network(Json doc, bool predefined);
    Result<Network> add_user_network(const CreateSpec& spec, const std::vector<Cidr>& host);
    // Reserves an address (and names) for one endpoint; the caller configures the kernel.
    Result<Endpoint> reserve_endpoint(Network& n, const std::string& container_id,
                                      const std::string& container_name, const EndpointRequest& req);
    Result<std::vector<Endpoint>> reserve_endpoints(const SandboxRequest& req, bool& dns);
    void drop_stale_sandbox(const std::string& container_id);
    void unreserve(const Endpoint& e);
    EndpointSettings endpoint_settings(const Network& n, const Endpoint& e) const;
    NetworkSettings settings_locked(const std::string& container_id) const;
    std::vector<std::string> resolve(const std::string& container_id, const std::string& name);

    // --- kernel work, no lock ---
    Result<> setup_bridge(const Network& n);
    void undo_bridge(const Network& n);
    Result<> reserve_ports(const SandboxRequest& req, const Endpoint& first, Sandbox& sb);
    Result<> plumb_sandbox(const SandboxRequest& req, const std::vector<Endpoint>& eps, bool dns,
                           Sandbox& sb);
    Result<> start_dns();
    void publish(const std::string& action, const Network& n, const std::string& container_id = "");
    std::vector<std::string> host_nameservers();

    ServiceOptions o_;
    EventBus* events_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<net::Firewall> fw_;
    std::unique_ptr<net::DnsServer> dns_;
    std::mutex dns_mu_;

    std::mutex mu_;
    std::map<std::string, Network> nets_;                     // by ID
    std::map<std::string, std::vector<Endpoint>> endpoints_;  // by container ID
    std::map<std::string, Sandbox> sandboxes_;                // by container ID
    Background tasks_;  // deferred veth removal; joined when the service goes
};

}  // namespace berth::daemon::networks

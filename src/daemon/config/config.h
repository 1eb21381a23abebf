// berthd's configuration: /etc/berth/daemon.json (Docker's daemon.json keys where they
// exist) overridden by command-line flags. Unknown keys and bad values are start-up
// errors that name the key; keys Docker knows but Berth does not implement yet are
// accepted with a warning so that existing daemon.json files keep working.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::daemon {

struct AddressPool {
    std::string base;  // "172.80.0.0/16"
    int size = 24;     // prefix length of each network carved from it
};

struct Ulimit {
    std::string name;
    int64_t soft = 0, hard = 0;
};

struct Config {
    std::vector<std::string> hosts;  // "unix:///run/berth/berth.sock", "tcp://0.0.0.0:2376"
    std::string data_root = "/var/lib/berth";
    std::string exec_root = "/run/berth";
    std::string pidfile = "/run/berth/berthd.pid";
    std::string log_level = "info";
    bool debug = false;
    std::string group = "berth";  // socket group, when it exists

    // TLS for TCP listeners
    bool tls = false;
    bool tlsverify = false;
    std::string tlscacert, tlscert, tlskey;
    bool insecure_tcp = false;  // plain TCP: refused unless this is set (Berth-only key)

    // registries
    std::vector<std::string> registry_mirrors;
    std::vector<std::string> insecure_registries;
    int max_concurrent_downloads = 3;
    int max_concurrent_uploads = 5;
    std::string registry_certs_dir = "/etc/berth/certs.d";  // Berth-only: <host:port>/ca.crt, client.cert
    int registry_stall_timeout = 30;  // Berth-only: seconds a registry transfer may stall (<1 byte/s)

    // containers
    std::string log_driver = "json-file";
    std::map<std::string, std::string> log_opts;
    bool live_restore = false;
    std::string default_runtime = "berth";
    std::map<std::string, std::string> runtimes;  // name -> path
    std::string cgroup_parent;
    std::map<std::string, Ulimit> default_ulimits;
    int64_t default_shm_size = 64 << 20;
    std::string seccomp_profile;  // path, or "unconfined"
    bool no_new_privileges = false;
    bool init = false;
    std::string default_cgroupns_mode = "private";
    int shutdown_timeout = 15;

    // network
    std::string bridge = "berth0";    // the default bridge network's device (Docker's "bridge")
    std::string nft_table = "berth";  // Berth-only: the nftables table of NAT and published ports
    std::string bip;
    std::vector<AddressPool> default_address_pools;
    std::string fixed_cidr;
    int mtu = 1500;
    bool ip_forward = true;
    bool iptables = true;
    bool icc = true;
    std::vector<std::string> dns, dns_search, dns_opts;

    std::vector<std::string> labels;
    std::vector<std::string> warnings;  // filled by load(): ignored keys etc.
};

// Parses daemon.json text into `cfg` (keeps the defaults for absent keys).
Result<> apply_json(Config& cfg, const Json& doc, const std::string& source);
// Reads `path` when it exists; a missing file is fine unless `required`.
Result<> load_file(Config& cfg, const std::string& path, bool required);
// Checks cross-field rules (TLS files present when tlsverify, hosts well-formed, ...).
Result<> validate(const Config& cfg);

// "unix:///path", "tcp://host:port", "fd://": the listener kinds berthd understands.
struct HostAddr {
    // Fd: sockets systemd passed (socket activation), "fd://" for all of them or "fd://N".
    enum class Kind { Unix, Tcp, Fd } kind = Kind::Unix;
    std::string path;  // unix
    std::string host;  // tcp
    uint16_t port = 0;
    int fd = -1;  // fd: -1 for every passed socket
};
Result<HostAddr> parse_host(const std::string& spec);

// Docker's size strings ("512k", "10m", "1g", "100" bytes, binary units, case-insensitive,
// optional "b"/"ib" suffix), as log-opts max-size and --memory take them.
Result<int64_t> parse_byte_size(std::string_view s);

}  // namespace berth::daemon

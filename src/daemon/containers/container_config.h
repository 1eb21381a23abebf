// Docker's Config, HostConfig and EndpointsConfig as types, each with one reader from and one
// writer to Docker's JSON (container_config.cc). The daemon's logic works on these; the
// JSON is only read at the API's edge (create, exec, network connect) and in the record,
// and written in the record and inspect. Docker's defaults are set once, in the reader
// (NetworkMode "" -> "bridge", RestartPolicy "" -> "no", LogConfig "" -> "json-file").
// Fields Berth does not model are kept as the client sent them (`extra`), so the record
// and inspect lose nothing.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::daemon::containers {

using StringMap = std::map<std::string, std::string>;

struct HealthConfig {
    std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
    int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;  // nanoseconds
    int retries = 0;
};

// Config: what the container runs.
struct Config {
    std::string hostname, domainname, user;
    bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
    std::set<std::string> exposed_ports;  // "80/tcp"
    bool tty = false, open_stdin = false, stdin_once = false;
    std::vector<std::string> env;
    std::optional<std::vector<std::string>> cmd;  // null: none
    std::optional<HealthConfig> healthcheck;
    bool args_escaped = false;
    std::string image;
    std::set<std::string> volumes;
    std::string working_dir;
    std::optional<std::vector<std::string>> entrypoint;  // null: none
    bool network_disabled = false;
    std::string mac_address;  // before API 1.44: the primary network's
    std::vector<std::string> on_build;
    StringMap labels;
    std::string stop_signal;
    std::optional<int> stop_timeout;  // seconds
    std::vector<std::string> shell;
    Json extra = Json::object();  // fields not modelled, as sent
};

struct PortBinding {
    std::string host_ip, host_port;  // host_port: "", "8080" or "8080-8090"
};
// "80/tcp" -> bindings; a port with no binding list (null) publishes nothing.
using PortMap = std::map<std::string, std::vector<PortBinding>>;

struct RestartPolicy {
    std::string name = "no";  // no, always, unless-stopped, on-failure
    int64_t maximum_retry_count = 0;
};

struct LogConfig {
    std::string type = "json-file";
    StringMap config;  // log-opts
};

struct DeviceMapping {
    std::string path_on_host, path_in_container, cgroup_permissions;
};

struct Ulimit {
    std::string name;
    int64_t soft = 0, hard = 0;
};

// HostConfig: how the host runs it (with the Resources Docker inlines).
struct HostConfig {
    std::vector<std::string> binds;
    std::string container_id_file;
    LogConfig log_config;
    std::string network_mode = "bridge";
    PortMap port_bindings;
    RestartPolicy restart_policy;
    bool auto_remove = false;
    std::string volume_driver;
    std::vector<std::string> volumes_from;
    std::optional<std::array<int64_t, 2>> console_size;  // [height, width]
    std::vector<std::string> cap_add, cap_drop;
    std::string cgroupns_mode;
    std::vector<std::string> dns, dns_options, dns_search, extra_hosts, group_add;
    std::string ipc_mode, cgroup;
    std::vector<std::string> links;
    int64_t oom_score_adj = 0;
    std::string pid_mode;
    bool privileged = false, publish_all_ports = false, readonly_rootfs = false;
    std::vector<std::string> security_opt;
    StringMap tmpfs;  // path -> options
    std::string uts_mode, userns_mode;
    int64_t shm_size = 0;  // 0: Docker's 64 MB
    StringMap sysctls;
    std::string runtime, isolation;
    // Resources.
    int64_t cpu_shares = 0, memory = 0, nano_cpus = 0;
    std::string cgroup_parent;
    int64_t blkio_weight = 0, cpu_period = 0, cpu_quota = 0;
    std::string cpuset_cpus, cpuset_mems;
    std::vector<DeviceMapping> devices;
    std::vector<std::string> device_cgroup_rules;
    int64_t memory_reservation = 0, memory_swap = 0;
    std::optional<int64_t> memory_swappiness;
    std::optional<bool> oom_kill_disable;
    std::optional<int64_t> pids_limit;
    std::vector<Ulimit> ulimits;
    std::vector<std::string> masked_paths, readonly_paths;  // empty: Docker's defaults
    std::optional<bool> init;
    Json extra = Json::object();  // fields not modelled, as sent
};

// One entry of NetworkingConfig.EndpointsConfig, as asked for (create, network connect).
struct EndpointConfig {
    std::vector<std::string> aliases;
    std::string ipv4_address;  // IPAMConfig.IPv4Address
    std::string mac_address;
};
using EndpointsConfig = std::map<std::string, EndpointConfig>;  // network name -> config

// The body of POST /containers/{id}/exec.
struct ExecConfig {
    bool attach_stdin = false, attach_stdout = false, attach_stderr = false, tty = false;
    std::optional<std::array<int64_t, 2>> console_size;
    std::string detach_keys, user, working_dir;
    bool privileged = false;
    std::vector<std::string> env, cmd;
};

// One entry of a container's Mounts (inspect, list).
struct MountPoint {
    std::string type = "bind", name, source, destination, driver, mode;
    bool rw = true;
    std::string propagation = "rprivate";
};
// One HostConfig.Mounts entry (--mount), as Docker's mount.Mount. The entries stay in
// HostConfig.extra as sent (the record keeps them unchanged); this is their checked view.
struct MountSpec {
    std::string type, source, target;
    bool read_only = false;
    std::string propagation;     // BindOptions.Propagation ("" = rprivate)
    bool non_recursive = false;  // BindOptions.NonRecursive
    std::string subpath;         // VolumeOptions.Subpath
    int64_t tmpfs_size = 0;      // TmpfsOptions.SizeBytes (0 = half the RAM, as the kernel's)
    int64_t tmpfs_mode = 0;      // TmpfsOptions.Mode (0 = 1777)
};
// HostConfig.Mounts with Docker's checks and wording ("invalid mount config for type ...").
Result<std::vector<MountSpec>> mount_specs(const HostConfig& hc);

// What HostConfig mounts into the container, in Docker's Mounts shape; a named volume's
// Source is under `volumes_root` (<data-root>/volumes).
std::vector<MountPoint> mount_points(const HostConfig& hc, const std::string& volumes_root = "");
// The named volume a HostConfig.Binds entry mounts ("data:/srv:ro" -> "data"); "" for a host path.
std::string bind_volume(const std::string& bind);
// Where the local driver keeps a volume's content.
std::string volume_path(const std::string& volumes_root, const std::string& name);

// Readers: Go decoder checks (null is the zero value; wrong types name the field, under
// `prefix`, as "invalid JSON: HostConfig.Memory: expected integer, got string").
Result<Config> read_config(const Json& j, const std::string& prefix = "");
Result<HostConfig> read_host_config(const Json& j, const std::string& prefix = "HostConfig.");
// One entry; checks the addresses ("invalid IPv4 address: ..."); `where` names it in errors.
Result<EndpointConfig> read_endpoint_config(const Json& j, const std::string& where);
Result<EndpointsConfig> read_endpoints_config(const Json& j);
Result<ExecConfig> read_exec_config(const Json& j);

// Writers: every field Docker's inspect shows, in its order, then `extra`.
Json to_json(const Config& c);
Json to_json(const HostConfig& hc);
Json to_json(const EndpointConfig& e);
Json to_json(const EndpointsConfig& e);
Json to_json(const ExecConfig& e);
Json to_json(const PortMap& p);
Json to_json(const std::vector<MountPoint>& mounts);

}  // namespace berth::daemon::containers

// A container as berthd keeps it: Docker's Config and HostConfig (container_config.h) as
// the client sent them, merged with the image's defaults, the state machine, and the paths
// of its files.
// Persisted as <data_root>/containers/<id>/config.v2.json (Docker's own file name), written
// atomically on every change, so a daemon killed at any point finds each container either
// wholly recorded or absent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "daemon/containers/container_config.h"

namespace berth::daemon::containers {

// Docker's states: created -> running <-> paused -> exited -> (removed), plus restarting,
// removing and dead.
enum class Status { Created, Running, Paused, Restarting, Removing, Exited, Dead };
const char* status_name(Status s);
Result<Status> parse_status(std::string_view s);

struct State {
    Status status = Status::Created;
    pid_t pid = 0;       // the container's init, 0 when not running
    pid_t shim_pid = 0;  // its berth-shim
    int exit_code = 0;
    bool oom_killed = false;
    std::string error;
    std::string started_at;   // RFC 3339 nano, or kZeroTime
    std::string finished_at;  // RFC 3339 nano, or kZeroTime
    bool running() const { return status == Status::Running || status == Status::Paused; }
};

struct Container {
    std::string id;        // 64 hex
    std::string name;      // without the leading '/'
    std::string created;   // RFC 3339 nano
    std::string image;     // as the client named it ("busybox")
    std::string image_id;  // "sha256:..."
    Config config;
    HostConfig host_config;
    // As asked for (create, network connect); the live settings are the network service's.
    EndpointsConfig endpoints;
    std::string path;  // the process: path and args (entrypoint + cmd)
    std::vector<std::string> args;
    State state;
    int restart_count = 0;
    bool manually_stopped = false;  // for restart policies (unless-stopped, always)
    std::string log_path, hostname_path, hosts_path, resolv_conf_path;

    std::string short_id() const { return id.substr(0, 12); }
    Json to_json() const;
    static Result<Container> from_json(const Json& j);
};

}  // namespace berth::daemon::containers

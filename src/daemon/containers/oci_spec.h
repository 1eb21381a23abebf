// Turns a container (Docker's Config + HostConfig) into the OCI runtime spec the shim runs,
// with Docker's defaults: its 14 default capabilities, its seccomp profile, masked and
// read-only /proc paths, /dev/shm, /etc/{hostname,hosts,resolv.conf} bind mounts, and
// every resource limit HostConfig carries. The user ("name", "uid:gid", "name:group") is
// resolved against the container's own /etc/passwd and /etc/group.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "daemon/containers/record.h"

namespace berth::daemon::containers {

struct SpecInputs {
    const Container* container = nullptr;
    std::string rootfs;  // mounted root filesystem (absolute)
    std::string cgroup_parent = "/berth";
    bool cgroup_v2 = false;    // unified hierarchy: private cgroup namespace by default
    std::string netns_path;    // join this network namespace ("" = new one, unless host)
    std::string init_path;     // HostConfig.Init: this static binary runs as PID 1 ("init --")
    std::string volumes_root;  // <data-root>/volumes: where named volumes in Binds live
};

// Docker's default capability set (moby oci/caps/defaults.go).
const std::vector<std::string>& default_capabilities();

// Applies --cap-add/--cap-drop ("ALL", with or without CAP_, any case) to Docker's defaults.
Result<std::vector<std::string>> effective_capabilities(const HostConfig& host_config);
// process.consoleSize from a ConsoleSize of [height, width] (HostConfig for run, the exec
// body for exec): the docker CLI sends the terminal's size at create, so the first output
// is laid out right before its resize call arrives (which comes only after start).
void set_console_size(Json& process, const std::optional<std::array<int64_t, 2>>& console_size);

Result<Json> build_oci_spec(const SpecInputs& in);

// "name", "uid", "uid:gid", "name:group" -> uid, gid and supplementary groups, looked up in
// <rootfs>/etc/passwd and /etc/group (opened inside the root, never following links out).
struct ResolvedUser {
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> additional_gids;
    std::string home = "/";
};
Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add);

}  // namespace berth::daemon::containers

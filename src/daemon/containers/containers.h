// The container manager: every container operation of the Engine API, on top of the image
// service (rootfs snapshots), berth-shim (one per running container) and the runtime
// library (start, kill, pause, exec, stats).
//
// A container's life here:
//   create   record + rootfs snapshot + /etc/{hostname,hosts,resolv.conf}   -> "created"
//   start    mount rootfs, write the OCI bundle, spawn_shim (the shim creates the runtime
//            container, init waits on exec.fifo), connect pending attach clients, then
//            runtime::start opens the fifo                                  -> "running"
//   exit     the shim writes exit.json and exits; a pidfd on the shim wakes the monitor
//            thread, which records the exit, unmounts, emits "die", and applies AutoRemove
//            or the restart policy                                          -> "exited"
//   remove   (force: kill first) snapshot, files and record removed        -> "destroy"
// Records are JSON files written atomically (record.h); on open() the manager reloads them,
// finds shims still running (live-restore) and records the exits it missed.
//
// Thread-safe; calls that wait (stop, wait, attach) block only their caller.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "common/json.h"
#include "daemon/containers/container_config.h"
#include "daemon/events/events.h"
#include "daemon/images/image_service.h"
#include "daemon/networks/network_service.h"
#include "daemon/volumes/volume_service.h"

namespace berth::daemon::containers {

using Filters = std::map<std::string, std::vector<std::string>>;
using WriteFn = std::function<Result<>(std::string_view data)>;

struct ManagerOptions {
    std::string data_root;     // containers/<id>/ records, logs, hosts files
    std::string exec_root;     // containers/<id>/ bundles and shim sockets; runtime/ state
    std::string shim_path;     // the berth-shim binary
    std::string runtime_path;  // the berth-runtime binary (exec)
    std::string cgroup_parent = "/berth";
    bool live_restore = false;  // keep containers running when the daemon stops
    int64_t log_max_size = -1;  // json-file log-opts max-size (bytes), -1 unlimited
    int log_max_file = 1;
};

// Docker's wait conditions.
enum class WaitCondition { NotRunning, NextExit, Removed };

struct LogOptions {
    bool stdout_ = true, stderr_ = true, follow = false, timestamps = false;
    int64_t since_nanos = 0, until_nanos = 0;  // 0: unbounded
    int64_t tail = -1;                         // -1: all
};

// A connection to a container's stdio (through its shim): output comes framed with stdcopy
// headers unless the container has a tty; what is written goes to its stdin.
struct Attachment {
    UniqueFd fd;
    bool tty = false;
};

struct ExecStart {
    UniqueFd stdin_fd, stdout_fd, stderr_fd;  // pipes (no tty) ...
    UniqueFd pty;                             // ... or the pty master (tty)
    bool tty = false;
    std::function<void()> on_done;  // call once output has been drained
};

// What POST /containers/create asks for, read from its body at the API's edge
// (read_create_request): the Config fields, HostConfig, and NetworkingConfig.
struct CreateRequest {
    Config config;
    HostConfig host_config;
    // NetworkingConfig.EndpointsConfig as sent (network names resolved at create).
    EndpointsConfig endpoints;
};
Result<CreateRequest> read_create_request(const Json& body);

struct Created {
    std::string id;
    std::vector<std::string> warnings;
};

struct Counts {
    int total = 0, running = 0, paused = 0, stopped = 0;
};

// The container's life: create, start, stop, ..., remove. The manager implements each of
// these narrow interfaces; handlers and tests take only the ones they use (fakes.h).
class Lifecycle {
public:
    virtual ~Lifecycle() = default;
    virtual Result<Created> create(const std::string& name, const CreateRequest& request) = 0;
    // NotModified-style: returns false when the container was already running.
    virtual Result<bool> start(const std::string& ref) = 0;
    virtual Result<bool> stop(const std::string& ref, std::optional<int> timeout,
                              const std::string& signal) = 0;
    virtual Result<> kill(const std::string& ref, const std::string& signal) = 0;
    virtual Result<> restart(const std::string& ref, std::optional<int> timeout,
                             const std::string& signal) = 0;
    virtual Result<> pause(const std::string& ref) = 0;
    virtual Result<> unpause(const std::string& ref) = 0;
    // Blocks until the condition holds; `cancelled` is polled (client gone). {"StatusCode": n}
    virtual Result<Json> wait(const std::string& ref, WaitCondition cond,
                              const std::function<bool()>& cancelled) = 0;
    virtual Result<> remove(const std::string& ref, bool force, bool volumes) = 0;
    virtual Result<> rename(const std::string& ref, const std::string& new_name) = 0;
    virtual Result<Json> prune(const Filters& filters) = 0;
};

// Read-only views: inspect, the list, top, changes, stats, counts and disk usage.
class Queries {
public:
    virtual ~Queries() = default;
    virtual Result<Json> inspect(const std::string& ref, bool size) = 0;
    // The answer to GET /containers/json as JSON text: the list is written straight to text
    // (a Json tree per container was most of the cost of a `docker ps`).
    virtual Result<std::string> list(bool all, int limit, bool size, const Filters& filters) = 0;
    virtual Result<Json> top(const std::string& ref, const std::string& ps_args) = 0;
    virtual Result<Json> changes(const std::string& ref) = 0;
    virtual Result<Json> stats(const std::string& ref) = 0;
    // For the image service (rmi conflicts) and /info, /system/df.
    virtual std::vector<images::ImageUser> image_users(const images::Digest& image_id) = 0;
    // For the volume service (rm, prune, dangling): the containers that mount a volume.
    virtual std::vector<std::string> volume_users(const std::string& volume) = 0;
    virtual Counts counts() = 0;
    virtual Result<Json> disk_usage() = 0;
};

// A container's streams: logs, attach, its tty, and its root filesystem as a tar.
class Io {
public:
    virtual ~Io() = default;
    // Writes log records (stdcopy-framed unless the container has a tty) until done, or
    // with follow until the container stops or `cancelled` says the client went away.
    virtual Result<> logs(const std::string& ref, const LogOptions& o, const WriteFn& out,
                          const std::function<bool()>& cancelled) = 0;
    // Before start, waits for the shim (start connects pending attachments before the
    // process runs, so no output is lost). `registered` runs once the attachment is
    // counted, before any waiting (the API answers 101 there: docker run starts the
    // container only after the upgrade); its error aborts the attach.
    virtual Result<Attachment> attach(const std::string& ref, bool in, bool out, bool err,
                                      const std::function<Result<>()>& registered) = 0;
    virtual Result<> resize(const std::string& ref, int height, int width) = 0;
    virtual Result<bool> is_tty(const std::string& ref) = 0;
    virtual Result<> export_rootfs(const std::string& ref, const WriteFn& out) = 0;
};

// Exec instances.
class Execs {
public:
    virtual ~Execs() = default;
    virtual Result<std::string> exec_create(const std::string& ref, const ExecConfig& config) = 0;
    virtual Result<ExecStart> exec_start(const std::string& exec_id, bool detach) = 0;
    virtual Result<Json> exec_inspect(const std::string& exec_id) = 0;
    virtual Result<> exec_resize(const std::string& exec_id, int height, int width) = 0;
};

// POST /networks/{id}/connect and /disconnect. A running container gets (or loses) an
// interface at once; a stopped one has its configuration changed for its next start.
class Networking {
public:
    virtual ~Networking() = default;
    virtual Result<> connect_network(const std::string& ref, const std::string& network,
                                     const EndpointConfig& endpoint) = 0;
    virtual Result<> disconnect_network(const std::string& ref, const std::string& network, bool force) = 0;
};

class ContainerManager : public Lifecycle, public Queries, public Io, public Execs, public Networking {
public:
    // `networks` is required: every container's network goes through it.
    // `volumes` may be null (then a named volume in a bind is refused).
    static Result<std::unique_ptr<ContainerManager>> open(const ManagerOptions& options,
                                                          images::ImageService* images,
                                                          networks::NetworkService* networks,
                                                          EventBus* events,
                                                          volumes::VolumeService* volumes = nullptr);
    // Daemon shutdown: stops the monitor; without live-restore, stops running containers.
    virtual void shutdown() = 0;
};

}  // namespace berth::daemon::containers

// Private to daemon/containers: the manager's state, shared by its files (one concern each:
// manager.cc records and naming, lifecycle.cc start/stop/exit, create_config.cc the create
// body, inspect.cc the JSON views, logs.cc, attach.cc, exec.cc).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/background.h"
#include "daemon/containers/containers.h"
#include "daemon/containers/record.h"
#include "shim/shim.h"

namespace berth::daemon::containers {

struct ExecInstance {
    std::string id, container_id;
    ExecConfig config;  // the exec create body
    bool running = false;
    int exit_code = -1;  // -1 (null) until it exits
    pid_t pid = 0;
    bool can_remove = false;
    int pty_fd = -1;  // the pty master while running with a tty (not owned)
};

// One container in memory: the record plus what only the running daemon knows.
struct Entry {
    Container c;
    std::mutex op;                // serialises start/stop/remove/... of this container
    UniqueFd shim_pidfd;          // while the shim runs
    bool shim_ready = false;      // shim up, init not yet started: attachers may connect
    int pending_attach = 0;       // attach calls waiting for the shim
    uint64_t start_failures = 0;  // wakes waiting attach calls when a start fails
    uint64_t exits = 0;           // counts exits (wait next-exit)
    bool removed = false;
    std::set<std::string> exec_ids;
};

class ManagerImpl final : public ContainerManager {
public:
    ManagerImpl(ManagerOptions o, images::ImageService* images, networks::NetworkService* networks,
                EventBus* events);
    void set_volumes(volumes::VolumeService* volumes) { volumes_ = volumes; }
    ~ManagerImpl() override;

    Result<> load();  // reload records, re-attach to live shims
    void shutdown() override;

    Result<Created> create(const std::string& name, const CreateRequest& request) override;
    Result<bool> start(const std::string& ref) override;
    Result<bool> stop(const std::string& ref, std::optional<int> timeout, const std::string& signal) override;
    Result<> kill(const std::string& ref, const std::string& signal) override;
    Result<> restart(const std::string& ref, std::optional<int> timeout, const std::string& signal) override;
    Result<> pause(const std::string& ref) override;
    Result<> unpause(const std::string& ref) override;
    Result<Json> wait(const std::string& ref, WaitCondition cond,
                      const std::function<bool()>& cancelled) override;
    Result<> remove(const std::string& ref, bool force, bool volumes) override;
    Result<> rename(const std::string& ref, const std::string& new_name) override;
    Result<Json> inspect(const std::string& ref, bool size) override;
    Result<std::string> list(bool all, int limit, bool size, const Filters& filters) override;
    Result<Json> top(const std::string& ref, const std::string& ps_args) override;
    Result<Json> changes(const std::string& ref) override;
    Result<> export_rootfs(const std::string& ref, const WriteFn& out) override;
    Result<Json> prune(const Filters& filters) override;
    Result<Json> stats(const std::string& ref) override;
    Result<> logs(const std::string& ref, const LogOptions& o, const WriteFn& out,
                  const std::function<bool()>& cancelled) override;
    Result<Attachment> attach(const std::string& ref, bool in, bool out, bool err,
                              const std::function<Result<>()>& registered) override;
    Result<> resize(const std::string& ref, int height, int width) override;
    Result<bool> is_tty(const std::string& ref) override;
    Result<std::string> exec_create(const std::string& ref, const ExecConfig& config) override;
    Result<ExecStart> exec_start(const std::string& exec_id, bool detach) override;
    Result<Json> exec_inspect(const std::string& exec_id) override;
    Result<> exec_resize(const std::string& exec_id, int height, int width) override;
    std::vector<images::ImageUser> image_users(const images::Digest& image_id) override;
    std::vector<std::string> volume_users(const std::string& volume) override;
    Counts counts() override;
    Result<Json> disk_usage() override;
    Result<> connect_network(const std::string& ref, const std::string& network,
                             const EndpointConfig& endpoint) override;
    Result<> disconnect_network(const std::string& ref, const std::string& network, bool force) override;

    // --- shared by the implementation files ---
    // By full ID, name ("/name" too) or unique ID prefix; NotFound "No such container: <ref>".
    Result<std::shared_ptr<Entry>> find(const std::string& ref);
    std::vector<std::shared_ptr<Entry>> snapshot();  // every entry
    Result<> save(const Container& c);               // write the record (caller holds mu_)
    // save() where no caller can be told: a failure is logged with the container's id and
    // the write retried at its next change and at shutdown (caller holds mu_).
    void persist(const Container& c);
    void publish(const Container& c, const std::string& action,
                 std::map<std::string, std::string> extra = {});
    std::string container_dir(const std::string& id) const;                    // <data_root>/containers/<id>
    std::string run_dir(const std::string& id) const;                          // <exec_root>/containers/<id>
    std::string volumes_root() const { return opts_.data_root + "/volumes"; }  // the volume service's
    std::string bundle_dir(const std::string& id) const { return run_dir(id) + "/bundle"; }
    std::string rootfs_dir(const std::string& id) const { return bundle_dir(id) + "/rootfs"; }
    // Short: unix socket paths (attach.sock, exec consoles) must fit in 108 bytes.
    std::string shim_dir(const std::string& id) const { return opts_.exec_root + "/s/" + id.substr(0, 16); }
    std::string runtime_root() const { return opts_.exec_root + "/runtime"; }

    Result<> start_locked(Entry& e);  // e.op held
    Result<> prepare_rootfs(const Container& c);
    Result<std::string> shared_netns(const Container& c);
    Result<shim::Options> shim_options(const Container& c);
    Result<> run_spawned(Entry& e, const shim::Spawned& spawned);
    void record_start(Container& c, const Result<>& started);
    Result<> stop_locked(Entry& e, int timeout, const std::string& signal);
    Result<> remove_locked(const std::shared_ptr<Entry>& e, bool force);
    // load()'s steps
    Result<> open_monitor();
    std::optional<Container> read_record(const std::string& id);
    void adopt(const std::shared_ptr<Entry>& e, std::vector<std::shared_ptr<Entry>>& lost,
               std::vector<std::string>& running);
    void restart_on_boot();
    void handle_exit(const std::shared_ptr<Entry>& e);  // the shim is gone
    Result<shim::ExitStatus> release_exited(Entry& e);
    void schedule_restart(const std::shared_ptr<Entry>& e);
    void watch_shim(const std::shared_ptr<Entry>& e);  // add its pidfd to the monitor
    void monitor_loop();
    // exec_start's steps: the instance marked running (NotFound, or Conflict if it ran),
    // and the reaper that records its exit code.
    Result<std::shared_ptr<ExecInstance>> claim_exec(const std::string& exec_id);
    void finish_exec(const std::shared_ptr<ExecInstance>& inst, const Container& c, pid_t pid,
                     const std::string& process_file);
    // Network set-up between the runtime's create and start (the init waits on its fifo):
    // the sandbox for NetworkMode bridge/<network>/none, then /etc/hosts with the address.
    Result<> join_networks(Container& c);
    // create: NetworkMode, NetworkingConfig and PortBindings checked; c.endpoints filled.
    Result<> check_networking(Container& c, const EndpointsConfig& requested);
    std::string resolv_conf_for(const Container& c);
    void leave_networks(Container& c);
    // Docker's NetworkSettings for inspect/list: live from the network service while running.
    // A list passes one NetworkMemo for all its containers: it keeps the network IDs and the
    // settings of containers not running (the same for the same mode and endpoint configs),
    // instead of working them out for each.
    struct NetworkMemo {
        std::map<std::string, networks::NetworkSettings> idle;  // "mode\nendpoints JSON" -> settings
        std::map<std::string, std::string> ids;                 // network name -> ID ("" if none)
    };
    networks::NetworkSettings network_settings(const Container& c, NetworkMemo* memo = nullptr);
    void idle_endpoints(const Container& c, NetworkMemo* memo, networks::NetworkSettings& s);
    Result<Container> build_container(const std::string& name, CreateRequest request,
                                      std::vector<std::string>* warnings);

    ManagerOptions opts_;
    images::ImageService* images_;
    volumes::VolumeService* volumes_ = nullptr;  // null: named volumes refused
    networks::NetworkService* networks_;
    EventBus* events_;

    std::mutex mu_;               // entries_, names_, every Entry's fields except `op`
    std::condition_variable cv_;  // any state change
    std::map<std::string, std::shared_ptr<Entry>> entries_;  // by id
    std::map<std::string, std::string> names_;               // name -> id
    std::map<std::string, std::shared_ptr<ExecInstance>> execs_;
    bool cgroup_v2_ = false;

    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: stop the monitor
    std::thread monitor_;
    bool stopping_ = false;          // under mu_
    std::set<std::string> unsaved_;  // ids whose last record write failed (under mu_)
    // Restart back-offs, auto-removes, exec waiters: cancelled and joined by shutdown().
    // Last, so it is gone before anything its tasks use.
    Background tasks_;
};

// Small helpers shared by the files.
int pidfd_open(pid_t pid);
// The ports to publish: HostConfig.PortBindings, plus ExposedPorts with PublishAllPorts.
Result<std::vector<networks::PortRequest>> port_requests(const Config& config, const HostConfig& host_config);
// NetworkSettings.Ports as the container list's "Ports" array.
Json list_ports(const networks::NetworkSettings& settings);
std::string generate_id();
std::string generate_name();  // adjective_surname, as Docker's namesgenerator
bool valid_name(const std::string& name);
std::string human_duration(int64_t seconds);   // Docker's units.HumanDuration
std::string status_text(const Container& c);   // "Up 3 seconds", "Exited (0) 2 minutes ago", ...
std::string command_line(const Container& c);  // "sh -c 'echo hi'" as docker ps shows it
// Looks `program` up in the rootfs as execve would with PATH from env; fails with the
// runtime's wording ("executable file not found in $PATH", "permission denied").
Result<> check_executable(const std::string& rootfs, const std::string& program,
                          const std::vector<std::string>& env, const std::string& cwd);

}  // namespace berth::daemon::containers

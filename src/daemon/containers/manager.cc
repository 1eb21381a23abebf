// The manager's records: open and reload (live-restore), lookup by ID/name/prefix,
// persistence, events, remove and rename.
#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/file.h"
#include "common/log.h"
#include "common/time.h"
#include "daemon/containers/manager_impl.h"
#include "runtime/container/container.h"
#include "shim/shim.h"

namespace berth::daemon::containers {

namespace {

// Whether `pid` is the berth-shim of container `id` (not a recycled pid).
bool is_our_shim(pid_t pid, const std::string& id) {
    if (pid <= 0) return false;
    auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    return cmdline && cmdline->find("berth-shim") != std::string::npos &&
           cmdline->find(id) != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<ContainerManager>> ContainerManager::open(const ManagerOptions& options,
                                                                 images::ImageService* images,
                                                                 networks::NetworkService* networks,
                                                                 EventBus* events,
                                                                 volumes::VolumeService* volumes) {
    if (!networks) return Error::invalid("container manager: a network service is required");
    auto m = std::make_unique<ManagerImpl>(options, images, networks, events);
    m->set_volumes(volumes);
    BERTH_TRY(m->load());
    return std::unique_ptr<ContainerManager>(std::move(m));
}

ManagerImpl::ManagerImpl(ManagerOptions o, images::ImageService* images, networks::NetworkService* networks,
                         EventBus* events)
    : opts_(std::move(o)), images_(images), networks_(networks), events_(events) {
    struct stat st;
    cgroup_v2_ = ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

ManagerImpl::~ManagerImpl() {
    shutdown();
}

std::string ManagerImpl::container_dir(const std::string& id) const {
    return opts_.data_root + "/containers/" + id;
}
std::string ManagerImpl::run_dir(const std::string& id) const {
    return opts_.exec_root + "/containers/" + id;
}

Result<> ManagerImpl::load() {
    BERTH_TRY(mkdir_all(opts_.data_root + "/containers", 0710));
    BERTH_TRY(mkdir_all(opts_.exec_root + "/containers", 0710));
    BERTH_TRY(mkdir_all(runtime_root(), 0700));
    BERTH_TRY(open_monitor());
    std::vector<std::shared_ptr<Entry>> lost;  // running when the daemon stopped, shim gone since
    std::vector<std::string> running;          // their network sandboxes are kept
    for (auto& id : list_dir(opts_.data_root + "/containers")) {
        if (id[0] == '.') continue;
        auto rec = read_record(id);
        if (!rec) continue;
        auto e = std::make_shared<Entry>();
        e->c = std::move(*rec);
        entries_[id] = e;
        names_[e->c.name] = id;
        adopt(e, lost, running);
    }
    networks_->release_others(running);
    monitor_ = std::thread([this] { monitor_loop(); });
    for (auto& e : lost) {
        if (e->c.state.status == Status::Removing) {
            if (auto r = remove_locked(e, true); !r)
                log::warn("containers: remove " + e->c.short_id() + ": " + r.error().str());
            continue;
        }
        handle_exit(e);  // records the exit from exit.json, or 255 when the shim left none
    }
    restart_on_boot();
    return ok();
}

Result<> ManagerImpl::open_monitor() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return Error::sys("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    // shutdown() wakes the monitor through it: without it, the monitor could not be joined.
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
        return Error::sys("epoll_ctl", "exit monitor");
    return ok();
}

// One container's record; nullopt when there is none to load (said in the log).
std::optional<Container> ManagerImpl::read_record(const std::string& id) {
    std::string dir = container_dir(id);
    std::string record = dir + "/config.v2.json";
    if (path_exists(record)) {
        auto doc = read_json_file(record);
        Result<Container> rec = doc ? Container::from_json(*doc) : Result<Container>(doc.error());
        if (rec && rec->id == id) return std::move(*rec);
        // A record this daemon cannot read (written by another version, or damaged) may be
        // a container with data in it: keep everything as it is, and say so.
        log::error("containers: " + id + ": skipped, its record " + record +
                   " cannot be read: " + (rec ? "its Id is " + rec->id : rec.error().str()));
        return std::nullopt;
    }
    // A create the daemon did not finish (the record is written last): nothing refers to it.
    log::warn("containers: removing incomplete container " + id + ": it has no record");
    // Once the directory below is gone nothing finds a mount or snapshot left here: say so.
    auto unmounted = images_->unmount_rootfs(id, rootfs_dir(id));
    if (!unmounted && unmounted.error().kind() != ErrorKind::NotFound)
        log::warn("containers: " + id + ": " + unmounted.error().str());
    if (auto r = images_->remove_rootfs(id); !r && r.error().kind() != ErrorKind::NotFound)
        log::warn("containers: " + id + ": snapshot left behind: " + r.error().str());
    (void)remove_all(run_dir(id));   // unread without a record; /run empties at boot
    (void)remove_all(shim_dir(id));  // unread without a record; /run empties at boot
    (void)remove_all(dir);           // still without a record: retried at the next start
    return std::nullopt;
}

// A loaded container that was running: watched again if its shim still runs, else `lost`
// (its exit is recorded once the monitor runs).
void ManagerImpl::adopt(const std::shared_ptr<Entry>& e, std::vector<std::shared_ptr<Entry>>& lost,
                        std::vector<std::string>& running) {
    auto& st = e->c.state;
    const std::string& id = e->c.id;
    if (st.status == Status::Removing) {
        lost.push_back(e);  // finished by load()
        return;
    }
    if (!st.running() && st.status != Status::Restarting) return;
    if (!is_our_shim(st.shim_pid, id)) {
        lost.push_back(e);
        return;
    }
    auto rs = runtime::state({runtime_root()}, id);
    st.status = rs && rs->status == runtime::Status::Paused ? Status::Paused : Status::Running;
    watch_shim(e);
    running.push_back(id);
    if (auto r = networks_->restore(id, "/proc/" + std::to_string(st.pid) + "/ns/net"); !r)
        log::warn("containers: " + e->c.short_id() + ": network: " + r.error().str());
    log::info("containers: " + e->c.short_id() + " still running (shim " + std::to_string(st.shim_pid) + ")");
}

// Restart policies "always" and "unless-stopped" bring containers back with the daemon.
void ManagerImpl::restart_on_boot() {
    for (auto& e : snapshot()) {
        const std::string& policy = e->c.host_config.restart_policy.name;
        bool back = (policy == "always" || (policy == "unless-stopped" && !e->c.manually_stopped)) &&
                    e->c.state.status == Status::Exited;
        if (!back) continue;
        std::lock_guard op(e->op);
        if (auto r = start_locked(*e); !r)
            log::warn("containers: restart " + e->c.short_id() + ": " + r.error().str());
    }
}

void ManagerImpl::shutdown() {
    {
        std::lock_guard lk(mu_);
        if (stopping_ && !monitor_.joinable()) return;
        stopping_ = true;
    }
    if (!opts_.live_restore) {
        // Stop every running container: the stop signal to all at once, SIGKILL after 10 s.
        std::vector<std::thread> stoppers;
        for (auto& e : snapshot())
            if (e->c.state.running())
                stoppers.emplace_back([this, e] {
                    std::lock_guard op(e->op);
                    if (auto r = stop_locked(*e, -2, ""); !r)
                        log::warn("containers: stop " + e->c.short_id() + ": " + r.error().str());
                });
        for (auto& t : stoppers) t.join();
    }
    // After the stops (their exits may still queue work), before the monitor and epoll go.
    tasks_.shutdown();
    {
        std::lock_guard lk(mu_);
        for (const auto& id : std::set<std::string>(unsaved_))
            if (auto it = entries_.find(id); it != entries_.end()) persist(it->second->c);
    }
    if (monitor_.joinable()) {
        uint64_t one = 1;
        (void)!::write(wake_fd_, &one, sizeof one);  // fails only when already signalled (counter full)
        monitor_.join();
    }
    if (epoll_fd_ >= 0) ::close(epoll_fd_), epoll_fd_ = -1;
    if (wake_fd_ >= 0) ::close(wake_fd_), wake_fd_ = -1;
    cv_.notify_all();
}

Result<std::shared_ptr<Entry>> ManagerImpl::find(const std::string& ref) {
    std::string r = ref;
    if (!r.empty() && r[0] == '/') r.erase(0, 1);
    std::lock_guard lk(mu_);
    if (r.empty()) return Error::not_found("No such container: " + ref);
    if (auto it = entries_.find(r); it != entries_.end()) return it->second;
    if (auto it = names_.find(r); it != names_.end()) {
        if (auto e = entries_.find(it->second); e != entries_.end()) return e->second;
    }
    std::shared_ptr<Entry> match;
    for (auto& [id, e] : entries_)
        if (id.compare(0, r.size(), r) == 0) {
            if (match) return Error::invalid("multiple IDs found with provided prefix: " + ref);
            match = e;
        }
    if (!match) return Error::not_found("No such container: " + ref);
    return match;
}

std::vector<std::shared_ptr<Entry>> ManagerImpl::snapshot() {
    std::lock_guard lk(mu_);
    std::vector<std::shared_ptr<Entry>> out;
    for (auto& [id, e] : entries_) out.push_back(e);
    return out;
}

Result<> ManagerImpl::save(const Container& c) {
    // Atomic without fsync: a power cut may lose a state change, which load() re-derives
    // from the shim; a kill -9 of the daemon loses nothing.
    return write_file_atomic(container_dir(c.id) + "/config.v2.json", dump_json(c.to_json()), 0600,
                             Durability::Atomic);
}

void ManagerImpl::persist(const Container& c) {
    if (auto r = save(c); !r) {
        if (unsaved_.insert(c.id).second)
            log::error("container " + c.short_id() + ": state not written: " + r.error().str() +
                       "; retried at its next change");
        return;
    }
    if (unsaved_.erase(c.id)) log::info("container " + c.short_id() + ": state written again");
}

void ManagerImpl::publish(const Container& c, const std::string& action,
                          std::map<std::string, std::string> extra) {
    if (!events_) return;
    Event ev;
    ev.type = "container";
    ev.action = action;
    ev.actor_id = c.id;
    ev.attributes = std::move(extra);
    ev.attributes["name"] = c.name;
    ev.attributes["image"] = c.image;
    for (auto& [k, v] : c.config.labels)
        if (!ev.attributes.count(k)) ev.attributes[k] = v;
    events_->publish(std::move(ev));
}

Result<> ManagerImpl::remove(const std::string& ref, bool force, bool /*volumes*/) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    return remove_locked(e, force);
}

Result<> ManagerImpl::remove_locked(const std::shared_ptr<Entry>& e, bool force) {
    std::string id = e->c.id;
    {
        std::lock_guard lk(mu_);
        if (e->removed) return ok();
        if (e->c.state.running() && !force) {
            std::string what = e->c.state.status == Status::Paused ? "paused" : "running";
            return Error::conflict("cannot remove container \"/" + e->c.name + "\": container is " + what +
                                   ": stop the container before removing or force remove");
        }
    }
    if (e->c.state.running()) BERTH_TRY(stop_locked(*e, 0, "SIGKILL"));
    {
        std::lock_guard lk(mu_);
        e->c.state.status = Status::Removing;
        persist(e->c);
    }
    // The record goes below: processes, a cgroup or a mount left now would be nobody's.
    if (auto r = runtime::remove({runtime_root()}, id, true); !r && r.error().kind() != ErrorKind::NotFound)
        log::warn("container " + e->c.short_id() + ": " + r.error().str());
    if (auto r = images_->unmount_rootfs(id, rootfs_dir(id)); !r && r.error().kind() != ErrorKind::NotFound)
        log::warn("container " + e->c.short_id() + ": " + r.error().str());
    leave_networks(e->c);
    auto r = images_->remove_rootfs(id);
    if (!r && r.error().kind() != ErrorKind::NotFound) {
        std::lock_guard lk(mu_);
        e->c.state.status = Status::Dead;
        e->c.state.error = "removal failed: " + r.error().str();
        persist(e->c);
        return r.error().with_context("remove container " + id);
    }
    (void)remove_all(run_dir(id));   // unread without the record; /run empties at boot
    (void)remove_all(shim_dir(id));  // unread without the record; /run empties at boot
    BERTH_TRY(remove_all(container_dir(id)));
    {
        std::lock_guard lk(mu_);
        entries_.erase(id);
        if (auto it = names_.find(e->c.name); it != names_.end() && it->second == id) names_.erase(it);
        for (auto& x : e->exec_ids) execs_.erase(x);
        e->removed = true;
    }
    cv_.notify_all();
    publish(e->c, "destroy");
    return ok();
}

Result<> ManagerImpl::rename(const std::string& ref, const std::string& new_name_in) {
    std::string new_name = new_name_in;
    if (!new_name.empty() && new_name[0] == '/') new_name.erase(0, 1);
    if (!valid_name(new_name))
        return Error::invalid("Invalid container name (" + new_name_in +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    std::string old;
    {
        std::lock_guard lk(mu_);
        if (e->c.name == new_name)
            return Error::invalid("Renaming a container with the same name as its current name");
        if (auto it = names_.find(new_name); it != names_.end())
            return Error::conflict(
                "Conflict. The container name \"/" + new_name + "\" is already in use by container \"" +
                it->second +
                "\". You have to remove (or rename) that container to be able to reuse that name.");
        old = e->c.name;
        e->c.name = new_name;
        if (auto r = save(e->c); !r) {
            e->c.name = old;
            return r;
        }
        names_.erase(old);
        names_[new_name] = e->c.id;
    }
    networks_->rename(e->c.id, e->c.name);  // DNS answers the new name
    publish(e->c, "rename", {{"oldName", "/" + old}});
    return ok();
}

std::vector<std::string> ManagerImpl::volume_users(const std::string& volume) {
    std::vector<std::string> out;
    std::lock_guard lk(mu_);
    for (auto& [id, e] : entries_) {
        bool uses = std::any_of(e->c.host_config.binds.begin(), e->c.host_config.binds.end(),
                                [&](const std::string& b) { return bind_volume(b) == volume; });
        for (auto& m : mount_specs(e->c.host_config).value_or(std::vector<MountSpec>{}))
            uses = uses || (m.type == "volume" && m.source == volume);
        if (uses) out.push_back(id);
    }
    return out;
}

std::vector<images::ImageUser> ManagerImpl::image_users(const images::Digest& image_id) {
    std::vector<images::ImageUser> out;
    std::lock_guard lk(mu_);
    for (auto& [id, e] : entries_)
        if (e->c.image_id == image_id.str()) out.push_back({id, e->c.state.running()});
    return out;
}

Counts ManagerImpl::counts() {
    Counts n;
    std::lock_guard lk(mu_);
    for (auto& [id, e] : entries_) {
        ++n.total;
        if (e->c.state.status == Status::Running)
            ++n.running;
        else if (e->c.state.status == Status::Paused)
            ++n.paused;
        else
            ++n.stopped;
    }
    return n;
}

}  // namespace berth::daemon::containers

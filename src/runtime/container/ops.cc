// Operations on an existing container: state, list, kill, delete, pause/resume, ps, stats.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

namespace {

// Waits until the init is gone (it is not our child: poll its /proc entry).
bool wait_gone(const SavedState& s, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 2) {
        auto start = process_start_time(s.pid);
        if (!start || *start != s.pid_start) return true;
        usleep(2000);
    }
    return false;
}

}  // namespace

Result<ContainerState> state(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    return to_container_state(g, l.saved, l.status);
}

Result<std::vector<ContainerState>> list(const GlobalOptions& g) {
    std::vector<ContainerState> out;
    DIR* d = ::opendir(g.root.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        return Error::sys("opendir", g.root);
    }
    while (auto* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        auto st = state(g, e->d_name);
        if (st) out.push_back(std::move(*st));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created < b.created; });
    return out;
}

Result<> kill(const GlobalOptions& g, const std::string& id, int sig, bool all) {
    auto l = BERTH_TRY(load_container(g, id));
    if (l.status == Status::Stopped) return Error::conflict("container \"" + id + "\" is not running");
    if (all && l.cgroup) return l.cgroup->kill_all(sig);
    if (::kill(l.saved.pid, sig) != 0) return Error::sys("kill " + std::to_string(l.saved.pid));
    return ok();
}

Result<> remove(const GlobalOptions& g, const std::string& id, bool force) {
    auto l = BERTH_TRY(load_container(g, id));
    if ((l.status == Status::Running || l.status == Status::Paused) && !force)
        return Error::conflict("cannot delete container \"" + id +
                               "\" that is not stopped: " + status_name(l.status));
    if (l.status != Status::Stopped) {
        // A created container is killed by delete, as runc does.
        if (l.cgroup) (void)l.cgroup->kill_all(SIGKILL);  // the init is killed below; wait_gone reports it
        (void)::kill(l.saved.pid, SIGKILL);               // ESRCH when gone: wait_gone decides
        if (!wait_gone(l.saved, 5000))
            return Error::internal("container \"" + id + "\": init did not die after SIGKILL");
    }
    if (l.cgroup) {
        // Processes that outlived the init (a shared pid namespace) go too; the freezer
        // round trip of kill_all is skipped when the cgroup is already empty.
        auto left = l.cgroup->pids();
        if (!left || !left->empty()) (void)l.cgroup->kill_all(SIGKILL);  // destroy() fails if any remain
        BERTH_TRY_CTX(l.cgroup->destroy(), "delete container " + id);
    }
    auto spec = spec::parse_spec(l.saved.config, l.saved.bundle);
    if (spec) {
        auto st = to_container_state(g, l.saved, Status::Stopped);
        if (auto r = run_hooks(spec->hooks.poststop, st, "poststop"); !r) log::warn(r.error().str());
    }
    return remove_all(container_dir(g, id));
}

Result<> pause(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    if (l.status != Status::Running)
        return Error::conflict("cannot pause container \"" + id + "\": it is " + status_name(l.status));
    if (!l.cgroup) return Error::unsupported("container \"" + id + "\" has no freezer cgroup");
    return l.cgroup->freeze();
}

Result<> resume(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    if (l.status != Status::Paused)
        return Error::conflict("cannot resume container \"" + id + "\": it is " + status_name(l.status));
    return l.cgroup->thaw();
}

Result<std::vector<pid_t>> processes(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    if (!l.cgroup) return std::vector<pid_t>{};
    return l.cgroup->pids();
}

Result<Json> stats(const GlobalOptions& g, const std::string& id) {
    auto l = BERTH_TRY(load_container(g, id));
    if (l.status == Status::Stopped) return Error::conflict("container \"" + id + "\" is not running");
    if (!l.cgroup) return Error::unsupported("container \"" + id + "\" has no cgroup");
    auto st = BERTH_TRY(l.cgroup->stats());
    return Json{{"type", "stats"}, {"id", id}, {"data", st.to_json()}};
}

Result<int> parse_signal(const std::string& s) {
    if (s.empty()) return Error::invalid("empty signal");
    if (isdigit(static_cast<unsigned char>(s[0]))) {
        char* end;
        long v = strtol(s.c_str(), &end, 10);
        if (*end || v <= 0 || v >= NSIG) return Error::invalid("invalid signal \"" + s + "\"");
        return static_cast<int>(v);
    }
    std::string name = s;
    for (auto& ch : name) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    if (starts_with(name, "SIG")) name = name.substr(3);
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev && name == abbrev) return sig;
    }
    if (starts_with(name, "RTMIN")) {
        int off = name.size() > 6 && name[5] == '+' ? atoi(name.c_str() + 6) : 0;
        if (SIGRTMIN + off <= SIGRTMAX) return SIGRTMIN + off;
    }
    return Error::invalid("invalid signal \"" + s + "\"");
}

}  // namespace berth::runtime

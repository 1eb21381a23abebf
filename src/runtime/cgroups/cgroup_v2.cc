// The cgroup v2 backend: one directory in the unified hierarchy, controllers enabled along
// the path, the v2 resource files (with runc's conversions from the v1-shaped OCI values),
// cgroup.freeze / cgroup.kill, and the eBPF device filter.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

uint64_t shares_to_weight(uint64_t shares) {
    // runc/crun: maps cpu.shares [2, 262144] linearly onto cpu.weight [1, 10000].
    if (shares == 0) return 0;
    if (shares < 2) shares = 2;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_to_io_weight(uint64_t weight) {
    // blkio.weight [10, 1000] onto io.weight [1, 10000].
    if (weight == 0) return 0;
    if (weight < 10) weight = 10;
    return 1 + ((weight - 10) * 9999) / 990;
}

Result<std::string> v2_swap_value(const spec::MemoryResources& m) {
    // The spec's swap is memory+swap (v1); memory.swap.max is swap alone.
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    if (limit == -1 && swap == 0) return std::string("max");
    if (swap == -1) return std::string("max");
    if (swap == 0) return std::string();  // not set
    if (limit == 0 || limit == -1)
        return Error::invalid("linux.resources.memory.swap: cannot be set without a memory limit");
    if (swap < limit)
        return Error::invalid("linux.resources.memory: swap (memory+swap) " + std::to_string(swap) +
                              " is below the limit " + std::to_string(limit));
    return std::to_string(swap - limit);
}

Result<> v2_enable_controllers(const CgFs& fs, const std::string& mount, const std::string& dir,
                               const std::vector<std::string>& wanted,
                               const std::vector<std::string>& required) {
    std::string rel = dir.substr(mount.size());
    std::vector<std::string> levels = {mount};
    for (const auto& part : split(rel, '/')) levels.push_back(path_join(levels.back(), part));
    levels.pop_back();  // dir itself: its own subtree_control is for its children
    std::vector<std::string> active = wanted;
    for (const auto& level : levels) {
        auto offered = BERTH_TRY(fs.read_optional(path_join(level, "cgroup.controllers")));
        std::vector<std::string> have = offered ? split(*offered, ' ') : std::vector<std::string>();
        std::vector<std::string> next;
        for (const auto& c : active) {
            bool is_required = std::find(required.begin(), required.end(), c) != required.end();
            bool available = !offered || std::find(have.begin(), have.end(), c) != have.end();
            auto r = available ? fs.write(path_join(level, "cgroup.subtree_control"), "+" + c)
                               : Result<>(Error::unsupported("cgroup v2 controller \"" + c +
                                                             "\" is not available in " + level));
            if (r)
                next.push_back(c);
            else if (is_required)
                return r;
        }
        active = std::move(next);
    }
    return ok();
}

Result<> v2_apply_hugetlb(const CgFs& fs, const std::string& dir,
                          const std::vector<spec::HugepageLimit>& limits) {
    for (const auto& l : limits)
        BERTH_TRY(fs.write(path_join(dir, "hugetlb." + l.page_size + ".max"), std::to_string(l.limit)));
    return ok();
}

namespace {

// Controllers the resources need, plus those stats read.
std::vector<std::string> needed_controllers(const spec::Resources* r) {
    std::vector<std::string> out;
    if (!r) return out;
    auto add = [&](const std::string& c) {
        if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    };
    if (r->memory) add("memory");
    if (r->cpu && (r->cpu->shares || r->cpu->quota || r->cpu->period || r->cpu->idle)) add("cpu");
    if (r->cpu && (!r->cpu->cpus.empty() || !r->cpu->mems.empty())) add("cpuset");
    if (r->pids) add("pids");
    if (r->blkio) add("io");
    if (!r->hugepage_limits.empty()) add("hugetlb");
    for (const auto& [key, value] : r->unified) {
        auto dot = key.find('.');
        if (dot != std::string::npos && key.substr(0, dot) != "cgroup") add(key.substr(0, dot));
    }
    return out;
}

Result<> wait_events(const CgFs& fs, const std::string& dir, const char* want) {
    std::string events = path_join(dir, "cgroup.events");
    for (int i = 0; i < 500; ++i) {
        for (const auto& [k, v] : parse_flat_keyed(BERTH_TRY(fs.read(events))))
            if (k == "frozen" && std::to_string(v) == want) return ok();
        std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 1 : 10));
    }
    return Error(ErrorKind::Unavailable, events + ": timed out waiting for \"frozen " + want + "\"");
}

class V2Cgroup final : public Cgroup {
public:
    V2Cgroup(std::string mount, std::string dir, CgFs fs)
        : mount_(std::move(mount)), dir_(std::move(dir)), fs_(std::move(fs)) {}

    Json to_json() const override {
        Json j = {{"mode", "v2"}, {"mount", mount_}, {"dir", dir_}};
        if (fs_.fake()) j["fake"] = {{"journal", fs_.journal()}};
        return j;
    }
    Mode mode() const override { return Mode::V2; }

    Result<> add_process(pid_t pid) override { return fs_.write(file("cgroup.procs"), std::to_string(pid)); }

    Result<> update(const spec::Resources& r) override {
        if (r.cpu && !r.cpu->cpus.empty()) BERTH_TRY(fs_.write(file("cpuset.cpus"), r.cpu->cpus));
        if (r.cpu && !r.cpu->mems.empty()) BERTH_TRY(fs_.write(file("cpuset.mems"), r.cpu->mems));
        if (r.memory) BERTH_TRY(apply_memory(*r.memory));
        if (r.cpu) BERTH_TRY(apply_cpu(*r.cpu));
        if (r.pids)
            BERTH_TRY(fs_.write(file("pids.max"), r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
        if (r.blkio) BERTH_TRY(apply_io(*r.blkio));
        BERTH_TRY(v2_apply_hugetlb(fs_, dir_, r.hugepage_limits));
        if (!r.devices.empty() && !fs_.fake()) BERTH_TRY(attach_device_program(dir_, r.devices));
        // Raw keys last: they are the user's explicit override of anything above.
        for (const auto& [key, value] : r.unified) {
            if (key.find('/') != std::string::npos || key == "." || key == "..")
                return Error::invalid("linux.resources.unified: bad key \"" + key + "\"");
            BERTH_TRY(fs_.write(file(key), value));
        }
        return ok();
    }

    Result<> freeze() override {
        BERTH_TRY(fs_.write(file("cgroup.freeze"), "1"));
        auto r = wait_events(fs_, dir_, "1");
        if (!r) (void)fs_.write(file("cgroup.freeze"), "0");  // stuck frozen shows as paused; resume thaws
        return r;
    }

    Result<> thaw() override {
        BERTH_TRY(fs_.write(file("cgroup.freeze"), "0"));
        return wait_events(fs_, dir_, "0");
    }

    Result<FreezerState> freezer_state() override {
        auto want = BERTH_TRY(fs_.read_optional(file("cgroup.freeze")));
        if (!want || *want != "1") return FreezerState::Thawed;
        for (const auto& [k, v] : parse_flat_keyed(BERTH_TRY(fs_.read(file("cgroup.events")))))
            if (k == "frozen" && v == 1) return FreezerState::Frozen;
        return FreezerState::Freezing;
    }

    Result<std::vector<pid_t>> pids() override { return fs_.procs_recursive(dir_); }
    Result<Stats> stats() override { return v2_stats(fs_, dir_); }

    Result<> kill_all(int sig) override {
        // cgroup.kill (5.14+) kills the whole subtree atomically, forks included.
        if (sig == SIGKILL && fs_.exists(file("cgroup.kill"))) return fs_.write(file("cgroup.kill"), "1");
        bool was_thawed = BERTH_TRY(freezer_state()) == FreezerState::Thawed;
        bool frozen_here = sig == SIGKILL && was_thawed && freeze().has_value();
        auto procs = pids();
        Result<> r;
        if (procs) {
            for (pid_t p : *procs)
                if (::kill(p, sig) != 0 && errno != ESRCH && r) r = Error::sys("kill " + std::to_string(p));
        } else {
            r = std::move(procs.error());
        }
        if (frozen_here || (sig == SIGKILL && !was_thawed)) {
            auto t = thaw();
            if (!t && r) r = std::move(t.error());
        }
        return r;
    }

    Result<> destroy() override { return fs_.remove_cgroup(dir_); }
    std::string path_of(const std::string&) const override { return dir_; }

private:
    std::string file(const char* name) const { return path_join(dir_, name); }
    std::string file(const std::string& name) const { return path_join(dir_, name); }
    bool has(const char* name) const { return fs_.fake() || fs_.exists(file(name)); }

    Result<> apply_memory(const spec::MemoryResources& m) {
        auto swap = BERTH_TRY(v2_swap_value(m));
        if (!swap.empty() && has("memory.swap.max")) BERTH_TRY(fs_.write(file("memory.swap.max"), swap));
        if (m.limit && *m.limit != 0)
            BERTH_TRY(fs_.write(file("memory.max"), *m.limit < 0 ? "max" : std::to_string(*m.limit)));
        if (m.reservation && *m.reservation != 0)
            BERTH_TRY(
                fs_.write(file("memory.low"), *m.reservation < 0 ? "max" : std::to_string(*m.reservation)));
        // memory.swappiness and the OOM-killer switch have no v2 equivalent; a value other
        // than the default would silently be lost, so refuse it.
        if (m.swappiness && *m.swappiness != UINT64_MAX)
            return Error::unsupported("linux.resources.memory.swappiness: not supported on cgroup v2");
        return ok();
    }

    Result<> apply_cpu(const spec::CpuResources& c) {
        if (c.shares && *c.shares != 0)
            BERTH_TRY(fs_.write(file("cpu.weight"), std::to_string(shares_to_weight(*c.shares))));
        int64_t quota = c.quota.value_or(0);
        uint64_t period = c.period.value_or(0);
        if (quota != 0 || period != 0) {
            std::string v = quota > 0 ? std::to_string(quota) : "max";
            if (period != 0) v += " " + std::to_string(period);
            BERTH_TRY(fs_.write(file("cpu.max"), v));
        }
        if (c.idle) BERTH_TRY(fs_.write(file("cpu.idle"), std::to_string(*c.idle)));
        if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0)
            return Error::unsupported("linux.resources.cpu.realtime*: not supported on cgroup v2");
        return ok();
    }

    Result<> apply_io(const spec::BlkioResources& b) {
        auto dev = [](int64_t major, int64_t minor) {
            return std::to_string(major) + ":" + std::to_string(minor);
        };
        // With BFQ, io.bfq.weight takes blkio's range unchanged; else convert for io.weight.
        bool bfq = !fs_.fake() && fs_.exists(file("io.bfq.weight"));
        const char* weight_file = bfq ? "io.bfq.weight" : "io.weight";
        auto weight = [&](uint64_t w) { return std::to_string(bfq ? w : blkio_to_io_weight(w)); };
        if (b.weight && *b.weight != 0) BERTH_TRY(fs_.write(file(weight_file), weight(*b.weight)));
        for (const auto& wd : b.weight_device)
            if (wd.weight)
                BERTH_TRY(fs_.write(file(weight_file), dev(wd.major, wd.minor) + " " + weight(*wd.weight)));
        auto rates = [&](const std::vector<spec::BlkioDeviceRate>& list, const char* key) -> Result<> {
            for (const auto& d : list)
                BERTH_TRY(fs_.write(file("io.max"),
                                    dev(d.major, d.minor) + " " + key + "=" + std::to_string(d.rate)));
            return ok();
        };
        BERTH_TRY(rates(b.throttle_read_bps_device, "rbps"));
        BERTH_TRY(rates(b.throttle_write_bps_device, "wbps"));
        BERTH_TRY(rates(b.throttle_read_iops_device, "riops"));
        BERTH_TRY(rates(b.throttle_write_iops_device, "wiops"));
        return ok();
    }

    std::string mount_, dir_;
    CgFs fs_;
};

}  // namespace

Result<std::unique_ptr<Cgroup>> create_v2(const Env& env, const std::string& resolved,
                                          const spec::Resources* resources) {
    CgFs fs(env.fake, env.journal);
    std::string rel = hierarchy_path(resolved, env.unified_own);
    std::string dir = path_join(env.unified_mount, rel);
    std::vector<std::string> created;
    ScopeExit undo([&] {
        // Best effort: a leftover is an empty cgroup, and the caller reports the original error.
        for (auto it = created.rbegin(); it != created.rend(); ++it)
            (void)fs.remove_cgroup(*it);  // see above
    });
    // Create the parents first: subtree_control is set on them before the leaf exists, so
    // the leaf gets the controller files at mkdir.
    auto parent_rel = rel.substr(0, rel.find_last_of('/'));
    BERTH_TRY(fs.make_dirs(env.unified_mount, parent_rel, &created));
    auto required = needed_controllers(resources);
    std::vector<std::string> wanted = required;
    for (const char* c : {"cpu", "memory", "pids", "io"})
        if (std::find(wanted.begin(), wanted.end(), c) == wanted.end()) wanted.push_back(c);
    BERTH_TRY(v2_enable_controllers(fs, env.unified_mount, dir, wanted, required));
    BERTH_TRY(fs.make_dirs(env.unified_mount, rel, &created));
    auto cg = std::make_unique<V2Cgroup>(env.unified_mount, dir, fs);
    if (resources) BERTH_TRY(cg->update(*resources));
    undo.dismiss();
    return std::unique_ptr<Cgroup>(std::move(cg));
}

Result<std::unique_ptr<Cgroup>> open_v2(const Json& saved) {
    if (!saved.contains("dir") || !saved["dir"].is_string() || !saved.contains("mount"))
        return Error::invalid("saved cgroup: missing \"dir\"");
    return std::unique_ptr<Cgroup>(std::make_unique<V2Cgroup>(
        saved["mount"].get<std::string>(), saved["dir"].get<std::string>(), saved_fs(saved)));
}

}  // namespace berth::runtime::cgroups

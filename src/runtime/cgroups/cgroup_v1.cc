// The cgroup v1 backend (also hybrid hosts): one directory per controller hierarchy, the
// resource files of each controller, the freezer, and on hybrid hosts the directory in the
// unified mount (plus the eBPF device filter / hugetlb there when v1 lacks the controller).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>

#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

namespace {

struct Hier {
    std::vector<std::string> controllers;
    std::string mount;
    std::string dir;
    bool has(const std::string& c) const {
        return std::find(controllers.begin(), controllers.end(), c) != controllers.end();
    }
    std::string name() const {
        std::string n;
        for (const auto& c : controllers) n += (n.empty() ? "" : ",") + c;
        return n;
    }
};

Result<> wait_freezer(const CgFs& fs, const std::string& file, const char* want, bool rewrite) {
    // The kernel may report FREEZING for a while (tasks in uninterruptible sleep); runc
    // re-writes the request while waiting, which also re-freezes tasks forked meanwhile.
    for (int i = 0; i < 500; ++i) {
        if (rewrite || i == 0) BERTH_TRY(fs.write(file, want));
        if (BERTH_TRY(fs.read(file)) == want) return ok();
        std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 1 : 10));
    }
    return Error(ErrorKind::Unavailable, file + ": timed out waiting for " + want);
}

class V1Cgroup final : public Cgroup {
public:
    V1Cgroup(Mode mode, std::vector<Hier> h, std::string umount, std::string udir, CgFs fs)
        : mode_(mode),
          hier_(std::move(h)),
          umount_(std::move(umount)),
          udir_(std::move(udir)),
          fs_(std::move(fs)) {}

    Json to_json() const override {
        Json hs = Json::array();
        for (const auto& h : hier_)
            hs.push_back({{"controllers", h.controllers}, {"mount", h.mount}, {"dir", h.dir}});
        Json j = {{"mode", mode_name(mode_)}, {"hierarchies", hs}};
        if (!udir_.empty()) j["unified"] = {{"mount", umount_}, {"dir", udir_}};
        if (fs_.fake()) j["fake"] = {{"journal", fs_.journal()}};
        return j;
    }
    Mode mode() const override { return mode_; }

    Result<> add_process(pid_t pid) override {
        std::string p = std::to_string(pid);
        for (const auto& h : hier_) BERTH_TRY(fs_.write(path_join(h.dir, "cgroup.procs"), p));
        if (!udir_.empty()) BERTH_TRY(fs_.write(path_join(udir_, "cgroup.procs"), p));
        return ok();
    }

    Result<> update(const spec::Resources& r) override {
        if (r.cpu) BERTH_TRY(apply_cpuset(*r.cpu));
        if (!r.devices.empty()) BERTH_TRY(apply_devices(r.devices));
        if (r.memory) BERTH_TRY(apply_memory(*r.memory));
        if (r.cpu) BERTH_TRY(apply_cpu(*r.cpu));
        if (r.pids) {
            const Hier* h = BERTH_TRY(need("pids"));
            BERTH_TRY(fs_.write(path_join(h->dir, "pids.max"),
                                r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
        }
        if (r.blkio) BERTH_TRY(apply_blkio(*r.blkio));
        if (!r.hugepage_limits.empty()) BERTH_TRY(apply_hugetlb(r.hugepage_limits));
        if (!r.unified.empty()) {
            if (udir_.empty())
                return Error::unsupported("linux.resources.unified: needs cgroup v2 (host is v1)");
            for (const auto& [key, value] : r.unified) {
                if (key.find('/') != std::string::npos || key == "." || key == "..")
                    return Error::invalid("linux.resources.unified: bad key \"" + key + "\"");
                BERTH_TRY(fs_.write(path_join(udir_, key), value));
            }
        }
        return ok();
    }

    Result<> freeze() override {
        const Hier* h = BERTH_TRY(need("freezer"));
        std::string file = path_join(h->dir, "freezer.state");
        auto r = wait_freezer(fs_, file, "FROZEN", true);
        // Never leave it half frozen; if the thaw fails too, state shows paused and resume retries.
        if (!r) (void)fs_.write(file, "THAWED");  // the wait error is what the caller gets
        return r;
    }

    Result<> thaw() override {
        const Hier* h = BERTH_TRY(need("freezer"));
        return wait_freezer(fs_, path_join(h->dir, "freezer.state"), "THAWED", false);
    }

    Result<FreezerState> freezer_state() override {
        const Hier* h = find("freezer");
        if (!h) return FreezerState::Thawed;
        auto s = BERTH_TRY(fs_.read(path_join(h->dir, "freezer.state")));
        if (s == "FROZEN") return FreezerState::Frozen;
        if (s == "FREEZING") return FreezerState::Freezing;
        return FreezerState::Thawed;
    }

    Result<std::vector<pid_t>> pids() override {
        for (const char* c : {"pids", "freezer", "memory", "cpu", "devices", "name=systemd"})
            if (const Hier* h = find(c)) return fs_.procs_recursive(h->dir);
        if (!hier_.empty()) return fs_.procs_recursive(hier_.front().dir);
        return fs_.procs_recursive(udir_);
    }

    Result<Stats> stats() override {
        auto dir = [&](const char* c) { return path_of(c); };
        return v1_stats(fs_, {dir("memory"), dir("cpuacct"), dir("cpu"), dir("pids"), dir("blkio")});
    }

    Result<> kill_all(int sig) override {
        // Freezing first stops a fork loop from outrunning us; SIGKILL is delivered to frozen
        // tasks once thawed, so thaw at the end whatever the state was.
        bool frozen_here = false;
        if (sig == SIGKILL && find("freezer")) {
            auto st = freezer_state();
            if (st && *st == FreezerState::Thawed) frozen_here = freeze().has_value();
        }
        auto procs = pids();
        Result<> r;
        if (procs) {
            for (pid_t p : *procs)
                if (::kill(p, sig) != 0 && errno != ESRCH && r) r = Error::sys("kill " + std::to_string(p));
        } else {
            r = std::move(procs.error());
        }
        if (sig == SIGKILL && find("freezer")) {
            auto st = freezer_state();
            if (frozen_here || (st && *st != FreezerState::Thawed)) {
                auto t = thaw();
                if (!t && r) r = std::move(t.error());
            }
        }
        return r;
    }

    Result<> destroy() override {
        Result<> r;
        for (const auto& h : hier_) {
            auto one = fs_.remove_cgroup(h.dir);
            if (!one && r) r = std::move(one.error());
        }
        if (!udir_.empty()) {
            auto one = fs_.remove_cgroup(udir_);
            if (!one && r) r = std::move(one.error());
        }
        return r;
    }

    std::string path_of(const std::string& controller) const override {
        if (controller == "unified") return udir_;
        const Hier* h = find(controller);
        return h ? h->dir : std::string();
    }

    const Hier* find(const std::string& c) const {
        for (const auto& h : hier_)
            if (h.has(c)) return &h;
        return nullptr;
    }
    Result<const Hier*> need(const std::string& c) const {
        if (const Hier* h = find(c)) return h;
        return Error::unsupported("cgroup v1 controller \"" + c + "\" is not mounted");
    }

private:
    Result<> apply_cpuset(const spec::CpuResources& cpu);
    Result<> apply_devices(const std::vector<spec::DeviceRule>& rules);
    Result<> apply_memory(const spec::MemoryResources& m);
    Result<> apply_cpu(const spec::CpuResources& cpu);
    Result<> apply_blkio(const spec::BlkioResources& b);
    Result<> apply_hugetlb(const std::vector<spec::HugepageLimit>& limits);

public:
    // A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until they are
    // set: copy the parent's values down every level that is still empty.
    Result<> inherit_cpuset(const Hier& h) const {
        std::string rel = h.dir.substr(h.mount.size());
        std::string parent = h.mount;
        for (const auto& part : split(rel, '/')) {
            std::string cur = path_join(parent, part);
            for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
                auto mine = BERTH_TRY(fs_.read_optional(path_join(cur, f)));
                if (mine && !mine->empty()) continue;
                auto theirs = BERTH_TRY(fs_.read(path_join(parent, f)));
                if (!theirs.empty()) BERTH_TRY(fs_.write(path_join(cur, f), theirs));
            }
            parent = cur;
        }
        return ok();
    }

private:
    Mode mode_;
    std::vector<Hier> hier_;
    std::string umount_, udir_;
    CgFs fs_;
};

Result<> V1Cgroup::apply_cpuset(const spec::CpuResources& cpu) {
    if (cpu.cpus.empty() && cpu.mems.empty()) return ok();
    const Hier* h = BERTH_TRY(need("cpuset"));
    if (!cpu.cpus.empty()) BERTH_TRY(fs_.write(path_join(h->dir, "cpuset.cpus"), cpu.cpus));
    if (!cpu.mems.empty()) BERTH_TRY(fs_.write(path_join(h->dir, "cpuset.mems"), cpu.mems));
    return ok();
}

Result<> V1Cgroup::apply_devices(const std::vector<spec::DeviceRule>& rules) {
    const Hier* h = find("devices");
    if (!h) {
        // Hybrid host without the v1 devices controller: filter in the unified cgroup.
        if (!udir_.empty() && !fs_.fake()) return attach_device_program(udir_, rules);
        return Error::unsupported("linux.resources.devices: no devices cgroup controller");
    }
    // Deny everything, then replay the rules in order (as runc does): the kernel's list then
    // matches the spec's "last rule wins" reading for the rules containers use.
    std::string deny = path_join(h->dir, "devices.deny");
    std::string allow = path_join(h->dir, "devices.allow");
    BERTH_TRY(fs_.write(deny, "a"));
    for (const auto& r : rules) BERTH_TRY(fs_.write(r.allow ? allow : deny, rule_string(r)));
    return ok();
}

Result<> V1Cgroup::apply_memory(const spec::MemoryResources& m) {
    const Hier* h = BERTH_TRY(need("memory"));
    std::string limit_file = path_join(h->dir, "memory.limit_in_bytes");
    std::string swap_file = path_join(h->dir, "memory.memsw.limit_in_bytes");
    // memsw files exist only with swap accounting; probe at the hierarchy's root, which
    // has them whenever any memory cgroup does.
    bool has_swap = fs_.exists(path_join(h->mount, "memory.memsw.limit_in_bytes"));
    int64_t limit = m.limit.value_or(0);
    int64_t swap = has_swap ? m.swap.value_or(0) : 0;
    if (limit == -1 && swap == 0 && has_swap) swap = -1;  // unlimited memory means unlimited swap
    if (limit > 0 && swap > 0 && swap < limit)
        return Error::invalid("linux.resources.memory: swap (memory+swap) " + std::to_string(swap) +
                              " is below the limit " + std::to_string(limit));
    if (limit != 0 && swap != 0) {
        // The kernel keeps limit <= memsw.limit at every step: raise memsw first when the
        // new memsw is above the current limit, otherwise lower the limit first.
        uint64_t cur = ULLONG_MAX;
        if (auto s = BERTH_TRY(fs_.read_optional(limit_file)); s && !s->empty()) cur = parse_u64(*s);
        if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
            BERTH_TRY(fs_.write(swap_file, std::to_string(swap)));
            BERTH_TRY(fs_.write(limit_file, std::to_string(limit)));
        } else {
            BERTH_TRY(fs_.write(limit_file, std::to_string(limit)));
            BERTH_TRY(fs_.write(swap_file, std::to_string(swap)));
        }
    } else {
        if (limit != 0) BERTH_TRY(fs_.write(limit_file, std::to_string(limit)));
        if (swap != 0) BERTH_TRY(fs_.write(swap_file, std::to_string(swap)));
    }
    if (m.reservation && *m.reservation != 0)
        BERTH_TRY(fs_.write(path_join(h->dir, "memory.soft_limit_in_bytes"), std::to_string(*m.reservation)));
    if (m.swappiness && *m.swappiness <= 100)
        BERTH_TRY(fs_.write(path_join(h->dir, "memory.swappiness"), std::to_string(*m.swappiness)));
    else if (m.swappiness && *m.swappiness != UINT64_MAX)  // -1 in the spec: keep the default
        return Error::invalid("linux.resources.memory.swappiness: " + std::to_string(*m.swappiness) +
                              " is above 100");
    if (m.disable_oom_killer && *m.disable_oom_killer)
        BERTH_TRY(fs_.write(path_join(h->dir, "memory.oom_control"), "1"));
    return ok();
}

Result<> V1Cgroup::apply_cpu(const spec::CpuResources& cpu) {
    bool any =
        cpu.shares || cpu.quota || cpu.period || cpu.realtime_runtime || cpu.realtime_period || cpu.idle;
    if (!any) return ok();
    const Hier* h = BERTH_TRY(need("cpu"));
    auto file = [&](const char* f) { return path_join(h->dir, f); };
    if (cpu.shares && *cpu.shares != 0) BERTH_TRY(fs_.write(file("cpu.shares"), std::to_string(*cpu.shares)));
    int64_t quota = cpu.quota.value_or(0);
    uint64_t period = cpu.period.value_or(0);
    if (period != 0) {
        // The new period can be refused against the current quota (EINVAL): then set the
        // quota first and the period after it.
        auto r = fs_.write(file("cpu.cfs_period_us"), std::to_string(period));
        if (r)
            period = 0;
        else if (r.error().sys_errno() != EINVAL || quota == 0)
            return r;
    }
    if (quota != 0) {
        BERTH_TRY(fs_.write(file("cpu.cfs_quota_us"), std::to_string(quota)));
        if (period != 0) BERTH_TRY(fs_.write(file("cpu.cfs_period_us"), std::to_string(period)));
    }
    if (cpu.realtime_period && *cpu.realtime_period != 0)
        BERTH_TRY(fs_.write(file("cpu.rt_period_us"), std::to_string(*cpu.realtime_period)));
    if (cpu.realtime_runtime && *cpu.realtime_runtime != 0)
        BERTH_TRY(fs_.write(file("cpu.rt_runtime_us"), std::to_string(*cpu.realtime_runtime)));
    if (cpu.idle) BERTH_TRY(fs_.write(file("cpu.idle"), std::to_string(*cpu.idle)));
    return ok();
}

Result<> V1Cgroup::apply_blkio(const spec::BlkioResources& b) {
    bool any = b.weight || b.leaf_weight || !b.weight_device.empty() || !b.throttle_read_bps_device.empty() ||
               !b.throttle_write_bps_device.empty() || !b.throttle_read_iops_device.empty() ||
               !b.throttle_write_iops_device.empty();
    if (!any) return ok();
    const Hier* h = BERTH_TRY(need("blkio"));
    auto file = [&](const std::string& f) { return path_join(h->dir, f); };
    // CFQ's blkio.weight is gone from recent kernels; BFQ offers blkio.bfq.weight with the
    // same range, so the value is written unchanged.
    std::string prefix =
        !fs_.exists(file("blkio.weight")) && fs_.exists(file("blkio.bfq.weight")) ? "blkio.bfq." : "blkio.";
    if (b.weight && *b.weight != 0) BERTH_TRY(fs_.write(file(prefix + "weight"), std::to_string(*b.weight)));
    if (b.leaf_weight && *b.leaf_weight != 0 && (fs_.fake() || fs_.exists(file("blkio.leaf_weight"))))
        BERTH_TRY(fs_.write(file("blkio.leaf_weight"), std::to_string(*b.leaf_weight)));
    auto dev = [](int64_t major, int64_t minor) {
        return std::to_string(major) + ":" + std::to_string(minor);
    };
    for (const auto& wd : b.weight_device) {
        if (wd.weight)
            BERTH_TRY(fs_.write(file(prefix + "weight_device"),
                                dev(wd.major, wd.minor) + " " + std::to_string(*wd.weight)));
        if (wd.leaf_weight && (fs_.fake() || fs_.exists(file("blkio.leaf_weight_device"))))
            BERTH_TRY(fs_.write(file("blkio.leaf_weight_device"),
                                dev(wd.major, wd.minor) + " " + std::to_string(*wd.leaf_weight)));
    }
    auto rates = [&](const std::vector<spec::BlkioDeviceRate>& list, const char* f) -> Result<> {
        for (const auto& d : list)
            BERTH_TRY(fs_.write(file(f), dev(d.major, d.minor) + " " + std::to_string(d.rate)));
        return ok();
    };
    BERTH_TRY(rates(b.throttle_read_bps_device, "blkio.throttle.read_bps_device"));
    BERTH_TRY(rates(b.throttle_write_bps_device, "blkio.throttle.write_bps_device"));
    BERTH_TRY(rates(b.throttle_read_iops_device, "blkio.throttle.read_iops_device"));
    BERTH_TRY(rates(b.throttle_write_iops_device, "blkio.throttle.write_iops_device"));
    return ok();
}

Result<> V1Cgroup::apply_hugetlb(const std::vector<spec::HugepageLimit>& limits) {
    if (const Hier* h = find("hugetlb")) {
        for (const auto& l : limits)
            BERTH_TRY(fs_.write(path_join(h->dir, "hugetlb." + l.page_size + ".limit_in_bytes"),
                                std::to_string(l.limit)));
        return ok();
    }
    if (udir_.empty()) return Error::unsupported("linux.resources.hugepageLimits: no hugetlb controller");
    // Hybrid host whose hugetlb controller sits in the unified hierarchy (as here).
    BERTH_TRY(v2_enable_controllers(fs_, umount_, udir_, {"hugetlb"}, {"hugetlb"}));
    return v2_apply_hugetlb(fs_, udir_, limits);
}

}  // namespace

Result<std::unique_ptr<Cgroup>> create_v1(const Env& env, const std::string& resolved,
                                          const spec::Resources* resources) {
    CgFs fs(env.fake, env.journal);
    std::vector<std::string> created;
    ScopeExit undo([&] {
        // Best effort: a leftover is an empty cgroup, and the caller reports the original error.
        for (auto it = created.rbegin(); it != created.rend(); ++it)
            (void)fs.remove_cgroup(*it);  // see above
    });
    std::vector<Hier> hier;
    for (const auto& m : env.v1) {
        std::string rel = hierarchy_path(resolved, m.own);
        BERTH_TRY(fs.make_dirs(m.mount, rel, &created));
        hier.push_back({m.controllers, m.mount, path_join(m.mount, rel)});
    }
    std::string udir;
    if (env.mode == Mode::Hybrid && !env.unified_mount.empty()) {
        std::string rel = hierarchy_path(resolved, env.unified_own);
        BERTH_TRY(fs.make_dirs(env.unified_mount, rel, &created));
        udir = path_join(env.unified_mount, rel);
    }
    auto cg = std::make_unique<V1Cgroup>(env.mode, std::move(hier), env.unified_mount, udir, fs);
    if (const Hier* h = cg->find("cpuset")) BERTH_TRY(cg->inherit_cpuset(*h));
    if (resources) BERTH_TRY(cg->update(*resources));
    undo.dismiss();
    return std::unique_ptr<Cgroup>(std::move(cg));
}

Result<std::unique_ptr<Cgroup>> open_v1(const Json& saved) {
    std::vector<Hier> hier;
    std::string umount, udir;
    Mode mode = saved.value("mode", "") == "hybrid" ? Mode::Hybrid : Mode::V1;
    try {
        for (const auto& h : saved.at("hierarchies"))
            hier.push_back({h.at("controllers").get<std::vector<std::string>>(),
                            h.at("mount").get<std::string>(), h.at("dir").get<std::string>()});
        if (saved.contains("unified")) {
            umount = saved["unified"].at("mount").get<std::string>();
            udir = saved["unified"].at("dir").get<std::string>();
        }
    } catch (const std::exception& e) {
        return Error::invalid(std::string("saved cgroup: ") + e.what());
    }
    return std::unique_ptr<Cgroup>(
        std::make_unique<V1Cgroup>(mode, std::move(hier), umount, udir, saved_fs(saved)));
}

}  // namespace berth::runtime::cgroups

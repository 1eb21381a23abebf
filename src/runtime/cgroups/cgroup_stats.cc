// Resource usage read back from cgroupfs (v1 controller files and the v2 unified files),
// for `berth-runtime events --stats` and the Engine API's container stats.
// Every file is optional: controllers and accounting options vary between kernels.
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

namespace {

// Reads a single number; nullopt when the file is missing.
Result<std::optional<uint64_t>> read_num(const CgFs& fs, const std::string& dir, const char* file) {
    auto text = BERTH_TRY(fs.read_optional(path_join(dir, file)));
    if (!text) return std::optional<uint64_t>();
    return std::optional<uint64_t>(parse_u64(*text));
}

Result<std::vector<std::pair<std::string, uint64_t>>> read_keyed(const CgFs& fs, const std::string& dir,
                                                                 const char* file) {
    auto text = BERTH_TRY(fs.read_optional(path_join(dir, file)));
    if (!text) return std::vector<std::pair<std::string, uint64_t>>();
    return parse_flat_keyed(*text);
}

void set_if(uint64_t* out, const std::optional<uint64_t>& v) {
    if (v) *out = *v;
}

bool parse_dev(const std::string& s, uint64_t* major, uint64_t* minor) {
    auto mm = split(s, ':');
    if (mm.size() != 2) return false;
    *major = parse_u64(mm[0]);
    *minor = parse_u64(mm[1]);
    return true;
}

Result<> v1_memory(const CgFs& fs, const std::string& d, Stats* st) {
    set_if(&st->memory_usage, BERTH_TRY(read_num(fs, d, "memory.usage_in_bytes")));
    set_if(&st->memory_max_usage, BERTH_TRY(read_num(fs, d, "memory.max_usage_in_bytes")));
    set_if(&st->memory_limit, BERTH_TRY(read_num(fs, d, "memory.limit_in_bytes")));
    set_if(&st->memory_failcnt, BERTH_TRY(read_num(fs, d, "memory.failcnt")));
    // As runc: v1 "swap" usage is the memory+swap counter (absent without swap accounting).
    set_if(&st->swap_usage, BERTH_TRY(read_num(fs, d, "memory.memsw.usage_in_bytes")));
    for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "memory.stat"))) st->memory_raw[k] = v;
    if (auto it = st->memory_raw.find("cache"); it != st->memory_raw.end()) st->memory_cache = it->second;
    for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "memory.oom_control")))
        if (k == "oom_kill") st->memory_oom_kills = v;
    return ok();
}

Result<> v1_cpu(const CgFs& fs, const V1StatDirs& dirs, Stats* st) {
    if (!dirs.cpuacct.empty()) {
        const std::string& d = dirs.cpuacct;
        set_if(&st->cpu_usage_total, BERTH_TRY(read_num(fs, d, "cpuacct.usage")));
        if (auto per = BERTH_TRY(fs.read_optional(path_join(d, "cpuacct.usage_percpu"))))
            for (const auto& v : split(*per, ' ')) st->cpu_usage_percpu.push_back(parse_u64(v));
        auto user = BERTH_TRY(read_num(fs, d, "cpuacct.usage_user"));
        auto sys = BERTH_TRY(read_num(fs, d, "cpuacct.usage_sys"));
        if (user && sys) {
            st->cpu_usage_user = *user;
            st->cpu_usage_kernel = *sys;
        } else {
            // Older kernels: only cpuacct.stat, in USER_HZ ticks.
            uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
            for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "cpuacct.stat"))) {
                if (k == "user") st->cpu_usage_user = v * ns_per_tick;
                if (k == "system") st->cpu_usage_kernel = v * ns_per_tick;
            }
        }
    }
    if (!dirs.cpu.empty()) {
        for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, dirs.cpu, "cpu.stat"))) {
            if (k == "nr_periods") st->cpu_periods = v;
            if (k == "nr_throttled") st->cpu_throttled_periods = v;
            if (k == "throttled_time") st->cpu_throttled_time = v;
        }
    }
    return ok();
}

Result<> v1_blkio(const CgFs& fs, const std::string& d, Stats* st) {
    auto text = BERTH_TRY(fs.read_optional(path_join(d, "blkio.throttle.io_service_bytes_recursive")));
    if (!text) text = BERTH_TRY(fs.read_optional(path_join(d, "blkio.throttle.io_service_bytes")));
    if (!text) return ok();
    for (const auto& line : split(*text, '\n')) {
        auto f = split(line, ' ');  // "8:0 Read 4096"; the last line is "Total N"
        Stats::BlkioEntry e;
        if (f.size() != 3 || !parse_dev(f[0], &e.major, &e.minor)) continue;
        e.op = f[1];
        e.value = parse_u64(f[2]);
        st->io_service_bytes.push_back(std::move(e));
    }
    return ok();
}

Result<> pids_stats(const CgFs& fs, const std::string& d, Stats* st) {
    set_if(&st->pids_current, BERTH_TRY(read_num(fs, d, "pids.current")));
    set_if(&st->pids_limit, BERTH_TRY(read_num(fs, d, "pids.max")));
    return ok();
}

}  // namespace

Result<Stats> v1_stats(const CgFs& fs, const V1StatDirs& dirs) {
    Stats st;
    if (!dirs.memory.empty()) BERTH_TRY(v1_memory(fs, dirs.memory, &st));
    BERTH_TRY(v1_cpu(fs, dirs, &st));
    if (!dirs.pids.empty()) BERTH_TRY(pids_stats(fs, dirs.pids, &st));
    if (!dirs.blkio.empty()) BERTH_TRY(v1_blkio(fs, dirs.blkio, &st));
    return st;
}

Result<Stats> v2_stats(const CgFs& fs, const std::string& d) {
    Stats st;
    set_if(&st.memory_usage, BERTH_TRY(read_num(fs, d, "memory.current")));
    set_if(&st.memory_limit, BERTH_TRY(read_num(fs, d, "memory.max")));
    set_if(&st.memory_max_usage, BERTH_TRY(read_num(fs, d, "memory.peak")));
    set_if(&st.swap_usage, BERTH_TRY(read_num(fs, d, "memory.swap.current")));
    for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "memory.stat"))) st.memory_raw[k] = v;
    if (auto it = st.memory_raw.find("file"); it != st.memory_raw.end()) st.memory_cache = it->second;
    for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "memory.events"))) {
        if (k == "max") st.memory_failcnt = v;
        if (k == "oom_kill") st.memory_oom_kills = v;
    }
    for (const auto& [k, v] : BERTH_TRY(read_keyed(fs, d, "cpu.stat"))) {
        if (k == "usage_usec") st.cpu_usage_total = v * 1000;
        if (k == "user_usec") st.cpu_usage_user = v * 1000;
        if (k == "system_usec") st.cpu_usage_kernel = v * 1000;
        if (k == "nr_periods") st.cpu_periods = v;
        if (k == "nr_throttled") st.cpu_throttled_periods = v;
        if (k == "throttled_usec") st.cpu_throttled_time = v * 1000;
    }
    BERTH_TRY(pids_stats(fs, d, &st));
    if (auto text = BERTH_TRY(fs.read_optional(path_join(d, "io.stat")))) {
        for (const auto& line : split(*text, '\n')) {
            auto f = split(line, ' ');  // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..."
            uint64_t major = 0, minor = 0;
            if (f.empty() || !parse_dev(f[0], &major, &minor)) continue;
            for (size_t i = 1; i < f.size(); ++i) {
                auto kv = split(f[i], '=');
                if (kv.size() != 2) continue;
                if (kv[0] == "rbytes")
                    st.io_service_bytes.push_back({major, minor, "Read", parse_u64(kv[1])});
                if (kv[0] == "wbytes")
                    st.io_service_bytes.push_back({major, minor, "Write", parse_u64(kv[1])});
            }
        }
    }
    return st;
}

}  // namespace berth::runtime::cgroups

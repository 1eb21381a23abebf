// The cgroups entry points: mode detection, the host layout (mountinfo + /proc/self/cgroup),
// linux.cgroupsPath resolution, backend dispatch, and the stats JSON shape.
#include "runtime/cgroups/cgroups.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/vfs.h>

#include <mutex>
#include <set>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"

namespace berth::runtime::cgroups {

Mode detect_mode_at(const std::string& root) {
    struct statfs st {};
    if (::statfs(root.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return Mode::V2;
    std::string unified = path_join(root, "unified");
    if (::statfs(unified.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return Mode::Hybrid;
    return Mode::V1;
}

Mode detect_mode() {
    static const Mode mode = detect_mode_at("/sys/fs/cgroup");
    return mode;
}

const char* mode_name(Mode m) {
    switch (m) {
        case Mode::V1:
            return "v1";
        case Mode::Hybrid:
            return "hybrid";
        case Mode::V2:
            return "v2";
    }
    return "unknown";
}

namespace {

bool is_v1_controller(const std::string& opt) {
    static const std::set<std::string> known = {"cpu",     "cpuacct", "cpuset",   "memory", "devices",
                                                "freezer", "net_cls", "net_prio", "blkio",  "perf_event",
                                                "hugetlb", "pids",    "rdma",     "misc"};
    return known.count(opt) > 0 || starts_with(opt, "name=");
}

// The process's path relative to a mount whose root (mountinfo field 4) is `root`.
std::string relative_to_root(const std::string& path, const std::string& root) {
    if (root == "/" || root.empty()) return path.empty() ? "/" : path;
    if (path == root) return "/";
    if (starts_with(path, root + "/")) return path.substr(root.size());
    return "/";  // the process is outside the mounted subtree: place cgroups from its root
}

}  // namespace

Env parse_env(Mode mode, std::string_view mountinfo, std::string_view proc_cgroup) {
    // /proc/self/cgroup: "4:memory:/a/b", "1:name=systemd:/", "0::/"
    std::map<std::string, std::string> own_by_key;
    std::string unified_own = "/";
    for (const auto& line : split(proc_cgroup, '\n')) {
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        std::string ctrls = line.substr(a + 1, b - a - 1);
        std::string path = line.substr(b + 1);
        if (ctrls.empty())
            unified_own = path;
        else
            own_by_key[ctrls] = path;
    }
    Env env;
    env.mode = mode;
    std::set<std::string> seen;
    std::vector<std::pair<std::string, std::string>> unified_mounts;  // mount, root
    for (const auto& line : split(mountinfo, '\n')) {
        auto f = split(line, ' ');
        size_t sep = 0;
        while (sep < f.size() && f[sep] != "-") ++sep;
        if (sep < 5 || sep + 3 >= f.size()) continue;
        const std::string& fstype = f[sep + 1];
        const std::string& root = f[3];
        const std::string& mount = f[4];
        if (fstype == "cgroup2") {
            unified_mounts.emplace_back(mount, root);
            continue;
        }
        if (fstype != "cgroup") continue;
        V1Mount m;
        for (const auto& opt : split(f[sep + 3], ','))
            if (is_v1_controller(opt)) m.controllers.push_back(opt);
        if (m.controllers.empty()) continue;
        std::string key;
        for (const auto& c : m.controllers) key += (key.empty() ? "" : ",") + c;
        if (!seen.insert(key).second) continue;  // the same hierarchy mounted twice
        m.mount = mount;
        auto it = own_by_key.find(key);
        m.own = relative_to_root(it == own_by_key.end() ? "/" : it->second, root);
        env.v1.push_back(std::move(m));
    }
    if (mode != Mode::V1) {
        for (const auto& [mount, root] : unified_mounts) {
            bool wanted = mode == Mode::V2 ? mount == "/sys/fs/cgroup" : mount == "/sys/fs/cgroup/unified";
            if (!wanted && !env.unified_mount.empty()) continue;
            env.unified_mount = mount;
            env.unified_own = relative_to_root(unified_own, root);
            if (wanted) break;
        }
    }
    if (mode == Mode::V2) env.v1.clear();
    return env;
}

Result<Env> load_env() {
    // The shim calls the runtime from several threads; the layout is read once.
    static std::mutex mu;
    static std::optional<Env> cached;
    std::lock_guard<std::mutex> lock(mu);
    if (cached) return *cached;
    auto mountinfo = BERTH_TRY(read_file("/proc/self/mountinfo"));
    auto own = BERTH_TRY(read_file("/proc/self/cgroup"));
    Env env = parse_env(detect_mode(), mountinfo, own);
    if (env.mode != Mode::V1 && env.unified_mount.empty())
        return Error::not_found("no cgroup2 mount found in /proc/self/mountinfo");
    if (env.mode != Mode::V2 && env.v1.empty())
        return Error::not_found("no cgroup v1 hierarchy found in /proc/self/mountinfo");
    cached = env;
    return env;
}

Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id) {
    std::string path = cgroups_path;
    if (path.empty()) {
        path = "/berth/" + id;
    } else if (path.find(':') != std::string::npos) {
        // systemd's "slice:prefix:name"; no systemd here, so the cgroupfs path it would use.
        auto parts = split(path, ':', false);
        if (parts.size() != 3)
            return Error::invalid("linux.cgroupsPath: expected \"slice:prefix:name\", got \"" + path + "\"");
        std::string slice = parts[0].empty() ? "system.slice" : parts[0];
        std::string unit = (parts[1].empty() ? "" : parts[1] + "-") + parts[2] + ".scope";
        path = "/" + slice + "/" + unit;
    }
    for (const auto& part : split(path, '/'))
        if (part == "..")
            return Error::invalid("linux.cgroupsPath: \"..\" is not allowed: \"" + cgroups_path + "\"");
    if (split(path, '/').empty())
        return Error::invalid("linux.cgroupsPath: must name a cgroup below the root: \"" + cgroups_path +
                              "\"");
    return path;
}

std::string hierarchy_path(const std::string& resolved, const std::string& own) {
    if (!resolved.empty() && resolved[0] == '/') return resolved;
    std::string p = path_join(own.empty() ? "/" : own, resolved);
    return p[0] == '/' ? p : "/" + p;
}

Result<std::unique_ptr<Cgroup>> create_in(const Env& env, const std::string& cgroups_path,
                                          const std::string& id, const spec::Resources* resources) {
    auto resolved = BERTH_TRY(resolve_cgroups_path(cgroups_path, id));
    if (env.mode == Mode::V2) return create_v2(env, resolved, resources);
    return create_v1(env, resolved, resources);
}

Result<std::unique_ptr<Cgroup>> Cgroup::create(const std::string& cgroups_path, const std::string& id,
                                               const spec::Resources* resources) {
    auto env = BERTH_TRY(load_env());
    return create_in(env, cgroups_path, id, resources);
}

Result<std::unique_ptr<Cgroup>> Cgroup::open(const Json& saved) {
    if (!saved.is_object() || !saved.contains("mode") || !saved["mode"].is_string())
        return Error::invalid("saved cgroup: missing \"mode\"");
    if (saved["mode"].get<std::string>() == "v2") return open_v2(saved);
    return open_v1(saved);
}

Json Stats::to_json() const {
    Json percpu = Json::array();
    for (auto v : cpu_usage_percpu) percpu.push_back(v);
    Json blkio = Json::array();
    for (const auto& e : io_service_bytes)
        blkio.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
    Json raw = Json::object();
    for (const auto& [k, v] : memory_raw) raw[k] = v;
    return {
        {"cpu",
         {{"usage",
           {{"total", cpu_usage_total},
            {"percpu", percpu},
            {"kernel", cpu_usage_kernel},
            {"user", cpu_usage_user}}},
          {"throttling",
           {{"periods", cpu_periods},
            {"throttledPeriods", cpu_throttled_periods},
            {"throttledTime", cpu_throttled_time}}}}},
        {"memory",
         {{"cache", memory_cache},
          {"usage",
           {{"usage", memory_usage},
            {"max", memory_max_usage},
            {"limit", memory_limit},
            {"failcnt", memory_failcnt}}},
          {"swap", {{"usage", swap_usage}}},
          {"oom_kill", memory_oom_kills},
          {"raw", raw}}},
        {"pids", {{"current", pids_current}, {"limit", pids_limit}}},
        {"blkio", {{"ioServiceBytesRecursive", blkio}}},
    };
}

}  // namespace berth::runtime::cgroups

// Parsing and validation of config.json into spec::Spec. Each accessor carries the JSON
// path so that every error names the field that was wrong.
#include "runtime/spec/spec.h"

#include <sched.h>

#include <limits>

#include "common/file.h"
#include "common/strings.h"

namespace berth::runtime::spec {

namespace {

// A view of one JSON value plus the path that leads to it.
class Field {
public:
    Field(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

    const Json& json() const { return j_; }
    const std::string& path() const { return path_; }
    Field child(const std::string& key) const {
        return {j_.at(key), path_.empty() ? key : path_ + "." + key};
    }
    Field at(size_t i) const { return {j_.at(i), path_ + "[" + std::to_string(i) + "]"}; }
    bool has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_.at(key).is_null(); }

    Error type_error(const char* want) const {
        return Error::invalid(path_ + ": expected " + want + ", got " + j_.type_name());
    }
    Error bad(const std::string& why) const { return Error::invalid(path_ + ": " + why); }

    Result<> expect_object() const {
        if (!j_.is_object()) return type_error("object");
        return ok();
    }
    Result<> expect_array() const {
        if (!j_.is_array()) return type_error("array");
        return ok();
    }
    Result<std::string> str() const {
        if (!j_.is_string()) return type_error("string");
        return j_.get<std::string>();
    }
    Result<bool> boolean() const {
        if (!j_.is_boolean()) return type_error("boolean");
        return j_.get<bool>();
    }
    Result<int64_t> i64() const {
        if (j_.is_number_integer()) return j_.get<int64_t>();
        if (j_.is_number_unsigned()) {
            uint64_t u = j_.get<uint64_t>();
            // -1 written as uint64 max is common for "unlimited"
            if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return int64_t(-1);
            return static_cast<int64_t>(u);
        }
        return type_error("integer");
    }
    Result<uint64_t> u64() const {
        if (j_.is_number_unsigned()) return j_.get<uint64_t>();
        if (j_.is_number_integer()) {
            int64_t v = j_.get<int64_t>();
            if (v < 0) return bad("must not be negative");
            return static_cast<uint64_t>(v);
        }
        return type_error("unsigned integer");
    }
    Result<uint32_t> u32() const {
        uint64_t v = BERTH_TRY(u64());
        if (v > std::numeric_limits<uint32_t>::max()) return bad("out of range");
        return static_cast<uint32_t>(v);
    }
    Result<std::vector<std::string>> strings() const {
        BERTH_TRY(expect_array());
        std::vector<std::string> out;
        for (size_t i = 0; i < j_.size(); ++i) out.push_back(BERTH_TRY(at(i).str()));
        return out;
    }
    Result<std::map<std::string, std::string>> string_map() const {
        BERTH_TRY(expect_object());
        std::map<std::string, std::string> out;
        for (auto& [k, v] : j_.items()) out[k] = BERTH_TRY(child(k).str());
        return out;
    }

    // Optional members: absent or null leaves `out` untouched.
    template <typename T, typename Fn>
    Result<> opt(const char* key, T& out, Fn fn) const {
        if (!has(key)) return ok();
        out = BERTH_TRY((child(key).*fn)());
        return ok();
    }

private:
    const Json& j_;
    std::string path_;
};

template <typename T>
Result<> opt_num(const Field& f, const char* key, std::optional<T>& out, bool is_signed) {
    if (!f.has(key)) return ok();
    if (is_signed)
        out = static_cast<T>(BERTH_TRY(f.child(key).i64()));
    else
        out = static_cast<T>(BERTH_TRY(f.child(key).u64()));
    return ok();
}

Result<User> parse_user(const Field& f) {
    BERTH_TRY(f.expect_object());
    User u;
    if (f.has("uid")) u.uid = BERTH_TRY(f.child("uid").u32());
    if (f.has("gid")) u.gid = BERTH_TRY(f.child("gid").u32());
    if (f.has("umask")) u.umask = BERTH_TRY(f.child("umask").u32());
    if (f.has("additionalGids")) {
        auto a = f.child("additionalGids");
        BERTH_TRY(a.expect_array());
        for (size_t i = 0; i < a.json().size(); ++i) u.additional_gids.push_back(BERTH_TRY(a.at(i).u32()));
    }
    if (f.has("username")) (void)BERTH_TRY(f.child("username").str());  // type-checked only: Windows-only
    return u;
}

const char* kRlimitNames[] = {"RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
                              "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
                              "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
                              "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

Result<Capabilities> parse_caps(const Field& f) {
    BERTH_TRY(f.expect_object());
    Capabilities c;
    BERTH_TRY(f.opt("bounding", c.bounding, &Field::strings));
    BERTH_TRY(f.opt("effective", c.effective, &Field::strings));
    BERTH_TRY(f.opt("inheritable", c.inheritable, &Field::strings));
    BERTH_TRY(f.opt("permitted", c.permitted, &Field::strings));
    BERTH_TRY(f.opt("ambient", c.ambient, &Field::strings));
    for (auto* set : {&c.bounding, &c.effective, &c.inheritable, &c.permitted, &c.ambient})
        for (auto& name : *set)
            if (!starts_with(name, "CAP_"))
                return f.bad("unknown capability \"" + name + "\" (names start with CAP_)");
    return c;
}

Result<Process> parse_process_field(const Field& f) {
    BERTH_TRY(f.expect_object());
    Process p;
    BERTH_TRY(f.opt("terminal", p.terminal, &Field::boolean));
    if (f.has("consoleSize")) {
        auto cs = f.child("consoleSize");
        BERTH_TRY(cs.expect_object());
        ConsoleSize size;
        if (cs.has("height")) size.height = BERTH_TRY(cs.child("height").u32());
        if (cs.has("width")) size.width = BERTH_TRY(cs.child("width").u32());
        p.console_size = size;
    }
    if (f.has("user")) p.user = BERTH_TRY(parse_user(f.child("user")));
    if (!f.has("args")) return Error::invalid(f.path() + ".args: required");
    p.args = BERTH_TRY(f.child("args").strings());
    if (p.args.empty()) return Error::invalid(f.path() + ".args: must not be empty");
    BERTH_TRY(f.opt("env", p.env, &Field::strings));
    for (size_t i = 0; i < p.env.size(); ++i)
        if (p.env[i].find('=') == std::string::npos)
            return Error::invalid(f.path() + ".env[" + std::to_string(i) + "]: \"" + p.env[i] +
                                  "\" is not KEY=VALUE");
    if (!f.has("cwd")) return Error::invalid(f.path() + ".cwd: required");
    p.cwd = BERTH_TRY(f.child("cwd").str());
    if (p.cwd.empty() || p.cwd[0] != '/') return Error::invalid(f.path() + ".cwd: must be an absolute path");
    if (f.has("capabilities")) p.capabilities = BERTH_TRY(parse_caps(f.child("capabilities")));
    if (f.has("rlimits")) {
        auto rl = f.child("rlimits");
        BERTH_TRY(rl.expect_array());
        for (size_t i = 0; i < rl.json().size(); ++i) {
            auto e = rl.at(i);
            BERTH_TRY(e.expect_object());
            Rlimit r;
            if (!e.has("type")) return Error::invalid(e.path() + ".type: required");
            r.type = BERTH_TRY(e.child("type").str());
            bool known = false;
            for (auto* n : kRlimitNames) known |= r.type == n;
            if (!known) return Error::invalid(e.path() + ".type: unknown rlimit \"" + r.type + "\"");
            if (e.has("hard")) r.hard = BERTH_TRY(e.child("hard").u64());
            if (e.has("soft")) r.soft = BERTH_TRY(e.child("soft").u64());
            p.rlimits.push_back(r);
        }
    }
    BERTH_TRY(f.opt("noNewPrivileges", p.no_new_privileges, &Field::boolean));
    BERTH_TRY(opt_num(f, "oomScoreAdj", p.oom_score_adj, true));
    if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
        return Error::invalid(f.path() + ".oomScoreAdj: must be between -1000 and 1000");
    BERTH_TRY(f.opt("apparmorProfile", p.apparmor_profile, &Field::str));
    BERTH_TRY(f.opt("selinuxLabel", p.selinux_label, &Field::str));
    return p;
}

Result<std::vector<Hook>> parse_hook_list(const Field& f) {
    BERTH_TRY(f.expect_array());
    std::vector<Hook> out;
    for (size_t i = 0; i < f.json().size(); ++i) {
        auto h = f.at(i);
        BERTH_TRY(h.expect_object());
        Hook hook;
        if (!h.has("path")) return Error::invalid(h.path() + ".path: required");
        hook.path = BERTH_TRY(h.child("path").str());
        if (hook.path.empty() || hook.path[0] != '/')
            return Error::invalid(h.path() + ".path: must be absolute");
        BERTH_TRY(h.opt("args", hook.args, &Field::strings));
        BERTH_TRY(h.opt("env", hook.env, &Field::strings));
        BERTH_TRY(opt_num(h, "timeout", hook.timeout, true));
        if (hook.timeout && *hook.timeout <= 0)
            return Error::invalid(h.path() + ".timeout: must be positive");
        out.push_back(std::move(hook));
    }
    return out;
}

Result<Hooks> parse_hooks(const Field& f) {
    BERTH_TRY(f.expect_object());
    Hooks h;
    struct {
        const char* key;
        std::vector<Hook>* list;
    } lists[] = {{"prestart", &h.prestart},
                 {"createRuntime", &h.create_runtime},
                 {"createContainer", &h.create_container},
                 {"startContainer", &h.start_container},
                 {"poststart", &h.poststart},
                 {"poststop", &h.poststop}};
    for (auto& l : lists)
        if (f.has(l.key)) *l.list = BERTH_TRY(parse_hook_list(f.child(l.key)));
    return h;
}

Result<std::vector<IdMapping>> parse_id_mappings(const Field& f) {
    BERTH_TRY(f.expect_array());
    std::vector<IdMapping> out;
    for (size_t i = 0; i < f.json().size(); ++i) {
        auto m = f.at(i);
        BERTH_TRY(m.expect_object());
        IdMapping idm;
        for (const char* k : {"containerID", "hostID", "size"})
            if (!m.has(k)) return Error::invalid(m.path() + "." + k + ": required");
        idm.container_id = BERTH_TRY(m.child("containerID").u32());
        idm.host_id = BERTH_TRY(m.child("hostID").u32());
        idm.size = BERTH_TRY(m.child("size").u32());
        if (idm.size == 0) return Error::invalid(m.path() + ".size: must be positive");
        out.push_back(idm);
    }
    return out;
}

Result<std::optional<int64_t>> opt_i64(const Field& f, const char* key) {
    if (!f.has(key)) return std::optional<int64_t>{};
    return std::optional<int64_t>(BERTH_TRY(f.child(key).i64()));
}

Result<DeviceRule> parse_device_rule(const Field& f) {
    BERTH_TRY(f.expect_object());
    DeviceRule r;
    if (!f.has("allow")) return Error::invalid(f.path() + ".allow: required");
    r.allow = BERTH_TRY(f.child("allow").boolean());
    BERTH_TRY(f.opt("type", r.type, &Field::str));
    if (r.type != "a" && r.type != "c" && r.type != "b")
        return Error::invalid(f.path() + ".type: must be a, c or b");
    r.major = BERTH_TRY(opt_i64(f, "major"));
    r.minor = BERTH_TRY(opt_i64(f, "minor"));
    BERTH_TRY(f.opt("access", r.access, &Field::str));
    for (char c : r.access)
        if (c != 'r' && c != 'w' && c != 'm')
            return Error::invalid(f.path() + ".access: only r, w and m are allowed");
    return r;
}

Result<std::vector<BlkioDeviceRate>> parse_rates(const Field& f) {
    BERTH_TRY(f.expect_array());
    std::vector<BlkioDeviceRate> out;
    for (size_t i = 0; i < f.json().size(); ++i) {
        auto e = f.at(i);
        BERTH_TRY(e.expect_object());
        BlkioDeviceRate r;
        r.major = BERTH_TRY(e.child("major").i64());
        r.minor = BERTH_TRY(e.child("minor").i64());
        r.rate = BERTH_TRY(e.child("rate").u64());
        out.push_back(r);
    }
    return out;
}

Result<MemoryResources> parse_memory(const Field& m) {
    BERTH_TRY(m.expect_object());
    MemoryResources mem;
    mem.limit = BERTH_TRY(opt_i64(m, "limit"));
    mem.reservation = BERTH_TRY(opt_i64(m, "reservation"));
    mem.swap = BERTH_TRY(opt_i64(m, "swap"));
    mem.kernel = BERTH_TRY(opt_i64(m, "kernel"));
    BERTH_TRY(opt_num(m, "swappiness", mem.swappiness, false));
    if (m.has("disableOOMKiller")) mem.disable_oom_killer = BERTH_TRY(m.child("disableOOMKiller").boolean());
    if (mem.limit && *mem.limit == 0) mem.limit.reset();
    if (mem.limit && mem.swap && *mem.swap > 0 && *mem.swap < *mem.limit)
        return Error::invalid(m.path() + ".swap: must be at least memory.limit (it is memory+swap)");
    return mem;
}

Result<CpuResources> parse_cpu(const Field& c) {
    BERTH_TRY(c.expect_object());
    CpuResources cpu;
    BERTH_TRY(opt_num(c, "shares", cpu.shares, false));
    cpu.quota = BERTH_TRY(opt_i64(c, "quota"));
    BERTH_TRY(opt_num(c, "period", cpu.period, false));
    cpu.realtime_runtime = BERTH_TRY(opt_i64(c, "realtimeRuntime"));
    BERTH_TRY(opt_num(c, "realtimePeriod", cpu.realtime_period, false));
    BERTH_TRY(c.opt("cpus", cpu.cpus, &Field::str));
    BERTH_TRY(c.opt("mems", cpu.mems, &Field::str));
    BERTH_TRY(opt_num(c, "idle", cpu.idle, false));
    return cpu;
}

Result<PidsResources> parse_pids(const Field& p) {
    BERTH_TRY(p.expect_object());
    PidsResources pids;
    if (p.has("limit")) pids.limit = BERTH_TRY(p.child("limit").i64());
    return pids;
}

Result<std::vector<BlkioDeviceWeight>> parse_weight_devices(const Field& wd) {
    BERTH_TRY(wd.expect_array());
    std::vector<BlkioDeviceWeight> out;
    for (size_t i = 0; i < wd.json().size(); ++i) {
        auto e = wd.at(i);
        BlkioDeviceWeight w;
        w.major = BERTH_TRY(e.child("major").i64());
        w.minor = BERTH_TRY(e.child("minor").i64());
        BERTH_TRY(opt_num(e, "weight", w.weight, false));
        BERTH_TRY(opt_num(e, "leafWeight", w.leaf_weight, false));
        out.push_back(w);
    }
    return out;
}

Result<BlkioResources> parse_block_io(const Field& b) {
    BERTH_TRY(b.expect_object());
    BlkioResources blk;
    BERTH_TRY(opt_num(b, "weight", blk.weight, false));
    BERTH_TRY(opt_num(b, "leafWeight", blk.leaf_weight, false));
    if (b.has("weightDevice")) blk.weight_device = BERTH_TRY(parse_weight_devices(b.child("weightDevice")));
    if (b.has("throttleReadBpsDevice"))
        blk.throttle_read_bps_device = BERTH_TRY(parse_rates(b.child("throttleReadBpsDevice")));
    if (b.has("throttleWriteBpsDevice"))
        blk.throttle_write_bps_device = BERTH_TRY(parse_rates(b.child("throttleWriteBpsDevice")));
    if (b.has("throttleReadIOPSDevice"))
        blk.throttle_read_iops_device = BERTH_TRY(parse_rates(b.child("throttleReadIOPSDevice")));
    if (b.has("throttleWriteIOPSDevice"))
        blk.throttle_write_iops_device = BERTH_TRY(parse_rates(b.child("throttleWriteIOPSDevice")));
    if (blk.weight && (*blk.weight < 10 || *blk.weight > 1000))
        return Error::invalid(b.path() + ".weight: must be between 10 and 1000");
    return blk;
}

Result<std::vector<HugepageLimit>> parse_hugepage_limits(const Field& h) {
    BERTH_TRY(h.expect_array());
    std::vector<HugepageLimit> out;
    for (size_t i = 0; i < h.json().size(); ++i) {
        auto e = h.at(i);
        HugepageLimit l;
        l.page_size = BERTH_TRY(e.child("pageSize").str());
        l.limit = BERTH_TRY(e.child("limit").u64());
        out.push_back(l);
    }
    return out;
}

Result<Resources> parse_resources(const Field& f) {
    BERTH_TRY(f.expect_object());
    Resources r;
    if (f.has("devices")) {
        auto d = f.child("devices");
        BERTH_TRY(d.expect_array());
        for (size_t i = 0; i < d.json().size(); ++i)
            r.devices.push_back(BERTH_TRY(parse_device_rule(d.at(i))));
    }
    if (f.has("memory")) r.memory = BERTH_TRY(parse_memory(f.child("memory")));
    if (f.has("cpu")) r.cpu = BERTH_TRY(parse_cpu(f.child("cpu")));
    if (f.has("pids")) r.pids = BERTH_TRY(parse_pids(f.child("pids")));
    if (f.has("blockIO")) r.blkio = BERTH_TRY(parse_block_io(f.child("blockIO")));
    if (f.has("hugepageLimits"))
        r.hugepage_limits = BERTH_TRY(parse_hugepage_limits(f.child("hugepageLimits")));
    BERTH_TRY(f.opt("unified", r.unified, &Field::string_map));
    return r;
}

Result<Seccomp> parse_seccomp(const Field& f) {
    BERTH_TRY(f.expect_object());
    Seccomp s;
    if (!f.has("defaultAction")) return Error::invalid(f.path() + ".defaultAction: required");
    s.default_action = BERTH_TRY(f.child("defaultAction").str());
    if (f.has("defaultErrnoRet")) s.default_errno_ret = BERTH_TRY(f.child("defaultErrnoRet").u32());
    BERTH_TRY(f.opt("architectures", s.architectures, &Field::strings));
    BERTH_TRY(f.opt("flags", s.flags, &Field::strings));
    BERTH_TRY(f.opt("listenerPath", s.listener_path, &Field::str));
    if (f.has("syscalls")) {
        auto sc = f.child("syscalls");
        BERTH_TRY(sc.expect_array());
        for (size_t i = 0; i < sc.json().size(); ++i) {
            auto e = sc.at(i);
            BERTH_TRY(e.expect_object());
            SeccompSyscall call;
            if (!e.has("names")) return Error::invalid(e.path() + ".names: required");
            call.names = BERTH_TRY(e.child("names").strings());
            if (!e.has("action")) return Error::invalid(e.path() + ".action: required");
            call.action = BERTH_TRY(e.child("action").str());
            if (e.has("errnoRet")) call.errno_ret = BERTH_TRY(e.child("errnoRet").u32());
            if (e.has("args")) {
                auto a = e.child("args");
                BERTH_TRY(a.expect_array());
                for (size_t k = 0; k < a.json().size(); ++k) {
                    auto ae = a.at(k);
                    BERTH_TRY(ae.expect_object());
                    SeccompArg arg;
                    arg.index = BERTH_TRY(ae.child("index").u32());
                    if (arg.index > 5) return Error::invalid(ae.path() + ".index: must be 0..5");
                    arg.value = BERTH_TRY(ae.child("value").u64());
                    if (ae.has("valueTwo")) arg.value_two = BERTH_TRY(ae.child("valueTwo").u64());
                    arg.op = BERTH_TRY(ae.child("op").str());
                    call.args.push_back(arg);
                }
            }
            s.syscalls.push_back(std::move(call));
        }
    }
    return s;
}

Result<Linux> parse_linux(const Field& f) {
    BERTH_TRY(f.expect_object());
    Linux l;
    if (f.has("namespaces")) {
        auto ns = f.child("namespaces");
        BERTH_TRY(ns.expect_array());
        for (size_t i = 0; i < ns.json().size(); ++i) {
            auto e = ns.at(i);
            BERTH_TRY(e.expect_object());
            if (!e.has("type")) return Error::invalid(e.path() + ".type: required");
            auto name = BERTH_TRY(e.child("type").str());
            auto t = namespace_from_name(name);
            if (!t) return Error::invalid(e.path() + ".type: unknown namespace \"" + name + "\"");
            if (l.has_namespace(*t))
                return Error::invalid(e.path() + ".type: namespace \"" + name + "\" listed twice");
            Namespace n{*t, {}};
            BERTH_TRY(e.opt("path", n.path, &Field::str));
            if (!n.path.empty() && n.path[0] != '/')
                return Error::invalid(e.path() + ".path: must be absolute");
            l.namespaces.push_back(n);
        }
    }
    if (f.has("uidMappings")) l.uid_mappings = BERTH_TRY(parse_id_mappings(f.child("uidMappings")));
    if (f.has("gidMappings")) l.gid_mappings = BERTH_TRY(parse_id_mappings(f.child("gidMappings")));
    if (f.has("devices")) {
        auto d = f.child("devices");
        BERTH_TRY(d.expect_array());
        for (size_t i = 0; i < d.json().size(); ++i) {
            auto e = d.at(i);
            BERTH_TRY(e.expect_object());
            Device dev;
            dev.path = BERTH_TRY(e.child("path").str());
            if (dev.path.empty() || dev.path[0] != '/')
                return Error::invalid(e.path() + ".path: must be absolute");
            auto type = BERTH_TRY(e.child("type").str());
            if (type.size() != 1 || std::string("cbup").find(type[0]) == std::string::npos)
                return Error::invalid(e.path() + ".type: must be c, b, u or p");
            dev.type = type[0];
            if (dev.type != 'p') {
                dev.major = BERTH_TRY(e.child("major").i64());
                dev.minor = BERTH_TRY(e.child("minor").i64());
            }
            if (e.has("fileMode")) dev.file_mode = BERTH_TRY(e.child("fileMode").u32());
            if (e.has("uid")) dev.uid = BERTH_TRY(e.child("uid").u32());
            if (e.has("gid")) dev.gid = BERTH_TRY(e.child("gid").u32());
            l.devices.push_back(dev);
        }
    }
    if (f.has("resources")) l.resources = BERTH_TRY(parse_resources(f.child("resources")));
    BERTH_TRY(f.opt("cgroupsPath", l.cgroups_path, &Field::str));
    BERTH_TRY(f.opt("sysctl", l.sysctl, &Field::string_map));
    if (f.has("seccomp")) l.seccomp = BERTH_TRY(parse_seccomp(f.child("seccomp")));
    BERTH_TRY(f.opt("rootfsPropagation", l.rootfs_propagation, &Field::str));
    if (!l.rootfs_propagation.empty()) {
        static const char* ok_values[] = {"private", "rprivate", "slave",      "rslave",
                                          "shared",  "rshared",  "unbindable", "runbindable"};
        bool good = false;
        for (auto* v : ok_values) good |= l.rootfs_propagation == v;
        if (!good)
            return Error::invalid(f.path() + ".rootfsPropagation: unknown value \"" + l.rootfs_propagation +
                                  "\"");
    }
    BERTH_TRY(f.opt("maskedPaths", l.masked_paths, &Field::strings));
    BERTH_TRY(f.opt("readonlyPaths", l.readonly_paths, &Field::strings));
    BERTH_TRY(f.opt("mountLabel", l.mount_label, &Field::str));
    bool userns = l.has_namespace(NamespaceType::User);
    if (!userns && (!l.uid_mappings.empty() || !l.gid_mappings.empty()))
        return Error::invalid(f.path() + ".uidMappings: given without a user namespace");
    if (auto* u = l.find_namespace(NamespaceType::User); u && u->path.empty() && l.uid_mappings.empty())
        return Error::invalid(f.path() + ".uidMappings: a new user namespace needs uid mappings");
    return l;
}

Result<Spec> parse_spec_doc(const Json& doc, const std::string& bundle_dir) {
    Field f(doc, "");
    if (!doc.is_object())
        return Error::invalid("config.json: expected an object, got " + std::string(doc.type_name()));
    Spec s;
    s.raw = doc;
    if (!f.has("ociVersion")) return Error::invalid("ociVersion: required");
    s.oci_version = BERTH_TRY(f.child("ociVersion").str());
    if (!starts_with(s.oci_version, "1."))
        return Error::invalid("ociVersion: unsupported version \"" + s.oci_version + "\"");
    BERTH_TRY(f.opt("hostname", s.hostname, &Field::str));
    BERTH_TRY(f.opt("domainname", s.domainname, &Field::str));
    if (f.has("process")) s.process = BERTH_TRY(parse_process_field(f.child("process")));
    if (!f.has("root")) return Error::invalid("root: required");
    auto root = f.child("root");
    BERTH_TRY(root.expect_object());
    if (!root.has("path")) return Error::invalid("root.path: required");
    s.root.path = BERTH_TRY(root.child("path").str());
    if (s.root.path.empty()) return Error::invalid("root.path: must not be empty");
    if (s.root.path[0] != '/') s.root.path = path_join(bundle_dir, s.root.path);
    BERTH_TRY(root.opt("readonly", s.root.readonly, &Field::boolean));
    if (f.has("mounts")) {
        auto m = f.child("mounts");
        BERTH_TRY(m.expect_array());
        for (size_t i = 0; i < m.json().size(); ++i) {
            auto e = m.at(i);
            BERTH_TRY(e.expect_object());
            Mount mnt;
            if (!e.has("destination")) return Error::invalid(e.path() + ".destination: required");
            mnt.destination = BERTH_TRY(e.child("destination").str());
            if (mnt.destination.empty() || mnt.destination[0] != '/')
                return Error::invalid(e.path() + ".destination: must be an absolute path, got \"" +
                                      mnt.destination + "\"");
            BERTH_TRY(e.opt("type", mnt.type, &Field::str));
            BERTH_TRY(e.opt("source", mnt.source, &Field::str));
            BERTH_TRY(e.opt("options", mnt.options, &Field::strings));
            if (mnt.type.empty()) {
                bool bind = false;
                for (auto& o : mnt.options) bind |= o == "bind" || o == "rbind";
                if (!bind)
                    return Error::invalid(e.path() + ".type: required unless options has bind or rbind");
                mnt.type = "bind";
            }
            if (e.has("uidMappings") || e.has("gidMappings"))
                return Error::unsupported(e.path() + ".uidMappings: idmapped mounts are not supported");
            s.mounts.push_back(std::move(mnt));
        }
    }
    if (f.has("hooks")) s.hooks = BERTH_TRY(parse_hooks(f.child("hooks")));
    BERTH_TRY(f.opt("annotations", s.annotations, &Field::string_map));
    if (f.has("linux")) s.linux = BERTH_TRY(parse_linux(f.child("linux")));
    if (!s.hostname.empty() && !(s.linux && s.linux->has_namespace(NamespaceType::Uts)))
        return Error::invalid("hostname: setting it needs a new uts namespace");
    return s;
}

}  // namespace

bool Linux::has_namespace(NamespaceType t) const {
    return find_namespace(t) != nullptr;
}

const Namespace* Linux::find_namespace(NamespaceType t) const {
    for (auto& n : namespaces)
        if (n.type == t) return &n;
    return nullptr;
}

Result<Spec> parse_spec(const Json& doc, const std::string& bundle_dir) {
    // nlohmann's at() throws on a missing key; every caller checks has() first, so a throw
    // here means a bug in this file: still convert it rather than crash.
    try {
        return parse_spec_doc(doc, bundle_dir);
    } catch (const Json::exception& e) {
        return Error::invalid(std::string("config.json: ") + e.what());
    }
}

Result<Spec> load_spec(const std::string& bundle_dir) {
    std::string path = path_join(bundle_dir, "config.json");
    auto doc = read_json_file(path);
    if (!doc) return std::move(doc.error()).with_context("load bundle " + bundle_dir);
    auto s = parse_spec(*doc, bundle_dir);
    if (!s) return std::move(s.error()).with_context(path);
    return s;
}

Result<Process> parse_process(const Json& doc, std::string_view field) {
    try {
        return parse_process_field(Field(doc, std::string(field)));
    } catch (const Json::exception& e) {
        return Error::invalid(std::string(field) + ": " + e.what());
    }
}

namespace {

// Each namespace type's names: in the spec ("network"), under /proc/<pid>/ns ("net"), and
// its clone flag.
struct NamespaceNames {
    NamespaceType type;
    const char* spec;
    const char* proc;
    int clone_flag;
};
constexpr NamespaceNames kNamespaces[] = {
    {NamespaceType::Pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::Network, "network", "net", CLONE_NEWNET},
    {NamespaceType::Mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::Uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::User, "user", "user", CLONE_NEWUSER},
    {NamespaceType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::Time, "time", "time", 0x00000080},  // CLONE_NEWTIME (newer headers only)
};

const NamespaceNames* names_of(NamespaceType t) {
    for (const auto& n : kNamespaces)
        if (n.type == t) return &n;
    return nullptr;
}

}  // namespace

const char* namespace_name(NamespaceType t) {
    const auto* n = names_of(t);
    return n ? n->spec : "?";
}

const char* namespace_proc_name(NamespaceType t) {
    const auto* n = names_of(t);
    return n ? n->proc : "?";
}

std::optional<NamespaceType> namespace_from_name(std::string_view name) {
    for (const auto& n : kNamespaces)
        if (name == n.spec) return n.type;
    return std::nullopt;
}

int namespace_clone_flag(NamespaceType t) {
    const auto* n = names_of(t);
    return n ? n->clone_flag : 0;
}

}  // namespace berth::runtime::spec

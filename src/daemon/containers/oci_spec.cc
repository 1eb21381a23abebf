#include "daemon/containers/oci_spec.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/caps/caps.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::daemon::containers {

namespace {

const char* kMaskedPaths[] = {"/proc/asound",     "/proc/acpi",        "/proc/interrupts",
                              "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
                              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                              "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
const char* kReadonlyPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

std::string upper_cap(std::string c) {
    for (auto& ch : c) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    if (c != "ALL" && c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
    return c;
}

// Reads a file inside the rootfs without following links out of it; "" when absent.
std::string read_in_root(const std::string& rootfs, const std::string& path) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return {};
    auto fd = runtime::rootfs::open_in_root(root.get(), path, O_RDONLY | O_CLOEXEC);
    if (!fd) return {};
    std::string out;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd->get(), buf, sizeof buf)) > 0;) {
        out.append(buf, n);
        if (out.size() > (4u << 20)) break;  // a hostile image's /etc/passwd stays bounded
    }
    return out;
}

bool parse_id(const std::string& s, uint32_t* out) {
    if (s.empty() || s.size() > 10) return false;
    for (char c : s)
        if (!isdigit(static_cast<unsigned char>(c))) return false;
    unsigned long v = strtoul(s.c_str(), nullptr, 10);
    if (v > 0xffffffffUL) return false;
    *out = static_cast<uint32_t>(v);
    return true;
}

struct DbEntry {
    std::string name;
    uint32_t id = 0, gid = 0;
    std::string home;
    std::vector<std::string> members;
};

// passwd: name:x:uid:gid:gecos:home:shell   group: name:x:gid:member,member
std::vector<DbEntry> parse_db(const std::string& text, bool passwd) {
    std::vector<DbEntry> out;
    for (auto& line : split(text, '\n')) {
        if (line.empty() || line[0] == '#') continue;
        auto f = split(line, ':', false);
        DbEntry e;
        e.name = f[0];
        if (f.size() < 3 || !parse_id(f[2], &e.id)) continue;
        if (passwd) {
            if (f.size() < 6 || !parse_id(f[3], &e.gid)) continue;
            e.home = f[5];
        } else if (f.size() >= 4 && !f[3].empty()) {
            e.members = split(f[3], ',');
        }
        out.push_back(std::move(e));
    }
    return out;
}

Result<uint32_t> find_group(const std::vector<DbEntry>& groups, const std::string& g) {
    uint32_t id;
    if (parse_id(g, &id)) return id;
    for (auto& e : groups)
        if (e.name == g) return e.id;
    return Error::invalid("unable to find group " + g + ": no matching entries in group file");
}

Json mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
    return {{"destination", dest}, {"type", type}, {"source", source}, {"options", std::move(options)}};
}

// HostConfig.Binds: "src:dst[:opts]", src a host path or a named volume under volumes_root.
Result<> add_binds(const HostConfig& hc, Json& mounts, const std::string& volumes_root) {
    for (auto& b : hc.binds) {
        auto parts = split(b, ':', false);
        if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
            return Error::invalid("invalid volume specification: '" + b + "'");
        std::string volume = bind_volume(b);
        if (!volume.empty()) {
            parts[0] = volume_path(volumes_root, volume);
            if (volumes_root.empty() || !path_exists(parts[0]))
                return Error::not_found("volume " + volume + " of '" + b + "' does not exist");
        }
        if (parts[1][0] != '/')
            return Error::invalid("invalid volume specification: '" + b + "': mount path must be absolute");
        std::vector<std::string> opts = {"rbind"};
        bool ro = false;
        std::string propagation = "rprivate";
        if (parts.size() == 3)
            for (auto& o : split(parts[2], ',')) {
                if (o == "ro")
                    ro = true;
                else if (o == "rw" || o == "z" || o == "Z" || o == "nocopy")
                    continue;
                else if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave" || o == "private" ||
                         o == "rprivate")
                    propagation = o;
                else
                    return Error::invalid("invalid mode: " + o + " in volume specification '" + b + "'");
            }
        if (!path_exists(parts[0])) BERTH_TRY_CTX(mkdir_all(parts[0], 0755), "bind source " + parts[0]);
        opts.push_back(ro ? "ro" : "rw");
        opts.push_back(propagation);
        mounts.push_back(mount(parts[1], "bind", parts[0], opts));
    }
    return ok();
}

// HostConfig.Mounts (--mount): binds (recursive unless asked, read-only, propagation),
// named volumes and tmpfs with its size and mode.
Result<> add_mount_specs(const HostConfig& hc, Json& mounts, const std::string& volumes_root) {
    for (auto& m : BERTH_TRY(mount_specs(hc))) {
        std::string rw = m.read_only ? "ro" : "rw";
        if (m.type == "tmpfs") {
            std::vector<std::string> o = {"nosuid", "nodev", "noexec", rw};
            if (m.tmpfs_size > 0) o.push_back("size=" + std::to_string(m.tmpfs_size));
            char mode[16];
            std::snprintf(mode, sizeof mode, "mode=%llo",
                          static_cast<unsigned long long>(m.tmpfs_mode ? m.tmpfs_mode : 01777));
            o.push_back(mode);
            mounts.push_back(mount(m.target, "tmpfs", "tmpfs", o));
            continue;
        }
        std::string source = m.source;
        if (m.type == "volume") {
            source = volume_path(volumes_root, m.source);
            if (volumes_root.empty() || !path_exists(source))
                return Error::not_found("volume " + m.source + " does not exist");
        }
        std::string propagation = m.propagation.empty() ? "rprivate" : m.propagation;
        mounts.push_back(
            mount(m.target, "bind", source, {m.non_recursive ? "bind" : "rbind", rw, propagation}));
    }
    return ok();
}

Result<> add_tmpfs(const HostConfig& hc, Json& mounts) {
    for (auto& [dest, opts] : hc.tmpfs) {
        if (dest.empty() || dest[0] != '/')
            return Error::invalid("invalid tmpfs mount point: '" + dest + "'");
        std::vector<std::string> o = {"nosuid", "nodev", "noexec"};
        if (!opts.empty())
            for (auto& x : split(opts, ',')) {
                if (x == "exec")
                    std::erase(o, std::string("noexec"));
                else if (x == "dev")
                    std::erase(o, std::string("nodev"));
                else if (x == "suid")
                    std::erase(o, std::string("nosuid"));
                else
                    o.push_back(x);
            }
        mounts.push_back(mount(dest, "tmpfs", "tmpfs", o));
    }
    return ok();
}

// --device /dev/x[:/dev/y[:rwm]]
Result<> add_devices(const HostConfig& hc, Json& linux_, Json& dev_rules) {
    for (auto& d : hc.devices) {
        std::string host = d.path_on_host, inside = d.path_in_container;
        std::string perms = d.cgroup_permissions.empty() ? "rwm" : d.cgroup_permissions;
        if (inside.empty()) inside = host;
        struct stat st;
        if (host.empty() || ::stat(host.c_str(), &st) != 0)
            return Error::invalid("error gathering device information while adding custom device \"" + host +
                                  "\": no such file or directory");
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return Error::invalid("\"" + host + "\" is not a device node");
        const char* type = S_ISCHR(st.st_mode) ? "c" : "b";
        linux_["devices"].push_back({{"path", inside},
                                     {"type", type},
                                     {"major", major(st.st_rdev)},
                                     {"minor", minor(st.st_rdev)},
                                     {"fileMode", st.st_mode & 07777},
                                     {"uid", 0},
                                     {"gid", 0}});
        dev_rules.push_back({{"allow", true},
                             {"type", type},
                             {"major", major(st.st_rdev)},
                             {"minor", minor(st.st_rdev)},
                             {"access", perms}});
    }
    return ok();
}

Json resources_of(const HostConfig& hc) {
    Json r = Json::object();
    Json mem = Json::object();
    int64_t memory = hc.memory, swap = hc.memory_swap;
    if (memory > 0) {
        mem["limit"] = memory;
        // Docker: MemorySwap 0 means twice the memory; -1 unlimited.
        if (swap == 0)
            mem["swap"] = memory * 2;
        else if (swap > 0)
            mem["swap"] = swap;
        else
            mem["swap"] = -1;
    }
    if (int64_t v = hc.memory_reservation; v > 0) mem["reservation"] = v;
    if (hc.oom_kill_disable.value_or(false)) mem["disableOOMKiller"] = true;
    if (!mem.empty()) r["memory"] = mem;

    Json cpu = Json::object();
    if (int64_t v = hc.cpu_shares; v > 0) cpu["shares"] = v;
    if (int64_t v = hc.nano_cpus; v > 0) {
        cpu["period"] = 100000;
        cpu["quota"] = v * 100000 / 1000000000;
    }
    if (int64_t v = hc.cpu_period; v > 0) cpu["period"] = v;
    if (int64_t v = hc.cpu_quota; v > 0) cpu["quota"] = v;
    if (!hc.cpuset_cpus.empty()) cpu["cpus"] = hc.cpuset_cpus;
    if (!hc.cpuset_mems.empty()) cpu["mems"] = hc.cpuset_mems;
    if (!cpu.empty()) r["cpu"] = cpu;

    if (int64_t v = hc.pids_limit.value_or(0); v > 0) r["pids"] = {{"limit", v}};
    if (int64_t v = hc.blkio_weight; v > 0) r["blockIO"] = {{"weight", v}};
    return r;
}

// Privileged containers see every host device, as with docker run --privileged.
void add_host_devices(Json& linux_) {
    std::vector<std::string> dirs = {"/dev"};
    for (size_t i = 0; i < dirs.size() && i < 64; ++i) {
        for (auto& n : list_dir(dirs[i])) {
            std::string p = dirs[i] + "/" + n;
            struct stat st;
            if (::lstat(p.c_str(), &st) != 0) continue;
            if (S_ISDIR(st.st_mode)) {
                if (n != "pts" && n != "shm" && n != "mqueue" && n != "fd") dirs.push_back(p);
                continue;
            }
            if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
            if (p == "/dev/console" || p == "/dev/ptmx" || p == "/dev/tty") continue;
            linux_["devices"].push_back({{"path", p},
                                         {"type", S_ISCHR(st.st_mode) ? "c" : "b"},
                                         {"major", major(st.st_rdev)},
                                         {"minor", minor(st.st_rdev)},
                                         {"fileMode", st.st_mode & 07777},
                                         {"uid", st.st_uid},
                                         {"gid", st.st_gid}});
        }
    }
}

std::string security_opt(const HostConfig& hc, const std::string& key, bool* found) {
    *found = false;
    for (auto& o : hc.security_opt) {
        auto eq = o.find_first_of("=:");
        std::string k = o.substr(0, eq);
        if (k == key) {
            *found = true;
            return eq == std::string::npos ? "" : o.substr(eq + 1);
        }
    }
    return {};
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE"};
    return caps;
}

Result<std::vector<std::string>> effective_capabilities(const HostConfig& hc) {
    if (hc.privileged) return runtime::caps::known_capabilities();
    std::vector<std::string> add, drop;
    for (auto& c : hc.cap_add) add.push_back(upper_cap(c));
    for (auto& c : hc.cap_drop) drop.push_back(upper_cap(c));
    auto known = runtime::caps::known_capabilities();
    for (auto* list : {&add, &drop})
        for (auto& c : *list)
            if (c != "ALL" && std::find(known.begin(), known.end(), c) == known.end())
                return Error::invalid("invalid capability: " + c);
    std::vector<std::string> caps;
    bool drop_all = std::find(drop.begin(), drop.end(), "ALL") != drop.end();
    bool add_all = std::find(add.begin(), add.end(), "ALL") != add.end();
    if (add_all)
        caps = known;
    else if (!drop_all)
        caps = default_capabilities();
    for (auto& c : drop)
        if (!add_all) std::erase(caps, c);
    for (auto& c : add)
        if (c != "ALL" && std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(c);
    return caps;
}

Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add) {
    ResolvedUser r;
    auto passwd = parse_db(read_in_root(rootfs, "/etc/passwd"), true);
    auto groups = parse_db(read_in_root(rootfs, "/etc/group"), false);
    std::string u = user.empty() ? "0" : user, g;
    if (auto colon = u.find(':'); colon != std::string::npos) g = u.substr(colon + 1), u = u.substr(0, colon);
    std::string uname;
    bool found = false;
    for (auto& e : passwd) {
        uint32_t id;
        if ((parse_id(u, &id) && e.id == id) || e.name == u) {
            r.uid = e.id, r.gid = e.gid, r.home = e.home, uname = e.name;
            found = true;
            break;
        }
    }
    if (!found) {
        if (!parse_id(u, &r.uid))
            return Error::invalid("unable to find user " + u + ": no matching entries in passwd file");
        r.gid = 0;
    }
    if (!g.empty()) r.gid = BERTH_TRY(find_group(groups, g));
    // Supplementary groups: those listing the user (only when no group was given), then --group-add.
    if (g.empty() && !uname.empty())
        for (auto& e : groups)
            if (std::find(e.members.begin(), e.members.end(), uname) != e.members.end() && e.id != r.gid)
                r.additional_gids.push_back(e.id);
    for (auto& ga : group_add) r.additional_gids.push_back(BERTH_TRY(find_group(groups, ga)));
    return r;
}

void set_console_size(Json& process, const std::optional<std::array<int64_t, 2>>& size) {
    if (!size) return;
    auto dim = [](int64_t v) -> int64_t { return v > 0 && v <= 0xffff ? v : 0; };
    int64_t h = dim((*size)[0]), w = dim((*size)[1]);
    if (h > 0 && w > 0) process["consoleSize"] = {{"height", h}, {"width", w}};
}

namespace {

// Environment: what create merged, plus PATH, HOSTNAME, TERM and HOME as Docker adds them.
std::vector<std::string> process_env(const Config& cfg, const std::string& hostname,
                                     const ResolvedUser& user) {
    std::vector<std::string> env = cfg.env;
    auto has_env = [&](const std::string& k) {
        return std::any_of(env.begin(), env.end(), [&](auto& e) { return e.rfind(k + "=", 0) == 0; });
    };
    if (!has_env("PATH"))
        env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!has_env("HOSTNAME")) env.insert(env.begin() + 1, "HOSTNAME=" + hostname);
    if (cfg.tty && !has_env("TERM")) env.push_back("TERM=xterm");
    if (!has_env("HOME")) env.push_back("HOME=" + (user.home.empty() ? std::string("/") : user.home));
    return env;
}

Json process_of(const Container& c, const ResolvedUser& user, const std::vector<std::string>& caps,
                const std::string& hostname, bool init) {
    const Config& cfg = c.config;
    const HostConfig& hc = c.host_config;
    std::vector<std::string> args = {c.path};
    args.insert(args.end(), c.args.begin(), c.args.end());
    if (init) args.insert(args.begin(), {"/sbin/docker-init", "init", "--"});
    std::string cwd = cfg.working_dir.empty() ? "/" : cfg.working_dir;
    Json process = {{"terminal", cfg.tty},
                    {"user", {{"uid", user.uid}, {"gid", user.gid}}},
                    {"args", args},
                    {"env", process_env(cfg, hostname, user)},
                    {"cwd", cwd},
                    {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}}};
    if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
    if (cfg.tty) set_console_size(process, hc.console_size);
    bool found = false;
    if (auto v = security_opt(hc, "no-new-privileges", &found); found && v != "false")
        process["noNewPrivileges"] = true;
    if (int64_t v = hc.oom_score_adj; v != 0) process["oomScoreAdj"] = v;
    for (auto& u : hc.ulimits) {
        std::string name = u.name;
        for (auto& ch : name) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
        process["rlimits"].push_back({{"type", "RLIMIT_" + name}, {"hard", u.hard}, {"soft", u.soft}});
    }
    return process;
}

// Docker's default mounts (/proc, /dev, /sys, ...), the container's resolv.conf, hostname
// and hosts, docker-init, then its tmpfs and bind mounts.
Result<Json> mounts_of(const Container& c, const std::string& init_path, const std::string& volumes_root) {
    const HostConfig& hc = c.host_config;
    bool privileged = hc.privileged;
    Json mounts = Json::array();
    mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro"}));
    mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    int64_t shm = hc.shm_size > 0 ? hc.shm_size : 64 << 20;
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm",
                           {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm)}));
    for (auto [dest, src] :
         {std::pair{"/etc/resolv.conf", &c.resolv_conf_path}, std::pair{"/etc/hostname", &c.hostname_path},
          std::pair{"/etc/hosts", &c.hosts_path}})
        if (!src->empty()) mounts.push_back(mount(dest, "bind", *src, {"rbind", "rprivate"}));
    if (!init_path.empty())
        mounts.push_back(mount("/sbin/docker-init", "bind", init_path, {"bind", "ro", "rprivate"}));
    BERTH_TRY(add_tmpfs(hc, mounts));
    BERTH_TRY(add_binds(hc, mounts, volumes_root));
    BERTH_TRY(add_mount_specs(hc, mounts, volumes_root));
    return mounts;
}

Json namespaces_of(const HostConfig& hc, const SpecInputs& in) {
    const std::string& net_mode = hc.network_mode;
    Json ns = Json::array({{{"type", "mount"}}});
    if (net_mode != "host") {
        Json n = {{"type", "network"}};
        if (!in.netns_path.empty()) n["path"] = in.netns_path;
        ns.push_back(n);
    }
    if (hc.pid_mode != "host") ns.push_back({{"type", "pid"}});
    if (hc.ipc_mode != "host") ns.push_back({{"type", "ipc"}});
    if (hc.uts_mode != "host" && net_mode != "host") ns.push_back({{"type", "uts"}});
    const std::string& cgroupns = hc.cgroupns_mode;
    if (cgroupns == "private" || (cgroupns.empty() && in.cgroup_v2)) ns.push_back({{"type", "cgroup"}});
    return ns;
}

// The seccomp profile: Docker's default for the capabilities, the one --security-opt gave,
// or none (unconfined, privileged).
Result<std::optional<Json>> seccomp_of(const HostConfig& hc, const std::vector<std::string>& caps) {
    bool found = false;
    std::string seccomp = security_opt(hc, "seccomp", &found);
    if (hc.privileged || seccomp == "unconfined") return std::optional<Json>();
    if (!found || seccomp.empty()) return std::optional<Json>(runtime::seccomp::docker_default_profile(caps));
    // The docker CLI sends the profile's contents, not its path.
    auto profile = parse_json(seccomp);
    if (!profile) return Error::invalid("decoding seccomp profile failed: " + profile.error().str());
    return std::optional<Json>(std::move(*profile));
}

Result<Json> linux_of(const Container& c, const SpecInputs& in, const std::vector<std::string>& caps) {
    const HostConfig& hc = c.host_config;
    bool privileged = hc.privileged;
    Json dev_rules = Json::array({{{"allow", privileged}, {"access", "rwm"}}});
    Json linux_ = {{"namespaces", namespaces_of(hc, in)}, {"cgroupsPath", in.cgroup_parent + "/" + c.id}};
    BERTH_TRY(add_devices(hc, linux_, dev_rules));
    if (privileged) add_host_devices(linux_);
    Json resources = resources_of(hc);
    resources["devices"] = dev_rules;
    linux_["resources"] = resources;
    if (!privileged) {
        linux_["maskedPaths"] = Json::array();
        for (auto* p : kMaskedPaths) linux_["maskedPaths"].push_back(p);
        linux_["readonlyPaths"] = Json::array();
        for (auto* p : kReadonlyPaths) linux_["readonlyPaths"].push_back(p);
    }
    if (!hc.sysctls.empty()) {
        linux_["sysctl"] = Json::object();
        for (auto& [k, v] : hc.sysctls) linux_["sysctl"][k] = v;
    }
    if (auto profile = BERTH_TRY(seccomp_of(hc, caps))) linux_["seccomp"] = std::move(*profile);
    return linux_;
}

}  // namespace

Result<Json> build_oci_spec(const SpecInputs& in) {
    const Container& c = *in.container;
    const HostConfig& hc = c.host_config;
    auto user = BERTH_TRY(resolve_user(in.rootfs, c.config.user, hc.group_add));
    auto caps = BERTH_TRY(effective_capabilities(hc));
    std::string hostname = c.config.hostname.empty() ? c.short_id() : c.config.hostname;
    bool init = hc.init.value_or(false) && !in.init_path.empty();
    // Out of the braced list below: an early return from inside it would leak what the list
    // had built so far (GCC does not unwind a statement expression's enclosing initializer).
    Json mounts = BERTH_TRY(mounts_of(c, init ? in.init_path : std::string(), in.volumes_root));
    Json linux_ = BERTH_TRY(linux_of(c, in, caps));
    Json spec = {{"ociVersion", "1.2.0"},
                 {"process", process_of(c, user, caps, hostname, init)},
                 {"root", {{"path", in.rootfs}, {"readonly", hc.readonly_rootfs}}},
                 {"mounts", std::move(mounts)},
                 {"linux", std::move(linux_)}};
    if (hc.uts_mode != "host" && hc.network_mode != "host") {
        spec["hostname"] = hostname;
        if (!c.config.domainname.empty()) spec["domainname"] = c.config.domainname;
    }
    return spec;
}

}  // namespace berth::daemon::containers

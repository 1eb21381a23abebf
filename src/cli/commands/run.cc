// create and run: docker's container flags turned into the create body, then (run) pull
// if missing, attach before start, start, stream, wait, and docker's exit codes.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <fstream>

#include "cli/commands/context.h"
#include "cli/commands/netopts.h"
#include "cli/commands/ports.h"
#include "cli/commands/registry.h"
#include "cli/commands/stream.h"

namespace berth::cli {
namespace {

struct RunOpts {
    bool detach = false, interactive = false, tty = false, rm = false, privileged = false, read_only = false,
         init = false, publish_all = false, sig_proxy = true, oom_kill_disable = false,
         no_healthcheck = false, quiet = false;
    std::string name, workdir, user, entrypoint, hostname, domainname, memory, memory_swap,
        memory_reservation, cpus, cpuset_cpus, cpuset_mems, shm_size, stop_signal, restart, ip, ip6,
        mac_address, pull = "missing", platform, detach_keys, ipc, pid, uts, userns, cgroupns, log_driver,
                     cgroup_parent, runtime;
    int64_t cpu_shares = 0, cpu_quota = 0, cpu_period = 0, pids_limit = 0, stop_timeout = -1,
            oom_score_adj = 0;
    std::vector<std::string> env, env_file, labels, label_file, ulimits, devices, tmpfs, cap_add, cap_drop,
        security_opt, publish, expose, volumes, attach, dns, dns_search, dns_option, add_host, log_opt,
        group_add, sysctls, volumes_from, mounts, network, net, network_alias, net_alias, dns_opt,
        link_local_ip;
    bool entrypoint_set = false;
};

Result<int64_t> parse_bytes(const std::string& flag, const std::string& v) {
    // units.RAMInBytes: a number with an optional b/k/m/g/t/p suffix (optionally + "b"), binary.
    if (v.empty()) return int64_t{0};
    size_t i = 0;
    while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.')) ++i;
    std::string num = v.substr(0, i), unit = v.substr(i);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (num.empty())
        return Error::invalid("invalid argument \"" + v + "\" for \"" + flag + "\" flag: invalid size: '" +
                              v + "'");
    double n = std::atof(num.c_str());
    static const std::map<std::string, double> mult = {{"", 1},
                                                       {"b", 1},
                                                       {"k", 1024.0},
                                                       {"kb", 1024.0},
                                                       {"m", 1048576.0},
                                                       {"mb", 1048576.0},
                                                       {"g", 1073741824.0},
                                                       {"gb", 1073741824.0},
                                                       {"t", 1099511627776.0},
                                                       {"tb", 1099511627776.0},
                                                       {"p", 1125899906842624.0},
                                                       {"pb", 1125899906842624.0}};
    auto it = mult.find(unit);
    if (it == mult.end())
        return Error::invalid("invalid argument \"" + v + "\" for \"" + flag + "\" flag: invalid size: '" +
                              v + "'");
    return static_cast<int64_t>(n * it->second);
}

}  // namespace

Result<std::vector<std::string>> read_kv_files(const std::vector<std::string>& files, bool env) {
    std::vector<std::string> out;
    for (const auto& f : files) {
        std::ifstream in(f);
        if (!in) return Error::sys("open", f);
        std::string line;
        while (std::getline(in, line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            size_t s = line.find_first_not_of(" \t");
            if (s == std::string::npos || line[s] == '#') continue;
            line = line.substr(s);
            if (env && line.find('=') == std::string::npos) {
                if (const char* v = std::getenv(line.c_str()))
                    line += std::string("=") + v;
                else
                    continue;
            }
            out.push_back(line);
        }
    }
    return out;
}

namespace {

NetworkFlags network_flags(const RunOpts& o) {
    NetworkFlags f;
    f.networks = o.network;
    f.networks.insert(f.networks.end(), o.net.begin(), o.net.end());
    f.aliases = o.network_alias;
    f.aliases.insert(f.aliases.end(), o.net_alias.begin(), o.net_alias.end());
    f.link_local_ips = o.link_local_ip;
    f.ipv4 = o.ip;
    f.ipv6 = o.ip6;
    f.mac = o.mac_address;
    return f;
}

// The values docker checks while parsing flags: its error is pflag's ("invalid argument
// ... for ... flag: ...") followed by the usage, exit 125. Empty when all are fine.
std::string flag_error(const RunOpts& o) {
    auto check = [](const char* flag, const std::vector<std::string>& values, auto validate) -> std::string {
        for (const auto& v : values)
            if (auto r = validate(v); !r)
                return "invalid argument \"" + v + "\" for \"" + flag + "\" flag: " + r.error().str();
        return "";
    };
    std::string e = check("--add-host", o.add_host, validate_extra_host);
    if (e.empty()) e = check("--dns", o.dns, validate_dns);
    if (e.empty()) e = check("--dns-search", o.dns_search, validate_dns_search);
    if (e.empty()) e = check("--network", o.network, parse_network_flag);
    if (e.empty()) e = check("--net", o.net, parse_network_flag);
    return e;
}

// Which of stdin/stdout/stderr the client attaches to: -a's streams, or docker's defaults
// without -a (stdin only with -i, none with -d).
struct AttachStreams {
    bool in = false, out = false, err = false;
};

Result<AttachStreams> attach_streams(const RunOpts& o) {
    AttachStreams s;
    for (auto a : o.attach) {
        for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (a == "stdin")
            s.in = true;
        else if (a == "stdout")
            s.out = true;
        else if (a == "stderr")
            s.err = true;
        else
            return Error::invalid("invalid argument \"" + a +
                                  "\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR");
    }
    if (!o.attach.empty() && o.detach) return Error::invalid("Conflicting options: -a and -d");
    if (o.attach.empty()) {
        s.in = o.interactive && !o.detach;
        s.out = s.err = !o.detach;
    }
    return s;
}

// --env-file first, then -e; a bare NAME takes the client's value, or is dropped if unset.
Result<std::vector<std::string>> container_env(const RunOpts& o) {
    std::vector<std::string> env = BERTH_TRY(read_kv_files(o.env_file, true));
    for (const auto& e : o.env) {
        if (e.find('=') == std::string::npos) {
            if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
            continue;
        }
        env.push_back(e);
    }
    return env;
}

// --label-file first, then -l, so a -l label wins over the same key from a file.
Result<Json> container_labels(const RunOpts& o) {
    Json labels = Json::object();
    for (const auto& l : BERTH_TRY(read_kv_files(o.label_file, false))) {
        auto eq = l.find('=');
        labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    for (const auto& l : o.labels) {
        auto eq = l.find('=');
        labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    return labels;
}

// The Config fields about the process: identity, stdio, environment, command and stop.
Result<> apply_process_flags(Json& c, const RunOpts& o, const std::string& image,
                             const std::vector<std::string>& cmd) {
    c["Hostname"] = o.hostname;
    c["Domainname"] = o.domainname;
    c["User"] = o.user;
    AttachStreams attach = BERTH_TRY(attach_streams(o));
    c["AttachStdin"] = attach.in;
    c["AttachStdout"] = attach.out;
    c["AttachStderr"] = attach.err;
    c["Tty"] = o.tty;
    c["OpenStdin"] = o.interactive;
    c["StdinOnce"] = attach.in;
    c["Env"] = BERTH_TRY(container_env(o));
    c["Cmd"] = cmd.empty() ? Json() : Json(cmd);
    c["Image"] = image;
    c["WorkingDir"] = o.workdir;
    if (o.entrypoint_set)
        c["Entrypoint"] = Json::array({o.entrypoint});
    else
        c["Entrypoint"] = nullptr;
    c["Labels"] = BERTH_TRY(container_labels(o));
    if (!o.stop_signal.empty()) c["StopSignal"] = o.stop_signal;
    if (o.stop_timeout >= 0) c["StopTimeout"] = o.stop_timeout;
    return ok();
}

// -p/--expose into PortBindings and ExposedPorts; -v into Binds, or anonymous Volumes
// when there is no host side.
Result<> apply_port_and_volume_flags(Json& c, Json& h, const RunOpts& o) {
    PortSpecs ports = BERTH_TRY(publish_specs(o.publish));
    BERTH_TRY(add_exposed(o.expose, ports.exposed));
    h["PortBindings"] = bindings_json(ports.bindings);
    if (!ports.exposed.empty()) c["ExposedPorts"] = exposed_json(ports.exposed);
    Json volumes = Json::object();
    std::vector<std::string> binds;
    for (const auto& v : o.volumes) {
        if (v.find(':') == std::string::npos)
            volumes[v] = Json::object();
        else
            binds.push_back(v);
    }
    if (!volumes.empty()) c["Volumes"] = volumes;
    h["Binds"] = binds.empty() ? Json() : Json(binds);
    return ok();
}

// Privileges, capabilities and the namespaces the container shares or gets.
void apply_isolation_flags(Json& h, const RunOpts& o, const NetworkFlags& net) {
    h["AutoRemove"] = o.rm;
    h["Privileged"] = o.privileged;
    h["ReadonlyRootfs"] = o.read_only;
    h["PublishAllPorts"] = o.publish_all;
    if (o.init) h["Init"] = true;
    h["CapAdd"] = o.cap_add.empty() ? Json() : Json(o.cap_add);
    h["CapDrop"] = o.cap_drop.empty() ? Json() : Json(o.cap_drop);
    h["SecurityOpt"] = o.security_opt.empty() ? Json() : Json(o.security_opt);
    h["NetworkMode"] = network_mode(net);
    if (!o.ipc.empty()) h["IpcMode"] = o.ipc;
    if (!o.pid.empty()) h["PidMode"] = o.pid;
    if (!o.uts.empty()) h["UTSMode"] = o.uts;
    if (!o.userns.empty()) h["UsernsMode"] = o.userns;
    if (!o.cgroupns.empty()) h["CgroupnsMode"] = o.cgroupns;
    if (!o.runtime.empty()) h["Runtime"] = o.runtime;
}

// As docker: the DNS lists are never null, ExtraHosts is null when empty; validated
// values (canonical addresses, "host:ip") by now, see flag_error().
void apply_dns_flags(Json& h, const RunOpts& o) {
    h["Dns"] = Json::array();
    for (const auto& d : o.dns) h["Dns"].push_back(validate_dns(d).value_or(d));
    h["DnsSearch"] = Json::array();
    for (const auto& d : o.dns_search) h["DnsSearch"].push_back(validate_dns_search(d).value_or(d));
    h["DnsOptions"] = Json::array();
    for (const auto* l : {&o.dns_option, &o.dns_opt})
        for (const auto& d : *l) h["DnsOptions"].push_back(d);
    h["ExtraHosts"] = nullptr;
    for (const auto& e : o.add_host) h["ExtraHosts"].push_back(validate_extra_host(e).value_or(e));
}

// --sysctl key=value pairs; a pair without '=' is an error.
Result<Json> sysctls_json(const RunOpts& o) {
    Json sysctls = Json::object();
    for (const auto& s : o.sysctls) {
        auto eq = s.find('=');
        if (eq == std::string::npos)
            return Error::invalid("invalid argument \"" + s + "\" for \"--sysctl\" flag");
        sysctls[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return sysctls;
}

// --log-driver and its --log-opt key=value pairs.
Result<Json> log_config_json(const RunOpts& o) {
    Json log = {{"Type", o.log_driver}, {"Config", Json::object()}};
    for (const auto& l : o.log_opt) {
        auto eq = l.find('=');
        if (eq == std::string::npos) return Error::invalid("invalid log opt '" + l + "'");
        log["Config"][l.substr(0, eq)] = l.substr(eq + 1);
    }
    return log;
}

// restart policy: no | always | unless-stopped | on-failure[:N]
Result<Json> restart_policy_json(const RunOpts& o) {
    Json rp = {{"Name", "no"}, {"MaximumRetryCount", 0}};
    if (!o.restart.empty()) {
        std::string name = o.restart;
        auto colon = name.find(':');
        if (colon != std::string::npos) {
            rp["MaximumRetryCount"] = std::atoi(name.c_str() + colon + 1);
            name = name.substr(0, colon);
        }
        if (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure")
            return Error::invalid("invalid restart policy '" + o.restart + "'");
        rp["Name"] = name;
    }
    return rp;
}

// Memory, CPU, pids and cgroup limits; sizes in docker's units (see parse_bytes).
Result<> apply_resource_flags(Json& h, const RunOpts& o) {
    h["Memory"] = BERTH_TRY(parse_bytes("--memory", o.memory));
    int64_t swap = 0;
    if (o.memory_swap == "-1")
        swap = -1;
    else
        swap = BERTH_TRY(parse_bytes("--memory-swap", o.memory_swap));
    h["MemorySwap"] = swap;
    h["MemoryReservation"] = BERTH_TRY(parse_bytes("--memory-reservation", o.memory_reservation));
    if (!o.cpus.empty()) {
        char* end = nullptr;
        double cpus = std::strtod(o.cpus.c_str(), &end);
        if (*end != '\0' || cpus < 0)
            return Error::invalid("invalid argument \"" + o.cpus +
                                  "\" for \"--cpus\" flag: failed to parse " + o.cpus +
                                  " as a rational number");
        h["NanoCpus"] = static_cast<int64_t>(std::llround(cpus * 1e9));
    }
    h["CpuShares"] = o.cpu_shares;
    h["CpuQuota"] = o.cpu_quota;
    h["CpuPeriod"] = o.cpu_period;
    h["CpusetCpus"] = o.cpuset_cpus;
    h["CpusetMems"] = o.cpuset_mems;
    if (o.pids_limit != 0) h["PidsLimit"] = o.pids_limit;
    if (o.oom_kill_disable) h["OomKillDisable"] = true;
    if (!o.cgroup_parent.empty()) h["CgroupParent"] = o.cgroup_parent;
    if (!o.shm_size.empty()) h["ShmSize"] = BERTH_TRY(parse_bytes("--shm-size", o.shm_size));
    return ok();
}

// --ulimit name=soft[:hard]; without a hard limit it equals the soft one.
Result<Json> ulimits_json(const RunOpts& o) {
    Json ulimits = Json::array();
    for (const auto& u : o.ulimits) {
        auto eq = u.find('=');
        if (eq == std::string::npos) return Error::invalid("invalid ulimit argument: " + u);
        std::string v = u.substr(eq + 1);
        auto colon = v.find(':');
        int64_t soft = std::atoll(v.substr(0, colon).c_str());
        int64_t hard = colon == std::string::npos ? soft : std::atoll(v.c_str() + colon + 1);
        ulimits.push_back({{"Name", u.substr(0, eq)}, {"Soft", soft}, {"Hard", hard}});
    }
    return ulimits;
}

// --device host[:container][:perms]; "host:rwm" is the host path with permissions.
Json devices_json(const RunOpts& o) {
    Json devices = Json::array();
    for (const auto& d : o.devices) {
        std::vector<std::string> parts;
        size_t pos = 0;
        while (true) {
            auto c = d.find(':', pos);
            parts.push_back(d.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
            if (c == std::string::npos) break;
            pos = c + 1;
        }
        std::string perms = "rwm", in = parts[0];
        if (parts.size() >= 2) {
            if (parts.size() == 2 && parts[1].find_first_not_of("rwm") == std::string::npos)
                perms = parts[1];
            else
                in = parts[1];
        }
        if (parts.size() >= 3) perms = parts[2];
        devices.push_back({{"PathOnHost", parts[0]}, {"PathInContainer", in}, {"CgroupPermissions", perms}});
    }
    return devices;
}

// --tmpfs path[:options].
Json tmpfs_json(const RunOpts& o) {
    Json tmpfs = Json::object();
    for (const auto& t : o.tmpfs) {
        auto colon = t.find(':');
        tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
    }
    return tmpfs;
}

// The steps keep one fixed order, so with several bad flags the same one is reported first.
Result<Json> build_config(const RunOpts& o, const std::string& image, const std::vector<std::string>& cmd) {
    if (o.rm && !o.restart.empty() && o.restart != "no")
        return Error::invalid("Conflicting options: --restart and --rm");
    if (!o.mac_address.empty() && !valid_mac(o.mac_address))
        return Error::invalid(o.mac_address + " is not a valid mac address");
    Json c;
    BERTH_TRY(apply_process_flags(c, o, image, cmd));
    Json h;
    BERTH_TRY(apply_port_and_volume_flags(c, h, o));
    NetworkFlags net = network_flags(o);
    apply_isolation_flags(h, o, net);
    apply_dns_flags(h, o);
    if (!o.group_add.empty()) h["GroupAdd"] = o.group_add;
    if (!o.volumes_from.empty()) h["VolumesFrom"] = o.volumes_from;
    if (o.oom_score_adj != 0) h["OomScoreAdj"] = o.oom_score_adj;
    Json sysctls = BERTH_TRY(sysctls_json(o));
    if (!sysctls.empty()) h["Sysctls"] = sysctls;
    h["LogConfig"] = BERTH_TRY(log_config_json(o));
    h["RestartPolicy"] = BERTH_TRY(restart_policy_json(o));
    BERTH_TRY(apply_resource_flags(h, o));
    Json ulimits = BERTH_TRY(ulimits_json(o));
    if (!ulimits.empty()) h["Ulimits"] = ulimits;
    Json devices = devices_json(o);
    if (!devices.empty()) h["Devices"] = devices;
    Json tmpfs = tmpfs_json(o);
    if (!tmpfs.empty()) h["Tmpfs"] = tmpfs;
    c["HostConfig"] = h;
    // Config.MacAddress is left out: docker drops it for API >= 1.44 (it is per endpoint).
    // Outside the braced list: BERTH_TRY's early return from inside one leaks its elements.
    Json endpoints = BERTH_TRY(endpoints_config(net));
    c["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};
    return c;
}

// Flags are added in the order the help lists them, so the two halves split it at -e.
void define_flags_attach_to_entrypoint(Cmd& c, RunOpts& o, bool run) {
    CLI::App* app = c.app();
    c.strs("-a,--attach", o.attach, "Attach to STDIN, STDOUT or STDERR")
        .strs("--add-host", o.add_host, "Add a custom host-to-IP mapping (host:ip)")
        .strs("--cap-add", o.cap_add, "Add Linux capabilities")
        .strs("--cap-drop", o.cap_drop, "Drop Linux capabilities")
        .str("--cgroup-parent", o.cgroup_parent, "Optional parent cgroup for the container")
        .str("--cgroupns", o.cgroupns, "Cgroup namespace to use (host|private)")
        .num("--cpu-period", o.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period")
        .num("--cpu-quota", o.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota")
        .num("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)")
        .str("--cpus", o.cpus, "Number of CPUs", "decimal")
        .str("--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)")
        .str("--cpuset-mems", o.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
    if (run) c.flag("-d,--detach", o.detach, "Run container in background and print container ID");
    if (run) c.str("--detach-keys", o.detach_keys, "Override the key sequence for detaching a container");
    c.strs("--device", o.devices, "Add a host device to the container")
        .strs("--dns", o.dns, "Set custom DNS servers")
        .strs("--dns-option", o.dns_option, "Set DNS options")
        .strs("--dns-opt", o.dns_opt, "Set DNS options")
        .strs("--dns-search", o.dns_search, "Set custom DNS search domains")
        .str("--domainname", o.domainname, "Container NIS domain name");
    app->add_option("--entrypoint", o.entrypoint, "Overwrite the default ENTRYPOINT of the image")
        ->type_name("string")
        ->each([&o](const std::string&) { o.entrypoint_set = true; });
}

void define_flags_env_to_workdir(Cmd& c, RunOpts& o, bool run) {
    CLI::App* app = c.app();
    c.strs("-e,--env", o.env, "Set environment variables")
        .strs("--env-file", o.env_file, "Read in a file of environment variables")
        .strs("--expose", o.expose, "Expose a port or a range of ports")
        .strs("--group-add", o.group_add, "Add additional groups to join")
        .str("-h,--hostname", o.hostname, "Container host name")
        .flag("--init", o.init, "Run an init inside the container that forwards signals and reaps processes")
        .flag("-i,--interactive", o.interactive, "Keep STDIN open even if not attached")
        .str("--ip", o.ip, "IPv4 address (e.g., 172.30.100.104)")
        .str("--ip6", o.ip6, "IPv6 address (e.g., 2001:db8::33)")
        .str("--ipc", o.ipc, "IPC mode to use")
        .strs("-l,--label", o.labels, "Set meta data on a container")
        .strs("--label-file", o.label_file, "Read in a line delimited file of labels")
        .strs("--link-local-ip", o.link_local_ip, "Container IPv4/IPv6 link-local addresses")
        .str("--log-driver", o.log_driver, "Logging driver for the container")
        .strs("--log-opt", o.log_opt, "Log driver options")
        .str("-m,--memory", o.memory, "Memory limit", "bytes")
        .str("--memory-reservation", o.memory_reservation, "Memory soft limit", "bytes")
        .str("--memory-swap", o.memory_swap,
             "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", "bytes")
        .strs("--mount", o.mounts, "Attach a filesystem mount to the container", "mount")
        .str("--mac-address", o.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
        .str("--name", o.name, "Assign a name to the container")
        .strs("--network", o.network, "Connect a container to a network", "network")
        .strs("--net", o.net, "Connect a container to a network", "network")
        .strs("--network-alias", o.network_alias, "Add network-scoped alias for the container")
        .strs("--net-alias", o.net_alias, "Add network-scoped alias for the container")
        .flag("--no-healthcheck", o.no_healthcheck, "Disable any container-specified HEALTHCHECK")
        .flag("--oom-kill-disable", o.oom_kill_disable, "Disable OOM Killer")
        .num("--oom-score-adj", o.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)")
        .str("--pid", o.pid, "PID namespace to use")
        .num("--pids-limit", o.pids_limit, "Tune container pids limit (set -1 for unlimited)")
        .str("--platform", o.platform, "Set platform if server is multi-platform capable")
        .flag("--privileged", o.privileged, "Give extended privileges to this container")
        .strs("-p,--publish", o.publish, "Publish a container's port(s) to the host")
        .flag("-P,--publish-all", o.publish_all, "Publish all exposed ports to random ports")
        .str("--pull", o.pull, "Pull image before running (\"always\", \"missing\", \"never\")")
        .flag("-q,--quiet", o.quiet, "Suppress the pull output")
        .flag("--read-only", o.read_only, "Mount the container's root filesystem as read only")
        .str("--restart", o.restart, "Restart policy to apply when a container exits")
        .flag("--rm", o.rm,
              "Automatically remove the container and its associated anonymous volumes when it exits")
        .str("--runtime", o.runtime, "Runtime to use for this container")
        .strs("--security-opt", o.security_opt, "Security Options")
        .str("--shm-size", o.shm_size, "Size of /dev/shm", "bytes");
    if (run)
        app->add_flag("--sig-proxy", o.sig_proxy, "Proxy received signals to the process (default true)");
    c.str("--stop-signal", o.stop_signal, "Signal to stop the container")
        .num("--stop-timeout", o.stop_timeout, "Timeout (in seconds) to stop a container")
        .strs("--sysctl", o.sysctls, "Sysctl options", "map")
        .strs("--tmpfs", o.tmpfs, "Mount a tmpfs directory")
        .flag("-t,--tty", o.tty, "Allocate a pseudo-TTY")
        .strs("--ulimit", o.ulimits, "Ulimit options", "ulimit")
        .str("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])")
        .str("--userns", o.userns, "User namespace to use")
        .str("--uts", o.uts, "UTS namespace to use")
        .strs("-v,--volume", o.volumes, "Bind mount a volume")
        .strs("--volumes-from", o.volumes_from, "Mount volumes from the specified container(s)")
        .str("-w,--workdir", o.workdir, "Working directory inside the container");
}

// docker's container flags for create and run; -d, --detach-keys and --sig-proxy are run's.
void define_container_flags(Cmd& c, RunOpts& o, bool run) {
    define_flags_attach_to_entrypoint(c, o, run);
    define_flags_env_to_workdir(c, o, run);
    // docker accepts these spellings but hides them from the help.
    for (const char* hidden : {"--net", "--net-alias", "--dns-opt"}) c.app()->get_option(hidden)->group("");
}

std::string tagged(const std::string& image) {
    auto slash = image.rfind('/');
    auto colon = image.rfind(':');
    if (image.find('@') != std::string::npos) return image;
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return image;
    return image + ":latest";
}

// run/create pull to stderr (docker's pullImage), with -q discarding the progress.
Result<> pull(Context& ctx, const RunOpts& o, const std::string& image) {
    return pull_image(ctx, image, o.platform, /*to_stderr=*/true, o.quiet);
}

// create with docker's pull-if-missing; returns the new container's ID.
Result<std::string> create_container(Context& ctx, const RunOpts& o, const std::string& image,
                                     const std::vector<std::string>& cmd) {
    Json body = BERTH_TRY(build_config(o, image, cmd));
    client::Query q;
    q.add_if(!o.name.empty(), "name", o.name).add_if(!o.platform.empty(), "platform", o.platform);
    if (o.pull == "always")
        BERTH_TRY(pull(ctx, o, image));
    else if (o.pull != "missing" && o.pull != "never")
        return Error::invalid("invalid pull option: '" + o.pull +
                              "': must be one of \"always\", \"missing\" or \"never\"");
    std::string text = dump_json(body);
    auto r = BERTH_TRY(ctx.client().request("POST", "/containers/create", q, text));
    if (r.status == 404 && o.pull == "missing" && r.body.find("No such image") != std::string::npos) {
        write_err(ctx, "Unable to find image '" + tagged(image) + "' locally\n");
        BERTH_TRY(pull(ctx, o, image));
        r = BERTH_TRY(ctx.client().request("POST", "/containers/create", q, text));
    }
    if (r.status >= 400) return client::Client::daemon_error(r);
    Json j = BERTH_TRY(parse_json(r.body, "daemon response"));
    if (j.contains("Warnings") && j["Warnings"].is_array())
        for (const auto& w : j["Warnings"])
            if (w.is_string()) write_err(ctx, "WARNING: " + w.get<std::string>() + "\n");
    // docker's client-side warning for the first loopback --dns address.
    for (const auto& d : o.dns) {
        std::string ip = validate_dns(d).value_or("");
        if (ip == "::1" || ip.rfind("127.", 0) == 0) {
            write_err(ctx, "WARNING: Localhost DNS (" + ip + ") may fail in containers.\n");
            break;
        }
    }
    return j.value("Id", std::string());
}

int report(Context& ctx, const std::string& cmd, const Error& e, int code = 125) {
    ctx.io.err << "berth: " << e.str() << "\n\nRun 'berth " << cmd << " --help' for more information\n";
    return code;
}

int start_error_code(const std::string& msg) {
    if (msg.find("executable file not found") != std::string::npos ||
        msg.find("no such file or directory") != std::string::npos)
        return 127;
    if (msg.find("permission denied") != std::string::npos || msg.find("is a directory") != std::string::npos)
        return 126;
    return 125;
}

// A bad flag value, printed as docker's flag parser does.
int flag_usage_error(Context& ctx, const std::string& cmd, const std::string& msg) {
    ctx.io.err << msg << "\n\nUsage:  berth " << cmd << " [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth "
               << cmd << " --help' for more information\n";
    return 125;
}

int cmd_run(Context& ctx, const RunOpts& o, const std::vector<std::string>& args) {
    if (auto e = flag_error(o); !e.empty()) return flag_usage_error(ctx, "run", e);
    if (o.interactive && o.tty && !o.detach && !::isatty(ctx.io.in_fd)) {
        ctx.io.err << "the input device is not a TTY\n";
        return 1;
    }
    std::vector<std::string> cmd(args.begin() + 1, args.end());
    auto id = create_container(ctx, o, args[0], cmd);
    if (!id) return report(ctx, "run", id.error());
    if (o.detach) {
        auto s = ctx.client().call("POST", "/containers/" + *id + "/start");
        if (!s) return report(ctx, "run", s.error(), start_error_code(s.error().message()));
        ctx.io.out << *id << "\n";
        return 0;
    }
    client::Query aq;
    bool a_in = o.interactive, a_out = true, a_err = true;
    if (!o.attach.empty()) {
        a_in = a_out = a_err = false;
        for (auto a : o.attach) {
            for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            a_in |= a == "stdin";
            a_out |= a == "stdout";
            a_err |= a == "stderr";
        }
    }
    aq.add("stream", "1")
        .add_if(a_in, "stdin", "1")
        .add_if(a_out, "stdout", "1")
        .add_if(a_err, "stderr", "1");
    if (!o.detach_keys.empty()) aq.add("detachKeys", o.detach_keys);
    auto conn = ctx.client().hijack("POST", "/containers/" + *id + "/attach", aq);
    if (!conn) return report(ctx, "run", conn.error());
    // Wait is requested before start so that a fast exit (or --rm removal) is not missed.
    client::Query wq;
    wq.add("condition", o.rm ? "removed" : "next-exit");
    auto wait = ctx.client().send("POST", "/containers/" + *id + "/wait", wq);
    if (!wait) return report(ctx, "run", wait.error());
    auto s = ctx.client().call("POST", "/containers/" + *id + "/start");
    if (!s) return report(ctx, "run", s.error(), start_error_code(s.error().message()));
    if (o.tty) resize_tty(ctx, "/containers/" + *id + "/resize");
    PumpOptions po;
    po.send_stdin = a_in;
    po.tty = o.tty;
    po.detach_keys = o.detach_keys;
    po.resize_path = "/containers/" + *id + "/resize";
    if (o.sig_proxy) po.sig_proxy_container = *id;
    auto end = pump(ctx, *conn, po);
    if (!end) return report(ctx, "run", end.error());
    if (*end == PumpEnd::Detached) {
        ctx.io.err << "\r\n";
        return 0;
    }
    auto w = wait->finish();
    if (!w) return report(ctx, "run", w.error());
    if (w->status >= 400) {
        Error e = client::Client::daemon_error(*w);
        if (e.kind() == ErrorKind::NotFound && o.rm) return 0;
        return report(ctx, "run", e);
    }
    auto j = parse_json(w->body, "wait response");
    if (!j) return report(ctx, "run", j.error());
    if (j->contains("Error") && (*j)["Error"].is_object() && (*j)["Error"].contains("Message") &&
        (*j)["Error"]["Message"].is_string() && !(*j)["Error"]["Message"].get<std::string>().empty()) {
        ctx.io.err << "berth: " << (*j)["Error"]["Message"].get<std::string>() << "\n";
        return 125;
    }
    return static_cast<int>(j->value("StatusCode", int64_t{0}));
}

}  // namespace

void add_run_commands(Context& ctx, CLI::App& root, CLI::App* container) {
    for (CLI::App* parent : {&root, container}) {
        bool top = parent == &root;
        auto ro = std::make_shared<RunOpts>();
        Cmd run(ctx, parent, "run", "Create and run a new container from an image",
                "[OPTIONS] IMAGE [COMMAND] [ARG...]", 1, -1);
        run.also_known_as(top ? "berth container run" : "berth run").stop_at_first_arg();
        define_container_flags(run, *ro, true);
        run.action([&ctx, ro](const auto& a) { return cmd_run(ctx, *ro, a); });

        auto co = std::make_shared<RunOpts>();
        Cmd create(ctx, parent, "create", "Create a new container", "[OPTIONS] IMAGE [COMMAND] [ARG...]", 1,
                   -1);
        create.also_known_as(top ? "berth container create" : "berth create").stop_at_first_arg();
        define_container_flags(create, *co, false);
        create.action([&ctx, co](const auto& a) {
            if (auto e = flag_error(*co); !e.empty()) return flag_usage_error(ctx, "create", e);
            std::vector<std::string> cmd(a.begin() + 1, a.end());
            auto id = create_container(ctx, *co, a[0], cmd);
            if (!id) return report(ctx, "create", id.error());
            ctx.io.out << *id << "\n";
            return 0;
        });
    }
}

}  // namespace berth::cli

#include "daemon/containers/container_config.h"

#include <algorithm>
#include <cstdio>

#include "common/strings.h"
#include "daemon/containers/json_reader.h"
#include "daemon/networks/ipam.h"

namespace berth::daemon::containers {

namespace {

// Go writes a nil slice as null: lists nobody set show as null, as dockerd's do.
Json list_or_null(const std::vector<std::string>& v) {
    return v.empty() ? Json(nullptr) : Json(v);
}

Json map_of(const StringMap& m) {
    Json out = Json::object();
    for (auto& [k, v] : m) out[k] = v;
    return out;
}

Json set_of(const std::set<std::string>& s) {
    Json out = Json::object();
    for (auto& k : s) out[k] = Json::object();
    return out;
}

// Keys of `extra` that a writer did not already write.
void add_extra(Json& out, const Json& extra) {
    if (!extra.is_object()) return;
    for (auto& [k, v] : extra.items())
        if (!out.contains(k)) out[k] = v;
}

std::optional<std::array<int64_t, 2>> read_console_size(JsonReader& r) {
    // Kept as sent when well-formed; anything else means "no size" (the size is a hint).
    auto* v = r.any("ConsoleSize");
    if (!v || !v->is_array() || v->size() != 2 || !(*v)[0].is_number_integer() ||
        !(*v)[1].is_number_integer())
        return std::nullopt;
    return std::array<int64_t, 2>{(*v)[0].get<int64_t>(), (*v)[1].get<int64_t>()};
}

Json console_size_json(const std::optional<std::array<int64_t, 2>>& s) {
    return s ? Json::array({(*s)[0], (*s)[1]}) : Json::array({0, 0});
}

void read_health(JsonReader& r, std::optional<HealthConfig>& out) {
    auto* h = r.object("Healthcheck");
    if (!h) return;
    JsonReader hr(*h, r.prefix() + "Healthcheck.");
    HealthConfig hc;
    std::optional<std::vector<std::string>> test;
    hr.str_slice("Test", test);
    hc.test = test.value_or(std::vector<std::string>{});
    hr.integer("Interval", hc.interval);
    hr.integer("Timeout", hc.timeout);
    hr.integer("StartPeriod", hc.start_period);
    hr.integer("StartInterval", hc.start_interval);
    hr.integer("Retries", hc.retries);
    if (auto s = hr.status(); !s) return r.fail(s.error());
    out = hc;
}

Json health_json(const HealthConfig& h) {
    Json out = {{"Test", h.test}};
    if (h.interval) out["Interval"] = h.interval;
    if (h.timeout) out["Timeout"] = h.timeout;
    if (h.start_period) out["StartPeriod"] = h.start_period;
    if (h.start_interval) out["StartInterval"] = h.start_interval;
    if (h.retries) out["Retries"] = h.retries;
    return out;
}

void read_port_bindings(JsonReader& r, PortMap& out) {
    auto* pb = r.object("PortBindings");
    if (!pb) return;
    for (auto& [key, list] : pb->items()) {
        auto& bindings = out[key];
        if (list.is_null()) continue;
        std::string where = r.prefix() + "PortBindings." + key;
        if (!list.is_array()) return r.fail(Error::invalid(where + ": expected array"));
        for (auto& b : list) {
            if (!b.is_object()) return r.fail(Error::invalid(where + ": expected objects"));
            JsonReader br(b, where + ".");
            PortBinding binding;
            br.str("HostIp", binding.host_ip);
            br.str("HostPort", binding.host_port);
            if (auto s = br.status(); !s) return r.fail(s.error());
            bindings.push_back(binding);
        }
    }
}

void read_restart_policy(JsonReader& r, RestartPolicy& out) {
    auto* rp = r.object("RestartPolicy");
    if (!rp) return;
    JsonReader pr(*rp, r.prefix() + "RestartPolicy.");
    pr.str("Name", out.name);
    pr.integer("MaximumRetryCount", out.maximum_retry_count);
    if (out.name.empty()) out.name = "no";
    if (auto s = pr.status(); !s) r.fail(s.error());
}

void read_log_config(JsonReader& r, LogConfig& out) {
    auto* lc = r.object("LogConfig");
    if (!lc) return;
    JsonReader lr(*lc, r.prefix() + "LogConfig.");
    lr.str("Type", out.type);
    lr.str_map("Config", out.config);
    if (out.type.empty()) out.type = "json-file";
    if (auto s = lr.status(); !s) r.fail(s.error());
}

void read_devices(JsonReader& r, std::vector<DeviceMapping>& out) {
    auto* list = r.objects("Devices");
    if (!list) return;
    for (auto& d : *list) {
        JsonReader dr(d, r.prefix() + "Devices.");
        DeviceMapping m;
        dr.str("PathOnHost", m.path_on_host);
        dr.str("PathInContainer", m.path_in_container);
        dr.str("CgroupPermissions", m.cgroup_permissions);
        if (auto s = dr.status(); !s) return r.fail(s.error());
        out.push_back(m);
    }
}

void read_ulimits(JsonReader& r, std::vector<Ulimit>& out) {
    auto* list = r.objects("Ulimits");
    if (!list) return;
    for (auto& u : *list) {
        JsonReader ur(u, r.prefix() + "Ulimits.");
        Ulimit l;
        ur.str("Name", l.name);
        ur.integer("Soft", l.soft);
        ur.integer("Hard", l.hard);
        if (auto s = ur.status(); !s) return r.fail(s.error());
        out.push_back(l);
    }
}

void read_resources(JsonReader& r, HostConfig& hc) {
    r.integer("CpuShares", hc.cpu_shares);
    r.integer("Memory", hc.memory);
    r.integer("NanoCpus", hc.nano_cpus);
    r.str("CgroupParent", hc.cgroup_parent);
    r.integer("BlkioWeight", hc.blkio_weight);
    r.integer("CpuPeriod", hc.cpu_period);
    r.integer("CpuQuota", hc.cpu_quota);
    r.str("CpusetCpus", hc.cpuset_cpus);
    r.str("CpusetMems", hc.cpuset_mems);
    read_devices(r, hc.devices);
    r.strings("DeviceCgroupRules", hc.device_cgroup_rules);
    r.integer("MemoryReservation", hc.memory_reservation);
    r.integer("MemorySwap", hc.memory_swap);
    r.integer("MemorySwappiness", hc.memory_swappiness);
    r.boolean("OomKillDisable", hc.oom_kill_disable);
    r.integer("PidsLimit", hc.pids_limit);
    read_ulimits(r, hc.ulimits);
}

template <typename T>
Json optional_json(const std::optional<T>& v) {
    return v ? Json(*v) : Json(nullptr);
}

}  // namespace

Result<Config> read_config(const Json& j, const std::string& prefix) {
    if (!j.is_object() && !j.is_null())
        return Error::invalid("invalid JSON: " + prefix + "Config: expected object");
    JsonReader r(j, prefix);
    Config c;
    r.str("Hostname", c.hostname);
    r.str("Domainname", c.domainname);
    r.str("User", c.user);
    r.boolean("AttachStdin", c.attach_stdin);
    r.boolean("AttachStdout", c.attach_stdout);
    r.boolean("AttachStderr", c.attach_stderr);
    r.key_set("ExposedPorts", c.exposed_ports);
    r.boolean("Tty", c.tty);
    r.boolean("OpenStdin", c.open_stdin);
    r.boolean("StdinOnce", c.stdin_once);
    r.strings("Env", c.env);
    r.str_slice("Cmd", c.cmd);
    read_health(r, c.healthcheck);
    r.boolean("ArgsEscaped", c.args_escaped);
    r.str("Image", c.image);
    r.key_set("Volumes", c.volumes);
    r.str("WorkingDir", c.working_dir);
    r.str_slice("Entrypoint", c.entrypoint);
    r.boolean("NetworkDisabled", c.network_disabled);
    r.str("MacAddress", c.mac_address);
    r.strings("OnBuild", c.on_build);
    r.str_map("Labels", c.labels);
    r.str("StopSignal", c.stop_signal);
    r.integer("StopTimeout", c.stop_timeout);
    r.strings("Shell", c.shell);
    BERTH_TRY(r.status());
    c.extra = r.rest();
    return c;
}

Json to_json(const Config& c) {
    Json out = {{"Hostname", c.hostname},
                {"Domainname", c.domainname},
                {"User", c.user},
                {"AttachStdin", c.attach_stdin},
                {"AttachStdout", c.attach_stdout},
                {"AttachStderr", c.attach_stderr}};
    if (!c.exposed_ports.empty()) out["ExposedPorts"] = set_of(c.exposed_ports);
    out["Tty"] = c.tty;
    out["OpenStdin"] = c.open_stdin;
    out["StdinOnce"] = c.stdin_once;
    out["Env"] = c.env;
    out["Cmd"] = optional_json(c.cmd);
    if (c.healthcheck) out["Healthcheck"] = health_json(*c.healthcheck);
    if (c.args_escaped) out["ArgsEscaped"] = true;
    out["Image"] = c.image;
    out["Volumes"] = c.volumes.empty() ? Json(nullptr) : set_of(c.volumes);
    out["WorkingDir"] = c.working_dir;
    out["Entrypoint"] = optional_json(c.entrypoint);
    if (c.network_disabled) out["NetworkDisabled"] = true;
    if (!c.mac_address.empty()) out["MacAddress"] = c.mac_address;
    out["OnBuild"] = list_or_null(c.on_build);
    out["Labels"] = map_of(c.labels);
    if (!c.stop_signal.empty()) out["StopSignal"] = c.stop_signal;
    if (c.stop_timeout) out["StopTimeout"] = *c.stop_timeout;
    if (!c.shell.empty()) out["Shell"] = c.shell;
    add_extra(out, c.extra);
    return out;
}

Result<HostConfig> read_host_config(const Json& j, const std::string& prefix) {
    if (!j.is_object() && !j.is_null())
        return Error::invalid("invalid JSON: " + prefix.substr(0, prefix.size() - 1) + ": expected object");
    JsonReader r(j, prefix);
    HostConfig hc;
    r.strings("Binds", hc.binds);
    r.str("ContainerIDFile", hc.container_id_file);
    read_log_config(r, hc.log_config);
    r.str("NetworkMode", hc.network_mode);
    if (hc.network_mode.empty() || hc.network_mode == "default") hc.network_mode = "bridge";
    read_port_bindings(r, hc.port_bindings);
    read_restart_policy(r, hc.restart_policy);
    r.boolean("AutoRemove", hc.auto_remove);
    r.str("VolumeDriver", hc.volume_driver);
    r.strings("VolumesFrom", hc.volumes_from);
    hc.console_size = read_console_size(r);
    r.strings("CapAdd", hc.cap_add);
    r.strings("CapDrop", hc.cap_drop);
    r.str("CgroupnsMode", hc.cgroupns_mode);
    r.strings("Dns", hc.dns);
    r.strings("DnsOptions", hc.dns_options);
    r.strings("DnsSearch", hc.dns_search);
    r.strings("ExtraHosts", hc.extra_hosts);
    r.strings("GroupAdd", hc.group_add);
    r.str("IpcMode", hc.ipc_mode);
    r.str("Cgroup", hc.cgroup);
    r.strings("Links", hc.links);
    r.integer("OomScoreAdj", hc.oom_score_adj);
    r.str("PidMode", hc.pid_mode);
    r.boolean("Privileged", hc.privileged);
    r.boolean("PublishAllPorts", hc.publish_all_ports);
    r.boolean("ReadonlyRootfs", hc.readonly_rootfs);
    r.strings("SecurityOpt", hc.security_opt);
    r.str_map("Tmpfs", hc.tmpfs);
    r.str("UTSMode", hc.uts_mode);
    r.str("UsernsMode", hc.userns_mode);
    r.integer("ShmSize", hc.shm_size);
    r.str_map("Sysctls", hc.sysctls);
    r.str("Runtime", hc.runtime);
    r.str("Isolation", hc.isolation);
    read_resources(r, hc);
    r.strings("MaskedPaths", hc.masked_paths);
    r.strings("ReadonlyPaths", hc.readonly_paths);
    r.boolean("Init", hc.init);
    BERTH_TRY(r.status());
    hc.extra = r.rest();
    return hc;
}

Json to_json(const PortMap& ports) {
    Json out = Json::object();
    for (auto& [key, bindings] : ports) {
        if (bindings.empty()) {
            out[key] = nullptr;
            continue;
        }
        Json list = Json::array();
        for (auto& b : bindings) list.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
        out[key] = std::move(list);
    }
    return out;
}

Json to_json(const HostConfig& hc) {
    Json devices = Json::array();
    for (auto& d : hc.devices)
        devices.push_back({{"PathOnHost", d.path_on_host},
                           {"PathInContainer", d.path_in_container},
                           {"CgroupPermissions", d.cgroup_permissions}});
    Json ulimits = Json::array();
    for (auto& u : hc.ulimits) ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    Json out = {
        {"Binds", list_or_null(hc.binds)},
        {"ContainerIDFile", hc.container_id_file},
        {"LogConfig", {{"Type", hc.log_config.type}, {"Config", map_of(hc.log_config.config)}}},
        {"NetworkMode", hc.network_mode},
        {"PortBindings", to_json(hc.port_bindings)},
        {"RestartPolicy",
         {{"Name", hc.restart_policy.name}, {"MaximumRetryCount", hc.restart_policy.maximum_retry_count}}},
        {"AutoRemove", hc.auto_remove},
        {"VolumeDriver", hc.volume_driver},
        {"VolumesFrom", list_or_null(hc.volumes_from)},
        {"ConsoleSize", console_size_json(hc.console_size)},
        {"CapAdd", list_or_null(hc.cap_add)},
        {"CapDrop", list_or_null(hc.cap_drop)},
        {"CgroupnsMode", hc.cgroupns_mode},
        {"Dns", hc.dns},
        {"DnsOptions", hc.dns_options},
        {"DnsSearch", hc.dns_search},
        {"ExtraHosts", list_or_null(hc.extra_hosts)},
        {"GroupAdd", list_or_null(hc.group_add)},
        {"IpcMode", hc.ipc_mode},
        {"Cgroup", hc.cgroup},
        {"Links", list_or_null(hc.links)},
        {"OomScoreAdj", hc.oom_score_adj},
        {"PidMode", hc.pid_mode},
        {"Privileged", hc.privileged},
        {"PublishAllPorts", hc.publish_all_ports},
        {"ReadonlyRootfs", hc.readonly_rootfs},
        {"SecurityOpt", list_or_null(hc.security_opt)},
    };
    if (!hc.tmpfs.empty()) out["Tmpfs"] = map_of(hc.tmpfs);
    out["UTSMode"] = hc.uts_mode;
    out["UsernsMode"] = hc.userns_mode;
    out["ShmSize"] = hc.shm_size;
    if (!hc.sysctls.empty()) out["Sysctls"] = map_of(hc.sysctls);
    out["Runtime"] = hc.runtime;
    out["Isolation"] = hc.isolation;
    out["CpuShares"] = hc.cpu_shares;
    out["Memory"] = hc.memory;
    out["NanoCpus"] = hc.nano_cpus;
    out["CgroupParent"] = hc.cgroup_parent;
    out["BlkioWeight"] = hc.blkio_weight;
    out["CpuPeriod"] = hc.cpu_period;
    out["CpuQuota"] = hc.cpu_quota;
    out["CpusetCpus"] = hc.cpuset_cpus;
    out["CpusetMems"] = hc.cpuset_mems;
    out["Devices"] = devices;
    out["DeviceCgroupRules"] = list_or_null(hc.device_cgroup_rules);
    out["MemoryReservation"] = hc.memory_reservation;
    out["MemorySwap"] = hc.memory_swap;
    out["MemorySwappiness"] = optional_json(hc.memory_swappiness);
    out["OomKillDisable"] = optional_json(hc.oom_kill_disable);
    out["PidsLimit"] = optional_json(hc.pids_limit);
    out["Ulimits"] = ulimits;
    if (!hc.masked_paths.empty()) out["MaskedPaths"] = hc.masked_paths;
    if (!hc.readonly_paths.empty()) out["ReadonlyPaths"] = hc.readonly_paths;
    if (hc.init) out["Init"] = *hc.init;
    add_extra(out, hc.extra);
    return out;
}

std::string bind_volume(const std::string& bind) {
    auto colon = bind.find(':');
    if (colon == std::string::npos || colon == 0 || bind[0] == '/') return "";
    return bind.substr(0, colon);
}

std::string volume_path(const std::string& volumes_root, const std::string& name) {
    return volumes_root + "/" + name + "/_data";
}

namespace {

Result<MountSpec> read_mount_spec(const Json& m) {
    if (!m.is_object()) return Error::invalid("invalid JSON: HostConfig.Mounts: expected object");
    MountSpec s;
    s.type = string_field(m, "Type");
    s.source = string_field(m, "Source");
    s.target = string_field(m, "Target");
    s.read_only = m.value("ReadOnly", false);
    auto bad = [&](const std::string& why) {
        return Error::invalid("invalid mount config for type \"" + s.type + "\": " + why);
    };
    if (s.type != "bind" && s.type != "volume" && s.type != "tmpfs") return bad("mount type unknown");
    if (s.target.empty()) return bad("field Target must not be empty");
    if (s.target[0] != '/') return bad("invalid mount path: '" + s.target + "' mount path must be absolute");
    const Json& bind = m.value("BindOptions", Json::object());
    const Json& volume = m.value("VolumeOptions", Json::object());
    const Json& tmpfs = m.value("TmpfsOptions", Json::object());
    if (s.type == "bind") {
        if (s.source.empty()) return bad("field Source must not be empty");
        if (s.source[0] != '/')
            return bad("invalid mount path: '" + s.source + "' mount path must be absolute");
        if (bind.is_object()) {
            s.propagation = string_field(bind, "Propagation");
            s.non_recursive = bind.value("NonRecursive", false);
        }
    } else if (s.type == "volume") {
        if (s.source.empty())
            return Error::unsupported(
                "anonymous volumes (--mount type=volume without a source) are not supported yet");
        if (volume.is_object()) s.subpath = string_field(volume, "Subpath");
        // A path inside a volume that a running container can change under us: resolving it
        // safely for the bind needs the runtime's fd-based mount, which is not there yet.
        if (!s.subpath.empty()) return Error::unsupported("volume-subpath is not supported yet");
    } else {
        if (!s.source.empty()) return bad("source must not be specified");
        if (tmpfs.is_object()) {
            s.tmpfs_size = tmpfs.value("SizeBytes", int64_t{0});
            s.tmpfs_mode = tmpfs.value("Mode", int64_t{0});
        }
        if (s.tmpfs_size < 0) return bad("invalid tmpfs size " + std::to_string(s.tmpfs_size));
    }
    return s;
}

}  // namespace

Result<std::vector<MountSpec>> mount_specs(const HostConfig& hc) {
    std::vector<MountSpec> out;
    auto it = hc.extra.find("Mounts");
    if (it == hc.extra.end() || it->is_null()) return out;
    if (!it->is_array()) return Error::invalid("invalid JSON: HostConfig.Mounts: expected array");
    try {
        for (auto& m : *it) out.push_back(BERTH_TRY(read_mount_spec(m)));
    } catch (const Json::exception& e) {  // a field of the wrong type
        return Error::invalid(std::string("invalid JSON: HostConfig.Mounts: ") + e.what());
    }
    return out;
}

std::vector<MountPoint> mount_points(const HostConfig& hc, const std::string& volumes_root) {
    std::vector<MountPoint> out;
    for (auto& b : hc.binds) {
        auto p = split(b, ':', false);
        if (p.size() < 2) continue;
        MountPoint m;
        m.source = p[0];
        m.destination = p[1];
        m.mode = p.size() > 2 ? p[2] : "";
        m.rw = m.mode.find("ro") == std::string::npos;
        if (std::string name = bind_volume(b); !name.empty()) {
            // Docker's shape for a volume: its name, the local driver, mode "z" unless given.
            m.type = "volume";
            m.name = name;
            m.source = volume_path(volumes_root, name);
            m.driver = "local";
            if (m.mode.empty()) m.mode = "z";
            m.propagation = "";
        }
        out.push_back(std::move(m));
    }
    for (auto& spec : mount_specs(hc).value_or(std::vector<MountSpec>{})) {
        MountPoint m;
        m.type = spec.type;
        m.destination = spec.target;
        m.rw = !spec.read_only;
        m.mode = "";
        if (spec.type == "bind") {
            m.source = spec.source;
            m.propagation = spec.propagation.empty() ? "rprivate" : spec.propagation;
        } else if (spec.type == "volume") {
            m.name = spec.source;
            m.source = volume_path(volumes_root, spec.source);
            m.driver = "local";
            m.mode = "z";
            m.propagation = "";
        } else {
            m.propagation = "";
        }
        out.push_back(std::move(m));
    }
    return out;
}

Json to_json(const std::vector<MountPoint>& mounts) {
    Json out = Json::array();
    for (auto& m : mounts) {
        Json j = {{"Type", m.type}};
        if (!m.name.empty()) j["Name"] = m.name;
        j["Source"] = m.source;
        j["Destination"] = m.destination;
        if (!m.driver.empty()) j["Driver"] = m.driver;
        j["Mode"] = m.mode;
        j["RW"] = m.rw;
        j["Propagation"] = m.propagation;
        out.push_back(std::move(j));
    }
    return out;
}

Result<EndpointConfig> read_endpoint_config(const Json& j, const std::string& where) {
    EndpointConfig out;
    if (j.is_null()) return out;
    if (!j.is_object()) return Error::invalid(where + ": expected object");
    JsonReader r(j, where + ".");
    std::vector<std::string> aliases;
    if (auto* a = r.any("Aliases")) {
        if (!a->is_array()) return Error::invalid(where + ".Aliases: expected array");
        for (auto& e : *a) {
            if (!e.is_string()) return Error::invalid(where + ".Aliases: expected strings");
            out.aliases.push_back(e.get<std::string>());
        }
    }
    if (auto* ipam = r.any("IPAMConfig"); ipam && ipam->is_object()) {
        out.ipv4_address = ipam->value("IPv4Address", "");
        if (!out.ipv4_address.empty() && !networks::parse_ipv4(out.ipv4_address))
            return Error::invalid("invalid IPv4 address: " + out.ipv4_address);
    }
    r.str("MacAddress", out.mac_address);
    BERTH_TRY(r.status());
    if (!out.mac_address.empty()) {
        unsigned b[6];
        char tail;
        if (sscanf(out.mac_address.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                   &b[5], &tail) != 6)
            return Error::invalid("invalid MAC address: " + out.mac_address);
    }
    return out;
}

Json to_json(const EndpointConfig& e) {
    Json out = Json::object();
    if (!e.aliases.empty()) out["Aliases"] = e.aliases;
    if (!e.ipv4_address.empty()) out["IPAMConfig"] = {{"IPv4Address", e.ipv4_address}};
    if (!e.mac_address.empty()) out["MacAddress"] = e.mac_address;
    return out;
}

Result<EndpointsConfig> read_endpoints_config(const Json& j) {
    EndpointsConfig out;
    if (!j.is_object()) return out;
    for (auto& [name, cfg] : j.items())
        out[name] = BERTH_TRY(read_endpoint_config(cfg, "EndpointsConfig." + name));
    return out;
}

Json to_json(const EndpointsConfig& e) {
    Json out = Json::object();
    for (auto& [name, cfg] : e) out[name] = to_json(cfg);
    return out;
}

Result<ExecConfig> read_exec_config(const Json& j) {
    if (!j.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    JsonReader r(j, "");
    ExecConfig x;
    r.boolean("AttachStdin", x.attach_stdin);
    r.boolean("AttachStdout", x.attach_stdout);
    r.boolean("AttachStderr", x.attach_stderr);
    r.boolean("Tty", x.tty);
    x.console_size = read_console_size(r);
    r.str("DetachKeys", x.detach_keys);
    r.str("User", x.user);
    r.str("WorkingDir", x.working_dir);
    r.boolean("Privileged", x.privileged);
    r.strings("Env", x.env);
    auto* cmd = r.any("Cmd");
    if (!cmd || !cmd->is_array() || cmd->empty() ||
        !std::all_of(cmd->begin(), cmd->end(), [](auto& a) { return a.is_string(); }))
        return Error::invalid("No exec command specified");
    for (auto& a : *cmd) x.cmd.push_back(a.get<std::string>());
    BERTH_TRY(r.status());
    return x;
}

Json to_json(const ExecConfig& x) {
    Json out = {{"AttachStdin", x.attach_stdin},   {"AttachStdout", x.attach_stdout},
                {"AttachStderr", x.attach_stderr}, {"Tty", x.tty},
                {"DetachKeys", x.detach_keys},     {"User", x.user},
                {"WorkingDir", x.working_dir},     {"Privileged", x.privileged},
                {"Env", list_or_null(x.env)},      {"Cmd", x.cmd}};
    if (x.console_size) out["ConsoleSize"] = console_size_json(x.console_size);
    return out;
}

}  // namespace berth::daemon::containers

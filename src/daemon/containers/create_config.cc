// POST /containers/create: the body checked field by field (errors name the field, as a
// Go decoder would), merged with the image's config as Docker does, and turned into a
// Container record.
#include <algorithm>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "daemon/containers/manager_impl.h"
#include "daemon/containers/oci_spec.h"

namespace berth::daemon::containers {

namespace {

std::string env_key(const std::string& kv) {
    return kv.substr(0, kv.find('='));
}

// Image env first; the container's entries replace those with the same key.
std::vector<std::string> merge_env(const std::vector<std::string>& image,
                                   const std::vector<std::string>& mine) {
    std::vector<std::string> out = image;
    for (auto& kv : mine) {
        auto it = std::find_if(out.begin(), out.end(), [&](auto& e) { return env_key(e) == env_key(kv); });
        if (kv.find('=') == std::string::npos) continue;  // "KEY" alone: the CLI resolves it
        if (it != out.end())
            *it = kv;
        else
            out.push_back(kv);
    }
    return out;
}

Result<> validate_host_config(const HostConfig& hc) {
    if (hc.memory < 0) return Error::invalid("invalid memory limit: must be positive");
    if (hc.memory > 0 && hc.memory < 6 * 1024 * 1024)
        return Error::invalid("Minimum memory limit allowed is 6MB");
    if (hc.memory_swap > 0 && hc.memory == 0)
        return Error::invalid("You should always set the Memory limit when using Memoryswap limit");
    if (hc.memory_swap > 0 && hc.memory_swap < hc.memory)
        return Error::invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (hc.nano_cpus > 0 && (hc.cpu_quota > 0 || hc.cpu_period > 0))
        return Error::invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (hc.cpu_shares < 0) return Error::invalid("invalid CPU shares: must be positive");
    if (int64_t p = hc.cpu_period; p != 0 && (p < 1000 || p > 1000000))
        return Error::invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)");
    if (int64_t q = hc.cpu_quota; q != 0 && q < 1000)
        return Error::invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (int64_t w = hc.blkio_weight; w != 0 && (w < 10 || w > 1000))
        return Error::invalid("Range of blkio weight is from 10 to 1000");
    if (int64_t o = hc.oom_score_adj; o < -1000 || o > 1000)
        return Error::invalid("Invalid value " + std::to_string(o) +
                              ", range for oom score adj is [-1000, 1000]");
    if (hc.shm_size < 0) return Error::invalid("SHM size can not be less than 0");
    for (auto [k, s] : {std::pair{"CpusetCpus", &hc.cpuset_cpus}, std::pair{"CpusetMems", &hc.cpuset_mems}}) {
        for (char c : *s)
            if (!(isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '-'))
                return Error::invalid(std::string("invalid value \"") + *s + "\" for " + k);
    }
    BERTH_TRY(effective_capabilities(hc));

    for (auto [k, m] : {std::pair{"PidMode", &hc.pid_mode}, std::pair{"IpcMode", &hc.ipc_mode},
                        std::pair{"UTSMode", &hc.uts_mode}}) {
        if (!m->empty() && *m != "host" && *m != "private" && *m != "shareable")
            return Error::unsupported(std::string(k) + " \"" + *m + "\" is not supported yet");
    }
    if (auto& c = hc.cgroupns_mode; !c.empty() && c != "host" && c != "private")
        return Error::invalid("invalid cgroup namespace mode: " + c);

    const std::string& policy = hc.restart_policy.name;
    if (policy != "no" && policy != "always" && policy != "unless-stopped" && policy != "on-failure")
        return Error::invalid("invalid restart policy: unknown policy '" + policy +
                              "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    int64_t retries = hc.restart_policy.maximum_retry_count;
    if (retries < 0) return Error::invalid("invalid restart policy: maximum retry count can't be negative");
    if (retries > 0 && policy != "on-failure")
        return Error::invalid(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    if (policy != "no" && hc.auto_remove)
        return Error::invalid("can't create 'AutoRemove' container with restart policy");

    const std::string& driver = hc.log_config.type;
    if (driver != "json-file" && driver != "none")
        return Error::unsupported("logging driver \"" + driver + "\" is not supported (json-file, none)");
    for (auto& h : hc.extra_hosts)
        if (h.find_first_of(":=") == std::string::npos) return Error::invalid("invalid extra host: " + h);
    return ok();
}

// `gateway`: what --add-host's "host-gateway" stands for (the default bridge's address).
std::string container_hosts(const std::string& hostname, const HostConfig& hc, const std::string& gateway) {
    std::string out =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
    for (auto& h : hc.extra_hosts) {
        auto colon = h.find_first_of(":=");  // "name:ip", or "name=ip" as docker 28 also takes
        if (colon == std::string::npos) continue;
        std::string ip = h.substr(colon + 1);
        if (ip == "host-gateway") ip = gateway;
        out += ip + "\t" + h.substr(0, colon) + "\n";
    }
    if (hc.network_mode != "host") out += "127.0.1.1\t" + hostname + "\n";
    return out;
}

}  // namespace

Result<CreateRequest> read_create_request(const Json& body) {
    if (!body.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    // The body is a Config with HostConfig and NetworkingConfig beside its fields.
    Json config_fields = body;
    config_fields.erase("HostConfig");
    config_fields.erase("NetworkingConfig");
    CreateRequest r;
    r.config = BERTH_TRY(read_config(config_fields));
    r.host_config = BERTH_TRY(read_host_config(body.value("HostConfig", Json())));
    Json nc = body.value("NetworkingConfig", Json());
    if (!nc.is_object() && !nc.is_null())
        return Error::invalid("invalid JSON: NetworkingConfig: expected object");
    Json ec = nc.is_object() ? nc.value("EndpointsConfig", Json()) : Json();
    if (!ec.is_object() && !ec.is_null())
        return Error::invalid("NetworkingConfig.EndpointsConfig: expected object");
    // docker 28 names the default network "default", as NetworkMode.
    if (ec.is_object())
        for (auto& [key, cfg] : ec.items()) {
            std::string name = key == "default" ? "bridge" : key;
            r.endpoints[name] = BERTH_TRY(read_endpoint_config(cfg, "EndpointsConfig." + name));
        }
    return r;
}

namespace {

// The named volumes of HostConfig.Binds and Mounts, made if missing (as Docker does at
// create); a --mount bind's source must exist (unlike -v's, which is made).
Result<> ensure_volumes(volumes::VolumeService* volumes, const HostConfig& hc) {
    std::vector<std::string> names;
    for (auto& b : hc.binds)
        if (std::string name = bind_volume(b); !name.empty()) names.push_back(name);
    for (auto& m : BERTH_TRY(mount_specs(hc))) {
        if (m.type == "volume") names.push_back(m.source);
        if (m.type == "bind" && !path_exists(m.source))
            return Error::invalid(
                "invalid mount config for type \"bind\": bind source path does not exist: " + m.source);
    }
    for (auto& name : names) {
        if (!volumes) return Error::unsupported("named volumes need the volume service: '" + name + "'");
        BERTH_TRY(volumes->create({.name = name}));
    }
    return ok();
}

}  // namespace

Result<Container> ManagerImpl::build_container(const std::string& name, CreateRequest request,
                                               std::vector<std::string>* warnings) {
    Config cfg = std::move(request.config);
    HostConfig hc = std::move(request.host_config);
    BERTH_TRY(validate_host_config(hc));

    if (cfg.image.empty()) return Error::invalid("Config.Image: an image is required");
    auto image = BERTH_TRY(images_->runnable(cfg.image));
    const auto& ic = image.config.config;

    Container c;
    c.id = generate_id();
    c.name = name;
    c.created = now_rfc3339_nano();
    c.image = cfg.image;
    c.image_id = image.id.str();

    // Config: what the client sent, with the image's defaults filled in.
    cfg.env = merge_env(ic.env, cfg.env);
    bool entrypoint_given = cfg.entrypoint.has_value();
    if (!entrypoint_given) cfg.entrypoint = ic.entrypoint;
    // An explicit entrypoint drops the image's Cmd.
    if (!cfg.cmd && !entrypoint_given) cfg.cmd = ic.cmd;
    if (cfg.cmd && cfg.cmd->empty()) cfg.cmd.reset();
    if (cfg.entrypoint && cfg.entrypoint->empty()) cfg.entrypoint.reset();
    if (cfg.working_dir.empty()) cfg.working_dir = ic.working_dir;
    if (cfg.user.empty()) cfg.user = ic.user;
    if (cfg.stop_signal.empty()) cfg.stop_signal = ic.stop_signal;
    StringMap labels(ic.labels.begin(), ic.labels.end());
    for (auto& [k, v] : cfg.labels) labels[k] = v;
    cfg.labels = std::move(labels);
    cfg.exposed_ports.insert(ic.exposed_ports.begin(), ic.exposed_ports.end());
    if (cfg.hostname.empty())
        cfg.hostname =
            hc.network_mode == "host" ? read_file("/proc/sys/kernel/hostname").value_or("") : c.short_id();
    cfg.hostname = std::string(trim(cfg.hostname));
    c.config = std::move(cfg);
    c.host_config = std::move(hc);
    BERTH_TRY(check_networking(c, request.endpoints));
    BERTH_TRY(mount_specs(c.host_config));  // refused before anything is made
    if (c.host_config.network_mode == "host" && !c.host_config.port_bindings.empty())
        warnings->push_back("Published ports are discarded when using host network mode");

    std::vector<std::string> argv = c.config.entrypoint.value_or(std::vector<std::string>{});
    if (c.config.cmd) argv.insert(argv.end(), c.config.cmd->begin(), c.config.cmd->end());
    if (argv.empty()) return Error::invalid("no command specified");
    c.path = argv[0];
    c.args.assign(argv.begin() + 1, argv.end());
    c.state.started_at = c.state.finished_at = kZeroTime;

    std::string dir = container_dir(c.id);
    c.log_path = c.host_config.log_config.type == "none" ? "" : dir + "/" + c.id + "-json.log";
    c.hostname_path = dir + "/hostname";
    c.hosts_path = dir + "/hosts";
    c.resolv_conf_path = dir + "/resolv.conf";
    return c;
}

Result<Created> ManagerImpl::create(const std::string& requested_name, const CreateRequest& request) {
    std::string name = requested_name;
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    if (!name.empty() && !valid_name(name))
        return Error::invalid("Invalid container name (" + requested_name +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    std::vector<std::string> warnings;
    auto c = BERTH_TRY(build_container(name, request, &warnings));

    auto entry = std::make_shared<Entry>();
    {
        // Reserve the name first: two creates with one name must not both succeed.
        std::lock_guard lk(mu_);
        if (name.empty()) {
            do name = generate_name();
            while (names_.count(name));
            c.name = name;
        } else if (auto it = names_.find(name); it != names_.end()) {
            return Error::conflict(
                "Conflict. The container name \"/" + name + "\" is already in use by container \"" +
                it->second +
                "\". You have to remove (or rename) that container to be able to reuse that name.");
        }
        names_[name] = c.id;
    }
    auto release = [&] {
        std::lock_guard lk(mu_);
        names_.erase(name);
    };

    std::string dir = container_dir(c.id);
    auto made = [&]() -> Result<> {
        BERTH_TRY(mkdir_all(dir, 0710));
        BERTH_TRY(write_file_atomic(c.hostname_path, c.config.hostname + "\n", 0644, Durability::Atomic));
        BERTH_TRY(write_file_atomic(
            c.hosts_path,
            container_hosts(c.config.hostname, c.host_config,
                            networks_->find("bridge").value_or(Json::object()).value("Gateway", "")),
            0644, Durability::Atomic));
        BERTH_TRY(write_file_atomic(c.resolv_conf_path, resolv_conf_for(c), 0644, Durability::Atomic));
        BERTH_TRY(images_->create_rootfs(c.id, *images::Digest::parse(c.image_id)));
        BERTH_TRY(ensure_volumes(volumes_, c.host_config));
        // The record last: a daemon killed before this line leaves only files that load()
        // sweeps (a directory without a record, a snapshot without a container).
        return write_file_atomic(dir + "/config.v2.json", dump_json(c.to_json()), 0600, Durability::Durable);
    }();
    if (!made) {
        // Once the directory below is gone nothing finds this snapshot again: say so.
        if (auto r = images_->remove_rootfs(c.id); !r && r.error().kind() != ErrorKind::NotFound)
            log::warn("container " + c.short_id() + ": snapshot left behind: " + r.error().str());
        (void)remove_all(dir);  // a directory without a record: load() removes it at the next start
        release();
        return made.error();
    }
    entry->c = c;
    {
        std::lock_guard lk(mu_);
        entries_[c.id] = entry;
    }
    publish(c, "create");
    return Created{c.id, warnings};
}

}  // namespace berth::daemon::containers

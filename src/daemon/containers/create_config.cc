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

enum class T { String, Bool, Int, StrList, StrSlice, Object, ObjList, StrMap };

struct FieldType {
    const char* name;
    T type;
};

const FieldType kConfigFields[] = {
    {"Hostname", T::String},
    {"Domainname", T::String},
    {"User", T::String},
    {"Image", T::String},
    {"WorkingDir", T::String},
    {"StopSignal", T::String},
    {"MacAddress", T::String},
    {"AttachStdin", T::Bool},
    {"AttachStdout", T::Bool},
    {"AttachStderr", T::Bool},
    {"Tty", T::Bool},
    {"OpenStdin", T::Bool},
    {"StdinOnce", T::Bool},
    {"NetworkDisabled", T::Bool},
    {"ArgsEscaped", T::Bool},
    {"Env", T::StrList},
    {"OnBuild", T::StrList},
    {"Shell", T::StrList},
    {"Cmd", T::StrSlice},
    {"Entrypoint", T::StrSlice},
    {"Labels", T::StrMap},
    {"ExposedPorts", T::Object},
    {"Volumes", T::Object},
    {"Healthcheck", T::Object},
    {"StopTimeout", T::Int},
    {"HostConfig", T::Object},
    {"NetworkingConfig", T::Object},
};

const FieldType kHostConfigFields[] = {
    {"Memory", T::Int},           {"MemorySwap", T::Int},      {"MemoryReservation", T::Int},
    {"CpuShares", T::Int},        {"CpuQuota", T::Int},        {"CpuPeriod", T::Int},
    {"NanoCpus", T::Int},         {"PidsLimit", T::Int},       {"ShmSize", T::Int},
    {"BlkioWeight", T::Int},      {"OomScoreAdj", T::Int},     {"Privileged", T::Bool},
    {"ReadonlyRootfs", T::Bool},  {"AutoRemove", T::Bool},     {"Init", T::Bool},
    {"PublishAllPorts", T::Bool}, {"OomKillDisable", T::Bool}, {"NetworkMode", T::String},
    {"CpusetCpus", T::String},    {"CpusetMems", T::String},   {"PidMode", T::String},
    {"IpcMode", T::String},       {"UTSMode", T::String},      {"CgroupnsMode", T::String},
    {"CapAdd", T::StrList},       {"CapDrop", T::StrList},     {"SecurityOpt", T::StrList},
    {"Binds", T::StrList},        {"Dns", T::StrList},         {"DnsSearch", T::StrList},
    {"DnsOptions", T::StrList},   {"ExtraHosts", T::StrList},  {"GroupAdd", T::StrList},
    {"Ulimits", T::ObjList},      {"Devices", T::ObjList},     {"Tmpfs", T::StrMap},
    {"Sysctls", T::StrMap},       {"LogConfig", T::Object},    {"PortBindings", T::Object},
    {"RestartPolicy", T::Object},
};

const char* type_name(T t) {
    switch (t) {
        case T::String:
            return "string";
        case T::Bool:
            return "boolean";
        case T::Int:
            return "integer";
        case T::StrList:
            return "array of strings";
        case T::StrSlice:
            return "string or array of strings";
        case T::Object:
            return "object";
        case T::ObjList:
            return "array of objects";
        case T::StrMap:
            return "object of strings";
    }
    return "";
}

const char* json_kind(const Json& v) {
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "boolean";
    if (v.is_number()) return "number";
    if (v.is_array()) return "array";
    if (v.is_object()) return "object";
    return "null";
}

bool has_type(const Json& v, T t) {
    if (v.is_null()) return true;  // Go decodes null into the zero value
    auto all = [&](auto pred) { return std::all_of(v.begin(), v.end(), pred); };
    switch (t) {
        case T::String:
            return v.is_string();
        case T::Bool:
            return v.is_boolean();
        case T::Int:
            return v.is_number_integer();
        case T::StrList:
            return v.is_array() && all([](const Json& e) { return e.is_string(); });
        case T::StrSlice:
            return v.is_string() || (v.is_array() && all([](const Json& e) { return e.is_string(); }));
        case T::Object:
            return v.is_object();
        case T::ObjList:
            return v.is_array() && all([](const Json& e) { return e.is_object(); });
        case T::StrMap:
            return v.is_object() && all([](const Json& e) { return e.is_string(); });
    }
    return false;
}

template <size_t N>
Result<> check_fields(const Json& obj, const FieldType (&fields)[N], const std::string& prefix) {
    for (auto& f : fields) {
        auto it = obj.find(f.name);
        if (it == obj.end() || has_type(*it, f.type)) continue;
        return Error::invalid("invalid JSON: " + prefix + f.name + ": expected " + type_name(f.type) +
                              ", got " + json_kind(*it));
    }
    return ok();
}

std::vector<std::string> str_slice(const Json& v) {
    if (v.is_string()) return {v.get<std::string>()};
    std::vector<std::string> out;
    if (v.is_array())
        for (auto& e : v) out.push_back(e.get<std::string>());
    return out;
}

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

Result<> validate_host_config(Json& hc) {
    auto i64 = [&](const char* k) { return hc.value(k, Json()).is_number() ? hc[k].get<int64_t>() : 0; };
    int64_t mem = i64("Memory"), swap = i64("MemorySwap");
    if (mem < 0) return Error::invalid("invalid memory limit: must be positive");
    if (mem > 0 && mem < 6 * 1024 * 1024) return Error::invalid("Minimum memory limit allowed is 6MB");
    if (swap > 0 && mem == 0)
        return Error::invalid("You should always set the Memory limit when using Memoryswap limit");
    if (swap > 0 && swap < mem)
        return Error::invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (i64("NanoCpus") > 0 && (i64("CpuQuota") > 0 || i64("CpuPeriod") > 0))
        return Error::invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (i64("CpuShares") < 0) return Error::invalid("invalid CPU shares: must be positive");
    if (int64_t p = i64("CpuPeriod"); p != 0 && (p < 1000 || p > 1000000))
        return Error::invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)");
    if (int64_t q = i64("CpuQuota"); q != 0 && q < 1000)
        return Error::invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (int64_t w = i64("BlkioWeight"); w != 0 && (w < 10 || w > 1000))
        return Error::invalid("Range of blkio weight is from 10 to 1000");
    if (int64_t o = i64("OomScoreAdj"); o < -1000 || o > 1000)
        return Error::invalid("Invalid value " + std::to_string(o) +
                              ", range for oom score adj is [-1000, 1000]");
    if (i64("ShmSize") < 0) return Error::invalid("SHM size can not be less than 0");
    for (auto* k : {"CpusetCpus", "CpusetMems"}) {
        std::string s = hc.value(k, "");
        for (char c : s)
            if (!(isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '-'))
                return Error::invalid(std::string("invalid value \"") + s + "\" for " + k);
    }
    BERTH_TRY(effective_capabilities(hc));

    std::string net = hc.value("NetworkMode", "");
    if (net.empty() || net == "default") hc["NetworkMode"] = net = "bridge";
    for (auto* k : {"PidMode", "IpcMode", "UTSMode"}) {
        std::string m = hc.value(k, "");
        if (!m.empty() && m != "host" && m != "private" && m != "shareable")
            return Error::unsupported(std::string(k) + " \"" + m + "\" is not supported yet");
    }
    if (auto c = hc.value("CgroupnsMode", ""); !c.empty() && c != "host" && c != "private")
        return Error::invalid("invalid cgroup namespace mode: " + c);

    Json rp = hc.value("RestartPolicy", Json::object());
    std::string policy = rp.value("Name", "");
    if (policy.empty()) policy = "no";
    if (policy != "no" && policy != "always" && policy != "unless-stopped" && policy != "on-failure")
        return Error::invalid("invalid restart policy: unknown policy '" + policy +
                              "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    int64_t retries = rp.value("MaximumRetryCount", int64_t(0));
    if (retries < 0) return Error::invalid("invalid restart policy: maximum retry count can't be negative");
    if (retries > 0 && policy != "on-failure")
        return Error::invalid(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    if (policy != "no" && hc.value("AutoRemove", false) == true)
        return Error::invalid("can't create 'AutoRemove' container with restart policy");
    hc["RestartPolicy"] = {{"Name", policy}, {"MaximumRetryCount", retries}};

    Json lc = hc.value("LogConfig", Json::object());
    std::string driver = lc.value("Type", "");
    if (driver.empty()) driver = "json-file";
    if (driver != "json-file" && driver != "none")
        return Error::unsupported("logging driver \"" + driver + "\" is not supported (json-file, none)");
    hc["LogConfig"] = {{"Type", driver}, {"Config", lc.value("Config", Json::object())}};
    return ok();
}

// `gateway`: what --add-host's "host-gateway" stands for (the default bridge's address).
std::string container_hosts(const std::string& hostname, const Json& hc, const std::string& gateway) {
    std::string out =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
    for (auto& h : string_list(hc, "ExtraHosts")) {
        auto colon = h.find_first_of(":=");  // "name:ip", or "name=ip" as docker 28 also takes
        if (colon == std::string::npos) continue;
        std::string ip = h.substr(colon + 1);
        if (ip == "host-gateway") ip = gateway;
        out += ip + "\t" + h.substr(0, colon) + "\n";
    }
    if (hc.value("NetworkMode", "") != "host") out += "127.0.1.1\t" + hostname + "\n";
    return out;
}

}  // namespace

Result<Container> ManagerImpl::build_container(const std::string& name, const Json& body_in,
                                               std::vector<std::string>* warnings) {
    if (!body_in.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    BERTH_TRY(check_fields(body_in, kConfigFields, ""));
    // null means "not set" (Go decodes it as the zero value): drop those keys.
    auto drop_nulls = [](Json j) {
        for (auto it = j.begin(); it != j.end();) it = it->is_null() ? j.erase(it) : std::next(it);
        return j;
    };
    Json body = drop_nulls(body_in);
    Json hc = drop_nulls(body.value("HostConfig", Json::object()));
    BERTH_TRY(check_fields(hc, kHostConfigFields, "HostConfig."));
    BERTH_TRY(validate_host_config(hc));
    for (auto& h : string_list(hc, "ExtraHosts"))
        if (h.find_first_of(":=") == std::string::npos) return Error::invalid("invalid extra host: " + h);

    std::string image_name = body.value("Image", Json()).is_string() ? body["Image"].get<std::string>() : "";
    if (image_name.empty()) return Error::invalid("Config.Image: an image is required");
    auto image = BERTH_TRY(images_->runnable(image_name));
    const auto& ic = image.config.config;

    Container c;
    c.id = generate_id();
    c.name = name;
    c.created = now_rfc3339_nano();
    c.image = image_name;
    c.image_id = image.id.str();

    // Config: what the client sent, with the image's defaults filled in.
    Json cfg = body;
    cfg.erase("HostConfig");
    cfg.erase("NetworkingConfig");
    std::vector<std::string> env = merge_env(ic.env, str_slice(cfg.value("Env", Json())));
    cfg["Env"] = env;
    bool entrypoint_given = cfg.contains("Entrypoint") && !cfg["Entrypoint"].is_null();
    std::vector<std::string> entrypoint =
        entrypoint_given ? str_slice(cfg["Entrypoint"]) : ic.entrypoint.value_or(std::vector<std::string>{});
    std::vector<std::string> cmd;
    if (cfg.contains("Cmd") && !cfg["Cmd"].is_null())
        cmd = str_slice(cfg["Cmd"]);
    else if (!entrypoint_given)
        cmd = ic.cmd.value_or(std::vector<std::string>{});  // an explicit entrypoint drops the image's Cmd
    cfg["Cmd"] = cmd.empty() ? Json(nullptr) : Json(cmd);
    cfg["Entrypoint"] = entrypoint.empty() ? Json(nullptr) : Json(entrypoint);
    if (cfg.value("WorkingDir", "").empty()) cfg["WorkingDir"] = ic.working_dir;
    if (cfg.value("User", "").empty()) cfg["User"] = ic.user;
    if (cfg.value("StopSignal", "").empty() && !ic.stop_signal.empty()) cfg["StopSignal"] = ic.stop_signal;
    Json labels = Json::object();
    for (auto& [k, v] : ic.labels) labels[k] = v;
    if (cfg.contains("Labels") && cfg["Labels"].is_object())
        for (auto& [k, v] : cfg["Labels"].items()) labels[k] = v;
    cfg["Labels"] = labels;
    if (!ic.exposed_ports.empty()) {
        Json ports = cfg.value("ExposedPorts", Json::object());
        if (ports.is_null()) ports = Json::object();
        for (auto& p : ic.exposed_ports) ports[p] = Json::object();
        cfg["ExposedPorts"] = ports;
    }
    cfg["Image"] = image_name;
    if (cfg.value("Hostname", "").empty())
        cfg["Hostname"] = hc.value("NetworkMode", "") == "host"
                              ? read_file("/proc/sys/kernel/hostname").value_or("")
                              : c.short_id();
    if (auto& h = cfg["Hostname"]; h.is_string()) h = std::string(trim(h.get<std::string>()));
    for (auto* k : {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"})
        if (!cfg.contains(k) || cfg[k].is_null()) cfg[k] = false;
    c.config = cfg;
    c.host_config = hc;
    BERTH_TRY(check_networking(c, body));
    if (hc.value("NetworkMode", "") == "host" && hc.contains("PortBindings") &&
        hc["PortBindings"].is_object() && !hc["PortBindings"].empty())
        warnings->push_back("Published ports are discarded when using host network mode");

    std::vector<std::string> argv = entrypoint;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    if (argv.empty()) return Error::invalid("no command specified");
    c.path = argv[0];
    c.args.assign(argv.begin() + 1, argv.end());
    c.state.started_at = c.state.finished_at = kZeroTime;

    std::string dir = container_dir(c.id);
    c.log_path = hc["LogConfig"]["Type"] == "none" ? "" : dir + "/" + c.id + "-json.log";
    c.hostname_path = dir + "/hostname";
    c.hosts_path = dir + "/hosts";
    c.resolv_conf_path = dir + "/resolv.conf";
    return c;
}

Result<Json> ManagerImpl::create(const std::string& requested_name, const Json& body) {
    std::string name = requested_name;
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    if (!name.empty() && !valid_name(name))
        return Error::invalid("Invalid container name (" + requested_name +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    std::vector<std::string> warnings;
    auto c = BERTH_TRY(build_container(name, body, &warnings));

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
        BERTH_TRY(write_file_atomic(c.hostname_path, c.config.value("Hostname", "") + "\n", 0644,
                                    Durability::Atomic));
        BERTH_TRY(write_file_atomic(
            c.hosts_path,
            container_hosts(c.config.value("Hostname", ""), c.host_config,
                            networks_->find("bridge").value_or(Json::object()).value("Gateway", "")),
            0644, Durability::Atomic));
        BERTH_TRY(write_file_atomic(c.resolv_conf_path, resolv_conf_for(c), 0644, Durability::Atomic));
        BERTH_TRY(images_->create_rootfs(c.id, *images::Digest::parse(c.image_id)));
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
    return Json{{"Id", c.id}, {"Warnings", warnings}};
}

}  // namespace berth::daemon::containers

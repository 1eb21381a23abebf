#include "daemon/containers/record.h"

#include "common/time.h"

namespace berth::daemon::containers {

namespace {
constexpr const char* kStatusNames[] = {"created",  "running", "paused", "restarting",
                                        "removing", "exited",  "dead"};
}

const char* status_name(Status s) {
    return kStatusNames[static_cast<int>(s)];
}

Result<Status> parse_status(std::string_view s) {
    for (int i = 0; i < 7; ++i)
        if (s == kStatusNames[i]) return static_cast<Status>(i);
    return Error::invalid("invalid container status \"" + std::string(s) + "\"");
}

Json Container::to_json() const {
    return {{"Id", id},
            {"Name", name},
            {"Created", created},
            {"Image", image},
            {"ImageID", image_id},
            {"Config", containers::to_json(config)},
            {"HostConfig", containers::to_json(host_config)},
            {"EndpointsConfig", containers::to_json(endpoints)},
            {"Path", path},
            {"Args", args},
            {"State",
             {{"Status", status_name(state.status)},
              {"Pid", state.pid},
              {"ShimPid", state.shim_pid},
              {"ExitCode", state.exit_code},
              {"OOMKilled", state.oom_killed},
              {"Error", state.error},
              {"StartedAt", state.started_at},
              {"FinishedAt", state.finished_at}}},
            {"RestartCount", restart_count},
            {"ManuallyStopped", manually_stopped},
            {"LogPath", log_path},
            {"HostnamePath", hostname_path},
            {"HostsPath", hosts_path},
            {"ResolvConfPath", resolv_conf_path}};
}

Result<Container> Container::from_json(const Json& j) {
    if (!j.is_object()) return Error::invalid("container record: not an object");
    Container c;
    try {
        c.id = j.at("Id").get<std::string>();
        c.name = j.at("Name").get<std::string>();
        c.created = j.at("Created").get<std::string>();
        c.image = j.at("Image").get<std::string>();
        c.image_id = j.at("ImageID").get<std::string>();
        c.config = BERTH_TRY(read_config(j.at("Config"), "Config."));
        c.host_config = BERTH_TRY(read_host_config(j.at("HostConfig")));
        if (auto it = j.find("EndpointsConfig"); it != j.end())
            c.endpoints = BERTH_TRY(read_endpoints_config(*it));
        c.path = j.at("Path").get<std::string>();
        c.args = j.at("Args").get<std::vector<std::string>>();
        auto& s = j.at("State");
        c.state.status = BERTH_TRY(parse_status(s.at("Status").get<std::string>()));
        c.state.pid = s.at("Pid").get<pid_t>();
        c.state.shim_pid = s.at("ShimPid").get<pid_t>();
        c.state.exit_code = s.at("ExitCode").get<int>();
        c.state.oom_killed = s.at("OOMKilled").get<bool>();
        c.state.error = s.at("Error").get<std::string>();
        c.state.started_at = s.at("StartedAt").get<std::string>();
        c.state.finished_at = s.at("FinishedAt").get<std::string>();
        c.restart_count = j.at("RestartCount").get<int>();
        c.manually_stopped = j.at("ManuallyStopped").get<bool>();
        c.log_path = j.at("LogPath").get<std::string>();
        c.hostname_path = j.at("HostnamePath").get<std::string>();
        c.hosts_path = j.at("HostsPath").get<std::string>();
        c.resolv_conf_path = j.at("ResolvConfPath").get<std::string>();
    } catch (const Json::exception& e) {
        return Error::invalid(std::string("container record: ") + e.what());
    }
    if (c.id.size() != 64) return Error::invalid("container record: bad Id \"" + c.id + "\"");
    return c;
}

}  // namespace berth::daemon::containers

// Persisted container state (<root>/<id>/state.json) and the status derived from it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

const char* status_name(Status s) {
    switch (s) {
        case Status::Creating:
            return "creating";
        case Status::Created:
            return "created";
        case Status::Running:
            return "running";
        case Status::Paused:
            return "paused";
        case Status::Stopped:
            return "stopped";
    }
    return "unknown";
}

std::string container_dir(const GlobalOptions& g, const std::string& id) {
    return path_join(g.root, id);
}
std::string fifo_path(const GlobalOptions& g, const std::string& id) {
    return path_join(container_dir(g, id), "exec.fifo");
}

Result<> validate_id(const std::string& id) {
    if (id.empty()) return Error::invalid("container id must not be empty");
    if (id.size() > 1024) return Error::invalid("container id is too long");
    for (char c : id) {
        bool good = isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
        if (!good) return Error::invalid("invalid container id \"" + id + "\": only [A-Za-z0-9_+.-] allowed");
    }
    if (id == "." || id == "..") return Error::invalid("invalid container id \"" + id + "\"");
    return ok();
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return std::nullopt;
    // Fields after the command name "(...)", which may contain spaces and parentheses.
    auto close = stat->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    auto fields = split(std::string_view(*stat).substr(close + 2), ' ');
    // fields[0] is field 3 (state); start time is field 22.
    if (fields.size() < 20) return std::nullopt;
    if (fields[0] == "Z" || fields[0] == "X") return std::nullopt;  // zombie: not running
    return std::stoull(fields[19]);
}

Result<> save_state(const GlobalOptions& g, const SavedState& s) {
    Json j = {{"id", s.id},           {"pid", s.pid},       {"pid_start", s.pid_start}, {"bundle", s.bundle},
              {"created", s.created}, {"cgroup", s.cgroup}, {"config", s.config},       {"userns", s.userns}};
    return write_file_atomic(path_join(container_dir(g, s.id), "state.json"), dump_json(j), 0600,
                             Durability::Atomic);
}

Result<SavedState> load_state(const GlobalOptions& g, const std::string& id) {
    BERTH_TRY(validate_id(id));
    auto path = path_join(container_dir(g, id), "state.json");
    auto j = read_json_file(path);
    if (!j) {
        if (j.error().kind() == ErrorKind::NotFound)
            return Error::not_found("container \"" + id + "\" does not exist");
        return std::move(j.error());
    }
    try {
        SavedState s;
        s.id = j->at("id").get<std::string>();
        s.pid = j->at("pid").get<pid_t>();
        s.pid_start = j->at("pid_start").get<unsigned long long>();
        s.bundle = j->at("bundle").get<std::string>();
        s.created = j->at("created").get<std::string>();
        s.cgroup = j->at("cgroup");
        s.config = j->at("config");
        s.userns = j->value("userns", false);
        return s;
    } catch (const Json::exception& e) {
        return Error::internal(path + ": corrupt state: " + e.what());
    }
}

Status derive_status(const GlobalOptions& g, const SavedState& s, cgroups::Cgroup* cg) {
    if (s.pid <= 0) return Status::Stopped;
    auto start = process_start_time(s.pid);
    if (!start || *start != s.pid_start) return Status::Stopped;
    if (path_exists(fifo_path(g, s.id))) return Status::Created;
    if (cg) {
        auto fz = cg->freezer_state();
        if (fz && *fz != cgroups::FreezerState::Thawed) return Status::Paused;
    }
    return Status::Running;
}

Result<LoadedContainer> load_container(const GlobalOptions& g, const std::string& id) {
    LoadedContainer l;
    l.saved = BERTH_TRY(load_state(g, id));
    auto cg = cgroups::Cgroup::open(l.saved.cgroup);
    if (cg)
        l.cgroup = std::move(*cg);
    else
        log::debug("container " + id + ": " + cg.error().str());
    l.status = derive_status(g, l.saved, l.cgroup.get());
    return l;
}

ContainerState to_container_state(const GlobalOptions&, const SavedState& s, Status st) {
    ContainerState c;
    c.id = s.id;
    c.status = st;
    c.pid = st == Status::Stopped ? 0 : s.pid;
    c.bundle = s.bundle;
    c.created = s.created;
    c.owner = "";
    if (s.config.is_object() && s.config.contains("annotations")) c.annotations = s.config["annotations"];
    return c;
}

Json ContainerState::to_oci_json() const {
    Json j = {{"ociVersion", "1.1.0"},
              {"id", id},
              {"status", status_name(status)},
              {"pid", pid},
              {"bundle", bundle},
              {"rootfs", ""},
              {"created", created},
              {"owner", owner}};
    if (!annotations.empty()) j["annotations"] = annotations;
    return j;
}

}  // namespace berth::runtime

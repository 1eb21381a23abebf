// The local volume driver and the volumes' records (see volume_service.h).
#include "daemon/volumes/volume_service.h"

#include <fcntl.h>

#include <algorithm>
#include <mutex>

#include "common/file.h"
#include "common/id.h"
#include "common/log.h"
#include "common/sys.h"
#include "common/time.h"

namespace berth::daemon::volumes {

namespace {

constexpr const char* kRecord = "volume.json";

Json record_of(const Volume& v) {
    return {{"Name", v.name},     {"Driver", v.driver},   {"CreatedAt", v.created_at},
            {"Labels", v.labels}, {"Options", v.options}, {"Anonymous", v.anonymous}};
}

Result<Volume> volume_of(const Json& j, const std::string& dir) {
    if (!j.is_object()) return Error::invalid("expected an object");
    Volume v;
    v.name = string_field(j, "Name");
    v.driver = j.value("Driver", "local");
    v.created_at = string_field(j, "CreatedAt");
    v.anonymous = j.value("Anonymous", false);
    for (const char* key : {"Labels", "Options"}) {
        auto& into = key[0] == 'L' ? v.labels : v.options;
        if (j.contains(key) && j[key].is_object())
            for (auto& [k, val] : j[key].items())
                if (val.is_string()) into[k] = val.get<std::string>();
    }
    v.mountpoint = dir + "/_data";
    return v;
}

bool is_true(const std::string& v) {
    return v == "true" || v == "1";
}

class Service final : public VolumeService {
public:
    Service(std::string root, EventBus* events) : root_(std::move(root)), events_(events) {}

    Result<> load() {
        BERTH_TRY(mkdir_all(root_, 0701));
        for (auto& name : list_dir(root_)) {
            std::string dir = root_ + "/" + name;
            auto doc = read_json_file(dir + "/" + kRecord);
            auto v = doc ? volume_of(*doc, dir) : Result<Volume>(doc.error());
            if (!v || v->name != name) {
                // Kept as it is: it may hold data this daemon cannot account for.
                log::error("volumes: " + name + ": skipped, its record cannot be read: " +
                           (v ? "its Name is " + v->name : v.error().str()));
                continue;
            }
            volumes_[name] = std::move(*v);
        }
        return ok();
    }

    void set_users(UsersFn users) override {
        std::lock_guard lk(mu_);
        users_ = std::move(users);
    }

    Result<Volume> create(const CreateRequest& req) override {
        std::string name = req.name.empty() ? random_id() : req.name;
        BERTH_TRY(check_volume_name(name));
        std::string driver = req.driver.empty() ? "local" : req.driver;
        if (driver != "local")
            return Error::not_found("create " + name + ": error looking up volume plugin " + driver +
                                    ": plugin \"" + driver + "\" not found");
        if (!req.driver_opts.empty())
            return Error::unsupported(
                "create " + name + ": options of the local driver (type, device, o) are not supported yet");
        std::lock_guard lk(mu_);
        if (auto it = volumes_.find(name); it != volumes_.end()) return it->second;
        Volume v;
        v.name = name;
        v.driver = driver;
        v.labels = req.labels;
        v.anonymous = req.anonymous || req.name.empty();
        v.created_at = now_rfc3339_nano().substr(0, 19) + "Z";  // Docker's is to the second
        std::string dir = root_ + "/" + name;
        v.mountpoint = dir + "/_data";
        auto made = [&]() -> Result<> {
            BERTH_TRY(mkdir_all(dir, 0701));
            BERTH_TRY(mkdir_all(v.mountpoint, 0755));
            return write_file_atomic(dir + "/" + kRecord, dump_json(record_of(v)), 0600);
        }();
        if (!made) {
            if (auto r = sys::remove_tree_at(AT_FDCWD, dir); !r)
                log::warn("volumes: " + name + ": " + r.error().str());
            return made.error().with_context("create " + name);
        }
        volumes_[name] = v;
        publish("create", v);
        return v;
    }

    Result<Volume> inspect(const std::string& name) override {
        std::lock_guard lk(mu_);
        return find(name);
    }

    Result<std::vector<Volume>> list(const Filters& filters) override {
        for (auto& [k, v] : filters)
            if (k != "dangling" && k != "driver" && k != "label" && k != "name")
                return Error::invalid("invalid filter '" + k + "'");
        std::lock_guard lk(mu_);
        std::vector<Volume> out;
        for (auto& [name, v] : volumes_)
            if (matches(v, filters)) out.push_back(v);
        return out;
    }

    Result<> remove(const std::string& name, bool force) override {
        Volume v;
        {
            std::lock_guard lk(mu_);
            auto found = find(name);
            if (!found) return force ? ok() : Result<>(found.error());
            v = *found;
            auto users = users_of(name);
            if (!users.empty()) {
                std::string list;
                for (auto& u : users) list += (list.empty() ? "" : ", ") + u;
                return Error::conflict("remove " + name + ": volume is in use - [" + list + "]");
            }
            // The record goes first: a volume half removed is not found again.
            BERTH_TRY_CTX(remove_all(root_ + "/" + name + "/" + kRecord), "remove " + name);
            volumes_.erase(name);
        }
        BERTH_TRY_CTX(sys::remove_tree_at(AT_FDCWD, root_ + "/" + name), "remove " + name);
        publish("destroy", v);
        return ok();
    }

    Result<Json> prune(const Filters& filters) override {
        for (auto& [k, v] : filters)
            if (k != "label" && k != "label!" && k != "all")
                return Error::invalid("invalid filter '" + k + "'");
        bool all = false;
        if (auto it = filters.find("all"); it != filters.end())
            all = std::any_of(it->second.begin(), it->second.end(), is_true);
        std::vector<Volume> victims;
        {
            std::lock_guard lk(mu_);
            for (auto& [name, v] : volumes_) {
                if (!all && !v.anonymous) continue;  // Docker 23+: named volumes only with all=true
                if (auto it = filters.find("label");
                    it != filters.end() && !labels_match(v.labels, it->second))
                    continue;
                bool excluded = false;
                if (auto it = filters.find("label!"); it != filters.end())
                    for (auto& want : it->second) excluded = excluded || labels_match(v.labels, {want});
                if (!excluded && users_of(name).empty()) victims.push_back(v);
            }
        }
        Json deleted = Json::array();
        int64_t reclaimed = 0;
        for (auto& v : victims) {
            int64_t size = size_of(v);
            if (auto r = remove(v.name, false); !r) {
                log::warn("volumes: prune " + v.name + ": " + r.error().str());
                continue;
            }
            deleted.push_back(v.name);
            reclaimed += std::max<int64_t>(size, 0);
        }
        return Json{{"VolumesDeleted", deleted}, {"SpaceReclaimed", reclaimed}};
    }

    Result<Json> disk_usage() override {
        std::vector<std::pair<Volume, int64_t>> vs;
        {
            std::lock_guard lk(mu_);
            for (auto& [name, v] : volumes_) vs.emplace_back(v, static_cast<int64_t>(users_of(name).size()));
        }
        Json out = Json::array();
        for (auto& [v, refs] : vs) {
            Usage u{size_of(v), refs};
            out.push_back(to_json(v, &u));
        }
        return out;
    }

private:
    Result<Volume> find(const std::string& name) {
        auto it = volumes_.find(name);
        if (it == volumes_.end()) return Error::not_found("get " + name + ": no such volume");
        return it->second;
    }
    std::vector<std::string> users_of(const std::string& name) {
        return users_ ? users_(name) : std::vector<std::string>{};
    }

    bool matches(const Volume& v, const Filters& filters) {
        auto any = [&](const char* key, auto pred) {
            auto it = filters.find(key);
            return it == filters.end() || it->second.empty() ||
                   std::any_of(it->second.begin(), it->second.end(), pred);
        };
        if (!any("name", [&](const std::string& x) { return v.name.find(x) != std::string::npos; }))
            return false;
        if (!any("driver", [&](const std::string& x) { return x == v.driver; })) return false;
        if (auto it = filters.find("label"); it != filters.end() && !labels_match(v.labels, it->second))
            return false;
        return any("dangling", [&](const std::string& x) { return is_true(x) == users_of(v.name).empty(); });
    }

    static int64_t size_of(const Volume& v) {
        auto fd = open_file(v.mountpoint, O_RDONLY | O_DIRECTORY);
        if (!fd) return -1;
        auto n = sys::disk_usage(fd->get());
        return n ? static_cast<int64_t>(*n) : -1;
    }

    void publish(const std::string& action, const Volume& v) {
        if (!events_) return;
        events_->publish(Event{
            .type = "volume", .action = action, .actor_id = v.name, .attributes = {{"driver", v.driver}}});
    }

    std::string root_;
    EventBus* events_;
    std::mutex mu_;
    std::map<std::string, Volume> volumes_;
    UsersFn users_;
};

}  // namespace

Result<> check_volume_name(const std::string& name) {
    if (name.size() < 2)
        return Error::invalid(
            "volume name is too short, names should be at least two alphanumeric characters");
    auto ok_char = [](char c, bool first) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        return alnum || (!first && (c == '_' || c == '.' || c == '-'));
    };
    for (size_t i = 0; i < name.size(); ++i)
        if (!ok_char(name[i], i == 0))
            return Error::invalid("\"" + name +
                                  "\" includes invalid characters for a local volume name, only "
                                  "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                                  "directory, use absolute path");
    return ok();
}

Result<CreateRequest> read_create_request(const Json& body) {
    if (!body.is_object()) return Error::invalid("invalid JSON: the body must be an object");
    CreateRequest r;
    auto str = [&](const char* key, std::string& out) -> Result<> {
        if (!body.contains(key) || body[key].is_null()) return ok();
        if (!body[key].is_string())
            return Error::invalid(std::string("invalid JSON: ") + key + ": expected string");
        out = body[key].get<std::string>();
        return ok();
    };
    auto map = [&](const char* key, StringMap& out) -> Result<> {
        if (!body.contains(key) || body[key].is_null()) return ok();
        if (!body[key].is_object())
            return Error::invalid(std::string("invalid JSON: ") + key + ": expected object");
        for (auto& [k, v] : body[key].items()) {
            if (!v.is_string())
                return Error::invalid(std::string("invalid JSON: ") + key + "." + k + ": expected string");
            out[k] = v.get<std::string>();
        }
        return ok();
    };
    BERTH_TRY(str("Name", r.name));
    BERTH_TRY(str("Driver", r.driver));
    BERTH_TRY(map("DriverOpts", r.driver_opts));
    BERTH_TRY(map("Labels", r.labels));
    return r;
}

Json to_json(const Volume& v, const Usage* usage) {
    // Empty maps as {}: Go clients decode null and {} alike, templates print both as map[].
    auto map_or_null = [](const StringMap& m) { return m.empty() ? Json::object() : Json(m); };
    Json j = {{"CreatedAt", v.created_at},
              {"Driver", v.driver},
              {"Labels", map_or_null(v.labels)},
              {"Mountpoint", v.mountpoint},
              {"Name", v.name},
              {"Options", map_or_null(v.options)},
              {"Scope", "local"}};
    if (usage) j["UsageData"] = {{"Size", usage->size}, {"RefCount", usage->ref_count}};
    return j;
}

Result<std::unique_ptr<VolumeService>> VolumeService::open(const std::string& data_root, EventBus* events) {
    auto s = std::make_unique<Service>(data_root + "/volumes", events);
    BERTH_TRY_CTX(s->load(), "volumes");
    return std::unique_ptr<VolumeService>(std::move(s));
}

}  // namespace berth::daemon::volumes

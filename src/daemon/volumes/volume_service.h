// The daemon's volumes: Docker's `local` driver, a directory per volume under
// <data-root>/volumes/<name>/_data, its record (driver, labels, options, creation time,
// anonymous or not) in <data-root>/volumes/<name>/volume.json beside it.
//
//   auto v = BERTH_TRY(volumes->create({.name = "data"}));      // idempotent for a name
//   mount v.mountpoint at the container's path (bind);
//   volumes->remove("data", false);    // Conflict while a container refers to it
// Who uses a volume comes from the container manager (set_users), as for images.
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "daemon/events/events.h"

namespace berth::daemon::volumes {

using Filters = std::map<std::string, std::vector<std::string>>;
using StringMap = std::map<std::string, std::string>;

struct Volume {
    std::string name, driver = "local", mountpoint, created_at;
    StringMap labels, options;
    bool anonymous = false;  // made for one container (-v /path, an image's VOLUME)
};

// POST /volumes/create; an empty name makes an anonymous volume with a random one.
struct CreateRequest {
    std::string name, driver;
    StringMap driver_opts, labels;
    bool anonymous = false;
};
Result<CreateRequest> read_create_request(const Json& body);

// Docker's volume object (GET /volumes/{name}); with `usage`, UsageData too (/system/df).
struct Usage {
    int64_t size = -1, ref_count = -1;
};
Json to_json(const Volume& v, const Usage* usage = nullptr);

// The IDs of the containers that refer to a volume.
using UsersFn = std::function<std::vector<std::string>(const std::string& volume)>;

class VolumeService {
public:
    static Result<std::unique_ptr<VolumeService>> open(const std::string& data_root, EventBus* events);
    virtual ~VolumeService() = default;

    virtual void set_users(UsersFn users) = 0;
    // Creates the volume, or returns the existing one of that name (as Docker does).
    virtual Result<Volume> create(const CreateRequest& request) = 0;
    virtual Result<Volume> inspect(const std::string& name) = 0;
    // filters: dangling, driver, label, name.
    virtual Result<std::vector<Volume>> list(const Filters& filters) = 0;
    // Conflict while in use; `force` only forgives a missing volume.
    virtual Result<> remove(const std::string& name, bool force) = 0;
    // Unused volumes (anonymous ones only, unless all=true; label, label! filters):
    // {"VolumesDeleted": [...], "SpaceReclaimed": n}.
    virtual Result<Json> prune(const Filters& filters) = 0;
    // Every volume with its size and reference count, for /system/df.
    virtual Result<Json> disk_usage() = 0;
};

// Docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Result<> check_volume_name(const std::string& name);

}  // namespace berth::daemon::volumes

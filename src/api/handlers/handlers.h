// The Engine API's handlers, one file per resource, registered on a Router.
// Each takes the daemon services it needs; none holds state of its own.
#pragma once

#include <string>

#include "api/server/router.h"
#include "common/version.h"
#include "daemon/config/config.h"
#include "daemon/events/events.h"

namespace berth::daemon::images {
class ImageService;
}
namespace berth::daemon::containers {
class ContainerManager;
class Lifecycle;
class Queries;
class Io;
class Execs;
class Networking;
}  // namespace berth::daemon::containers
namespace berth::daemon::networks {
class NetworkService;
}
namespace berth::daemon::volumes {
class VolumeService;
}

namespace berth::api {

struct SystemServices {
    const daemon::Config* config = nullptr;
    daemon::EventBus* events = nullptr;
    daemon::images::ImageService* images = nullptr;     // optional: /info, /system/df
    daemon::containers::Queries* containers = nullptr;  // optional: /info, /system/df
    daemon::volumes::VolumeService* volumes = nullptr;  // optional: /system/df
    std::string version = berth_version();
};

// GET/HEAD /_ping, GET /version, GET /info, GET /events, GET /system/df.
Result<> add_system_routes(Router& router, const SystemServices& services);

// /images/...: json, {name}/json, {name}/history, {name}/tag, DELETE {name}, prune,
// load, get, {name}/get, create?fromSrc (import).
Result<> add_image_routes(Router& router, daemon::images::ImageService* images, daemon::EventBus* events);

// The container services the /containers and /exec routes use (each may be a fake).
struct ContainerServices {
    daemon::containers::Lifecycle* lifecycle = nullptr;
    daemon::containers::Queries* queries = nullptr;
    daemon::containers::Io* io = nullptr;
    daemon::containers::Execs* execs = nullptr;
};

// /containers/... and /exec/...
Result<> add_container_routes(Router& router, const ContainerServices& containers);
// The same over the whole manager.
Result<> add_container_routes(Router& router, daemon::containers::ContainerManager* containers,
                              daemon::EventBus* events);
// /containers/{id}/exec and /exec/{id}/...
Result<> add_exec_routes(Router& router, daemon::containers::Execs* execs);

// /volumes/...: json, create, {name}, DELETE {name}, prune.
Result<> add_volume_routes(Router& router, daemon::volumes::VolumeService* volumes);

// /networks/...: json, {id}, create, DELETE {id}, prune, {id}/connect, {id}/disconnect.
Result<> add_network_routes(Router& router, daemon::networks::NetworkService* networks,
                            daemon::containers::Networking* containers);

}  // namespace berth::api

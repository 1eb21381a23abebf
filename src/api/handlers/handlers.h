// The Engine API's handlers, one file per resource, registered on a Router.
// Each takes the daemon services it needs; none holds state of its own.
#pragma once

#include <string>

#include "api/server/router.h"
#include "daemon/config/config.h"
#include "daemon/events/events.h"

namespace berth::api {

struct SystemServices {
    const daemon::Config* config = nullptr;
    daemon::EventBus* events = nullptr;
    std::string version = "0.1.0";
};

// GET/HEAD /_ping, GET /version, GET /events.
Result<> add_system_routes(Router& router, const SystemServices& services);

}  // namespace berth::api

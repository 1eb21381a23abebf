// The shim's setup phase (see shim.h).
#pragma once

#include "shim/monitor.h"
#include "shim/shim.h"

namespace berth::shim {

// Creates the container, reports on fd 3, and execs berth-monitor (next to `self`).
// Returns only on failure (the exit code).
int setup_main(const Options& opts, const char* self);

}  // namespace berth::shim

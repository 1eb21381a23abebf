// The shim's setup phase (see shim.h).
#pragma once

#include "shim/monitor.h"
#include "shim/shim.h"

namespace berth::shim {

// Creates the container, reports on fd 3, and re-executes `self` in monitor mode.
// Returns only on failure (the exit code).
int setup_main(const Options& opts, const char* self);

}  // namespace berth::shim

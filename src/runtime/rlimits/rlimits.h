// Resource limits (process.rlimits) applied with prlimit(2) to the calling process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::rlimits {

std::optional<int> resource_from_name(const std::string& name);  // "RLIMIT_NOFILE" -> 7
// Applies every rlimit. Raising a hard limit above the current one without
// CAP_SYS_RESOURCE fails with a clear error naming the limit (not a crash).
Result<> apply(const std::vector<spec::Rlimit>& limits);

}  // namespace berth::runtime::rlimits

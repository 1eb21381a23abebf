// Linux capabilities from the spec's process.capabilities (five sets), through libcap.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::caps {

// Checks that every name is a capability this kernel and libcap know
// ("process.capabilities.bounding: unknown capability \"CAP_FOO\"").
Result<> validate(const spec::Capabilities& caps);

// Called before changing uid: keeps permitted caps across setuid (PR_SET_KEEPCAPS).
Result<> keep_caps_across_setuid();
// Drops from the bounding set everything not listed. Needs CAP_SETPCAP: call before
// switching to a non-root user.
Result<> apply_bounding(const spec::Capabilities& caps);
// Sets effective/permitted/inheritable, then raises ambient. Call after setuid.
Result<> apply_sets(const spec::Capabilities& caps);

// Every capability name known to the running kernel ("CAP_CHOWN", ...), for `features`.
std::vector<std::string> known_capabilities();
std::optional<int> capability_from_name(const std::string& name);

}  // namespace berth::runtime::caps

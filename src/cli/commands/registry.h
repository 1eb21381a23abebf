// Internal: the registry commands (pull, push, login, logout, search, image pull/push) and
// the pull that run/create use for a missing image.
//
//   add_registry_commands(ctx, root, groups.image);   // from command_families()
//   BERTH_TRY(pull_image(ctx, "busybox", "", /*to_stderr=*/true, /*quiet=*/false));
#pragma once

#include <map>
#include <string>

#include "cli/commands/context.h"

namespace berth::cli {

void add_registry_commands(Context& ctx, CLI::App& root, CLI::App* image);

// POST /images/create?fromImage=... for `image` (":latest" added when it names no tag),
// with the registry's credentials in X-Registry-Auth, progress rendered to stderr (run,
// create) or stdout. The daemon's error message is the Error.
Result<> pull_image(Context& ctx, const std::string& image, const std::string& platform, bool to_stderr,
                    bool quiet);

// {"X-Registry-Auth": ...} for a registry domain ("docker.io", "127.0.0.1:5000") from the
// config files (see credentials.h).
Result<std::map<std::string, std::string>> registry_auth_headers(Context& ctx, const std::string& domain);

}  // namespace berth::cli

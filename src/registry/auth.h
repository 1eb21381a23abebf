// Private to the registry client: WWW-Authenticate challenges and the bearer token cache.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "registry/registry.h"

namespace berth::registry::auth {

struct Challenge {
    std::string scheme;                         // "bearer" or "basic" (lower-case)
    std::map<std::string, std::string> params;  // realm, service, scope, error...
};

// Parses the WWW-Authenticate values of a 401 (several challenges may share one header).
std::vector<Challenge> parse_challenges(const std::vector<std::string>& headers);

// A token for `scopes` from the challenge's realm, cached per (realm, service, scopes,
// user) until shortly before it expires. PermissionDenied when the realm refuses `creds`.
Result<std::string> bearer_token(const Config& cfg, const Challenge& ch,
                                 const std::vector<std::string>& scopes, const Credentials& creds);

}  // namespace berth::registry::auth

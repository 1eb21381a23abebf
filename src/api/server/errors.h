// Error kinds to Engine API status codes, with docker's {"message": "..."} body, following
// moby's errdefs -> HTTP mapping (api/server/httpstatus).
#pragma once

#include <string>

#include "api/server/request.h"
#include "common/error.h"

namespace berth::api {

// InvalidArgument 400, NotFound 404, AlreadyExists/Conflict 409, PermissionDenied 403,
// Unsupported 501 (moby's NotImplemented), Unavailable 503, Internal 500.
int http_status(ErrorKind kind);

Response error_response(int status, std::string message);
Response error_response(const Error& err);

}  // namespace berth::api

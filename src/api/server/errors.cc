// Error kind -> HTTP status mapping and docker's JSON error body.
#include "api/server/errors.h"

namespace berth::api {

int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::InvalidArgument:
            return 400;
        case ErrorKind::NotFound:
            return 404;
        case ErrorKind::AlreadyExists:
        case ErrorKind::Conflict:
            return 409;
        case ErrorKind::PermissionDenied:
            return 403;
        case ErrorKind::Unsupported:
            return 501;
        case ErrorKind::Unavailable:
            return 503;
        case ErrorKind::Internal:
            return 500;
    }
    return 500;
}

Response error_response(int status, std::string message) {
    return Response::json(status, Json{{"message", std::move(message)}});
}

Response error_response(const Error& err) {
    return error_response(http_status(err.kind()), err.str());
}

}  // namespace berth::api

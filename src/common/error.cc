#include "common/error.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace berth {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::InvalidArgument:
            return "invalid argument";
        case ErrorKind::NotFound:
            return "not found";
        case ErrorKind::AlreadyExists:
            return "already exists";
        case ErrorKind::Conflict:
            return "conflict";
        case ErrorKind::PermissionDenied:
            return "permission denied";
        case ErrorKind::Unavailable:
            return "unavailable";
        case ErrorKind::Unsupported:
            return "unsupported";
        case ErrorKind::Internal:
            return "internal";
    }
    return "unknown";
}

ErrorKind kind_from_errno(int err) {
    switch (err) {
        case ENOENT:
        case ESRCH:
            return ErrorKind::NotFound;
        case EEXIST:
            return ErrorKind::AlreadyExists;
        case EBUSY:
            return ErrorKind::Conflict;
        case EPERM:
        case EACCES:
        case EROFS:
            return ErrorKind::PermissionDenied;
        case EINVAL:
        case ENAMETOOLONG:
        case ELOOP:
        case ENOTDIR:
        case EISDIR:
        case EXDEV:
            return ErrorKind::InvalidArgument;
        case ENOSYS:
        case EOPNOTSUPP:
            return ErrorKind::Unsupported;
        case EAGAIN:
        case ENOSPC:
        case ENOMEM:
        case ETIMEDOUT:
        case ECONNREFUSED:
            return ErrorKind::Unavailable;
        default:
            return ErrorKind::Internal;
    }
}

Error Error::sys(std::string_view op, std::string_view path, int err) {
    std::string msg(op);
    if (!path.empty()) {
        msg += ' ';
        msg += path;
    }
    Error e(kind_from_errno(err), std::move(msg));
    e.errno_ = err;
    return e;
}

Error Error::from_wire(int kind, int err, std::string text) {
    if (kind < 0 || kind > static_cast<int>(ErrorKind::Internal))
        kind = static_cast<int>(ErrorKind::Internal);
    Error e(static_cast<ErrorKind>(kind), std::move(text));
    e.errno_ = err;
    return e;
}

std::string Error::str() const {
    std::string out;
    for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
        out += *it;
        out += ": ";
    }
    out += message_;
    if (errno_ != 0) {
        const char* name = strerrorname_np(errno_);
        out += ": ";
        out += name ? name : "errno " + std::to_string(errno_);
        out += " (";
        out += strerror(errno_);
        out += ')';
    }
    return out;
}

void assert_fail(const char* expr, const char* file, int line) {
    std::fprintf(stderr, "berth: assertion failed: %s at %s:%d\n", expr, file, line);
    std::abort();
}

}  // namespace berth

// process.rlimits: name -> RLIMIT_* and prlimit(2) on the calling process, with an error
// that explains the one failure users hit (raising a hard limit without CAP_SYS_RESOURCE).
#include "runtime/rlimits/rlimits.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace berth::runtime::rlimits {
namespace {

struct Entry {
    const char* name;
    int resource;
};

// Every limit the runtime spec allows (getrlimit(2) lists the same sixteen).
constexpr Entry kLimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

std::string limit_str(rlim_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
}

std::string errno_str(int err) {
    const char* name = strerrorname_np(err);
    return std::string(name ? name : "errno " + std::to_string(err)) + " (" + strerror(err) + ")";
}

Result<> apply_one(const spec::Rlimit& l) {
    auto resource = resource_from_name(l.type);
    if (!resource) return Error::invalid(l.type + ": unknown rlimit");
    std::string what = "set " + l.type + " to soft=" + limit_str(l.soft) + " hard=" + limit_str(l.hard);
    if (l.soft > l.hard) return Error::invalid(what + ": soft limit is above the hard limit");

    // The spec's uint64 values map onto rlim_t directly (RLIM_INFINITY is ~0 in both).
    struct rlimit want = {static_cast<rlim_t>(l.soft), static_cast<rlim_t>(l.hard)};
    struct rlimit old = {};
    if (::prlimit(0, static_cast<__rlimit_resource>(*resource), &want, &old) == 0) return ok();
    int err = errno;
    if (err == EPERM) {
        struct rlimit cur = {};
        if (::prlimit(0, static_cast<__rlimit_resource>(*resource), nullptr, &cur) == 0 &&
            want.rlim_max > cur.rlim_max) {
            // Error::str() would print errno after the hint; the hint must come last, so
            // the errno text is spelled into the message and the kind carries EPERM's class.
            return Error(ErrorKind::PermissionDenied,
                         what + ": " + errno_str(err) +
                             "; raising a hard limit needs CAP_SYS_RESOURCE (current hard limit " +
                             limit_str(cur.rlim_max) + ")");
        }
    }
    return Error::sys(what, {}, err);
}

}  // namespace

std::optional<int> resource_from_name(const std::string& name) {
    for (const auto& e : kLimits)
        if (name == e.name) return e.resource;
    return std::nullopt;
}

Result<> apply(const std::vector<spec::Rlimit>& limits) {
    for (const auto& l : limits) BERTH_TRY(apply_one(l));
    return ok();
}

}  // namespace berth::runtime::rlimits

// Seccomp filters from the spec's linux.seccomp, compiled with libseccomp.
//
// The filter is compiled in the runtime before the container is entered (libseccomp
// allocates and may need files such as /proc/self/status) and loaded in the child as the
// last step before execve.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/spec/spec.h"

namespace berth::runtime::seccomp {

class Filter {
public:
    Filter();
    ~Filter();
    Filter(Filter&&) noexcept;
    Filter& operator=(Filter&&) noexcept;

    // Compiles the spec's profile: defaultAction, defaultErrnoRet, architectures, flags
    // (SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW, _TSYNC), per-syscall rules with argument
    // conditions and errnoRet. Unknown syscall names are skipped, as runc does; an
    // unknown action, operator, architecture or flag is an error naming it.
    static Result<Filter> compile(const spec::Seccomp& profile);
    // Loads it into the calling thread (seccomp(2) via libseccomp).
    Result<> load() const;
    bool empty() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// For `features`: actions, operators and architectures we accept.
std::vector<std::string> known_actions();
std::vector<std::string> known_operators();
std::vector<std::string> known_architectures();
std::vector<std::string> known_flags();

}  // namespace berth::runtime::seccomp

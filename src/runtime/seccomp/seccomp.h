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
#include "common/json.h"
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
    // compile() through an on-disk cache in cache_dir (created 0700; the runtime root's
    // ".seccomp" dir): libseccomp's program for a profile is stored under the profile's full
    // text, so the next container with the same profile skips libseccomp, which costs ~15 ms
    // of CPU for Docker's default profile. A missing, stale or damaged entry is recompiled.
    static Result<Filter> compile_cached(const spec::Seccomp& profile, const std::string& cache_dir);
    // The BPF program's bytes (for tests and the cache).
    std::string program_bytes() const;
    // Loads it into the calling thread with seccomp(2): compile() already generated the
    // BPF with libseccomp, so this allocates nothing. Needs no_new_privs or CAP_SYS_ADMIN.
    Result<> load() const;
    bool empty() const;  // default-constructed: nothing to load

private:
    friend class Cache;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// For `features`: actions, operators and architectures we accept.
std::vector<std::string> known_actions();
std::vector<std::string> known_operators();
std::vector<std::string> known_architectures();
std::vector<std::string> known_flags();

// Docker's default profile (moby profiles/seccomp) as an OCI linux.seccomp object for the
// native architecture: errno EPERM by default, an allow list, socket/personality/clone
// argument rules, and the calls guarded by a capability (mount, unshare, setns... for
// CAP_SYS_ADMIN; kcmp, process_madvise... for CAP_SYS_PTRACE), included only when
// `effective_caps` lists it. Docker checks the container's capability list (its bounding
// set, which equals the effective set for the containers it creates).
Json docker_default_profile(const std::vector<std::string>& effective_caps);

}  // namespace berth::runtime::seccomp

// Drives an OCI runtime binary (berth-runtime, runc, crun) over the busybox bundle, so
// that every probe runs through each runtime and the answers can be compared.
#pragma once

#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test {

struct Runtime {
    std::string name;                 // "berth", "runc", "crun"
    std::vector<std::string> prefix;  // argv before the runtime's own arguments
    bool available = false;
};

inline void PrintTo(const Runtime& rt, std::ostream* os) {
    *os << rt.name;
}

// berth-runtime from the build, and runc / crun when installed. crun 1.8 refuses this
// hybrid cgroup layout, so it runs in a private mount namespace without the cgroup2 mount.
std::vector<Runtime> all_runtimes();
Runtime berth_runtime();

class RuntimeSession {
public:
    explicit RuntimeSession(Runtime rt);
    ~RuntimeSession();  // deletes (force) every container it created; removes its state root

    // `run` of a one-shot container on `bundle` with the given args; returns its result.
    CommandResult run(Bundle& bundle, const std::vector<std::string>& args, int timeout = 60);
    // A command that leaves a container behind (create, run -d): the container inherits
    // its stdio, so it gets files instead of pipes (a pipe would never reach EOF).
    CommandResult detached(const std::vector<std::string>& args);
    // Any runtime command with --root set.
    CommandResult cmd(const std::vector<std::string>& args, const std::string& input = {}, int timeout = 60);
    std::string new_id();
    const Runtime& runtime() const { return rt_; }
    const std::string& root() const { return root_.path(); }

private:
    Runtime rt_;
    TempDir root_;
    std::vector<std::string> ids_;
    int counter_ = 0;
};

}  // namespace berth::test

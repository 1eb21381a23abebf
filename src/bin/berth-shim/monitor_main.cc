// berth-monitor: the per-container monitor loop that berth-shim execs (see src/shim/monitor.h).
#include <cstdlib>

#include "shim/monitor.h"

// libstdc++'s default terminate handler prints the pending exception's demangled type,
// which links in the demangler: ~40 KB of text that every idle monitor would map, for a
// message written to /dev/null (our stderr). We never throw, so a terminate is a bug.
namespace __gnu_cxx {
void __verbose_terminate_handler() {
    std::abort();
}
}  // namespace __gnu_cxx

int main(int argc, char** argv) {
    return berth::shim::monitor_main(argc, argv);
}

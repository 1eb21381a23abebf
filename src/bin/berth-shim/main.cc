// berth-shim: the per-container supervisor (see src/shim/shim.h).
//   berth-shim --id ID --bundle DIR --state-dir DIR --runtime-root DIR [...]   (setup)
//     then execs berth-monitor (built and installed next to it; src/shim/monitor.h)
//   berth-shim init -- CMD...           (inside a container: docker run --init's PID 1)
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/container/container.h"
#include "shim/setup.h"
#include "shim/shim.h"

using namespace berth;

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "init") == 0) return shim::init_main(argc - 1, argv + 1);
    if (auto r = runtime::protect_binary(argc, argv); !r) {
        std::string line = "error 7 0 " + r.error().str() + "\n";
        (void)!write(3, line.data(), line.size());  // no line: berthd reports our exit status
        return 1;
    }
    auto opts = shim::Options::from_args(std::vector<std::string>(argv + 1, argv + argc));
    if (!opts) {
        std::string line = "error 0 0 " + opts.error().str() + "\n";
        (void)!write(3, line.data(), line.size());  // no line: berthd reports our exit status
        return 2;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = '\0';
    return shim::setup_main(*opts, self);
}

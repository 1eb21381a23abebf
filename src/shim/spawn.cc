// berthd's side of starting a shim: fork+exec berth-shim in a new session, with a pipe on
// fd 3 on which the shim reports "ok <init pid>" or "error <kind> <errno> <text>".
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "common/sys.h"
#include "shim/shim.h"

extern char** environ;

namespace berth::shim {

Result<Spawned> spawn_shim(const std::string& shim_path, const Options& opts) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return Error::sys("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) return Error::sys("open", "/dev/null");
    UniqueFd null_fd(devnull);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);

    std::vector<std::string> args = {"berth-shim"};
    auto rest = opts.to_args();
    args.insert(args.end(), rest.begin(), rest.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    int err = posix_spawn(&pid, shim_path.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return Error::sys("spawn", shim_path, err);
    wr.reset();
    // One line: the container's init keeps a copy of the pipe until it execs, so EOF
    // would not come before `start`.
    std::string line;
    char c;
    for (;;) {
        ssize_t n = sys::retry_eintr([&] { return ::read(rd.get(), &c, 1); });
        if (n <= 0 || c == '\n') break;
        line += c;
    }
    if (line.empty()) {
        // The shim died before reporting: reap it if it was ours and exited.
        int status = 0;
        (void)::waitpid(pid, &status, 0);  // our child: status stays 0 only if it vanished
        return Error::internal("berth-shim exited before the container was created (status " +
                               std::to_string(status) + ")");
    }
    if (starts_with(line, "ok ")) {
        Spawned s;
        s.shim_pid = pid;
        s.init_pid = std::stoi(line.substr(3));
        return s;
    }
    (void)::waitpid(pid, nullptr, 0);  // it reported and exits: reaping, its status is moot
    if (starts_with(line, "error ")) {
        int kind = 0, e = 0, off = 0;
        if (sscanf(line.c_str() + 6, "%d %d %n", &kind, &e, &off) >= 2)
            return Error::from_wire(kind, e, line.substr(6 + static_cast<size_t>(off)));
    }
    return Error::internal("berth-shim: " + line);
}

}  // namespace berth::shim

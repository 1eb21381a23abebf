// `berth-shim init -- CMD...`: a minimal init for `docker run --init`, bind-mounted read-only
// into the container as /sbin/docker-init (as Docker does with tini). As PID 1 it forwards
// signals to CMD, reaps every orphan that re-parents to it, and exits with CMD's status.
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "shim/shim.h"

namespace berth::shim {

int init_main(int argc, char** argv) {
    int first = 0;
    for (int i = 0; i < argc; ++i)
        if (strcmp(argv[i], "--") == 0) {
            first = i + 1;
            break;
        }
    if (first == 0 || first >= argc) {
        fprintf(stderr, "usage: berth-shim init -- COMMAND [ARG...]\n");
        return 2;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) {
        perror("berth-init: fork");
        return 1;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, nullptr);
        execvp(argv[first], argv + first);
        int err = errno;
        fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            (void)kill(child, sig);  // ESRCH once it exited; SIGKILL/SIGSTOP never reach us
            continue;
        }
        int status;
        for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;)
            if (p == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
}

}  // namespace berth::shim

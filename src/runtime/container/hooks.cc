// OCI hooks: each runs as a host process with the container state JSON on stdin; a
// non-zero exit or a timeout fails the phase (poststart/poststop only warn, as the spec says).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

namespace {

Result<> run_hook(const spec::Hook& h, const std::string& state_json) {
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) return Error::sys("pipe");
    UniqueFd rd(in[0]), wr(in[1]);
    pid_t pid = fork();
    if (pid < 0) return Error::sys("fork hook");
    if (pid == 0) {
        if (dup2(rd.get(), 0) < 0) _exit(126);  // the hook would read another stdin
        std::vector<char*> argv, envp;
        for (auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
        if (argv.empty()) argv.push_back(const_cast<char*>(h.path.c_str()));
        argv.push_back(nullptr);
        for (auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        execve(h.path.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    rd.reset();
    signal(SIGPIPE, SIG_IGN);
    (void)write_all(wr.get(), state_json, "hook stdin");  // a hook may ignore stdin; its exit status decides
    wr.reset();
    int status = 0;
    int timeout_ms = h.timeout ? *h.timeout * 1000 : -1;
    for (int waited = 0;; waited += 5) {
        pid_t r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return Error::sys("wait for hook", h.path);
        if (timeout_ms >= 0 && waited >= timeout_ms) {
            (void)::kill(pid, SIGKILL);      // ESRCH only: it is gone already
            (void)waitpid(pid, &status, 0);  // reaping; timing out is the error
            return Error::internal("hook " + h.path + " timed out after " + std::to_string(*h.timeout) + "s");
        }
        if (r == 0) {
            struct timespec ts {
                0, 5 * 1000 * 1000
            };
            nanosleep(&ts, nullptr);
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error::internal("hook " + h.path + " failed with status " +
                               std::to_string(wait_status_to_exit_code(status)));
    return ok();
}

}  // namespace

Result<> run_hooks(const std::vector<spec::Hook>& hooks, const ContainerState& st, const char* phase) {
    if (hooks.empty()) return ok();
    std::string state_json = dump_json(st.to_oci_json());
    for (size_t i = 0; i < hooks.size(); ++i) {
        auto r = run_hook(hooks[i], state_json);
        if (!r) return std::move(r.error()).with_context(std::string(phase) + " hook " + std::to_string(i));
    }
    return ok();
}

}  // namespace berth::runtime

// Private pieces shared by the files of the container component.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "common/json.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/container/container.h"
#include "runtime/seccomp/seccomp.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

// ---- state.cc: <root>/<id>/state.json ------------------------------------------------
struct SavedState {
    std::string id;
    pid_t pid = 0;
    unsigned long long pid_start = 0;  // /proc/<pid>/stat field 22, against pid reuse
    std::string bundle;
    std::string created;
    Json cgroup;  // Cgroup::to_json()
    Json config;  // the config.json the container was created from
    bool userns = false;
};

std::string container_dir(const GlobalOptions& g, const std::string& id);
std::string fifo_path(const GlobalOptions& g, const std::string& id);
Result<> validate_id(const std::string& id);
Result<> save_state(const GlobalOptions& g, const SavedState& s);
Result<SavedState> load_state(const GlobalOptions& g, const std::string& id);
Status derive_status(const GlobalOptions& g, const SavedState& s, cgroups::Cgroup* cg);
// A container's saved state, its cgroup (null when it cannot be reopened) and its status.
struct LoadedContainer {
    SavedState saved;
    std::unique_ptr<cgroups::Cgroup> cgroup;
    Status status = Status::Stopped;
};
Result<LoadedContainer> load_container(const GlobalOptions& g, const std::string& id);
std::optional<unsigned long long> process_start_time(pid_t pid);
ContainerState to_container_state(const GlobalOptions& g, const SavedState& s, Status st);

// ---- sync.cc: parent <-> child messages over a socketpair -----------------------------
enum class SyncMsg : int {
    MapsWritten = 1,  // parent -> child: uid/gid maps are in place
    CgroupJoined,     // parent -> child: child is in its cgroup (may unshare cgroupns)
    NsReady,          // child -> parent: namespaces set, run prestart/createRuntime hooks
    HooksDone,        // parent -> child
    Created,          // child -> parent: rootfs ready, waiting on the fifo (or go)
    Go,               // parent -> child (run without fifo)
    Error,            // child -> parent: payload is a wire Error
};

Result<> sync_send(int fd, SyncMsg msg, std::string_view payload = {});
// Waits for `want`; a received Error message is returned as that error; EOF is an error.
Result<std::string> sync_expect(int fd, SyncMsg want);
// Waits for the child's end to close (execve succeeded: it is close-on-exec) or for an
// Error message (setup or execve failed).
Result<> sync_wait_exec(int fd);
// In the child: reports an error to the parent, then _exit(code).
[[noreturn]] void child_fail(int fd, const Error& e, int code = 1);

// ---- console.cc ----------------------------------------------------------------------
// Opens a new pty pair inside the (container's) /dev/pts; returns {master, slave}.
Result<std::pair<UniqueFd, UniqueFd>> open_pty();
// Sends `fd` over the unix socket at `path` (or over the connected socket `sock`).
Result<> send_fd(int sock, int fd, std::string_view name);
Result<UniqueFd> connect_unix(const std::string& path);
Result<UniqueFd> recv_fd(int sock);
// Makes `slave` the controlling terminal and stdio of the calling process.
Result<> become_tty(int slave);
// Copies between our stdio and a pty master until `pid` exits; returns its wait status.
int proxy_pty(int master, pid_t pid);
Result<> set_winsize(int fd, unsigned rows, unsigned cols);

// ---- hooks.cc --------------------------------------------------------------------------
Result<> run_hooks(const std::vector<spec::Hook>& hooks, const ContainerState& st, const char* phase);

// ---- namespaces.cc ---------------------------------------------------------------------
struct NsPlan {
    int clone_flags = 0;    // new namespaces created by clone()
    int unshare_flags = 0;  // new namespaces the child unshares later (cgroup, and all
                            // of them when joining a user ns by path)
    std::vector<std::pair<spec::NamespaceType, std::string>> join;  // setns in the child
    std::string pid_path;                                           // joined by the parent before clone
    bool new_userns = false;
};
Result<NsPlan> plan_namespaces(const spec::Linux* linux);
Result<> write_id_maps(pid_t pid, const spec::Linux& linux);
// Child side: setns into each path (user namespace first).
Result<> join_namespaces(const std::vector<std::pair<spec::NamespaceType, std::string>>& join);
Result<> setns_path(const std::string& path, int nstype);

// ---- process.cc: the last steps before execve, shared by init and exec ----------------
struct ProcessContext {
    const spec::Process* process = nullptr;
    const seccomp::Filter* filter = nullptr;  // compiled in the parent
    bool in_userns = false;
    int preserve_fds = 0;  // fds 3..3+N-1 stay open across exec
};
// rlimits, no_new_privs, caps, user, cwd, seccomp, execve. Only returns on error.
Error exec_process(const ProcessContext& ctx);
// Finds `file` in PATH from env (as execvp would) inside the current root.
Result<std::string> find_executable(const std::string& file, const std::vector<std::string>& env);

// ---- signals -------------------------------------------------------------------------
int wait_status_to_exit_code(int status);

}  // namespace berth::runtime

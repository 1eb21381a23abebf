// berth-runtime's operations on one container, callable in-process (the CLI in
// src/bin/berth-runtime is a thin front; the shim and daemon call these directly).
//
// The model is the OCI runtime spec's lifecycle, with runc's command line:
//   create  -> the container's init is set up (namespaces, cgroups, rootfs, console) and
//              waits, in state "created", on <root>/<id>/exec.fifo
//   start   -> opens the fifo: init runs the user process (state "running")
//   kill    -> signal to init (or to every process with `all`)
//   delete  -> removes cgroup and state once "stopped" (force: kill first)
//   run     -> create + start, then (unless detached) wait and return the exit status
//   exec    -> a new process joining every namespace and the cgroup of a running container
// State lives in <root>/<id>/state.json; the status is derived from the init's pid (and
// its start time, against pid reuse), the fifo, and the freezer.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "common/json.h"

namespace berth::runtime {

struct GlobalOptions {
    std::string root = "/run/berth-runtime";  // state directory (runc's --root)
};

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string console_socket;  // unix socket path that receives the pty master
    int console_socket_fd = -1;  // or an already connected socket (in-process callers)
    std::string pid_file;
    int preserve_fds = 0;  // extra fds (3..3+N-1) passed to the container
    bool no_pivot = false;
    bool no_new_keyring = false;
};

struct ExecOptions {
    std::string id;
    std::string process_file;          // --process: a JSON `process` object
    std::vector<std::string> args;     // inline args (when no process file)
    std::vector<std::string> env;      // -e KEY=VALUE (added to the container's env)
    std::string cwd;                   // --cwd
    std::string user;                  // -u uid[:gid]
    std::vector<std::string> cap_add;  // --cap
    bool tty = false;                  // -t
    bool detach = false;               // -d
    bool no_new_privs = false;
    std::string console_socket;
    std::string pid_file;
    int preserve_fds = 0;
};

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

struct ContainerState {
    std::string id;
    Status status = Status::Stopped;
    pid_t pid = 0;  // 0 once stopped
    std::string bundle;
    std::string created;  // RFC 3339
    std::string owner;
    Json annotations = Json::object();
    Json to_oci_json() const;  // the spec's state document (what `state` prints)
};

Result<> create(const GlobalOptions& g, const CreateOptions& opts);
Result<> start(const GlobalOptions& g, const std::string& id);
// Returns the container's exit status (128+signal when killed), or 0 when detached.
Result<int> run(const GlobalOptions& g, const CreateOptions& opts, bool detach, bool keep);
Result<ContainerState> state(const GlobalOptions& g, const std::string& id);
Result<std::vector<ContainerState>> list(const GlobalOptions& g);
Result<> kill(const GlobalOptions& g, const std::string& id, int signal, bool all);
Result<> remove(const GlobalOptions& g, const std::string& id, bool force);
Result<> pause(const GlobalOptions& g, const std::string& id);
Result<> resume(const GlobalOptions& g, const std::string& id);
Result<std::vector<pid_t>> processes(const GlobalOptions& g, const std::string& id);
// Returns the exec'd process's exit status, or 0 when detached.
Result<int> exec(const GlobalOptions& g, const ExecOptions& opts);
// Resource usage of the container's cgroup (runc `events --stats` shape).
Result<Json> stats(const GlobalOptions& g, const std::string& id);
// The runtime-spec "features" document.
Json features();

// Receives the pty master sent over a console socket (the other end of console_socket_fd).
Result<UniqueFd> receive_console(int sock);

// "KILL", "SIGKILL", "9" -> 9.
Result<int> parse_signal(const std::string& s);

// CVE-2019-5736: re-executes the current binary from a read-only bind mount in a private
// mount namespace, so a container can never open the host binary for writing through
// /proc/<pid>/exe. Returns only when already protected (or on error); call first thing
// in main() of every program that enters containers.
Result<> protect_binary(int argc, char** argv);

}  // namespace berth::runtime

// Test support shared by integration tests: root checks, temp dirs, running commands,
// and the busybox OCI bundle fixture (tests/fixtures/make-busybox-bundle).
#pragma once

#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"

#define BERTH_REQUIRE_ROOT()                                            \
    do {                                                                \
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (euid != 0)"; \
    } while (0)

namespace berth::test {

// A directory under /tmp removed (recursively, never across mounts) when it goes away.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "berth-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct CommandResult {
    int exit_code = -1;  // -1 if killed by a signal (see signal)
    int signal = 0;
    std::string out;
    std::string err;
};

// Runs argv (no shell), feeding `input` on stdin, with a timeout; captures both streams.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          int timeout_seconds = 60);
// Runs a shell command line.
CommandResult run_shell(const std::string& cmd, int timeout_seconds = 60);

// Runs fn in a forked child; returns what fn returned (sent back over a pipe), with
// " [child failed]" appended when the child did not exit cleanly.
std::string run_in_child(const std::function<std::string()>& fn);

// A TCP port on 127.0.0.1 nothing listens on now (the kernel's pick for port 0).
int free_port();

// A unix socket bound at `path` (listening when `backlog` > 0), as a server or systemd
// makes one; -1 when it cannot be made.
int bind_unix_socket(const std::string& path, int type, int backlog = 0);

// A datagram socket a child is told of by $NOTIFY_SOCKET (systemd's readiness protocol):
// wait_for returns once a message holding `state` arrives, false if `child` exits first or
// the time runs out. Removed when this goes away.
class NotifySocket {
public:
    explicit NotifySocket(std::string path);
    ~NotifySocket();
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    bool ok() const { return fd_ >= 0; }
    const std::string& path() const { return path_; }
    bool wait_for(const std::string& state, pid_t child, int timeout_ms);
    const std::string& received() const { return received_; }  // every message so far

private:
    std::string path_, received_;
    int fd_ = -1;
};

// The names in `dir` that do not start with '.', sorted (what a test compares before/after).
std::vector<std::string> visible_entries(const std::string& dir);

std::string source_dir();                     // BERTH_SOURCE_DIR, or the path compiled in
std::string build_dir();                      // BERTH_BUILD_DIR
std::string binary(const std::string& name);  // build_dir()/src/bin/<name>/<name>

// The busybox fixture: one rootfs per test process, made once and used read-only
// (root.readonly), and a fresh bundle dir per Bundle whose config.json points at it.
class Bundle {
public:
    Bundle();
    const std::string& dir() const { return dir_.path(); }
    const std::string& rootfs() const;
    // The default config (berth-runtime spec) with terminal=false and the given args.
    Json& config() { return config_; }
    void set_args(const std::vector<std::string>& args);
    void write_config() const;

    static const std::string& shared_rootfs();

private:
    TempDir dir_;
    Json config_;
};

}  // namespace berth::test

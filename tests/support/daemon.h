// A berthd for integration tests: its own data root, exec root and socket under a temp
// dir, started as a child process, driven with curl, the real docker CLI or berth, and
// stopped (SIGTERM, or SIGKILL to test crash recovery). Cleans up its containers, mounts
// and cgroups at the end, even when the test failed half-way.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test {

// A test daemon's own default bridge, nftables table and address block (its bip and the pool
// of the networks it creates), so suites running at once (and a berthd the machine runs)
// never share or tear down each other's; removed (with the table's rules) when this goes away.
class NetworkIsolation {
public:
    NetworkIsolation();
    ~NetworkIsolation();
    NetworkIsolation(const NetworkIsolation&) = delete;
    NetworkIsolation& operator=(const NetworkIsolation&) = delete;
    // daemon.json text with "bridge", "nft-table" and "bip" added where it has none.
    std::string apply(const std::string& daemon_json) const;
    const std::string& bridge() const { return bridge_; }
    const std::string& nft_table() const { return nft_table_; }
    const std::string& bip() const { return bip_; }
    const std::string& pool() const { return pool_; }  // default-address-pools base (a /16)

private:
    std::string bridge_, nft_table_, bip_, pool_;
    int block_ = -1;
};

class Daemon {
public:
    explicit Daemon(const std::string& name = "berthd");
    ~Daemon();  // stop(), then removes every container it left and the temp dir

    // Writes daemon.json (default "{}") and starts berthd; waits until /_ping answers.
    bool start(const std::string& daemon_json = "{}", std::vector<std::string> extra = {});
    int stop();    // SIGTERM; returns the wait status
    void kill9();  // SIGKILL, as a crash
    pid_t pid() const { return pid_; }

    const std::string& dir() const { return dir_->path(); }
    const std::string& socket() const { return sock_; }
    const NetworkIsolation& network() const { return net_; }
    std::string host() const { return "unix://" + sock_; }

    CommandResult curl(std::vector<std::string> args) const;
    CommandResult docker(std::vector<std::string> args, const std::string& input = {},
                         int timeout = 60) const;
    // Loads the busybox fixture image (tests/fixtures/make-busybox-image) as busybox:latest.
    bool load_busybox() const;

private:
    std::unique_ptr<TempDir> dir_;
    std::string sock_;
    NetworkIsolation net_;
    pid_t pid_ = 0;
};

// A test with a started berthd of its own holding the busybox image, driven through the
// docker CLI: docker() answers as it ran, out() expects success and trims. Needs root.
class DaemonTest : public ::testing::Test {
protected:
    explicit DaemonTest(std::string name) : name_(std::move(name)) {}
    void SetUp() override;
    CommandResult docker(std::vector<std::string> args, const std::string& input = {}) {
        return d_->docker(std::move(args), input);
    }
    std::string out(std::vector<std::string> args);

    std::unique_ptr<Daemon> d_;

private:
    std::string name_;
};

// Forks and execs berthd (args[0] is its path) with $NOTIFY_SOCKET set, and waits for its
// READY=1 as systemd does for berth.service, instead of polling its socket. Output goes to
// `log` when given (else it is inherited). Returns the pid, or -1 if berthd exited or was
// not ready within `timeout_ms` (then it is killed and reaped).
pid_t spawn_berthd(const std::vector<std::string>& args, const std::string& dir, const std::string& log = "",
                   int timeout_ms = 30000);

// The busybox docker-archive, built once per test binary.
const std::string& busybox_image_tar();

}  // namespace berth::test

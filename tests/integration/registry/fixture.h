// Shared pieces of the registry integration tests: a berthd per test (RegistryTest) with a
// view of its content store, the hostile registry (tests/fixtures/hostile-registry), and the
// docker CLI run with its own DOCKER_CONFIG (so `docker login` never writes root's ~/.docker).
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "support/daemon.h"
#include "support/registry.h"
#include "support/support.h"

namespace berth::test {

inline const char* kDocker = "/usr/local/bin/docker";
inline const char* kRegistry = "/usr/bin/docker-registry";  // run by support::Registry

// tests/fixtures/hostile-registry in one MODE on a free port, killed when this goes.
class Hostile {
public:
    explicit Hostile(const std::string& mode) : port_(free_port()) {
        child_ = std::make_unique<Child>(
            std::vector<std::string>{"/usr/bin/python3", source_dir() + "/tests/fixtures/hostile-registry",
                                     mode, std::to_string(port_)},
            dir_.path() + "/log");
        ready_ = wait_http_url("http://127.0.0.1:" + std::to_string(port_) + "/v2/");
    }
    bool ready() const { return ready_; }
    std::string image() const { return "127.0.0.1:" + std::to_string(port_) + "/bad/image"; }

private:
    TempDir dir_{"berth-hostile"};
    int port_;
    std::unique_ptr<Child> child_;
    bool ready_ = false;
};

// The docker CLI against `d` with DOCKER_CONFIG=`config_dir` (credentials of docker login).
inline CommandResult docker_with_config(const Daemon& d, const std::string& config_dir,
                                        std::vector<std::string> args, const std::string& input = {},
                                        int timeout = 60) {
    std::vector<std::string> argv = {"/usr/bin/env", "DOCKER_CONFIG=" + config_dir, kDocker, "-H", d.host()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input, timeout);
}

// What a berthd holds: content-store blobs and unpacked layers (a failed pull changes neither).
inline std::vector<std::string> store_blobs(const Daemon& d) {
    return visible_entries(d.dir() + "/data/content/blobs/sha256");
}
inline std::vector<std::string> store_layers(const Daemon& d) {
    std::vector<std::string> out;
    for (auto& n : visible_entries(d.dir() + "/data/overlay"))
        if (n.size() == 64) out.push_back(n);
    return out;
}

inline bool have_registry_tools() {
    return access(kDocker, X_OK) == 0 && access(kRegistry, X_OK) == 0;
}

// A started berthd (default daemon.json) per test; skipped without root, failed without the tools.
class RegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        ASSERT_TRUE(have_registry_tools())
            << "no docker CLI at " << kDocker << " or docker-registry at " << kRegistry;
        ASSERT_TRUE(daemon_.start());
    }
    std::vector<std::string> blobs() const { return store_blobs(daemon_); }
    std::vector<std::string> layers() const { return store_layers(daemon_); }
    Daemon daemon_;
};

}  // namespace berth::test

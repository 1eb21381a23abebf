// Registries for integration tests: Debian's docker-registry (distribution 2.8) on
// 127.0.0.1 with filesystem storage in a temp dir, optionally behind htpasswd Basic auth,
// serving HTTPS with a certificate from a CA the test makes, or acting as a pull-through
// cache (mirror) of another registry. Killed (SIGKILL) and removed when the object goes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test {

// A child process with stdout/stderr in `log`, killed (SIGKILL) and reaped when the object goes.
class Child {
public:
    Child(std::vector<std::string> argv, const std::string& log);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    pid_t pid() const { return pid_; }
    void kill();  // SIGKILL now (e.g. an upstream stopped half-way)

private:
    pid_t pid_ = -1;
};

// A test CA and a server certificate it signs for 127.0.0.1 / localhost, plus a client
// certificate it signs (openssl CLI).
struct TestCa {
    explicit TestCa(const std::string& dir);
    bool ok = false;
    std::string ca_crt, server_crt, server_key, client_cert, client_key;
};

struct RegistryOptions {
    std::string htpasswd_user, htpasswd_password;  // non-empty: Basic auth (htpasswd -B)
    const TestCa* tls = nullptr;                   // set: HTTPS with this CA's server certificate
    bool require_client_cert = false;              // with tls: clients need a certificate of that CA
    std::string proxy_remote_url;                  // non-empty: a pull-through cache of that registry
};

class Registry {
public:
    explicit Registry(RegistryOptions options = {});
    bool ready() const { return ready_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string url() const { return (options_.tls ? "https://" : "http://") + host(); }
    void kill() { child_.reset(); }
    const std::string& log() const;

private:
    RegistryOptions options_;
    TempDir dir_{"berth-registry"};
    int port_;
    std::unique_ptr<Child> child_;
    std::string log_;
    bool ready_ = false;
};

// Waits (up to 10 s) until GET <url> answers (any status below 500 with curl -k and `curl_args`).
bool wait_http_url(const std::string& url, const std::vector<std::string>& curl_args = {});

// skopeo's view of a registry image's digest ("" when it cannot be read).
std::string skopeo_digest(const std::string& ref);

}  // namespace berth::test

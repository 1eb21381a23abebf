// Registry fixtures for integration tests (registry.h).
#include "support/registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/file.h"
#include "common/strings.h"

namespace berth::test {

Child::Child(std::vector<std::string> argv, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
}

Child::~Child() {
    kill();
}

void Child::kill() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

TestCa::TestCa(const std::string& dir) {
    ca_crt = dir + "/ca.crt";
    server_crt = dir + "/server.crt";
    server_key = dir + "/server.key";
    client_cert = dir + "/client.cert";
    client_key = dir + "/client.key";
    std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/ext.cnf";
    auto r = run_shell(
        "set -e; cd '" + dir +
        "'; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca -keyout ca.key -out "
        "ca.crt 2>/dev/null; openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
        "-out server.csr 2>/dev/null; printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf; "
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "
        "ext.cnf -out server.crt 2>/dev/null; openssl req -newkey rsa:2048 -nodes -subj /CN=berth-client "
        "-keyout client.key -out client.csr 2>/dev/null; openssl x509 -req -in client.csr -CA ca.crt "
        "-CAkey ca.key -CAcreateserial -days 2 -out client.cert 2>/dev/null");
    ok = r.exit_code == 0;
}

bool wait_http_url(const std::string& url, const std::vector<std::string>& curl_args) {
    std::vector<std::string> argv = {"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}"};
    argv.insert(argv.end(), curl_args.begin(), curl_args.end());
    argv.push_back(url);
    for (int i = 0; i < 100; ++i) {
        auto r = run_command(argv);
        if (r.exit_code == 0 && !r.out.empty() && r.out[0] != '0' && r.out[0] != '5') return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

Registry::Registry(RegistryOptions options) : options_(std::move(options)), port_(free_port()) {
    std::string cfg = dir_.path() + "/config.yml";
    std::string yml =
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + dir_.path() +
        "/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
    if (options_.tls)
        yml += "  tls:\n    certificate: " + options_.tls->server_crt +
               "\n    key: " + options_.tls->server_key + "\n";
    if (options_.tls && options_.require_client_cert)
        yml += "    clientcas:\n      - " + options_.tls->ca_crt + "\n";
    if (!options_.htpasswd_user.empty()) {
        std::string file = dir_.path() + "/htpasswd";
        auto h = run_command({"htpasswd", "-Bbn", options_.htpasswd_user, options_.htpasswd_password});
        if (h.exit_code != 0 || !write_file_atomic(file, h.out)) return;
        yml += "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + file + "\n";
    }
    if (!options_.proxy_remote_url.empty()) yml += "proxy:\n  remoteurl: " + options_.proxy_remote_url + "\n";
    if (!write_file_atomic(cfg, yml)) return;
    log_ = dir_.path() + "/log";
    child_ =
        std::make_unique<Child>(std::vector<std::string>{"/usr/bin/docker-registry", "serve", cfg}, log_);
    std::vector<std::string> curl_args;
    if (options_.tls && options_.require_client_cert)
        curl_args = {"--cert", options_.tls->client_cert, "--key", options_.tls->client_key};
    ready_ = wait_http_url(url() + "/v2/", curl_args);
}

const std::string& Registry::log() const {
    return log_;
}

std::string skopeo_digest(const std::string& ref) {
    auto r = run_command(
        {"skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + ref});
    return r.exit_code == 0 ? trim(r.out) : "";
}

}  // namespace berth::test

// berthd: the Berth daemon. Reads /etc/berth/daemon.json (flags override it), listens on
// its unix socket (and TCP with TLS when asked), and serves the Docker Engine API.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "api/handlers/handlers.h"
#include "api/server/http_server.h"
#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/systemd.h"
#include "common/version.h"
#include "daemon/config/config.h"
#include "daemon/containers/containers.h"
#include "daemon/events/events.h"
#include "daemon/images/image_service.h"  // images
#include "daemon/networks/network_service.h"
#include "daemon/volumes/volume_service.h"

using namespace berth;

namespace {

constexpr const char* kDefaultConfig = "/etc/berth/daemon.json";
constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";

struct Flags {
    std::string config_file = kDefaultConfig;
    std::optional<std::string> data_root, exec_root, pidfile, log_level, group;
    std::optional<std::string> tlscacert, tlscert, tlskey;
    std::vector<std::string> hosts;
    bool debug = false, tlsverify = false, tls = false, insecure_tcp = false;
};

Result<daemon::Config> load_config(const Flags& f, bool config_given) {
    daemon::Config c;
    BERTH_TRY(daemon::load_file(c, f.config_file, config_given));
    if (f.data_root) c.data_root = *f.data_root;
    if (f.exec_root) c.exec_root = *f.exec_root;
    if (f.pidfile) c.pidfile = *f.pidfile;
    if (f.log_level) c.log_level = *f.log_level;
    if (f.group) c.group = *f.group;
    if (f.tlscacert) c.tlscacert = *f.tlscacert;
    if (f.tlscert) c.tlscert = *f.tlscert;
    if (f.tlskey) c.tlskey = *f.tlskey;
    if (!f.hosts.empty()) c.hosts = f.hosts;
    c.debug |= f.debug;
    c.tlsverify |= f.tlsverify;
    c.tls |= f.tls;
    c.insecure_tcp |= f.insecure_tcp;
    if (c.hosts.empty()) c.hosts = {kDefaultHost};
    BERTH_TRY(daemon::validate(c));
    return c;
}

// berth-shim and berth-runtime: $BERTH_SHIM/$BERTH_RUNTIME, else next to berthd (installed
// side by side), else the build tree's layout (src/bin/<name>/<name>), else PATH.
std::string helper_binary(const std::string& name, const char* env) {
    if (const char* v = getenv(env); v && *v) return v;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        std::string dir(self);
        dir.erase(dir.rfind('/'));
        for (auto candidate : {dir + "/" + name, dir + "/../" + name + "/" + name})
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    for (auto& d : split(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin", ':'))
        if (access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
    return name;
}

Result<> write_pidfile(const std::string& path) {
    if (auto old = read_file(path)) {
        pid_t pid = atoi(old->c_str());
        if (pid > 0 && pid != getpid() && kill(pid, 0) == 0)
            return Error::conflict("pid file " + path + " names a running process (" + std::to_string(pid) +
                                   "): is berthd already running?");
    }
    BERTH_TRY(mkdir_all(path.substr(0, path.rfind('/')), 0755));
    return write_file_atomic(path, std::to_string(getpid()) + "\n");
}

Result<> add_listeners(api::HttpServer& server, const daemon::Config& c) {
    std::optional<std::vector<int>> passed;  // fd:// (berth.socket): what systemd opened for us
    for (auto& h : c.hosts) {
        auto addr = BERTH_TRY(daemon::parse_host(h));
        if (addr.kind == daemon::HostAddr::Kind::Fd) {
            if (!passed) passed = systemd::listen_fds();
            // fd:// takes them all, fd://N that one; each is taken once.
            std::vector<int> take;
            auto named = std::find(passed->begin(), passed->end(), addr.fd);
            if (addr.fd < 0)
                take.swap(*passed);
            else if (named != passed->end())
                take.push_back(*named), passed->erase(named);
            if (take.empty())
                return Error::invalid(h +
                                      ": no socket was passed by systemd (LISTEN_FDS); start berthd "
                                      "through berth.socket or use -H unix:///path");
            for (int fd : take) BERTH_TRY_CTX(server.listen_fd(fd), "listen on " + h);
            continue;
        }
        if (addr.kind == daemon::HostAddr::Kind::Unix) {
            BERTH_TRY(mkdir_all(addr.path.substr(0, addr.path.rfind('/')), 0755));
            BERTH_TRY_CTX(server.listen_unix({addr.path, 0660, c.group}), "listen on " + h);
            continue;
        }
        api::TcpListenerConfig t;
        t.address = addr.host;
        t.port = addr.port;
        t.tls = {c.tlsverify ? c.tlscacert : "", c.tlscert, c.tlskey};
        t.insecure = c.insecure_tcp && c.tlscert.empty();
        if (t.insecure)
            log::warn("!!! " + h +
                      ": plain TCP WITHOUT TLS: anyone who can reach this port controls the host "
                      "as root !!!");
        BERTH_TRY_CTX(server.listen_tcp(t), "listen on " + h);
    }
    return ok();
}

// Logging as configured, the state directories and the pid file: what must hold before
// any service opens.
Result<> prepare_process(const daemon::Config& c) {
    // One malloc arena per two handler threads at most: the daemon is I/O bound, and every
    // arena keeps its own free pages (idle RSS).
    mallopt(M_ARENA_MAX, 2);
    log::Level level;
    if (log::parse_level(c.debug ? "debug" : c.log_level, &level)) log::set_level(level);
    for (auto& w : c.warnings) log::warn(w);
    for (auto* dir : {&c.data_root, &c.exec_root}) BERTH_TRY(mkdir_all(*dir, 0711));
    return write_pidfile(c.pidfile);
}

// SIGINT and SIGTERM are taken synchronously (sigwait in serve); they must be blocked
// before any thread starts.
sigset_t block_stop_signals() {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return stop_signals;
}

daemon::networks::ServiceOptions network_options(const daemon::Config& c) {
    daemon::networks::ServiceOptions no;
    no.data_root = c.data_root;
    no.bridge_name = c.bridge;
    no.bip = c.bip;
    for (auto& p : c.default_address_pools) no.address_pools.emplace_back(p.base, p.size);
    no.mtu = c.mtu;
    no.icc = c.icc;
    no.ip_forward = c.ip_forward;
    no.iptables = c.iptables;
    no.nft_table = c.nft_table;
    return no;
}

daemon::containers::ManagerOptions manager_options(const daemon::Config& c) {
    daemon::containers::ManagerOptions mo;
    mo.data_root = c.data_root;
    mo.exec_root = c.exec_root;
    mo.shim_path = helper_binary("berth-shim", "BERTH_SHIM");
    mo.runtime_path = helper_binary("berth-runtime", "BERTH_RUNTIME");
    mo.live_restore = c.live_restore;
    if (auto it = c.log_opts.find("max-size"); it != c.log_opts.end())
        if (auto v = daemon::parse_byte_size(it->second)) mo.log_max_size = *v;
    if (auto it = c.log_opts.find("max-file"); it != c.log_opts.end())
        mo.log_max_file = std::max(1, atoi(it->second.c_str()));
    return mo;
}

// The Engine API: /info and friends, then the images, containers, volumes and networks routes.
Result<> add_routes(api::Router& router, const daemon::Config& c, daemon::EventBus& events,
                    daemon::images::ImageService* images,  // images
                    daemon::containers::ContainerManager* containers,
                    daemon::networks::NetworkService* networks, daemon::volumes::VolumeService* volumes) {
    api::SystemServices services{&c, &events};
    services.images = images;  // images
    services.containers = containers;
    services.volumes = volumes;
    BERTH_TRY(api::add_system_routes(router, services));
    BERTH_TRY(api::add_image_routes(router, images, &events));  // images
    BERTH_TRY(api::add_container_routes(router, containers, &events));
    BERTH_TRY(api::add_volume_routes(router, volumes));
    return api::add_network_routes(router, networks, containers);
}

// The unix sockets berthd made (not those systemd passed it), and its pid file.
void remove_sockets_and_pidfile(const daemon::Config& c) {
    for (auto& h : c.hosts)
        if (auto addr = daemon::parse_host(h); addr && addr->kind == daemon::HostAddr::Kind::Unix)
            (void)::unlink(addr->path.c_str());  // at exit: the next start replaces what is left
    (void)::unlink(c.pidfile.c_str());           // likewise: a stale pid file names no berthd
}

int serve(const daemon::Config& c) {
    if (auto r = prepare_process(c); !r) return log::error(r.error().str()), 1;
    sigset_t stop_signals = block_stop_signals();

    daemon::EventBus events;
    auto images = daemon::images::ImageService::open(c.data_root, &events);                      // images
    if (!images) return log::error(images.error().str()), 1;                                     // images
    (*images)->set_registry_options({.registry = {.insecure_registries = c.insecure_registries,  // registry
                                                  .mirrors = c.registry_mirrors,
                                                  .certs_dir = c.registry_certs_dir,
                                                  .stall_seconds = c.registry_stall_timeout},
                                     .max_concurrent_downloads = c.max_concurrent_downloads,
                                     .max_concurrent_uploads = c.max_concurrent_uploads});
    auto networks = daemon::networks::NetworkService::open(network_options(c), &events);
    if (!networks) return log::error(networks.error().str()), 1;
    auto volumes = daemon::volumes::VolumeService::open(c.data_root, &events);
    if (!volumes) return log::error(volumes.error().str()), 1;
    auto containers = daemon::containers::ContainerManager::open(manager_options(c), images->get(),
                                                                 networks->get(), &events, volumes->get());
    if (!containers) return log::error(containers.error().str()), 1;
    (*volumes)->set_users([m = containers->get()](const std::string& name) { return m->volume_users(name); });
    (*images)->set_image_users(
        [m = containers->get()](const daemon::images::Digest& id) { return m->image_users(id); });
    api::Router router;
    if (auto r =
            add_routes(router, c, events, images->get(), containers->get(), networks->get(), volumes->get());
        !r)
        return log::error(r.error().str()), 1;
    api::HttpServer server(api::ServerConfig{}, std::move(router));
    auto started = add_listeners(server, c);
    if (started) started = server.start();
    if (!started) {
        log::error(started.error().str());
        (void)::unlink(c.pidfile.c_str());  // failing anyway; a stale pid file names no berthd
        return 1;
    }
    log::info("berthd listening on " + c.hosts.front());
    // Type=notify: systemd counts the service started (and berth.socket's queued clients
    // are served) from here on.
    if (auto r = systemd::notify("READY=1\nSTATUS=serving the Engine API"); !r) log::warn(r.error().str());
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log::info(std::string("berthd: ") + sigabbrev_np(sig) + ", shutting down");
    if (auto r = systemd::notify("STOPPING=1"); !r) log::warn(r.error().str());
    events.close();
    (*containers)->shutdown();  // without live-restore, stops the containers
    server.stop();
    remove_sockets_and_pidfile(c);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berthd: the Berth container engine daemon (Docker Engine API)", "berthd"};
    app.set_version_flag("-v,--version",
                         std::string("Berth version ") + berth_version() + ", build " + berth_git_commit());
    Flags f;
    auto* cfg_opt =
        app.add_option("--config-file", f.config_file, "daemon configuration file")->capture_default_str();
    app.add_option("--data-root", f.data_root, "root of persistent state (default /var/lib/berth)");
    app.add_option("--exec-root", f.exec_root, "root of runtime state (default /run/berth)");
    app.add_option(
        "-H,--host", f.hosts,
        "listen address: unix:///path, tcp://host:port or fd:// (systemd socket activation); repeatable");
    app.add_option("-l,--log-level", f.log_level, "debug, info, warn, error, fatal");
    app.add_option("-p,--pidfile", f.pidfile, "pid file (default /run/berth/berthd.pid)");
    app.add_option("-G,--group", f.group, "group owning the unix socket (when it exists)");
    app.add_flag("-D,--debug", f.debug, "debug logging");
    app.add_flag("--tls", f.tls, "use TLS on TCP listeners");
    app.add_flag("--tlsverify", f.tlsverify, "TLS and verify client certificates");
    app.add_option("--tlscacert", f.tlscacert, "CA that signs client certificates");
    app.add_option("--tlscert", f.tlscert, "server certificate");
    app.add_option("--tlskey", f.tlskey, "server key");
    app.add_flag("--insecure-tcp", f.insecure_tcp, "allow plain TCP without TLS (dangerous)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    auto c = load_config(f, cfg_opt->count() > 0);
    if (!c) {
        std::cerr << "berthd: " << c.error().str() << "\n";
        return 1;
    }
    return serve(*c);
}

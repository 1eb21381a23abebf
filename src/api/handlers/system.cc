// System endpoints: /_ping, /version and the /events stream (Docker Engine API 1.47).
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "api/handlers/handlers.h"
#include "api/server/http_server.h"
#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/version.h"
#include "daemon/containers/containers.h"
#include "daemon/images/image_service.h"
#include "daemon/volumes/volume_service.h"

namespace berth::api {

namespace {

constexpr const char* kMinApi = "1.24";
constexpr const char* kMaxApi = "1.47";

std::string kernel_version() {
    struct utsname u;
    return uname(&u) == 0 ? u.release : "";
}

Json version_json(const SystemServices& s) {
    std::string kernel = kernel_version();
    Json details = {{"ApiVersion", kMaxApi},
                    {"MinAPIVersion", kMinApi},
                    {"GitCommit", berth_git_commit()},
                    {"GoVersion", "n/a (C++20)"},
                    {"Os", "linux"},
                    {"Arch", "amd64"},
                    {"KernelVersion", kernel},
                    {"BuildTime", __DATE__ " " __TIME__}};
    return {{"Platform", {{"Name", "Berth"}}},
            {"Components", {{{"Name", "Engine"}, {"Version", s.version}, {"Details", details}}}},
            {"Version", s.version},
            {"ApiVersion", kMaxApi},
            {"MinAPIVersion", kMinApi},
            {"GitCommit", berth_git_commit()},
            {"GoVersion", "n/a (C++20)"},
            {"Os", "linux"},
            {"Arch", "amd64"},
            {"KernelVersion", kernel},
            {"BuildTime", __DATE__ " " __TIME__}};
}

// since/until: unix seconds, optionally with a fraction ("1700000000.5"); Docker also
// accepts RFC 3339 and durations, which the docker CLI converts before sending.
Result<int64_t> parse_time_param(const Query& q, const char* key) {
    std::string v = q.get(key);
    if (v.empty()) return int64_t(0);
    char* end;
    double seconds = strtod(v.c_str(), &end);
    if (*end || seconds < 0)
        return Error::invalid(std::string("invalid value for ") + key + ": \"" + v + "\"");
    return static_cast<int64_t>(seconds * 1e9);
}

const char* kEventFilterKeys[] = {"config", "container", "daemon", "event",  "image",   "label", "network",
                                  "node",   "plugin",    "scope",  "secret", "service", "type",  "volume"};

Result<Response> events(Request& req, const SystemServices& s) {
    auto filters = BERTH_TRY(req.query.filters());
    for (auto& [key, values] : filters) {
        bool known = false;
        for (auto* k : kEventFilterKeys) known |= key == k;
        if (!known) return Error::invalid("invalid filter '" + key + "'");
    }
    daemon::EventFilters f(filters.begin(), filters.end());
    int64_t since = BERTH_TRY(parse_time_param(req.query, "since"));
    int64_t until = BERTH_TRY(parse_time_param(req.query, "until"));
    Headers h;
    h.set("Content-Type", "application/json");
    auto stream = BERTH_TRY(req.start_stream(200, h));
    if (until > 0 && until <= daemon::now_nano()) {
        for (auto& ev : s.events->history(f, since, until))
            (void)stream->write(dump_json(ev.to_json()) + "\n");  // fails only when the client has left
        stream->finish();
        return Response::empty(200);
    }
    auto sub = s.events->subscribe(f, since);
    while (!stream->disconnected() && !sub->closed()) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        auto ev = sub->next(deadline);
        if (!ev) {
            if (until > 0 && daemon::now_nano() > until) break;
            continue;
        }
        if (until > 0 && ev->time_nano > until) break;
        if (!stream->write(dump_json(ev->to_json()) + "\n")) break;
    }
    stream->finish();
    return Response::empty(200);
}

std::string os_release_field(const std::string& key) {
    std::ifstream in("/etc/os-release");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + "=", 0) == 0) {
            std::string v = line.substr(key.size() + 1);
            if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
            return v;
        }
    return "";
}

bool file_exists(const char* p) {
    return access(p, F_OK) == 0;
}

// The daemon's ID: a random UUID-like string made once and kept in the data root.
std::string daemon_id(const std::string& data_root) {
    std::string path = data_root + "/engine-id";
    if (auto id = read_file(path)) return std::string(trim(*id));
    std::string id = read_file("/proc/sys/kernel/random/uuid").value_or("");
    id = std::string(trim(id));
    // Not kept, the ID would change at every `info`: say so.
    if (auto r = write_file_atomic(path, id + "\n", 0600); !r) log::warn("engine id: " + r.error().str());
    return id;
}

// overlay2's DriverStatus, naming the filesystem the data root is on.
Json driver_status(const std::string& data_root) {
    struct statfs fs {};
    statfs(data_root.c_str(), &fs);
    std::string backing = fs.f_type == 0xEF53       ? "extfs"
                          : fs.f_type == 0x58465342 ? "xfs"
                          : fs.f_type == 0x01021994 ? "tmpfs"
                                                    : "unknown";
    return Json::array({Json::array({"Backing Filesystem", backing}),
                        Json::array({"Supports d_type", "true"}), Json::array({"Using metacopy", "false"}),
                        Json::array({"Native Overlay Diff", "true"}), Json::array({"userxattr", "false"})});
}

Json registry_config(const daemon::Config& c) {
    Json insecure = Json::array({"127.0.0.0/8"});
    for (auto& r : c.insecure_registries) insecure.push_back(r);
    return {
        {"AllowNondistributableArtifactsCIDRs", nullptr},
        {"AllowNondistributableArtifactsHostnames", nullptr},
        {"InsecureRegistryCIDRs", insecure},
        {"IndexConfigs",
         {{"docker.io",
           {{"Name", "docker.io"}, {"Mirrors", c.registry_mirrors}, {"Secure", true}, {"Official", true}}}}},
        {"Mirrors", c.registry_mirrors}};
}

// The /info fields that depend on the cgroup version (v1 or v2) and what it can limit.
Json cgroup_info() {
    bool v2 = file_exists("/sys/fs/cgroup/cgroup.controllers");
    std::string mem_root = v2 ? "/sys/fs/cgroup/" : "/sys/fs/cgroup/memory/";
    Json warnings = Json::array();
    if (!v2 && !file_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"))
        warnings.push_back("WARNING: No swap limit support");
    return {
        {"MemoryLimit",
         file_exists((mem_root + (v2 ? "cgroup.controllers" : "memory.limit_in_bytes")).c_str())},
        {"SwapLimit", v2 || file_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")},
        {"CpuCfsPeriod", true},
        {"CpuCfsQuota", true},
        {"CPUShares", true},
        {"CPUSet", true},
        {"PidsLimit", true},
        {"OomKillDisable", !v2},
        {"CgroupDriver", "cgroupfs"},
        {"CgroupVersion", v2 ? "2" : "1"},
        {"SecurityOptions", v2 ? Json({"name=seccomp,profile=builtin", "name=cgroupns"})
                               : Json({"name=seccomp,profile=builtin"})},
        {"Warnings", warnings},
    };
}

// The /info fields about the host: kernel, OS, CPUs, memory, name, forwarding, proxies.
Json host_info() {
    struct sysinfo si {};
    sysinfo(&si);
    struct utsname u;
    uname(&u);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return {
        {"IPv4Forwarding", trim(read_file("/proc/sys/net/ipv4/ip_forward").value_or("0")) == "1"},
        {"SystemTime", now_rfc3339_nano()},
        {"KernelVersion", u.release},
        {"OperatingSystem", os_release_field("PRETTY_NAME")},
        {"OSVersion", os_release_field("VERSION_ID")},
        {"OSType", "linux"},
        {"Architecture", u.machine},
        {"NCPU", std::thread::hardware_concurrency()},
        {"MemTotal", static_cast<int64_t>(si.totalram) * si.mem_unit},
        {"HttpProxy", getenv("HTTP_PROXY") ? getenv("HTTP_PROXY") : ""},
        {"HttpsProxy", getenv("HTTPS_PROXY") ? getenv("HTTPS_PROXY") : ""},
        {"NoProxy", getenv("NO_PROXY") ? getenv("NO_PROXY") : ""},
        {"Name", host},
    };
}

// GET /info. Its keys are disjoint from those of host_info and cgroup_info, merged in.
Json info_json(const SystemServices& s) {
    const auto& c = *s.config;
    daemon::containers::Counts n;
    if (s.containers) n = s.containers->counts();
    int64_t images = s.images ? s.images->count().value_or(0) : 0;
    Json info = {
        {"ID", daemon_id(c.data_root)},
        {"Containers", n.total},
        {"ContainersRunning", n.running},
        {"ContainersPaused", n.paused},
        {"ContainersStopped", n.stopped},
        {"Images", images},
        {"Driver", "overlay2"},
        {"DriverStatus", driver_status(c.data_root)},
        {"Plugins",
         {{"Volume", {"local"}},
          {"Network", {"bridge", "host", "none"}},
          {"Authorization", nullptr},
          {"Log", {"json-file", "none"}}}},
        {"BridgeNfIptables", false},
        {"BridgeNfIp6tables", false},
        {"Debug", c.debug},
        {"NFd", 0},
        {"NGoroutines", 0},
        {"LoggingDriver", c.log_driver},
        {"NEventsListener", 0},
        {"IndexServerAddress", "https://index.docker.io/v1/"},
        {"RegistryConfig", registry_config(c)},
        {"GenericResources", nullptr},
        {"DockerRootDir", c.data_root},
        {"Labels", c.labels},
        {"ExperimentalBuild", false},
        {"ServerVersion", s.version},
        {"Runtimes", {{"berth", {{"path", "berth-runtime"}}}}},
        {"DefaultRuntime", "berth"},
        {"Swarm",
         {{"NodeID", ""},
          {"NodeAddr", ""},
          {"LocalNodeState", "inactive"},
          {"ControlAvailable", false},
          {"Error", ""},
          {"RemoteManagers", nullptr}}},
        {"LiveRestoreEnabled", c.live_restore},
        {"Isolation", ""},
        {"InitBinary", ""},
        {"ContainerdCommit", {{"ID", ""}, {"Expected", ""}}},
        {"RuncCommit", {{"ID", ""}, {"Expected", ""}}},
        {"InitCommit", {{"ID", ""}, {"Expected", ""}}},
        {"CDISpecDirs", Json::array()},
    };
    info.update(host_info());
    info.update(cgroup_info());
    return info;
}

Result<Json> system_df(const SystemServices& s) {
    Json images = Json::array(), containers = Json::array();
    int64_t layers = 0;
    if (s.images) {
        auto du = BERTH_TRY(s.images->disk_usage());
        if (du.contains("Images")) images = du["Images"];
        layers = du.value("LayersSize", int64_t(0));
    }
    if (s.containers) containers = BERTH_TRY(s.containers->disk_usage());
    Json volumes = s.volumes ? BERTH_TRY(s.volumes->disk_usage()) : Json::array();
    return Json{{"LayersSize", layers},
                {"Images", images},
                {"Containers", containers},
                {"Volumes", volumes},
                {"BuildCache", Json::array()}};
}

}  // namespace

Result<> add_system_routes(Router& router, const SystemServices& s) {
    auto ping = [](Request&) -> Result<Response> {
        auto r = Response::text(200, "OK");
        r.headers.set("Cache-Control", "no-cache, no-store, must-revalidate");
        r.headers.set("Pragma", "no-cache");
        return r;
    };
    RouteOptions quick{.quick = [](const Request&) { return true; }};
    BERTH_TRY(router.add("GET", "/_ping", ping, quick));
    BERTH_TRY(router.add("HEAD", "/_ping", ping, quick));
    BERTH_TRY(router.add("GET", "/version",
                         [s](Request&) -> Result<Response> { return Response::json(200, version_json(s)); }));
    BERTH_TRY(router.add("GET", "/events", [s](Request& req) { return events(req, s); }));
    BERTH_TRY(router.add("GET", "/info",
                         [s](Request&) -> Result<Response> { return Response::json(200, info_json(s)); }));
    BERTH_TRY(router.add("GET", "/system/df", [s](Request&) -> Result<Response> {
        return Response::json(200, BERTH_TRY(system_df(s)));
    }));
    return ok();
}

}  // namespace berth::api

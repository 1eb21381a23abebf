// The JSON views of containers: inspect, list (with Docker's filters), top, changes,
// stats, disk usage, prune, and export of the root filesystem.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "common/sys.h"
#include "common/time.h"
#include "daemon/containers/manager_impl.h"
#include "image/layer/layer.h"
#include "runtime/container/container.h"

namespace berth::daemon::containers {

namespace {

int64_t unix_seconds(const std::string& t) {
    auto n = parse_rfc3339(t);
    return n && *n != INT64_MIN ? *n / 1000000000 : 0;
}

bool glob_match(const std::string& pattern, const std::string& s) {
    return fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

// The part of a record that the list reads: copying whole records was most of the cost of
// a `docker ps`.
Container list_view(const Container& c) {
    Container v;
    v.id = c.id;
    v.name = c.name;
    v.created = c.created;
    v.image = c.image;
    v.image_id = c.image_id;
    v.endpoints = c.endpoints;
    v.path = c.path;
    v.args = c.args;
    v.state = c.state;
    v.config.labels = c.config.labels;
    v.config.exposed_ports = c.config.exposed_ports;
    v.host_config.network_mode = c.host_config.network_mode;
    v.host_config.binds = c.host_config.binds;
    // --mount entries live in extra (kept as sent): the list's Mounts shows them too.
    if (auto it = c.host_config.extra.find("Mounts"); it != c.host_config.extra.end())
        v.host_config.extra["Mounts"] = *it;
    return v;
}

// One element of GET /containers/json, in Docker's field order; `size_rw` < 0: sizes not
// asked for (Docker then omits them).
void append_list_entry(std::string& out, const Container& c, const networks::NetworkSettings& settings,
                       int64_t size_rw, const std::string& volumes_root) {
    auto key = [&](std::string_view k) {
        out += out.back() == '{' ? "\"" : ",\"";
        out += k;
        out += "\":";
    };
    auto dump = [&](const Json& j) { out += dump_json(j); };
    if (out.back() != '[') out += ',';
    out += '{';
    key("Id");
    append_json_string(out, c.id);
    key("Names");
    out += '[';
    append_json_string(out, "/" + c.name);
    out += ']';
    key("Image");
    append_json_string(out, c.image);
    key("ImageID");
    append_json_string(out, c.image_id);
    key("Command");
    append_json_string(out, command_line(c));
    key("Created");
    out += std::to_string(unix_seconds(c.created));
    key("Ports");
    dump(list_ports(settings));
    if (size_rw >= 0) {
        key("SizeRw");
        out += std::to_string(size_rw);
        key("SizeRootFs");
        out += std::to_string(size_rw);
    }
    key("Labels");
    out += '{';
    for (auto& [k, v] : c.config.labels) {
        if (out.back() != '{') out += ',';
        append_json_string(out, k);
        out += ':';
        append_json_string(out, v);
    }
    out += '}';
    key("State");
    append_json_string(out, status_name(c.state.status));
    key("Status");
    append_json_string(out, status_text(c));
    key("HostConfig");
    out += "{\"NetworkMode\":";
    append_json_string(out, c.host_config.network_mode);
    out += "}";
    key("NetworkSettings");
    out += "{\"Networks\":";
    dump(networks::to_json(settings.networks));
    out += "}";
    key("Mounts");
    dump(to_json(mount_points(c.host_config, volumes_root)));
    out += '}';
}

}  // namespace

Result<Json> ManagerImpl::inspect(const std::string& ref, bool size) {
    auto e = BERTH_TRY(find(ref));
    Container c;
    std::vector<std::string> exec_ids;
    {
        std::lock_guard lk(mu_);
        c = e->c;
        exec_ids.assign(e->exec_ids.begin(), e->exec_ids.end());
    }
    auto& s = c.state;
    Json state = {{"Status", status_name(s.status)},
                  {"Running", s.running()},
                  {"Paused", s.status == Status::Paused},
                  {"Restarting", s.status == Status::Restarting},
                  {"OOMKilled", s.oom_killed},
                  {"Dead", s.status == Status::Dead},
                  {"Pid", s.pid},
                  {"ExitCode", s.exit_code},
                  {"Error", s.error},
                  {"StartedAt", s.started_at},
                  {"FinishedAt", s.finished_at}};
    Json graph = {{"Name", "overlay2"}, {"Data", nullptr}};
    if (auto m = images_->rootfs_mounts(c.id)) {
        std::string lowers;
        for (auto& l : m->lowers) lowers += (lowers.empty() ? "" : ":") + l;
        graph["Data"] = {{"LowerDir", lowers},
                         {"UpperDir", m->upper},
                         {"WorkDir", m->work},
                         {"MergedDir", rootfs_dir(c.id)}};
    }
    Json out = {{"Id", c.id},
                {"Created", c.created},
                {"Path", c.path},
                {"Args", c.args},
                {"State", state},
                {"Image", c.image_id},
                {"ResolvConfPath", c.resolv_conf_path},
                {"HostnamePath", c.hostname_path},
                {"HostsPath", c.hosts_path},
                {"LogPath", c.log_path},
                {"Name", "/" + c.name},
                {"RestartCount", c.restart_count},
                {"Driver", "overlay2"},
                {"Platform", "linux"},
                {"MountLabel", ""},
                {"ProcessLabel", ""},
                {"AppArmorProfile", ""},
                {"ExecIDs", exec_ids.empty() ? Json(nullptr) : Json(exec_ids)},
                {"HostConfig", to_json(c.host_config)},
                {"GraphDriver", graph},
                {"Mounts", to_json(mount_points(c.host_config, volumes_root()))},
                {"Config", to_json(c.config)},
                {"NetworkSettings", networks::to_json(network_settings(c))}};
    if (size) {
        out["SizeRw"] = images_->rootfs_usage(c.id).value_or(0);
        int64_t image_size = 0;
        if (auto d = images::Digest::parse(c.image_id))
            if (auto j = images_->inspect(c.image_id); j && j->contains("Size"))
                image_size = (*j)["Size"].get<int64_t>();
        out["SizeRootFs"] = out["SizeRw"].get<int64_t>() + image_size;
    }
    return out;
}

namespace {

// containers/json's filters, checked once for a list.
class ListQuery {
public:
    static Result<ListQuery> parse(const Filters& filters) {
        static const char* kKeys[] = {"ancestor", "before",    "expose",  "exited", "health",
                                      "id",       "isolation", "is-task", "label",  "name",
                                      "network",  "publish",   "since",   "status", "volume"};
        for (auto& entry : filters) {
            const std::string& k =
                entry.first;  // (a structured binding cannot be captured before C++20's P1091)
            if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* x) { return k == x; }))
                return Error::invalid("invalid filter '" + k + "'");
        }
        ListQuery q(filters);
        for (auto& st : q.get("status"))
            if (!parse_status(st)) return Error::invalid("invalid filter 'status=" + st + "'");
        for (auto& x : q.get("exited")) {
            char* end;
            long v = strtol(x.c_str(), &end, 10);
            if (x.empty() || *end) return Error::invalid("invalid filter 'exited=" + x + "'");
            q.exited_.push_back(static_cast<int>(v));
        }
        return q;
    }

    std::vector<std::string> get(const char* k) const {
        auto it = filters_.find(k);
        return it == filters_.end() ? std::vector<std::string>{} : it->second;
    }
    // Without a filter asking otherwise, a list without `all` shows running containers only.
    bool shows_stopped(bool all, int limit) const {
        return all || !get("status").empty() || !exited_.empty() || limit > 0 || !before.empty() ||
               !since.empty();
    }

    // What the record alone decides: id, name, status, exited, label, ancestor, before/since.
    bool matches(const Container& c) const {
        if (!before.empty() && c.created >= before) return false;
        if (!since.empty() && c.created <= since) return false;
        if (!any("id", [&](auto& x) { return c.id.rfind(x, 0) == 0; })) return false;
        if (!any("name", [&](auto& x) {
                std::string n = x[0] == '/' ? x.substr(1) : x;
                return c.name.find(n) != std::string::npos || glob_match(n, c.name);
            }))
            return false;
        if (!any("status", [&](auto& x) { return x == status_name(c.state.status); })) return false;
        if (!exited_.empty() &&
            (c.state.status != Status::Exited ||
             std::find(exited_.begin(), exited_.end(), c.state.exit_code) == exited_.end()))
            return false;
        if (auto labels = get("label"); !labels.empty() && !labels_match(c.config.labels, labels))
            return false;
        if (!ancestors.empty() &&
            std::find(ancestors.begin(), ancestors.end(), c.image_id) == ancestors.end() &&
            !any("ancestor", [&](auto& x) { return x == c.image; }))
            return false;
        return true;
    }

    // network=<name|id>; publish=<host port>[/proto]; expose=<container port>[/proto].
    bool matches(const Container& c, const networks::NetworkSettings& settings) const {
        if (!any("network", [&](auto& x) {
                for (auto& [name, ep] : settings.networks)
                    if (name == x || (x.size() >= 3 && ep.network_id.rfind(x, 0) == 0)) return true;
                return false;
            }))
            return false;
        return any("publish", [&](auto& x) { return port_match(c, settings, x, true); }) &&
               any("expose", [&](auto& x) { return port_match(c, settings, x, false); });
    }

    std::vector<std::string> ancestors;  // image IDs; an unknown image matches nothing
    std::string before, since;           // the Created of the containers named

private:
    explicit ListQuery(const Filters& filters) : filters_(filters) {}

    template <class Pred>
    bool any(const char* key, Pred pred) const {
        auto v = get(key);
        return v.empty() || std::any_of(v.begin(), v.end(), pred);
    }

    static bool port_match(const Container& c, const networks::NetworkSettings& settings,
                           const std::string& want, bool host_side) {
        auto slash = want.find('/');
        std::string port = want.substr(0, slash),
                    proto = slash == std::string::npos ? "" : want.substr(slash + 1);
        for (auto& [key, bindings] : settings.ports) {
            auto ks = key.find('/');
            if (!proto.empty() && key.substr(ks + 1) != proto) continue;
            if (!host_side && key.substr(0, ks) == port) return true;
            if (host_side && bindings)
                for (auto& b : *bindings)
                    if (b.host_port == port) return true;
        }
        if (!host_side)
            for (auto& key : c.config.exposed_ports)
                if (key.substr(0, key.find('/')) == port) return true;
        return false;
    }

    const Filters& filters_;
    std::vector<int> exited_;
};

// The Created of the container `ref` names among `cs` ("" when none does).
std::string created_of(const std::vector<Container>& cs, const std::string& ref) {
    for (auto& c : cs)
        if (c.id == ref || c.name == ref || (ref.size() >= 3 && c.id.rfind(ref, 0) == 0)) return c.created;
    return "";
}

}  // namespace

Result<std::string> ManagerImpl::list(bool all, int limit, bool size, const Filters& filters) {
    auto query = BERTH_TRY(ListQuery::parse(filters));
    for (auto& a : query.get("ancestor"))
        if (auto img = images_->runnable(a))
            query.ancestors.push_back(img->id.str());
        else
            query.ancestors.push_back("\x01none");
    std::vector<Container> cs;
    auto entries = snapshot();
    cs.reserve(entries.size());
    for (auto& e : entries) {
        std::lock_guard lk(mu_);
        if (!e->removed) cs.push_back(list_view(e->c));
    }
    // Newest first, as docker ps.
    std::sort(cs.begin(), cs.end(), [](auto& a, auto& b) { return a.created > b.created; });
    for (auto& b : query.get("before"))
        if ((query.before = created_of(cs, b)).empty()) return Error::not_found("No such container: " + b);
    for (auto& s : query.get("since"))
        if ((query.since = created_of(cs, s)).empty()) return Error::not_found("No such container: " + s);

    bool stopped_too = query.shows_stopped(all, limit);
    std::string out = "[";
    out.reserve(1280 * cs.size() + 16);  // ~1 KB a container: grown once, not by doubling
    int listed = 0;
    NetworkMemo memo;
    const std::string vroot = volumes_root();
    for (auto& c : cs) {
        if ((!stopped_too && !c.state.running()) || !query.matches(c)) continue;
        networks::NetworkSettings settings = network_settings(c, &memo);
        if (!query.matches(c, settings)) continue;
        append_list_entry(out, c, settings, size ? images_->rootfs_usage(c.id).value_or(0) : -1, vroot);
        if (limit > 0 && ++listed >= limit) break;
    }
    out += "]\n";  // Go's json.Encoder ends documents with a newline
    return out;
}

Result<Json> ManagerImpl::top(const std::string& ref, const std::string& ps_args) {
    auto e = BERTH_TRY(find(ref));
    if (!e->c.state.running()) return Error::conflict("Container " + e->c.id + " is not running");
    auto pids = BERTH_TRY(runtime::processes({runtime_root()}, e->c.id));
    // As Docker: run the host's ps with the caller's options and keep the container's rows.
    std::string args = ps_args.empty() ? "-ef" : ps_args;
    for (char ch : args)
        if (!(isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ' ' || ch == ',' || ch == '='))
            return Error::invalid("invalid ps arguments: " + args);
    FILE* p = popen(("ps " + args + " 2>&1").c_str(), "r");
    if (!p) return Error::sys("popen", "ps");
    std::string text;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
    int rc = pclose(p);
    if (rc != 0) return Error::internal("ps " + args + " failed: " + text);
    auto lines = split(text, '\n');
    if (lines.empty()) return Error::internal("ps printed nothing");
    auto titles = split(lines[0], ' ');
    int pid_col = -1;
    for (size_t i = 0; i < titles.size(); ++i)
        if (titles[i] == "PID") pid_col = static_cast<int>(i);
    if (pid_col < 0) return Error::invalid("Couldn't find PID field in ps output");
    Json procs = Json::array();
    for (size_t l = 1; l < lines.size(); ++l) {
        auto f = split(lines[l], ' ');
        if (static_cast<int>(f.size()) <= pid_col) continue;
        pid_t pid = atoi(f[pid_col].c_str());
        if (std::find(pids.begin(), pids.end(), pid) == pids.end()) continue;
        // The last column (the command) keeps its spaces.
        Json row = Json::array();
        size_t pos = 0;
        std::string line = lines[l];
        for (size_t i = 0; i < titles.size(); ++i) {
            while (pos < line.size() && line[pos] == ' ') ++pos;
            if (i + 1 == titles.size()) {
                row.push_back(line.substr(pos));
                break;
            }
            size_t end = line.find(' ', pos);
            row.push_back(line.substr(pos, end - pos));
            pos = end == std::string::npos ? line.size() : end;
        }
        procs.push_back(row);
    }
    return Json{{"Titles", titles}, {"Processes", procs}};
}

Result<Json> ManagerImpl::changes(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    auto m = BERTH_TRY(images_->rootfs_mounts(e->c.id));
    Json out = Json::array();
    auto in_lower = [&](const std::string& rel) {
        struct stat st;
        for (auto& l : m.lowers)
            if (::lstat((l + rel).c_str(), &st) == 0) return true;
        return false;
    };
    std::vector<std::string> stack = {""};
    std::vector<std::pair<std::string, int>> found;
    while (!stack.empty()) {
        std::string rel = stack.back();
        stack.pop_back();
        DIR* d = opendir((m.upper + rel).c_str());
        if (!d) continue;
        while (auto* de = readdir(d)) {
            std::string n = de->d_name;
            if (n == "." || n == "..") continue;
            std::string p = rel + "/" + n;
            struct stat st;
            if (::lstat((m.upper + p).c_str(), &st) != 0) continue;
            if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                found.push_back({p, 2});  // overlay whiteout: deleted
                continue;
            }
            found.push_back({p, in_lower(p) ? 0 : 1});
            if (S_ISDIR(st.st_mode)) stack.push_back(p);
        }
        closedir(d);
    }
    // The mount points the runtime created for /etc/{hostname,hosts,resolv.conf} are not
    // changes (Docker keeps them in an init layer); nor are directories left with no change.
    std::erase_if(found, [](auto& f) {
        return f.first == "/etc/hostname" || f.first == "/etc/hosts" || f.first == "/etc/resolv.conf";
    });
    std::sort(found.begin(), found.end());
    for (size_t i = 0; i < found.size(); ++i) {
        auto& [p, kind] = found[i];
        bool has_child = i + 1 < found.size() && found[i + 1].first.rfind(p + "/", 0) == 0;
        struct stat st;
        if (kind == 0 && !has_child && ::lstat((m.upper + p).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            bool empty = true;
            if (DIR* d = opendir((m.upper + p).c_str())) {
                while (auto* de = readdir(d))
                    empty &=
                        !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
                        (p == "/etc" && (!strcmp(de->d_name, "hostname") || !strcmp(de->d_name, "hosts") ||
                                         !strcmp(de->d_name, "resolv.conf")));
                closedir(d);
            }
            if (empty) continue;
        }
        out.push_back({{"Path", p}, {"Kind", kind}});
    }
    return out;
}

Result<> ManagerImpl::export_rootfs(const std::string& ref, const WriteFn& out) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard op(e->op);
    std::string dir = rootfs_dir(e->c.id);
    bool mounted_here = false;
    if (!e->c.state.running()) {
        BERTH_TRY(mkdir_all(dir, 0755));
        BERTH_TRY(images_->mount_rootfs(e->c.id, dir));
        mounted_here = true;
    }
    ScopeExit unmount([&] {
        if (mounted_here) (void)images_->unmount_rootfs(e->c.id, dir);  // start and remove unmount it again
    });
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return Error::sys("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    Result<image::layer::DiffResult> tarred = Error::internal("not run");
    std::thread writer([&] {
        tarred = image::layer::tar_directory(dir, wr.get());
        wr.reset();
    });
    Result<> sent = ok();
    char buf[65536];
    for (ssize_t n; (n = sys::retry_eintr([&] { return ::read(rd.get(), buf, sizeof buf); })) != 0;) {
        if (n < 0) break;
        if (sent) sent = out(std::string_view(buf, static_cast<size_t>(n)));
        if (!sent) break;  // client gone: close our end so the tar writer stops
    }
    rd.reset();
    writer.join();
    BERTH_TRY(sent);
    if (!tarred) return tarred.error().with_context("export " + e->c.id);
    publish(e->c, "export");
    return ok();
}

Result<Json> ManagerImpl::prune(const Filters& filters) {
    for (auto& [k, v] : filters)
        if (k != "until" && k != "label" && k != "label!")
            return Error::invalid("invalid filter '" + k + "'");
    int64_t until = INT64_MAX;
    if (auto it = filters.find("until"); it != filters.end())
        for (auto& u : it->second) {
            char* end;
            double v = strtod(u.c_str(), &end);
            if (*end) {
                auto t = parse_rfc3339(u);
                if (!t) return Error::invalid("invalid filter 'until=" + u + "'");
                until = *t / 1000000000;
            } else {
                until = static_cast<int64_t>(v);
            }
        }
    Json deleted = Json::array();
    int64_t reclaimed = 0;
    for (auto& e : snapshot()) {
        Container c;
        {
            std::lock_guard lk(mu_);
            c = e->c;
        }
        if (c.state.running() || c.state.status == Status::Restarting) continue;
        if (unix_seconds(c.created) >= until) continue;
        const StringMap& labels = c.config.labels;
        if (auto it = filters.find("label"); it != filters.end() && !labels_match(labels, it->second))
            continue;
        if (auto it = filters.find("label!"); it != filters.end() && labels_match(labels, it->second))
            continue;
        int64_t size = images_->rootfs_usage(c.id).value_or(0);
        if (remove(c.id, false, false)) {
            deleted.push_back(c.id);
            reclaimed += size;
        }
    }
    return Json{{"ContainersDeleted", deleted.empty() ? Json(nullptr) : deleted},
                {"SpaceReclaimed", reclaimed}};
}

Result<Json> ManagerImpl::stats(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    Json out = {{"id", e->c.id}, {"name", "/" + e->c.name}, {"read", now_rfc3339_nano()}};
    if (!e->c.state.running()) return out;
    auto s = BERTH_TRY(runtime::stats({runtime_root()}, e->c.id));
    Json data = s.value("data", s);
    Json mem = data.value("memory", Json::object());
    Json usage = mem.value("usage", Json::object());
    Json cpu = data.value("cpu", Json::object());
    Json cpu_usage = cpu.value("usage", Json::object());
    out["memory_stats"] = {{"usage", usage.value("usage", int64_t(0))},
                           {"limit", usage.value("limit", int64_t(0))},
                           {"max_usage", usage.value("max", int64_t(0))},
                           {"stats", mem.value("raw", Json::object())}};
    out["cpu_stats"] = {{"cpu_usage",
                         {{"total_usage", cpu_usage.value("total", int64_t(0))},
                          {"usage_in_kernelmode", cpu_usage.value("kernel", int64_t(0))},
                          {"usage_in_usermode", cpu_usage.value("user", int64_t(0))}}},
                        {"online_cpus", std::thread::hardware_concurrency()}};
    out["pids_stats"] = {{"current", data.value("pids", Json::object()).value("current", int64_t(0))}};
    return out;
}

Result<Json> ManagerImpl::disk_usage() {
    // Every container with its writable layer's size: the list with sizes, as a tree.
    auto text = BERTH_TRY(list(true, 0, true, {}));
    return parse_json(text, "container list");
}

}  // namespace berth::daemon::containers

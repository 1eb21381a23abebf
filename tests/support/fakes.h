// Fakes of the daemon's service interfaces, for unit tests of what sits on them (the API
// handlers, the container manager) without images on disk, a network, or root. Each
// records the calls it gets and answers what the test sets; a call a test did not expect
// answers Unsupported, naming itself, so a test fails instead of passing by accident.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/containers/containers.h"
#include "daemon/images/image_service.h"
#include "daemon/networks/network_service.h"

namespace berth::test {

inline Error not_faked(const char* what) {
    return Error::unsupported(std::string("fake: ") + what + " is not faked");
}

// One image ("busybox", config set by the test) and the snapshots made from it.
class FakeImages : public daemon::images::ImageService {
public:
    FakeImages() {
        image.id = *daemon::images::Digest::parse("sha256:" + std::string(64, 'e'));
        image.name = "busybox";
        image.config.config.cmd = std::vector<std::string>{"sh"};
        image.config.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    }
    daemon::images::RunnableImage image;
    std::set<std::string> rootfs;  // keys of the snapshots made

    void set_image_users(daemon::images::ImageUsersFn) override {}
    void set_registry_options(daemon::images::RegistryOptions) override {}
    Result<daemon::images::RunnableImage> runnable(std::string_view name) override {
        if (name != image.name && name != image.id.str())
            return Error::not_found("No such image: " + std::string(name));
        auto r = image;
        r.name = std::string(name);
        return r;
    }
    Result<image::snapshotter::Mount> create_rootfs(std::string_view key,
                                                    const daemon::images::Digest&) override {
        rootfs.insert(std::string(key));
        return image::snapshotter::Mount{};
    }
    Result<> mount_rootfs(std::string_view, const std::string&, bool) override {
        return not_faked("mount_rootfs");
    }
    Result<> unmount_rootfs(std::string_view, const std::string&) override {
        return Error::not_found("not mounted");
    }
    Result<> remove_rootfs(std::string_view key) override {
        if (!rootfs.erase(std::string(key))) return Error::not_found("no snapshot " + std::string(key));
        return ok();
    }
    Result<int64_t> rootfs_usage(std::string_view key) override {
        if (!rootfs.count(std::string(key))) return Error::not_found("no snapshot");
        return int64_t(4096);
    }
    Result<image::snapshotter::Mount> rootfs_mounts(std::string_view) override {
        return not_faked("rootfs_mounts");
    }
    Result<daemon::images::LoadResult> load(const daemon::images::ReadFn&) override {
        return not_faked("load");
    }
    Result<> save(const std::vector<std::string>&, const daemon::images::WriteFn&) override {
        return not_faked("save");
    }
    Result<daemon::images::Digest> import(const daemon::images::ReadFn&,
                                          const daemon::images::ImportOptions&) override {
        return not_faked("import");
    }
    Result<daemon::images::Digest> pull(const daemon::images::PullOptions&,
                                        const daemon::images::ProgressFn&) override {
        return not_faked("pull");
    }
    Result<> push(const daemon::images::PushOptions&, const daemon::images::ProgressFn&) override {
        return not_faked("push");
    }
    Result<Json> search(std::string_view, int, const daemon::images::Filters&,
                        const registry::Credentials&) override {
        return not_faked("search");
    }
    Result<> login(std::string_view, const registry::Credentials&) override { return not_faked("login"); }
    Result<Json> list(bool, const daemon::images::Filters&, bool) override { return not_faked("list"); }
    Result<Json> inspect(std::string_view name) override {
        if (name != image.id.str()) return Error::not_found("No such image: " + std::string(name));
        return Json{{"Id", image.id.str()}, {"Size", 1000}};
    }
    Result<Json> history(std::string_view) override { return not_faked("history"); }
    Result<> tag(std::string_view, std::string_view, std::string_view) override { return not_faked("tag"); }
    Result<Json> remove(std::string_view, bool, bool) override { return not_faked("remove"); }
    Result<Json> prune(const daemon::images::Filters&) override { return not_faked("prune"); }
    Result<Json> disk_usage() override { return not_faked("disk_usage"); }
    Result<int64_t> count() override { return int64_t(1); }
};

// The default networks (bridge, host, none) and user networks the test adds; no sandbox.
class FakeNetworks : public daemon::networks::NetworkService {
public:
    FakeNetworks() {
        add("bridge", false);
        add("host", false);
        add("none", false);
    }
    void add(const std::string& name, bool user_defined) {
        nets[name] = {{"Name", name},
                      {"Id", name + std::string(64 - name.size(), '0')},
                      {"Driver", name == "host"   ? "host"
                                 : name == "none" ? "null"
                                                  : "bridge"},
                      {"UserDefined", user_defined},
                      {"Gateway", "172.17.0.1"}};
    }
    std::map<std::string, Json> nets;
    std::vector<std::string> left;  // containers that left their networks

    Result<Json> create(const Json&) override { return not_faked("network create"); }
    Result<Json> list(const daemon::networks::Filters&) override { return not_faked("network list"); }
    Result<Json> inspect(std::string_view n) override { return find(n); }
    Result<> remove(std::string_view) override { return not_faked("network remove"); }
    Result<Json> prune(const daemon::networks::Filters&) override { return not_faked("network prune"); }
    Result<Json> find(std::string_view name_or_id) override {
        for (auto& [name, n] : nets)
            if (name == name_or_id || n["Id"] == name_or_id) return n;
        return Error::not_found("network " + std::string(name_or_id) + " not found");
    }
    Result<daemon::networks::NetworkSettings> join(const daemon::networks::SandboxRequest&) override {
        return not_faked("join");
    }
    Result<daemon::networks::EndpointSettings> connect(const daemon::networks::ContainerInfo&,
                                                       const std::string&,
                                                       const daemon::networks::EndpointRequest&) override {
        return not_faked("connect");
    }
    Result<> disconnect(const std::string&, std::string_view, bool) override {
        return not_faked("disconnect");
    }
    Result<> leave(const std::string& id) override {
        left.push_back(id);
        return ok();
    }
    Result<daemon::networks::NetworkSettings> restore(const std::string&, const std::string&) override {
        return not_faked("restore");
    }
    void release_others(const std::vector<std::string>&) override {}
    void rename(const std::string&, const std::string&) override {}
    daemon::networks::NetworkSettings settings(const std::string&) override { return {}; }
    std::string resolv_conf(const std::vector<std::string>&, const std::vector<std::string>& dns,
                            const std::vector<std::string>&, const std::vector<std::string>&) override {
        std::string out;
        for (auto& d : dns) out += "nameserver " + d + "\n";
        return out.empty() ? "nameserver 127.0.0.53\n" : out;
    }
    size_t count() override { return nets.size(); }
};

// The container manager's narrow interfaces: each records its calls ("start x") and
// answers from what the test set (or NotFound for an unknown container).
class FakeContainers : public daemon::containers::Lifecycle,
                       public daemon::containers::Queries,
                       public daemon::containers::Io,
                       public daemon::containers::Execs,
                       public daemon::containers::Networking {
public:
    std::vector<std::string> calls;
    std::map<std::string, Json> inspected;  // id -> inspect answer; the known containers
    daemon::containers::CreateRequest last_create;
    daemon::containers::ExecConfig last_exec;
    daemon::containers::EndpointConfig last_endpoint;
    daemon::containers::Filters last_filters;
    std::string list_answer = "[]\n";
    daemon::containers::Counts counted;

    Result<> known(const std::string& ref) {
        if (!inspected.count(ref)) return Error::not_found("No such container: " + ref);
        return ok();
    }
    Result<daemon::containers::Created> create(const std::string& name,
                                               const daemon::containers::CreateRequest& r) override {
        calls.push_back("create " + name);
        last_create = r;
        return daemon::containers::Created{std::string(64, 'c'), {"a warning"}};
    }
    Result<bool> start(const std::string& ref) override {
        calls.push_back("start " + ref);
        BERTH_TRY(known(ref));
        auto& j = inspected[ref];
        return !(j.contains("State") && j["State"].value("Running", false));
    }
    Result<bool> stop(const std::string& ref, std::optional<int> t, const std::string& sig) override {
        calls.push_back("stop " + ref + " t=" + (t ? std::to_string(*t) : "default") + " signal=" + sig);
        BERTH_TRY(known(ref));
        return true;
    }
    Result<> kill(const std::string& ref, const std::string& sig) override {
        calls.push_back("kill " + ref + " " + sig);
        return known(ref);
    }
    Result<> restart(const std::string& ref, std::optional<int> t, const std::string&) override {
        calls.push_back("restart " + ref + " t=" + (t ? std::to_string(*t) : "default"));
        return known(ref);
    }
    Result<> pause(const std::string& ref) override {
        calls.push_back("pause " + ref);
        return known(ref);
    }
    Result<> unpause(const std::string& ref) override {
        calls.push_back("unpause " + ref);
        return known(ref);
    }
    Result<Json> wait(const std::string& ref, daemon::containers::WaitCondition,
                      const std::function<bool()>&) override {
        calls.push_back("wait " + ref);
        BERTH_TRY(known(ref));
        return Json{{"StatusCode", 0}};
    }
    Result<> remove(const std::string& ref, bool force, bool volumes) override {
        calls.push_back("remove " + ref + (force ? " force" : "") + (volumes ? " volumes" : ""));
        return known(ref);
    }
    Result<> rename(const std::string& ref, const std::string& to) override {
        calls.push_back("rename " + ref + " " + to);
        return known(ref);
    }
    Result<Json> prune(const daemon::containers::Filters& f) override {
        calls.push_back("prune");
        last_filters = f;
        return Json{{"ContainersDeleted", nullptr}, {"SpaceReclaimed", 0}};
    }
    Result<Json> inspect(const std::string& ref, bool) override {
        BERTH_TRY(known(ref));
        return inspected[ref];
    }
    Result<std::string> list(bool all, int limit, bool size, const daemon::containers::Filters& f) override {
        calls.push_back(std::string("list") + (all ? " all" : "") + " limit=" + std::to_string(limit) +
                        (size ? " size" : ""));
        last_filters = f;
        return list_answer;
    }
    Result<Json> top(const std::string& ref, const std::string& args) override {
        calls.push_back("top " + ref + " " + args);
        BERTH_TRY(known(ref));
        return Json{{"Titles", {"PID"}}, {"Processes", Json::array()}};
    }
    Result<Json> changes(const std::string& ref) override {
        BERTH_TRY(known(ref));
        return Json::array();
    }
    Result<Json> stats(const std::string& ref) override {
        BERTH_TRY(known(ref));
        return Json{{"id", ref}};
    }
    std::vector<daemon::images::ImageUser> image_users(const daemon::images::Digest&) override { return {}; }
    std::vector<std::string> volume_users(const std::string&) override { return {}; }
    daemon::containers::Counts counts() override { return counted; }
    Result<Json> disk_usage() override { return Json::array(); }
    Result<> logs(const std::string& ref, const daemon::containers::LogOptions&,
                  const daemon::containers::WriteFn&, const std::function<bool()>&) override {
        calls.push_back("logs " + ref);
        return known(ref);
    }
    Result<daemon::containers::Attachment> attach(const std::string&, bool, bool, bool,
                                                  const std::function<Result<>()>&) override {
        return not_faked("attach");
    }
    Result<> resize(const std::string& ref, int h, int w) override {
        calls.push_back("resize " + ref + " " + std::to_string(h) + "x" + std::to_string(w));
        return known(ref);
    }
    Result<bool> is_tty(const std::string& ref) override {
        BERTH_TRY(known(ref));
        auto& j = inspected[ref];
        return j.contains("Config") && j["Config"].value("Tty", false);
    }
    Result<> export_rootfs(const std::string&, const daemon::containers::WriteFn&) override {
        return not_faked("export");
    }
    Result<std::string> exec_create(const std::string& ref,
                                    const daemon::containers::ExecConfig& x) override {
        calls.push_back("exec_create " + ref);
        last_exec = x;
        BERTH_TRY(known(ref));
        return std::string(64, 'x');
    }
    Result<daemon::containers::ExecStart> exec_start(const std::string&, bool) override {
        return not_faked("exec_start");
    }
    Result<Json> exec_inspect(const std::string& id) override {
        if (id != std::string(64, 'x')) return Error::not_found("No such exec instance: " + id);
        return Json{{"ID", id}, {"Running", false}};
    }
    Result<> exec_resize(const std::string& id, int h, int w) override {
        calls.push_back("exec_resize " + id + " " + std::to_string(h) + "x" + std::to_string(w));
        return ok();
    }
    Result<> connect_network(const std::string& ref, const std::string& net,
                             const daemon::containers::EndpointConfig& e) override {
        calls.push_back("connect " + ref + " " + net);
        last_endpoint = e;
        return known(ref);
    }
    Result<> disconnect_network(const std::string& ref, const std::string& net, bool force) override {
        calls.push_back("disconnect " + ref + " " + net + (force ? " force" : ""));
        return known(ref);
    }
};

}  // namespace berth::test

// Which namespaces are created (clone/unshare) and which are joined (setns), and the
// user namespace's id maps.
//
// Ordering rules (from the kernel, as runc and crun follow them):
// - A pid namespace only applies to children: a joined one is entered by the parent
//   before clone(); a new one is created by clone() itself.
// - A cgroup namespace must be created after the process is in its cgroup, so the child
//   unshares it once the parent says it has been moved.
// - When the user namespace is joined by path, the other new namespaces must be created
//   after joining it (so that it owns them): the child unshares them.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

using spec::NamespaceType;

Result<NsPlan> plan_namespaces(const spec::Linux* linux) {
    NsPlan plan;
    if (!linux) return plan;
    const auto* user = linux->find_namespace(NamespaceType::User);
    bool join_user = user && !user->path.empty();
    plan.new_userns = user && user->path.empty();
    for (auto& ns : linux->namespaces) {
        int flag = spec::namespace_clone_flag(ns.type);
        if (!ns.path.empty()) {
            if (ns.type == NamespaceType::Pid)
                plan.pid_path = ns.path;
            else
                plan.join.emplace_back(ns.type, ns.path);
            continue;
        }
        if (ns.type == NamespaceType::Cgroup)
            plan.unshare_flags |= flag;
        else if (join_user && ns.type != NamespaceType::Pid)
            plan.unshare_flags |= flag;
        else
            plan.clone_flags |= flag;
    }
    // The user namespace is joined before any other one.
    std::stable_partition(plan.join.begin(), plan.join.end(),
                          [](auto& p) { return p.first == NamespaceType::User; });
    return plan;
}

namespace {
std::string format_map(const std::vector<spec::IdMapping>& maps) {
    std::string out;
    for (auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
               std::to_string(m.size) + "\n";
    return out;
}
}  // namespace

Result<> write_id_maps(pid_t pid, const spec::Linux& linux) {
    std::string base = "/proc/" + std::to_string(pid);
    if (!linux.uid_mappings.empty())
        BERTH_TRY_CTX(write_file(base + "/uid_map", format_map(linux.uid_mappings)), "linux.uidMappings");
    if (!linux.gid_mappings.empty())
        BERTH_TRY_CTX(write_file(base + "/gid_map", format_map(linux.gid_mappings)), "linux.gidMappings");
    return ok();
}

Result<> setns_path(const std::string& path, int nstype) {
    auto fd = BERTH_TRY(open_file(path, O_RDONLY));
    if (::setns(fd.get(), nstype) != 0) return Error::sys("setns", path);
    return ok();
}

Result<> join_namespaces(const std::vector<std::pair<NamespaceType, std::string>>& join) {
    // Open every namespace first: once in the container's mount namespace, host /proc
    // paths (/proc/<pid>/ns/...) no longer resolve.
    std::vector<UniqueFd> fds;
    for (auto& [type, path] : join) {
        auto fd = open_file(path, O_RDONLY);
        if (!fd)
            return std::move(fd.error())
                .with_context(std::string("join ") + spec::namespace_name(type) + " namespace");
        fds.push_back(std::move(*fd));
    }
    for (size_t i = 0; i < join.size(); ++i)
        if (::setns(fds[i].get(), spec::namespace_clone_flag(join[i].first)) != 0)
            return Error::sys("setns", join[i].second)
                .with_context(std::string("join ") + spec::namespace_name(join[i].first) + " namespace");
    return ok();
}

}  // namespace berth::runtime

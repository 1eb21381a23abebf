// The last steps of a container process before execve (shared by init and exec):
// rlimits, no_new_privs, capabilities, user and groups, umask, cwd, seccomp.
// Order follows runc: the bounding set is dropped while still privileged, caps survive
// setuid through PR_SET_KEEPCAPS, and seccomp is loaded as late as possible (before the
// capability drop only when no_new_privs is off, since loading it then needs CAP_SYS_ADMIN).
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/caps/caps.h"
#include "runtime/container/internal.h"
#include "runtime/rlimits/rlimits.h"

namespace berth::runtime {

namespace {
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Result<> set_user(const spec::User& u) {
    std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) return Error::sys("setgroups");
    if (::setresgid(u.gid, u.gid, u.gid) != 0) return Error::sys("setresgid " + std::to_string(u.gid));
    if (::setresuid(u.uid, u.uid, u.uid) != 0) return Error::sys("setresuid " + std::to_string(u.uid));
    return ok();
}

Result<> prepare(const ProcessContext& ctx, std::string* exe) {
    const spec::Process& p = *ctx.process;
    BERTH_TRY_CTX(rlimits::apply(p.rlimits), "process.rlimits");
    if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error::sys("prctl PR_SET_NO_NEW_PRIVS");
    if (ctx.filter && !ctx.filter->empty() && !p.no_new_privileges)
        BERTH_TRY_CTX(ctx.filter->load(), "load seccomp filter");
    if (p.capabilities) {
        BERTH_TRY_CTX(caps::apply_bounding(*p.capabilities), "process.capabilities.bounding");
        BERTH_TRY(caps::keep_caps_across_setuid());
    }
    BERTH_TRY_CTX(set_user(p.user), "process.user");
    if (p.capabilities) BERTH_TRY_CTX(caps::apply_sets(*p.capabilities), "process.capabilities");
    if (p.user.umask) ::umask(*p.user.umask);
    if (::chdir(p.cwd.c_str()) != 0) return Error::sys("chdir to process.cwd", p.cwd);
    *exe = BERTH_TRY(find_executable(p.args[0], p.env));
    // Everything past the preserved fds closes on exec (runc does the same).
    ::close_range(3 + ctx.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    if (ctx.filter && !ctx.filter->empty() && p.no_new_privileges)
        BERTH_TRY_CTX(ctx.filter->load(), "load seccomp filter");
    return ok();
}
}  // namespace

Result<std::string> find_executable(const std::string& file, const std::vector<std::string>& env) {
    if (file.find('/') != std::string::npos) {
        if (::access(file.c_str(), F_OK) != 0) return Error::sys("exec", file);
        return file;
    }
    std::string path = kDefaultPath;
    for (auto& e : env)
        if (starts_with(e, "PATH=")) path = e.substr(5);
    for (auto& dir : split(path, ':')) {
        std::string candidate = path_join(dir, file);
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return Error(ErrorKind::NotFound, "exec: \"" + file + "\": executable file not found in $PATH");
}

Error exec_process(const ProcessContext& ctx) {
    std::string exe;
    auto r = prepare(ctx, &exe);
    if (!r) return std::move(r.error());
    const spec::Process& p = *ctx.process;
    std::vector<char*> argv, envp;
    for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(exe.c_str(), argv.data(), envp.data());
    return Error::sys("exec", exe);
}

}  // namespace berth::runtime

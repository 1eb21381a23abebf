#include "integration/runtime/runtime_harness.h"

#include <unistd.h>

#include "common/file.h"

namespace berth::test {

namespace {
bool executable(const std::string& path) {
    return access(path.c_str(), X_OK) == 0;
}
}  // namespace

Runtime berth_runtime() {
    return {"berth", {binary("berth-runtime")}, executable(binary("berth-runtime"))};
}

std::vector<Runtime> all_runtimes() {
    std::vector<Runtime> out{berth_runtime()};
    out.push_back({"runc", {"/usr/sbin/runc"}, executable("/usr/sbin/runc")});
    std::string crun = executable("/usr/bin/crun") ? "/usr/bin/crun" : "";
    bool hybrid = path_exists("/sys/fs/cgroup/unified/cgroup.procs");
    if (hybrid)
        out.push_back({"crun",
                       {"unshare", "-m", "--propagation", "private", "sh", "-c",
                        "umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun \"$@\"", "crun"},
                       !crun.empty()});
    else
        out.push_back({"crun", {"/usr/bin/crun"}, !crun.empty()});
    return out;
}

RuntimeSession::RuntimeSession(Runtime rt) : rt_(std::move(rt)), root_("berth-rt-" + rt_.name) {}

RuntimeSession::~RuntimeSession() {
    for (auto& id : ids_) cmd({"delete", "--force", id}, {}, 30);
}

std::string RuntimeSession::new_id() {
    std::string id = "t" + std::to_string(getpid()) + "-" + rt_.name + "-" + std::to_string(++counter_);
    ids_.push_back(id);
    return id;
}

CommandResult RuntimeSession::cmd(const std::vector<std::string>& args, const std::string& input,
                                  int timeout) {
    std::vector<std::string> argv = rt_.prefix;
    argv.push_back("--root");
    argv.push_back(root_.path());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input, timeout);
}

CommandResult RuntimeSession::detached(const std::vector<std::string>& args) {
    std::string line;
    auto quote = [](const std::string& a) {
        std::string q = "'";
        for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    for (auto& a : rt_.prefix) line += quote(a) + " ";
    line += "--root " + quote(root_.path()) + " ";
    for (auto& a : args) line += quote(a) + " ";
    std::string out = root_.path() + "/.out", err = root_.path() + "/.err";
    auto r = run_shell(line + "</dev/null >" + out + " 2>" + err);
    r.out = read_file(out).value_or("");
    r.err = read_file(err).value_or("");
    return r;
}

CommandResult RuntimeSession::run(Bundle& bundle, const std::vector<std::string>& args, int timeout) {
    bundle.set_args(args);
    bundle.write_config();
    return cmd({"run", "--bundle", bundle.dir(), new_id()}, {}, timeout);
}

}  // namespace berth::test

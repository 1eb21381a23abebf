// Shim options on the command line, exit status files, and stdcopy framing.
#include <arpa/inet.h>

#include <cstring>

#include "common/file.h"
#include "shim/shim.h"

namespace berth::shim {

std::vector<std::string> Options::to_args() const {
    std::vector<std::string> a = {"--id",           id,           "--bundle",       bundle,
                                  "--state-dir",    state_dir,    "--runtime-root", runtime_root,
                                  "--log-path",     log_path,     "--log-max-size", std::to_string(log_max_size),
                                  "--log-max-file", std::to_string(log_max_file)};
    if (tty) a.push_back("--tty");
    if (open_stdin) a.push_back("--stdin");
    if (stdin_once) a.push_back("--stdin-once");
    return a;
}

Result<Options> Options::from_args(const std::vector<std::string>& args) {
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& k = args[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= args.size()) return Error::invalid("berth-shim: " + k + " needs a value");
            return args[++i];
        };
        if (k == "--id") o.id = BERTH_TRY(value());
        else if (k == "--bundle") o.bundle = BERTH_TRY(value());
        else if (k == "--state-dir") o.state_dir = BERTH_TRY(value());
        else if (k == "--runtime-root") o.runtime_root = BERTH_TRY(value());
        else if (k == "--log-path") o.log_path = BERTH_TRY(value());
        else if (k == "--log-max-size") o.log_max_size = std::stoll(BERTH_TRY(value()));
        else if (k == "--log-max-file") o.log_max_file = std::stoi(BERTH_TRY(value()));
        else if (k == "--tty") o.tty = true;
        else if (k == "--stdin") o.open_stdin = true;
        else if (k == "--stdin-once") o.stdin_once = true;
        else return Error::invalid("berth-shim: unknown option " + k);
    }
    if (o.id.empty() || o.bundle.empty() || o.state_dir.empty() || o.runtime_root.empty())
        return Error::invalid("berth-shim: --id, --bundle, --state-dir and --runtime-root are required");
    if (o.log_max_file < 1) o.log_max_file = 1;
    return o;
}

Json ExitStatus::to_json() const {
    return {{"exit_code", exit_code}, {"finished_at", finished_at}, {"oom_killed", oom_killed}};
}

Result<ExitStatus> ExitStatus::from_json(const Json& j) {
    if (!j.is_object() || !j.contains("exit_code") || !j["exit_code"].is_number_integer())
        return Error::internal("exit status: missing exit_code");
    ExitStatus e;
    e.exit_code = j["exit_code"].get<int>();
    e.finished_at = j.value("finished_at", "");
    e.oom_killed = j.value("oom_killed", false);
    return e;
}

Result<ExitStatus> read_exit_status(const std::string& state_dir) {
    auto j = BERTH_TRY(read_json_file(path_join(state_dir, kExitFile)));
    return ExitStatus::from_json(j);
}

std::string stdcopy_frame(int stream, std::string_view data) {
    std::string out(8, '\0');
    out[0] = static_cast<char>(stream);
    uint32_t len = htonl(static_cast<uint32_t>(data.size()));
    memcpy(out.data() + 4, &len, 4);
    out.append(data);
    return out;
}

}  // namespace berth::shim

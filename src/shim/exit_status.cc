// exit.json as berthd reads it (the monitor writes it with exit_status_text()).
#include "common/file.h"
#include "shim/shim.h"

namespace berth::shim {

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

}  // namespace berth::shim

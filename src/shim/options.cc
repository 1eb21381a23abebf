// Shim options on the command line and exit.json's text: the pieces that
// berth-shim, berth-monitor and berthd share (see options.h).
#include "shim/options.h"

#include <charconv>

#include "common/go_json.h"

namespace berth::shim {

namespace {

template <typename T>
Result<T> parse_number(const std::string& option, const std::string& text) {
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return Error::invalid("berth-shim: " + option + ": not a number: \"" + text + "\"");
    return v;
}

}  // namespace

std::vector<std::string> Options::to_args() const {
    std::vector<std::string> a = {"--id",           id,
                                  "--bundle",       bundle,
                                  "--state-dir",    state_dir,
                                  "--runtime-root", runtime_root,
                                  "--log-path",     log_path,
                                  "--log-max-size", std::to_string(log_max_size),
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
        if (k == "--id")
            o.id = BERTH_TRY(value());
        else if (k == "--bundle")
            o.bundle = BERTH_TRY(value());
        else if (k == "--state-dir")
            o.state_dir = BERTH_TRY(value());
        else if (k == "--runtime-root")
            o.runtime_root = BERTH_TRY(value());
        else if (k == "--log-path")
            o.log_path = BERTH_TRY(value());
        else if (k == "--log-max-size")
            o.log_max_size = BERTH_TRY(parse_number<int64_t>(k, BERTH_TRY(value())));
        else if (k == "--log-max-file")
            o.log_max_file = BERTH_TRY(parse_number<int>(k, BERTH_TRY(value())));
        else if (k == "--tty")
            o.tty = true;
        else if (k == "--stdin")
            o.open_stdin = true;
        else if (k == "--stdin-once")
            o.stdin_once = true;
        else
            return Error::invalid("berth-shim: unknown option " + k);
    }
    if (o.id.empty() || o.bundle.empty() || o.state_dir.empty() || o.runtime_root.empty())
        return Error::invalid("berth-shim: --id, --bundle, --state-dir and --runtime-root are required");
    if (o.log_max_file < 1) o.log_max_file = 1;
    return o;
}

std::string exit_status_text(int exit_code, std::string_view finished_at, bool oom_killed) {
    std::string s = "{\"exit_code\":" + std::to_string(exit_code) + ",\"finished_at\":";
    append_go_json_string(s, finished_at, true);
    s += oom_killed ? ",\"oom_killed\":true}" : ",\"oom_killed\":false}";
    return s;
}

}  // namespace berth::shim

// GET /containers/{id}/logs: reads the json-file log the shim writes (rotated files
// oldest first), filters by stream/since/until/tail, and follows the live file.
#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include "common/file.h"
#include "common/stdcopy.h"
#include "common/time.h"
#include "daemon/containers/manager_impl.h"
#include "shim/shim.h"

namespace berth::daemon::containers {

namespace {

struct Record {
    int stream = 1;  // 1 stdout, 2 stderr
    std::string text;
    std::string time;
    int64_t nanos = 0;
};

std::optional<Record> parse_line(const std::string& line) {
    auto j = parse_json(line);
    if (!j || !j->is_object()) return std::nullopt;
    Record r;
    r.text = j->value("log", "");
    r.stream = j->value("stream", "stdout") == "stderr" ? 2 : 1;
    r.time = j->value("time", "");
    r.nanos = parse_rfc3339(r.time).value_or(0);
    return r;
}

class Emitter {
public:
    Emitter(const LogOptions& o, bool tty, const WriteFn& out) : o_(o), tty_(tty), out_(out) {}
    bool wanted(const Record& r) const {
        if ((r.stream == 1 && !o_.stdout_) || (r.stream == 2 && !o_.stderr_)) return false;
        if (o_.since_nanos && r.nanos < o_.since_nanos) return false;
        if (o_.until_nanos && r.nanos > o_.until_nanos) return false;
        return true;
    }
    Result<> emit(const Record& r) {
        std::string text = o_.timestamps ? r.time + " " + r.text : r.text;
        return out_(tty_ ? text : stdcopy_encode(static_cast<StdStream>(r.stream), text));
    }

private:
    const LogOptions& o_;
    bool tty_;
    const WriteFn& out_;
};

}  // namespace

Result<> ManagerImpl::logs(const std::string& ref, const LogOptions& o, const WriteFn& out,
                           const std::function<bool()>& cancelled) {
    auto e = BERTH_TRY(find(ref));
    std::string path;
    bool tty;
    {
        std::lock_guard lk(mu_);
        path = e->c.log_path;
        tty = e->c.config.tty;
    }
    if (path.empty()) return Error::unsupported("configured logging driver does not support reading");
    Emitter em(o, tty, out);

    // The rotated files, oldest first, then the live one.
    std::vector<std::string> files;
    for (int i = 20; i >= 1; --i)
        if (path_exists(path + "." + std::to_string(i))) files.push_back(path + "." + std::to_string(i));
    files.push_back(path);
    std::deque<Record> tail;
    auto consider = [&](const Record& r) -> Result<> {
        if (!em.wanted(r)) return ok();
        if (o.tail < 0) return em.emit(r);
        if (o.tail == 0) return ok();
        tail.push_back(r);
        if (static_cast<int64_t>(tail.size()) > o.tail) tail.pop_front();
        return ok();
    };
    for (size_t i = 0; i + 1 < files.size(); ++i) {
        std::ifstream in(files[i]);
        for (std::string line; std::getline(in, line);)
            if (auto r = parse_line(line)) BERTH_TRY(consider(*r));
    }
    // The live file: read what is there, then follow it when asked.
    std::ifstream in(path);
    struct stat st0 {};
    ::stat(path.c_str(), &st0);
    std::string partial;
    auto drain = [&](bool live) -> Result<> {
        std::string line;
        while (std::getline(in, line)) {
            if (in.eof()) {  // no newline yet: the shim is mid-write
                partial += line;
                break;
            }
            line = partial + line;
            partial.clear();
            if (auto r = parse_line(line))
                BERTH_TRY(live ? (em.wanted(*r) ? em.emit(*r) : ok()) : consider(*r));
        }
        in.clear();
        return ok();
    };
    BERTH_TRY(drain(false));
    for (auto& r : tail) BERTH_TRY(em.emit(r));
    if (!o.follow) return ok();
    using namespace std::chrono_literals;
    for (;;) {
        bool running;
        {
            std::lock_guard lk(mu_);
            running = (e->c.state.running() || e->c.state.status == Status::Restarting ||
                       e->c.state.status == Status::Created) &&
                      !e->removed;
        }
        BERTH_TRY(drain(true));
        if (!running || (cancelled && cancelled())) return ok();
        if (o.until_nanos && now_unix_nanos() > o.until_nanos) return ok();
        // Rotation: the live file was renamed to .1 and a new one started.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && st.st_ino != st0.st_ino) {
            BERTH_TRY(drain(true));
            in.close();
            in.open(path);
            st0 = st;
            partial.clear();
            continue;
        }
        std::this_thread::sleep_for(50ms);
    }
}

}  // namespace berth::daemon::containers

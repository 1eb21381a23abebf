// IDs, generated names, and the human-readable strings `docker ps` shows.
#include <sys/random.h>

#include <cstdio>

#include "common/id.h"
#include "common/time.h"
#include "daemon/containers/manager_impl.h"

namespace berth::daemon::containers {

namespace {
// Our own word lists (Docker's generator pairs an adjective with a scientist's surname).
const char* kAdjectives[] = {"agile",  "amber",  "bold",   "brave",   "bright",  "calm",   "clever",
                             "cosmic", "crisp",  "daring", "eager",   "fervent", "gentle", "happy",
                             "humble", "jolly",  "keen",   "kind",    "lively",  "lucid",  "merry",
                             "modest", "nimble", "noble",  "patient", "placid",  "quiet",  "quirky",
                             "rapid",  "serene", "sharp",  "silent",  "steady",  "stoic",  "sunny",
                             "swift",  "tender", "upbeat", "vivid",   "wise",    "witty",  "zealous"};
const char* kSurnames[] = {"agnesi",   "babbage",  "bohr",      "curie",   "darwin",   "dijkstra", "einstein",
                           "euler",    "faraday",  "fermat",    "feynman", "franklin", "galileo",  "gauss",
                           "hamilton", "hopper",   "hypatia",   "johnson", "kepler",   "knuth",    "lamarr",
                           "lovelace", "maxwell",  "meitner",   "mendel",  "newton",   "noether",  "pascal",
                           "pasteur",  "planck",   "ramanujan", "ritchie", "sagan",    "shannon",  "tesla",
                           "thompson", "torvalds", "turing",    "volta",   "wilson",   "wozniak",  "yalow"};

uint32_t random_u32() {
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != sizeof v) v = static_cast<uint32_t>(now_unix_nanos());
    return v;
}
}  // namespace

std::string generate_id() {
    return random_id();
}

std::string generate_name() {
    constexpr size_t na = sizeof kAdjectives / sizeof *kAdjectives, ns = sizeof kSurnames / sizeof *kSurnames;
    return std::string(kAdjectives[random_u32() % na]) + "_" + kSurnames[random_u32() % ns];
}

bool valid_name(const std::string& name) {
    if (name.size() < 2 || name.size() > 253) return false;
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(name[0])) return false;
    for (char c : name)
        if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

std::string human_duration(int64_t s) {
    auto plural = [](int64_t n, const char* unit) {
        return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
    };
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return plural(s, "second");
    int64_t m = s / 60;
    if (m == 1) return "About a minute";
    if (m < 60) return plural(m, "minute");
    int64_t h = m / 60;
    if (h == 1) return "About an hour";
    if (h < 48) return plural(h, "hour");
    if (h < 24 * 7 * 2) return plural(h / 24, "day");
    if (h < 24 * 30 * 2) return plural(h / 24 / 7, "week");
    if (h < 24 * 365 * 2) return plural(h / 24 / 30, "month");
    return plural(h / 24 / 365, "year");
}

namespace {
int64_t seconds_since(const std::string& t) {
    auto n = parse_rfc3339(t);
    if (!n || *n == INT64_MIN) return 0;
    return (now_unix_nanos() - *n) / 1000000000;
}
}  // namespace

std::string status_text(const Container& c) {
    switch (c.state.status) {
        case Status::Running:
            return "Up " + human_duration(seconds_since(c.state.started_at));
        case Status::Paused:
            return "Up " + human_duration(seconds_since(c.state.started_at)) + " (Paused)";
        case Status::Restarting:
            return "Restarting (" + std::to_string(c.state.exit_code) + ") " +
                   human_duration(seconds_since(c.state.finished_at)) + " ago";
        case Status::Removing:
            return "Removal In Progress";
        case Status::Dead:
            return "Dead";
        case Status::Created:
            return "Created";
        case Status::Exited:
            if (c.state.finished_at.empty() || c.state.finished_at == kZeroTime) return "Created";
            return "Exited (" + std::to_string(c.state.exit_code) + ") " +
                   human_duration(seconds_since(c.state.finished_at)) + " ago";
    }
    return "";
}

std::string command_line(const Container& c) {
    // As moby's list: arguments holding a space are wrapped in single quotes, nothing else.
    std::string out = c.path;
    for (auto& a : c.args) out += a.find(' ') != std::string::npos ? " '" + a + "'" : " " + a;
    return out;
}

}  // namespace berth::daemon::containers

// Docker's pull and push progress stream (JSON messages the docker CLI draws as per-layer
// lines and bars), serialised for the transfer threads.
#pragma once

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include "daemon/images/image_service.h"

namespace berth::daemon::images {

// Serialises progress messages from the download threads.
class ProgressStream {
public:
    explicit ProgressStream(const ProgressFn& fn) : fn_(fn) {}
    void status(const std::string& status, const std::string& id = {}) {
        Json m = {{"status", status}};
        if (!id.empty()) m["id"] = id;
        send(m);
    }
    // A layer's line: with an (empty) progressDetail, as Docker sends it, which the docker
    // CLI takes as "update this layer's line in place" rather than "print a new line".
    void layer(const std::string& status, const std::string& id) {
        send({{"status", status}, {"progressDetail", Json::object()}, {"id", id}});
    }
    void bar(const std::string& status, const std::string& id, int64_t current, int64_t total) {
        Json m = {{"status", status}, {"id", id}, {"progressDetail", {{"current", current}}}};
        if (total > 0) m["progressDetail"]["total"] = total;
        m["progress"] = bar_text(current, total);
        send(m);
    }
    void send(const Json& m) {
        if (!fn_) return;
        std::lock_guard lock(mu_);
        fn_(m);
    }

private:
    static std::string human(int64_t n) {
        const char* units[] = {"B", "kB", "MB", "GB"};
        double v = static_cast<double>(n);
        int u = 0;
        while (v >= 1000 && u < 3) v /= 1000, ++u;
        char buf[32];
        snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
        return buf;
    }
    static std::string bar_text(int64_t current, int64_t total) {
        if (total <= 0) return human(current);
        int width = 50, filled = static_cast<int>(width * std::min<int64_t>(current, total) / total);
        std::string b = "[" + std::string(std::max(filled - 1, 0), '=') + (filled > 0 ? ">" : "") +
                        std::string(width - filled, ' ') + "] ";
        return b + human(current) + "/" + human(total);
    }
    const ProgressFn& fn_;
    std::mutex mu_;
};

}  // namespace berth::daemon::images

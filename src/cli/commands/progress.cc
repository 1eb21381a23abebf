// docker's jsonmessage.DisplayJSONMessagesStream: per-layer lines updated in place on a
// terminal, plain "ID: Status" lines otherwise.
#include "cli/commands/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "cli/commands/humanize.h"

namespace berth::cli {
namespace {

int64_t int_field(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
    return j[key].get<int64_t>();
}

std::string str_field(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
    return j[key].get<std::string>();
}

// Go's time.Duration.String() for whole seconds: "1h2m3s", "4m0s", "5s".
std::string go_duration(int64_t s) {
    if (s <= 0) return "0s";
    std::string out;
    if (s >= 3600) out += std::to_string(s / 3600) + "h";
    if (s >= 60) out += std::to_string(s / 60 % 60) + "m";
    return out + std::to_string(s % 60) + "s";
}

std::string pad_left(const std::string& s, size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string progress_text(int64_t current, int64_t total, int width, int64_t start, int64_t now) {
    if (current <= 0 && total <= 0) return "";
    if (total <= 0) return pad_left(human_size(static_cast<double>(current), 4), 8);
    int pct = static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
    pct = std::clamp(pct, 0, 50);
    std::string bar;
    if (width > 110) bar = "[" + std::string(pct, '=') + ">" + std::string(50 - pct, ' ') + "] ";
    std::string numbers = pad_left(human_size(static_cast<double>(current), 4), 8);
    if (current <= total) numbers += "/" + human_size(static_cast<double>(total), 4);
    std::string left;
    if (current > 0 && start > 0 && pct < 50 && width > 50) {
        int64_t elapsed = std::max<int64_t>(now - start, 0);
        left = " " + go_duration((total - current) * elapsed / current);
    }
    return bar + numbers + left;
}

ProgressOutput progress_output(Context& ctx, bool to_stderr, bool quiet) {
    ProgressOutput o;
    if (quiet) return o;
    Context* c = &ctx;
    if (to_stderr)
        o.write = [c](std::string_view s) { write_err(*c, s); };
    else
        o.write = [c](std::string_view s) { write_out(*c, s); };
    int fd = to_stderr ? 2 : ctx.io.out_fd;
    o.terminal = ctx.io.real_stdio && fd >= 0 && ::isatty(fd);
    if (o.terminal) {
        struct winsize ws {};
        if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) o.width = ws.ws_col;
    }
    return o;
}

ProgressRenderer::ProgressRenderer(ProgressOutput out) : out_(std::move(out)) {}

void ProgressRenderer::write(std::string_view s) {
    if (out_.write) out_.write(s);
}

Result<> ProgressRenderer::line(std::string_view text) {
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return ok();
    auto m = parse_json(text, "progress message");
    if (!m) return Error::internal("malformed message from the daemon: " + std::string(text.substr(0, 200)));
    return message(*m);
}

Result<> ProgressRenderer::message(const Json& m) {
    if (!m.is_object()) return ok();
    if (m.contains("errorDetail") || m.contains("error")) {
        std::string msg = str_field(m, "error");
        if (m.contains("errorDetail") && m["errorDetail"].is_object()) {
            std::string detail = str_field(m["errorDetail"], "message");
            if (!detail.empty()) msg = detail;
        }
        return Error::internal(msg.empty() ? "unknown error from the daemon" : msg);
    }
    if (m.contains("aux")) return ok();  // digests, load IDs: not printed, as docker
    std::string id = str_field(m, "id");
    std::string status = str_field(m, "status");
    std::string stream = str_field(m, "stream");
    const Json* detail =
        m.contains("progressDetail") && m["progressDetail"].is_object() ? &m["progressDetail"] : nullptr;
    int64_t current = detail ? int_field(*detail, "current") : 0;
    int64_t total = detail ? int_field(*detail, "total") : 0;

    if (!out_.terminal) {
        if (!stream.empty()) {
            write(stream);
            return ok();
        }
        if (!progress_text(current, total, out_.width).empty()) return ok();  // a byte count: no bar spam
        if (status.empty() && id.empty()) return ok();
        if (!id.empty()) {
            auto it = last_.find(id);
            if (it != last_.end() && it->second == status) return ok();
            last_[id] = status;
        } else {
            last_.clear();
        }
        std::string prefix = id.empty() ? "" : id + ": ";
        std::string old = str_field(m, "progress");  // the deprecated preformatted text
        write(prefix + status + (old.empty() || detail ? "" : " " + old) + "\n");
        return ok();
    }

    if (id.empty()) {
        // Something outside the block of layer lines: later ids start a new block.
        lines_.clear();
        if (!stream.empty())
            write(stream);
        else if (!status.empty())
            write(status + "\n");
        return ok();
    }
    size_t diff;
    std::string out;
    auto it = lines_.find(id);
    size_t line;
    if (it == lines_.end()) {
        line = lines_.size();
        lines_[id] = line;
        out += "\n";
    } else {
        line = it->second;
    }
    diff = lines_.size() - line;
    out += "\x1b[" + std::to_string(diff) + "A";  // up to the layer's line
    out += "\x1b[2K\r" + id + ": " + status;
    std::string bar = progress_text(current, total, out_.width, int_field(detail ? *detail : Json(), "start"),
                                    now_seconds());
    if (bar.empty() && !detail) bar = str_field(m, "progress");
    if (!bar.empty()) out += " " + bar;
    out += "\r\x1b[" + std::to_string(diff) + "B";  // back below the block
    write(out);
    return ok();
}

Result<> render_stream(client::Stream& s, ProgressRenderer& r) {
    for (;;) {
        auto line = BERTH_TRY(s.read_line());
        if (!line) return ok();
        BERTH_TRY(r.line(*line));
    }
}

}  // namespace berth::cli

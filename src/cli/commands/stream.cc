// The attach/exec I/O loop: one poll() over stdin, the daemon connection and a signalfd.
#include "cli/commands/stream.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/stdcopy.h"

namespace berth::cli {

Result<std::string> parse_detach_keys(const std::string& spec) {
    std::string s = spec.empty() ? "ctrl-p,ctrl-q" : spec;
    std::string out;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t c = s.find(',', pos);
        std::string k = s.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
        if (k.size() == 1) {
            out += k;
        } else if (k.size() == 6 && k.rfind("ctrl-", 0) == 0) {
            char ch = k[5];
            if (ch >= 'a' && ch <= 'z')
                out += static_cast<char>(ch - 'a' + 1);
            else if (ch == '@')
                out += '\0';
            else if (ch >= '[' && ch <= '_')
                out += static_cast<char>(ch - '[' + 27);
            else
                return Error::invalid("Unknown character: '" + k + "'");
        } else {
            return Error::invalid("Unknown character: '" + k + "'");
        }
        if (c == std::string::npos) break;
        pos = c + 1;
    }
    return out;
}

void resize_tty(Context& ctx, const std::string& resize_path) {
    struct winsize ws {};
    int fd = ::isatty(ctx.io.out_fd) ? ctx.io.out_fd : ctx.io.in_fd;
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return;
    client::Query q;
    q.add("h", std::to_string(ws.ws_row)).add("w", std::to_string(ws.ws_col));
    (void)ctx.client().call("POST", resize_path, q);  // best effort, as docker: the exec may be gone
}

namespace {

// Puts the terminal in raw mode for the life of the object.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (::tcgetattr(fd, &saved_) != 0) return;
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        raw.c_oflag = saved_.c_oflag;  // keep output processing (docker keeps OPOST for stdout)
        if (::tcsetattr(fd, TCSADRAIN, &raw) == 0) active_ = true;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
    }

private:
    int fd_;
    struct termios saved_ {};
    bool active_ = false;
};

// Blocks the signals we handle and reads them from a signalfd; restores on exit.
class SignalSet {
public:
    explicit SignalSet(const std::vector<int>& sigs) {
        sigset_t set;
        sigemptyset(&set);
        for (int s : sigs) sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, &old_);
        fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    }
    ~SignalSet() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
    int fd() const { return fd_.get(); }

private:
    UniqueFd fd_;
    sigset_t old_;
};

}  // namespace

namespace {

// Drains the signalfd: SIGWINCH resizes the TTY, the others go to the container (--sig-proxy).
void forward_signals(Context& ctx, int sig_fd, const PumpOptions& o) {
    struct signalfd_siginfo si;
    while (::read(sig_fd, &si, sizeof si) == sizeof si) {
        if (static_cast<int>(si.ssi_signo) == SIGWINCH) {
            resize_tty(ctx, o.resize_path);
        } else {
            client::Query q;
            q.add("signal", std::to_string(si.ssi_signo));
            std::string kill_path = "/containers/" + o.sig_proxy_container + "/kill";
            (void)ctx.client().call("POST", kill_path, q);  // best effort: it may have exited
        }
    }
}

// What one read of stdin asks of the loop: go on, poll again (EINTR), or stop (detached).
enum class StdinStep { Forwarded, Retry, Detached };

// One read from stdin to the connection. On a TTY the bytes matching the detach keys so far
// are held back (matched) until the sequence completes or breaks off; at end of input they
// are sent and the write side closed.
Result<StdinStep> forward_stdin(Context& ctx, client::Hijacked& conn, const std::string& detach, bool in_tty,
                                size_t& matched, bool& stdin_open) {
    char buf[32768];
    ssize_t r = ::read(ctx.io.in_fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) return StdinStep::Retry;
    if (r <= 0) {
        stdin_open = false;
        if (matched) BERTH_TRY(conn.write(detach.substr(0, matched)));
        conn.close_write();
        return StdinStep::Forwarded;
    }
    std::string out;
    for (ssize_t i = 0; i < r; ++i) {
        char c = buf[i];
        if (in_tty && !detach.empty() && c == detach[matched]) {
            if (++matched == detach.size()) {
                if (!out.empty()) BERTH_TRY(conn.write(out));
                return StdinStep::Detached;
            }
            continue;
        }
        if (matched) {
            out += detach.substr(0, matched);
            matched = 0;
        }
        out += c;
    }
    if (!out.empty()) {
        auto w = conn.write(out);
        if (!w) stdin_open = false;  // the container closed its stdin
    }
    return StdinStep::Forwarded;
}

// Writes what the daemon sent: as is with a TTY, else split into stdout and stderr by the
// stdcopy frames (passed through when it is not framed after all).
Result<> write_output(Context& ctx, StdcopyDecoder& demux, const std::string& data, bool tty) {
    if (tty) {
        write_out(ctx, data);
        return ok();
    }
    std::vector<StdFrame> frames;
    auto fr = demux.feed(data, frames);
    if (!fr) {  // not framed after all: pass through
        write_out(ctx, data);
        return ok();
    }
    for (const auto& f : frames) {
        if (f.stream == StdStream::Stderr)
            write_err(ctx, f.payload);
        else if (f.stream == StdStream::SystemErr)
            return Error::internal(f.payload);
        else
            write_out(ctx, f.payload);
    }
    return ok();
}

}  // namespace

Result<PumpEnd> pump(Context& ctx, client::Hijacked& conn, const PumpOptions& o) {
    std::string detach = BERTH_TRY(parse_detach_keys(o.detach_keys));
    bool in_tty = o.send_stdin && o.tty && ::isatty(ctx.io.in_fd);
    std::optional<RawTerminal> raw;
    if (in_tty) raw.emplace(ctx.io.in_fd);

    std::vector<int> sigs;
    if (!o.resize_path.empty() && o.tty) sigs.push_back(SIGWINCH);
    if (!o.sig_proxy_container.empty() && !o.tty)
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigs.push_back(s);
    std::optional<SignalSet> signals;
    if (!sigs.empty()) signals.emplace(sigs);

    StdcopyDecoder demux;
    bool stdin_open = o.send_stdin;
    size_t matched = 0;  // detach-key bytes matched so far (held back)
    for (;;) {
        // Data the connection already buffered is read before polling again.
        if (!conn.has_buffered()) {
            struct pollfd fds[3];
            int n = 0;
            fds[n++] = {conn.fd(), POLLIN, 0};
            int in_idx = -1, sig_idx = -1;
            if (stdin_open) {
                in_idx = n;
                fds[n++] = {ctx.io.in_fd, POLLIN, 0};
            }
            if (signals && signals->fd() >= 0) {
                sig_idx = n;
                fds[n++] = {signals->fd(), POLLIN, 0};
            }
            if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
                if (errno == EINTR) continue;
                return Error::sys("poll");
            }
            if (sig_idx >= 0 && (fds[sig_idx].revents & POLLIN)) forward_signals(ctx, signals->fd(), o);
            if (in_idx >= 0 && (fds[in_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
                StdinStep step = BERTH_TRY(forward_stdin(ctx, conn, detach, in_tty, matched, stdin_open));
                if (step == StdinStep::Retry) continue;
                if (step == StdinStep::Detached) return PumpEnd::Detached;
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        }
        std::string data = BERTH_TRY(conn.read());
        if (data.empty()) return PumpEnd::OutputClosed;
        BERTH_TRY(write_output(ctx, demux, data, o.tty));
    }
}

}  // namespace berth::cli

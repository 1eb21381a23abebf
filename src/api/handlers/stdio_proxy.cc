#include "api/handlers/stdio_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/file.h"
#include "common/stdcopy.h"
#include "common/strings.h"

namespace berth::api {

Result<std::string> parse_detach_keys(const std::string& spec) {
    std::string out;
    for (auto& k : split(spec, ',')) {
        if (k.size() == 1) {
            out += k;
        } else if (k.rfind("ctrl-", 0) == 0 && k.size() == 6) {
            char c = k[5];
            if (c >= 'a' && c <= 'z')
                out += static_cast<char>(c - 'a' + 1);
            else if (c == '@')
                out += '\0';
            else if (c >= '[' && c <= '_')
                out += static_cast<char>(c - 'A' + 1);
            else
                return Error::invalid("Invalid detach keys (" + spec + ") provided");
        } else {
            return Error::invalid("Invalid detach keys (" + spec + ") provided");
        }
    }
    if (out.empty()) return Error::invalid("Invalid detach keys (" + spec + ") provided");
    return out;
}

void proxy_stdio(const std::shared_ptr<HijackedStream>& stream, const ProxyEnds& e) {
    std::atomic<bool> done{false};
    // Output: the container side until EOF on every output fd.
    std::thread pump([&] {
        pollfd fds[2] = {{e.output, POLLIN, 0}, {e.output2, POLLIN, 0}};
        int open = (e.output >= 0) + (e.output2 >= 0);
        char buf[32768];
        while (open > 0) {
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (n <= 0) {  // EOF (or EIO on a pty whose process ended)
                    fds[i].fd = -1;
                    --open;
                    continue;
                }
                std::string_view data(buf, static_cast<size_t>(n));
                auto w = e.frame_output ? stream->write(stdcopy_encode(static_cast<StdStream>(i + 1), data))
                                        : stream->write(data);
                if (!w) open = 0;
            }
        }
        if (e.on_output_done) e.on_output_done();
        done = true;
        stream->close();  // wakes the input loop below
    });
    // Input: the client's bytes, watching for the detach sequence.
    std::string pending;  // a prefix of the detach keys, held back
    char buf[4096];
    bool input_open = e.input >= 0, client_gone = false;
    for (;;) {
        auto n = stream->read(std::span<char>(buf, sizeof buf));
        if (!n) {
            client_gone = !done;
            break;
        }
        if (*n == 0) break;  // the client closed its sending side: output continues
        if (!input_open) continue;
        std::string out;
        bool detach = false;
        for (size_t i = 0; i < *n; ++i) {
            char c = buf[i];
            if (!e.detach_keys.empty() && c == e.detach_keys[pending.size()]) {
                pending += c;
                if (pending.size() == e.detach_keys.size()) {
                    detach = true;
                    break;
                }
                continue;
            }
            out += pending;
            pending.clear();
            out += c;
        }
        if (!out.empty() && !write_all(e.input, out)) input_open = false;
        if (detach) {
            client_gone = true;
            break;
        }
    }
    if (!client_gone) {
        if (e.input >= 0 && e.shutdown_input_at_eof) ::shutdown(e.input, SHUT_WR);
        if (e.on_input_eof) e.on_input_eof();
    }
    if (client_gone) {
        // Detached or disconnected: the container keeps running. A socket source is shut
        // so the pump stops now; pipes and ptys end with their process.
        stream->close();
        if (e.shutdown_input_at_eof && e.output >= 0) ::shutdown(e.output, SHUT_RDWR);
    }
    pump.join();
}

}  // namespace berth::api

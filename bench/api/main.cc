// berth-bench-apiload: HTTP/1.1 load over a unix socket, the C++ twin of
// ../shared/bench/apiload.py but cheap enough per request that the daemon, not the client,
// is what gets measured. Each of --conc threads keeps one keep-alive connection and sends
// prebuilt requests back to back (no pipelining) for --secs after --warmup; one JSON line:
//   berth-bench-apiload --sock /var/run/docker.sock --path /_ping [--conc 4] [--secs 5]
//   {"rps":..,"requests":..,"errors":..,"p50_ms":..,"p90_ms":..,"p99_ms":..,"client_cpu_us_per_req":..,
//    "all_requests":.. (warm-up included),"conc":4,"secs":5,"path":"/_ping"}
// A request counts if it started inside the window; errors are non-2xx answers, I/O failures
// and malformed responses (the connection is then reopened).
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "response_parser.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string sock, path = "/_ping", method = "GET";
    int conc = 4;
    double secs = 5, warmup = 0.5;
    bool poll_wait = true;  // --wait poll|recv
};

struct Tally {
    long requests = 0, errors = 0;
    long all = 0;  // warm-up included, for the client's CPU per request
    std::vector<float> latency_ms;
};

int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    timeval tv{10, 0};  // a stuck daemon fails the request instead of hanging the run
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const std::string& data) {
    for (std::size_t off = 0; off < data.size();) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// One request/response on fd; returns the status (0 on failure) and sets `close`.
// With poll_wait the thread sleeps in poll(POLLIN) and reads without blocking: a thread
// blocked in recv() on a unix socket is also woken, for nothing, each time the server reads
// the request (the kernel's write-space wake-up of the socket's waiters), and that spurious
// wake-up would be charged to the server's CPU and the client's alike.
int exchange(int fd, const std::string& request, bool head, bool poll_wait, std::string& buf, bool& close) {
    close = true;
    if (!write_all(fd, request)) return 0;
    buf.clear();
    char chunk[65536];
    bool readable = !poll_wait;
    for (;;) {
        if (!readable) {
            pollfd p{fd, POLLIN, 0};
            int r = ::poll(&p, 1, 10000);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return 0;
        }
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), poll_wait ? MSG_DONTWAIT : 0);
        if (n < 0 && errno == EINTR) continue;
        readable = n > 0 || !poll_wait;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && poll_wait) continue;
        if (n < 0) return 0;
        if (n == 0) {
            auto e = berth::bench::find_response_end(buf, head);
            return e.state == berth::bench::ResponseEnd::UntilClose ? e.status : 0;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
        auto e = berth::bench::find_response_end(buf, head);
        if (e.state == berth::bench::ResponseEnd::Invalid) return 0;
        if (e.state == berth::bench::ResponseEnd::Complete) {
            close = e.close;
            return e.status;
        }
    }
}

void worker(const Options& o, const std::string& request, Clock::time_point start, Clock::time_point end,
            Tally& t) {
    bool head = o.method == "HEAD";
    std::string buf;
    buf.reserve(65536);
    t.latency_ms.reserve(1 << 20);
    int fd = -1;
    for (;;) {
        auto t0 = Clock::now();
        if (t0 >= end) break;
        if (fd < 0) fd = connect_unix(o.sock);
        bool close = true;
        int status = fd < 0 ? 0 : exchange(fd, request, head, o.poll_wait, buf, close);
        bool ok = status >= 200 && status < 300;
        if (close || status == 0) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        auto t1 = Clock::now();
        ++t.all;
        if (t0 < start) continue;
        ++t.requests;
        if (ok) {
            t.latency_ms.push_back(std::chrono::duration<float, std::milli>(t1 - t0).count());
        } else {
            ++t.errors;
            if (status == 0 && fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    if (fd >= 0) ::close(fd);
}

double percentile(const std::vector<float>& sorted, double p) {
    if (sorted.empty()) return NAN;
    auto i = static_cast<std::size_t>(std::lround(p / 100.0 * static_cast<double>(sorted.size() - 1)));
    return sorted[std::min(i, sorted.size() - 1)];
}

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "berth-bench-apiload: %s\nusage: berth-bench-apiload --sock PATH [--path /_ping] "
                 "[--method GET] [--conc 4] [--secs 5] [--warmup 0.5] [--wait poll|recv]\n",
                 msg);
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") usage("HTTP load over a unix socket");
        if (i + 1 >= argc) usage(("missing value for " + a).c_str());
        std::string v = argv[++i];
        char* end = nullptr;
        if (a == "--sock") {
            o.sock = v;
        } else if (a == "--path") {
            o.path = v;
        } else if (a == "--method") {
            o.method = v;
        } else if (a == "--wait") {
            if (v != "poll" && v != "recv") usage("--wait wants poll or recv");
            o.poll_wait = v == "poll";
        } else if (a == "--conc") {
            o.conc = static_cast<int>(std::strtol(v.c_str(), &end, 10));
            if (*end || o.conc < 1 || o.conc > 1024) usage("--conc wants 1..1024");
        } else if (a == "--secs" || a == "--warmup") {
            double d = std::strtod(v.c_str(), &end);
            if (*end || d < 0 || (a == "--secs" && d <= 0)) usage(("bad value for " + a).c_str());
            (a == "--secs" ? o.secs : o.warmup) = d;
        } else {
            usage(("unknown option " + a).c_str());
        }
    }
    if (o.sock.empty()) usage("--sock is required");
    if (o.path.empty() || o.path[0] != '/') usage("--path must start with /");
    if (o.sock.size() >= sizeof(sockaddr_un::sun_path)) usage("--sock path is too long");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    std::string request =
        o.method + " " + o.path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: berth-bench-apiload\r\n";
    if (o.method == "POST" || o.method == "PUT") request += "Content-Length: 0\r\n";
    request += "\r\n";

    int probe = connect_unix(o.sock);
    if (probe < 0) {
        std::fprintf(stderr, "berth-bench-apiload: cannot connect to %s: %s\n", o.sock.c_str(),
                     std::strerror(errno));
        return 1;
    }
    ::close(probe);

    auto start = Clock::now() +
                 std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup + 0.05));
    auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.secs));
    std::vector<Tally> tallies(static_cast<std::size_t>(o.conc));
    std::vector<std::thread> threads;
    for (auto& t : tallies)
        threads.emplace_back(worker, std::cref(o), std::cref(request), start, end, std::ref(t));
    for (auto& th : threads) th.join();

    long n = 0, errors = 0, all = 0;
    std::vector<float> lat;
    for (auto& t : tallies) {
        all += t.all;
        n += t.requests;
        errors += t.errors;
        lat.insert(lat.end(), t.latency_ms.begin(), t.latency_ms.end());
    }
    std::sort(lat.begin(), lat.end());
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    double client_us = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    std::printf(
        "{\"rps\": %.1f, \"requests\": %ld, \"errors\": %ld, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
        "\"p99_ms\": %.3f, \"client_cpu_us_per_req\": %.2f, \"all_requests\": %ld, \"conc\": %d, \"secs\": "
        "%g, \"path\": \"%s\"}\n",
        static_cast<double>(n - errors) / o.secs, n, errors, percentile(lat, 50), percentile(lat, 90),
        percentile(lat, 99), all > 0 ? client_us / static_cast<double>(all) : 0.0, all, o.conc, o.secs,
        o.path.c_str());
    return errors > 0 && errors == n ? 1 : 0;
}

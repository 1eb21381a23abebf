// bench/network: what networking costs per container (loopback + veth endpoint, and one
// published port) and the TCP throughput of a published port against the container's
// address directly. Run as root through bench/network/run; it cleans up after itself.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "hostnet/firewall.h"
#include "hostnet/link.h"

using namespace berth;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// A fresh network namespace, held by an fd; "/proc/self/fd/N" is its path.
UniqueFd new_netns() {
    int fd = -1;
    std::thread([&] {
        if (unshare(CLONE_NEWNET) == 0) fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    }).join();
    return UniqueFd(fd);
}

std::string ns_path(const UniqueFd& fd) {
    return "/proc/self/fd/" + std::to_string(fd.get());
}

void report(const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%-34s median %7.3f ms   p90 %7.3f ms   min %7.3f ms  (n=%zu)\n", what, v[v.size() / 2],
                v[v.size() * 9 / 10], v.front(), v.size());
}

// Receives and discards on port 5001 inside the namespace until stopped.
void sink(int ns_fd, std::atomic<bool>& ready, std::atomic<bool>& stop) {
    if (setns(ns_fd, CLONE_NEWNET) != 0) return;
    UniqueFd l(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(5001);
    bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(l.get(), 8);
    ready = true;
    std::vector<char> buf(1 << 20);
    while (!stop) {
        UniqueFd c(accept(l.get(), nullptr, nullptr));
        if (!c) continue;
        while (recv(c.get(), buf.data(), buf.size(), 0) > 0) {
        }
    }
}

// Sends `bytes` to ip:port; returns Gbit/s.
double stream(const std::string& ip, uint16_t port, size_t bytes) {
    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 0;
    std::vector<char> buf(1 << 20, 'x');
    auto t = Clock::now();
    size_t sent = 0;
    while (sent < bytes) {
        ssize_t n = send(s.get(), buf.data(), std::min(buf.size(), bytes - sent), MSG_NOSIGNAL);
        if (n <= 0) return 0;
        sent += size_t(n);
    }
    shutdown(s.get(), SHUT_WR);
    char c;
    while (recv(s.get(), &c, 1, 0) > 0) {
    }
    return double(bytes) * 8 / 1e9 / (ms_since(t) / 1000);
}

std::string ip_of(int i) {
    return "10.196." + std::to_string(1 + i / 250) + "." + std::to_string(2 + i % 250);
}

int fail(const Error& e) {
    std::fprintf(stderr, "bench: %s\n", e.str().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 200;
    const size_t mib = argc > 2 ? size_t(std::atoi(argv[2])) : 1024;
    const std::string br = "bb-" + std::to_string(getpid()),
                      table = "berth_bench_" + std::to_string(getpid());
    struct Cleanup {
        std::string br, table;
        std::unique_ptr<hostnet::Firewall> fw;
        ~Cleanup() {
            if (fw) (void)fw->destroy();
            (void)hostnet::delete_link(br);
        }
    } cleanup{br, table, nullptr};
    if (auto r = hostnet::ensure_bridge(br, "10.196.0.1/16", 1500); !r) return fail(r.error());
    auto fw = hostnet::Firewall::open(table);
    if (!fw) return fail(fw.error());
    cleanup.fw = std::move(*fw);
    if (auto r = cleanup.fw->add_bridge({br, "10.196.0.0/16"}); !r) return fail(r.error());

    // Start-side costs first (all containers up), then the stop side, as a host with many
    // containers sees them; deleting a veth waits for RCU grace periods in the kernel.
    std::vector<double> lo, up, pub, unpub, down;
    std::vector<UniqueFd> namespaces;
    std::vector<std::string> hosts;
    for (int i = 0; i < n; ++i) {
        namespaces.push_back(new_netns());
        if (!namespaces.back()) return fail(Error::sys("unshare"));
        hostnet::VethConfig v{br,
                              "vb" + std::to_string(getpid() % 100000) + "x" + std::to_string(i),
                              ns_path(namespaces.back()),
                              "eth0",
                              ip_of(i) + "/16",
                              "10.196.0.1"};
        auto t = Clock::now();
        if (auto r = hostnet::loopback_up(v.netns_path); !r) return fail(r.error());
        lo.push_back(ms_since(t));
        t = Clock::now();
        if (auto r = hostnet::create_endpoint(v); !r) return fail(r.error());
        up.push_back(ms_since(t));
        hosts.push_back(v.host_name);
        std::vector<hostnet::PortMapping> ports = {{"tcp", "", uint16_t(20000 + i), ip_of(i), 5001}};
        t = Clock::now();
        if (auto r = cleanup.fw->add_ports(ports); !r) return fail(r.error());
        pub.push_back(ms_since(t));
    }
    for (int i = 0; i < n; ++i) {
        std::vector<hostnet::PortMapping> ports = {{"tcp", "", uint16_t(20000 + i), ip_of(i), 5001}};
        auto t = Clock::now();
        if (auto r = cleanup.fw->remove_ports(ports); !r) return fail(r.error());
        unpub.push_back(ms_since(t));
        // Half the containers have their endpoint removed explicitly; the other half just
        // lose their namespace (the kernel then destroys the pair in the background).
        if (i % 2 == 0) {
            t = Clock::now();
            if (auto r = hostnet::remove_endpoint(hosts[size_t(i)]); !r) return fail(r.error());
            down.push_back(ms_since(t));
        }
        namespaces[size_t(i)].reset();
    }
    std::printf("per container (%d containers, sequential):\n", n);
    report("  loopback_up", lo);
    report("  create_endpoint", up);
    std::vector<double> start(lo.size());
    for (size_t i = 0; i < lo.size(); ++i) start[i] = lo[i] + up[i];
    report("  start: loopback + endpoint", start);
    report("  add_ports (1 port)", pub);
    report("  remove_ports (1 port)", unpub);
    report("  remove_endpoint (explicit)", down);

    // Throughput: a sink in a container netns, reached directly and through the NAT.
    UniqueFd ns = new_netns();
    hostnet::VethConfig v{
        br,          "vb" + std::to_string(getpid() % 100000) + "t", ns_path(ns), "eth0", "10.196.255.2/16",
        "10.196.0.1"};
    if (auto r = hostnet::loopback_up(v.netns_path); !r) return fail(r.error());
    if (auto r = hostnet::create_endpoint(v); !r) return fail(r.error());
    if (auto r = hostnet::enable_forwarding(br); !r) return fail(r.error());
    if (auto r = cleanup.fw->add_ports({{"tcp", "", 15001, "10.196.255.2", 5001}}); !r)
        return fail(r.error());
    std::atomic<bool> ready{false}, stop{false};
    std::thread t(sink, ns.get(), std::ref(ready), std::ref(stop));
    while (!ready) usleep(1000);
    const size_t bytes = mib << 20;
    auto best = [&](const std::string& ip, uint16_t port) {
        double b = 0;
        for (int i = 0; i < 3; ++i) b = std::max(b, stream(ip, port, bytes));
        return b;
    };
    double direct = best("10.196.255.2", 5001);
    double via_lo = best("127.0.0.1", 15001);
    double via_br = best("10.196.0.1", 15001);
    std::printf("TCP stream of %zu MiB from the host (best of 3):\n", mib);
    std::printf("  direct to 10.196.255.2:5001      %6.2f Gbit/s\n", direct);
    std::printf("  published, 127.0.0.1:15001       %6.2f Gbit/s  (%.0f%% of direct)\n", via_lo,
                direct ? 100 * via_lo / direct : 0);
    std::printf("  published, 10.196.0.1:15001      %6.2f Gbit/s  (%.0f%% of direct)\n", via_br,
                direct ? 100 * via_br / direct : 0);
    stop = true;
    stream("10.196.255.2", 5001, 1);  // wakes the sink's accept
    t.join();
    (void)hostnet::remove_endpoint(v.host_name);
    return 0;
}

// Docker's embedded DNS server (127.0.0.11 inside each container on a user-defined network).
// It answers A queries for the names the daemon knows (containers, aliases: ResolveFn) and
// forwards everything else over UDP to upstream resolvers, from the host's namespace; when
// none answers in time the client gets SERVFAIL. One epoll thread serves every container.
//
//   auto dns = DnsServer::start(resolve_fn, {"192.0.2.53"});
//   dns->add_container(id, "/proc/<pid>/ns/net");   // after loopback_up() in that netns
//   ...
//   dns->remove_container(id);                      // before the netns goes away
//
// ResolveFn runs on the server's thread and must be quick (an in-memory lookup). It gets
// the name lower-cased without its trailing dot, and returns IPv4 addresses; none means
// "not mine" and the query is forwarded. AAAA queries for a known name get an empty answer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::hostnet {

using ResolveFn =
    std::function<std::vector<std::string>(const std::string& container_id, const std::string& name)>;

class DnsServer {
public:
    // upstreams: "192.0.2.53" or "192.0.2.53:5353".
    static Result<std::unique_ptr<DnsServer>> start(ResolveFn resolve, std::vector<std::string> upstreams);
    // Binds 127.0.0.11:53 (UDP + TCP) inside the container's netns (lo must be up) and
    // serves it on behalf of container_id. Adding a container again replaces its sockets.
    Result<> add_container(const std::string& container_id, const std::string& netns_path);
    // Same, on any address and port of the current namespace (port 0: any; see bound port).
    Result<uint16_t> add_listener(const std::string& container_id, const std::string& ip, uint16_t port);
    void remove_container(const std::string& container_id);
    // Invalid entries are skipped (and logged).
    void set_upstreams(std::vector<std::string> upstreams);
    ~DnsServer();  // stops the thread, closes every socket

    struct Impl;

private:
    explicit DnsServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::hostnet

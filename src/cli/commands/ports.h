// Internal: docker's port notation for `run`/`create` (-p, --expose), the `ps` PORTS column
// and `port`, with docker 28's exact results and error texts (go-connections nat v0.5.0 as
// vendored by docker CLI 28).
//
//   auto specs = BERTH_TRY(publish_specs({"127.0.0.1:8080:80", "53/udp"}));
//   // specs.exposed = {"53/udp", "80/tcp"}, specs.bindings["80/tcp"] = {{"127.0.0.1", "8080"}}
//   std::string col = ports_column(container_summary["Ports"]);  // "0.0.0.0:8080->80/tcp"
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::cli {

struct PortBinding {
    std::string host_ip, host_port;  // either may be empty: any address / an ephemeral port
    bool operator==(const PortBinding&) const = default;
};

// "80/tcp" -> its bindings, in the order given.
struct PortSpecs {
    std::set<std::string> exposed;
    std::map<std::string, std::vector<PortBinding>> bindings;
};

// One -p value: [ip:][hostPort:]containerPort[/proto], ranges "a-b", IPv6 in brackets; the
// long form "published=8080,target=80,protocol=udp" is converted first, as docker does.
Result<PortSpecs> publish_specs(const std::vector<std::string>& specs);
// --expose values (port or range, optional /proto) merged into `exposed`.
Result<> add_exposed(const std::vector<std::string>& values, std::set<std::string>& exposed);

// Container.Config.ExposedPorts / HostConfig.PortBindings as the Engine API wants them.
Json exposed_json(const std::set<std::string>& exposed);
Json bindings_json(const std::map<std::string, std::vector<PortBinding>>& bindings);

// docker's DisplayablePorts over a container summary's Ports array: sorted, consecutive
// same-numbered ports grouped ("0.0.0.0:80-81->80-81/tcp"), unpublished ones "443/tcp".
std::string ports_column(const Json& ports);

// net.JoinHostPort: brackets around IPv6 hosts.
std::string join_host_port(const std::string& host, const std::string& port);
// sortorder.NaturalLess: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace berth::cli

// The service's rows in berth.db (endpoints and sandboxes tables) as Docker-like JSON.
#include "daemon/networks/service_impl.h"

namespace berth::daemon::networks {

Json Endpoint::doc() const {
    return {{"EndpointID", id},
            {"NetworkID", network_id},
            {"ContainerID", container_id},
            {"ContainerName", container_name},
            {"Aliases", aliases},
            {"IPAddress", format_ipv4(ip)},
            {"MacAddress", mac},
            {"HostVeth", host_veth},
            {"IfName", ifname},
            {"DefaultGateway", gateway},
            {"FixedIP", fixed_ip}};
}

Result<Endpoint> Endpoint::from_doc(const Json& d) {
    Endpoint e;
    e.id = d.value("EndpointID", "");
    e.network_id = d.value("NetworkID", "");
    e.container_id = d.value("ContainerID", "");
    e.container_name = d.value("ContainerName", "");
    if (d.contains("Aliases") && d["Aliases"].is_array())
        for (auto& a : d["Aliases"]) e.aliases.push_back(a.get<std::string>());
    e.ip = BERTH_TRY(parse_ipv4(d.value("IPAddress", "")));
    e.mac = d.value("MacAddress", "");
    e.host_veth = d.value("HostVeth", "");
    e.ifname = d.value("IfName", "");
    e.gateway = d.value("DefaultGateway", "");
    e.fixed_ip = d.value("FixedIP", false);
    return e;
}

Json Sandbox::doc() const {
    Json ports_doc = Json::array();
    for (auto& p : ports)
        ports_doc.push_back({{"Proto", p.proto},
                             {"HostIp", p.host_ip},
                             {"HostPort", p.host_port},
                             {"ContainerIp", p.container_ip},
                             {"ContainerPort", p.container_port}});
    return {{"ContainerID", container_id}, {"ContainerName", container_name},
            {"Hostname", hostname},        {"NetnsPath", netns_path},
            {"Ports", ports_doc},          {"DNS", dns}};
}

Sandbox Sandbox::from_doc(const Json& d) {
    Sandbox s;
    s.container_id = d.value("ContainerID", "");
    s.container_name = d.value("ContainerName", "");
    s.hostname = d.value("Hostname", "");
    s.netns_path = d.value("NetnsPath", "");
    s.dns = d.value("DNS", false);
    if (d.contains("Ports") && d["Ports"].is_array())
        for (auto& p : d["Ports"])
            s.ports.push_back({p.value("Proto", "tcp"), p.value("HostIp", ""),
                               static_cast<uint16_t>(p.value("HostPort", 0)), p.value("ContainerIp", ""),
                               static_cast<uint16_t>(p.value("ContainerPort", 0))});
    return s;
}

}  // namespace berth::daemon::networks

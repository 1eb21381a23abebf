// The embedded DNS server's side of the service (names a container may resolve, the host's
// resolvers it forwards to) and each container's /etc/resolv.conf.
#include <algorithm>

#include "common/file.h"
#include "common/strings.h"
#include "daemon/networks/service_impl.h"

namespace berth::daemon::networks {

std::vector<std::string> Service::host_nameservers() {
    // Queries are forwarded from the host's namespace, so loopback resolvers work too.
    std::vector<std::string> out;
    for (auto& line : split(read_file(o_.host_resolv_conf).value_or(""), '\n')) {
        auto t = trim(line);
        if (t.rfind("nameserver", 0) != 0) continue;
        std::string addr = trim(t.substr(10));
        if (parse_ipv4(addr)) out.push_back(addr);
    }
    return out;
}

Result<> Service::start_dns() {
    std::lock_guard lk(dns_mu_);
    if (dns_) return ok();
    dns_ = BERTH_TRY_CTX(net::DnsServer::start([this](const std::string& id,
                                                      const std::string& name) { return resolve(id, name); },
                                               host_nameservers()),
                         "embedded DNS server");
    return ok();
}

std::vector<std::string> Service::resolve(const std::string& container_id, const std::string& name) {
    std::lock_guard lk(mu_);
    auto mine = endpoints_.find(container_id);
    if (mine == endpoints_.end()) return {};
    std::vector<std::string> out;
    for (auto& own : mine->second) {
        auto nit = nets_.find(own.network_id);
        if (nit == nets_.end() || !nit->second.user_defined()) continue;
        const std::string suffix = "." + to_lower(nit->second.name);
        for (auto& [cid, eps] : endpoints_)
            for (auto& e : eps) {
                if (e.network_id != own.network_id) continue;
                std::string cname = to_lower(e.container_name);
                bool match = name == cname || name == cname + suffix || name == cid.substr(0, 12);
                for (auto& a : e.aliases) match = match || name == to_lower(a);
                if (match) out.push_back(format_ipv4(e.ip));
            }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string Service::resolv_conf(const std::vector<std::string>& networks,
                                 const std::vector<std::string>& dns, const std::vector<std::string>& search,
                                 const std::vector<std::string>& options) {
    bool embedded = false;
    {
        std::lock_guard lk(mu_);
        for (auto& name : networks)
            if (Network* n = lookup(name)) embedded = embedded || n->user_defined();
    }
    std::string out;
    bool any_ns = false;
    std::string host = read_file(o_.host_resolv_conf).value_or("");
    for (auto& line : split(host, '\n')) {
        std::string t = trim(line);
        if (t.rfind("nameserver", 0) == 0) {
            // The container's own loopback is not the host's: loopback resolvers are left out
            // (the embedded server forwards to them from the host's namespace instead).
            std::string addr = trim(t.substr(10));
            if (embedded || !dns.empty() || addr.rfind("127.", 0) == 0 || addr == "::1") continue;
            any_ns = true;
        } else if ((t.rfind("search", 0) == 0 && !search.empty()) ||
                   (t.rfind("options", 0) == 0 && (!options.empty() || embedded))) {
            continue;
        }
        out += t + "\n";
    }
    if (embedded) {
        out += "nameserver 127.0.0.11\n";
        any_ns = true;
    } else {
        for (auto& d : dns) out += "nameserver " + d + "\n", any_ns = true;
    }
    if (!any_ns) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    if (!search.empty()) {
        out += "search";
        for (auto& s : search) out += " " + s;
        out += "\n";
    }
    std::vector<std::string> opts = options;
    if (embedded && std::none_of(opts.begin(), opts.end(), [](auto& o) { return o.rfind("ndots:", 0) == 0; }))
        opts.insert(opts.begin(), "ndots:0");
    if (!opts.empty()) {
        out += "options";
        for (auto& s : opts) out += " " + s;
        out += "\n";
    }
    return out;
}

}  // namespace berth::daemon::networks

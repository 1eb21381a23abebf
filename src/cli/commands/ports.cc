// Port specs as go-connections nat v0.5.0 parses them (the version docker CLI 28 vendors),
// including its error texts and quirks, and docker's DisplayablePorts.
#include "cli/commands/ports.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "cli/commands/netopts.h"
#include "common/strings.h"

namespace berth::cli {
namespace {

// strconv.ParseUint(s, 10, 16), with Go's error text.
Result<uint64_t> parse_uint16(const std::string& s) {
    bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return Error::invalid("strconv.ParseUint: parsing \"" + s + "\": invalid syntax");
    uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > 65535) return Error::invalid("strconv.ParseUint: parsing \"" + s + "\": value out of range");
    }
    return v;
}

// nat.ParsePortRange of v0.5.0: "a" or "a-b" (anything after a second '-' is ignored).
Result<std::pair<uint64_t, uint64_t>> parse_range(const std::string& ports) {
    if (ports.empty()) return Error::invalid("empty string specified for ports");
    if (ports.find('-') == std::string::npos) {
        uint64_t p = BERTH_TRY(parse_uint16(ports));
        return std::make_pair(p, p);
    }
    auto parts = split(ports, '-', false);
    uint64_t start = BERTH_TRY(parse_uint16(parts[0]));
    uint64_t end = BERTH_TRY(parse_uint16(parts[1]));
    if (end < start) return Error::invalid("invalid range specified for port: " + ports);
    return std::make_pair(start, end);
}

// nat.SplitProtoPort of v0.5.0: {proto, port}; "" for both without a port.
std::pair<std::string, std::string> split_proto_port(const std::string& raw) {
    auto parts = split(raw, '/', false);
    if (raw.empty() || parts[0].empty()) return {"", ""};
    if (parts.size() == 1 || parts[1].empty()) return {"tcp", parts[0]};
    return {parts[1], parts[0]};
}

// net.SplitHostPort(ip + ":") for a bracketed address: the host, or Go's error.
Result<std::string> strip_brackets(const std::string& ip) {
    std::string hp = ip + ":";
    auto fail = [&](const std::string& why) {
        return Error::invalid("invalid IP address " + ip + ": address " + hp + ": " + why);
    };
    size_t colon = hp.rfind(':');
    size_t end = hp.find(']');
    if (end == std::string::npos) return fail("missing ']' in address");
    if (end + 1 != colon)
        return fail(hp[end + 1] == ':' ? "too many colons in address" : "missing port in address");
    if (hp.find('[', 1) != std::string::npos) return fail("unexpected '[' in address");
    if (hp.find(']', end + 1) != std::string::npos) return fail("unexpected ']' in address");
    return hp.substr(1, end - 1);
}

// nat.ParsePortSpec (v0.5.0), errors in its order.
Result<> parse_spec(const std::string& raw, PortSpecs& out) {
    auto parts = split(raw, ':', false);
    size_t n = parts.size();
    std::string ip, host_port, container_port = parts[n - 1];
    if (n == 2) host_port = parts[0];
    if (n >= 3) {
        host_port = parts[n - 2];
        for (size_t i = 0; i + 2 < n; ++i) ip += (i ? ":" : "") + parts[i];
    }
    auto [proto, cport] = split_proto_port(container_port);
    if (!ip.empty() && ip[0] == '[') ip = BERTH_TRY(strip_brackets(ip));
    if (!ip.empty() && !parse_ip(ip)) return Error::invalid("invalid IP address: " + ip);
    if (cport.empty()) return Error::invalid("no port specified: " + raw + "<empty>");
    auto crange = parse_range(cport);
    if (!crange) return Error::invalid("invalid containerPort: " + cport);
    std::pair<uint64_t, uint64_t> hrange{0, 0};
    if (!host_port.empty()) {
        auto h = parse_range(host_port);
        if (!h) return Error::invalid("invalid hostPort: " + host_port);
        hrange = *h;
    }
    auto [start, end] = *crange;
    if (!host_port.empty() && end - start != hrange.second - hrange.first && end != start)
        return Error::invalid("invalid ranges specified for container and host Ports: " + cport + " and " +
                              host_port);
    std::string p = to_lower(proto);
    if (p != "tcp" && p != "udp" && p != "sctp") return Error::invalid("invalid proto: " + proto);
    for (uint64_t i = 0; i <= end - start; ++i) {
        std::string hp;
        if (!host_port.empty()) {
            hp = std::to_string(hrange.first + i);
            // A single container port with a host range: the daemon picks one of the range.
            if (start == end && hrange.first != hrange.second) hp += "-" + std::to_string(hrange.second);
        }
        std::string key = std::to_string(start + i) + "/" + p;
        out.exposed.insert(key);
        out.bindings[key].push_back({ip, hp});
    }
    return ok();
}

// docker's convertToStandardNotation: "published=8080,target=80,protocol=udp" -> "8080:80/udp".
Result<std::string> standard_notation(const std::string& spec) {
    if (spec.find('=') == std::string::npos) return spec;
    std::map<std::string, std::string> params{{"protocol", "tcp"}};
    for (const auto& param : split(spec, ',', false)) {
        auto eq = param.find('=');
        if (eq == std::string::npos || eq == 0)
            return Error::invalid("invalid publish opts format (should be name=value but got '" + param +
                                  "')");
        params[param.substr(0, eq)] = param.substr(eq + 1);
    }
    return params["published"] + ":" + params["target"] + "/" + params["protocol"];
}

}  // namespace

Result<PortSpecs> publish_specs(const std::vector<std::string>& specs) {
    PortSpecs out;
    std::vector<std::string> converted;
    for (const auto& s : specs) converted.push_back(BERTH_TRY(standard_notation(s)));
    for (const auto& s : converted) BERTH_TRY(parse_spec(s, out));
    return out;
}

Result<> add_exposed(const std::vector<std::string>& values, std::set<std::string>& exposed) {
    for (const auto& e : values) {
        if (e.find(':') != std::string::npos) return Error::invalid("invalid port format for --expose: " + e);
        auto [proto, port] = split_proto_port(e);
        auto range = parse_range(port);
        if (!range)
            return Error::invalid("invalid range format for --expose: " + e +
                                  ", error: " + range.error().str());
        // nat.NewPort keeps the protocol as given (docker does not check it for --expose).
        for (uint64_t p = range->first; p <= range->second; ++p)
            exposed.insert(std::to_string(p) + "/" + proto);
    }
    return ok();
}

Json exposed_json(const std::set<std::string>& exposed) {
    Json j = Json::object();
    for (const auto& p : exposed) j[p] = Json::object();
    return j;
}

Json bindings_json(const std::map<std::string, std::vector<PortBinding>>& bindings) {
    Json j = Json::object();
    for (const auto& [port, list] : bindings) {
        Json arr = Json::array();
        for (const auto& b : list) arr.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
        j[port] = arr;
    }
    return j;
}

std::string join_host_port(const std::string& host, const std::string& port) {
    return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

bool natural_less(const std::string& a, const std::string& b) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        bool da = digit(a[i]), db = digit(b[j]);
        if (da != db) return da;
        if (!da) {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
            continue;
        }
        while (i < a.size() && a[i] == '0') ++i;
        while (j < b.size() && b[j] == '0') ++j;
        size_t nz_a = i, nz_b = j;
        while (i < a.size() && digit(a[i])) ++i;
        while (j < b.size() && digit(b[j])) ++j;
        if (i - nz_a != j - nz_b) return i - nz_a < j - nz_b;
        std::string na = a.substr(nz_a, i - nz_a), nb = b.substr(nz_b, j - nz_b);
        if (na != nb) return na < nb;
        if (nz_a != nz_b) return nz_a < nz_b;
    }
    return a.size() < b.size();
}

std::string ports_column(const Json& ports) {
    struct Port {
        std::string ip, type;
        int priv = 0, pub = 0;
    };
    std::vector<Port> list;
    if (!ports.is_array()) return "";
    for (const auto& p : ports) {
        if (!p.is_object()) continue;
        Port x;
        x.ip = p.value("IP", std::string());
        x.type = p.value("Type", std::string());
        x.priv = p.value("PrivatePort", 0);
        x.pub = p.value("PublicPort", 0);
        list.push_back(x);
    }
    std::sort(list.begin(), list.end(), [](const Port& a, const Port& b) {
        if (a.priv != b.priv) return a.priv < b.priv;
        if (a.ip != b.ip) return a.ip < b.ip;
        if (a.pub != b.pub) return a.pub < b.pub;
        return a.type < b.type;
    });
    struct Group {
        int first, last;
    };
    auto form = [](const std::string& key, const Group& g) {
        // The key is "type" or "ip/type".
        auto slash = key.rfind('/');
        std::string ip = slash == std::string::npos ? "" : key.substr(0, slash);
        std::string type = slash == std::string::npos ? key : key.substr(slash + 1);
        std::string range = std::to_string(g.first);
        if (g.first != g.last) range += "-" + std::to_string(g.last);
        if (!ip.empty()) range = join_host_port(ip, range) + "->" + range;
        return range + "/" + type;
    };
    std::map<std::string, Group> groups;
    std::vector<std::string> order, result, host_mappings;
    for (const auto& p : list) {
        std::string key = p.type;
        if (!p.ip.empty()) {
            if (p.pub != p.priv) {
                host_mappings.push_back(join_host_port(p.ip, std::to_string(p.pub)) + "->" +
                                        std::to_string(p.priv) + "/" + p.type);
                continue;
            }
            key = p.ip + "/" + p.type;
        }
        auto it = groups.find(key);
        if (it == groups.end()) {
            groups[key] = {p.priv, p.priv};
            order.push_back(key);
            continue;
        }
        if (p.priv == it->second.last + 1) {
            it->second.last = p.priv;
            continue;
        }
        result.push_back(form(key, it->second));
        it->second = {p.priv, p.priv};
    }
    for (const auto& k : order) result.push_back(form(k, groups[k]));
    result.insert(result.end(), host_mappings.begin(), host_mappings.end());
    std::string s;
    for (size_t i = 0; i < result.size(); ++i) s += (i ? ", " : "") + result[i];
    return s;
}

}  // namespace berth::cli

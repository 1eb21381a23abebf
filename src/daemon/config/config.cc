#include "daemon/config/config.h"

#include <arpa/inet.h>

#include "common/file.h"
#include "common/strings.h"

namespace berth::daemon {

namespace {

Error bad(const std::string& source, const std::string& key, const std::string& why) {
    return Error::invalid(source + ": \"" + key + "\": " + why);
}

Result<std::string> get_string(const Json& v, const std::string& src, const std::string& key) {
    if (!v.is_string()) return bad(src, key, std::string("expected a string, got ") + v.type_name());
    return v.get<std::string>();
}

Result<bool> get_bool(const Json& v, const std::string& src, const std::string& key) {
    if (!v.is_boolean()) return bad(src, key, std::string("expected true or false, got ") + v.type_name());
    return v.get<bool>();
}

Result<int64_t> get_int(const Json& v, const std::string& src, const std::string& key, int64_t min,
                        int64_t max) {
    if (!v.is_number_integer())
        return bad(src, key, std::string("expected an integer, got ") + v.type_name());
    int64_t n = v.get<int64_t>();
    if (n < min || n > max)
        return bad(src, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

Result<std::vector<std::string>> get_strings(const Json& v, const std::string& src, const std::string& key) {
    if (!v.is_array()) return bad(src, key, std::string("expected a list of strings, got ") + v.type_name());
    std::vector<std::string> out;
    for (auto& e : v) {
        if (!e.is_string()) return bad(src, key, "every entry must be a string");
        out.push_back(e.get<std::string>());
    }
    return out;
}

Result<std::map<std::string, std::string>> get_string_map(const Json& v, const std::string& src,
                                                          const std::string& key) {
    if (!v.is_object()) return bad(src, key, std::string("expected an object, got ") + v.type_name());
    std::map<std::string, std::string> out;
    for (auto& [k, e] : v.items()) {
        if (!e.is_string()) return bad(src, key + "." + k, "expected a string");
        out[k] = e.get<std::string>();
    }
    return out;
}

bool valid_cidr(const std::string& s) {
    auto slash = s.find('/');
    if (slash == std::string::npos) return false;
    in_addr a;
    if (inet_pton(AF_INET, s.substr(0, slash).c_str(), &a) != 1) return false;
    char* end;
    long p = strtol(s.c_str() + slash + 1, &end, 10);
    return *end == '\0' && p >= 0 && p <= 32 && slash + 1 < s.size();
}

// Docker daemon.json keys that berthd accepts but does not act on (yet).
const char* kIgnoredDockerKeys[] = {"storage-driver",
                                    "storage-opts",
                                    "exec-opts",
                                    "experimental",
                                    "features",
                                    "userland-proxy",
                                    "ipv6",
                                    "fixed-cidr-v6",
                                    "log-format",
                                    "metrics-addr",
                                    "selinux-enabled",
                                    "userns-remap",
                                    "oom-score-adjust",
                                    "raw-logs",
                                    "containerd",
                                    "containerd-namespace",
                                    "default-gateway",
                                    "allow-nondistributable-artifacts",
                                    "authorization-plugins",
                                    "api-cors-header",
                                    "cluster-store",
                                    "swarm-default-advertise-addr",
                                    "node-generic-resources",
                                    "builder",
                                    "default-runtime-opts",
                                    "proxies",
                                    "max-download-attempts",
                                    "ip-masq",
                                    "ip",
                                    "iptables-v6",
                                    "ip6tables",
                                    "cpu-rt-period",
                                    "cpu-rt-runtime",
                                    "default-ipc-mode",
                                    "dns-opt"};

// Each apply_*_key below sets one daemon.json key of its group and returns true, or
// returns false when the key is not one of its group's.

// The daemon's own settings: where it listens and keeps state, logging, TLS.
Result<bool> apply_daemon_key(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (key == "hosts")
        c.hosts = BERTH_TRY(get_strings(v, src, key));
    else if (key == "data-root" || key == "graph")
        c.data_root = BERTH_TRY(get_string(v, src, key));
    else if (key == "exec-root")
        c.exec_root = BERTH_TRY(get_string(v, src, key));
    else if (key == "pidfile")
        c.pidfile = BERTH_TRY(get_string(v, src, key));
    else if (key == "log-level") {
        c.log_level = BERTH_TRY(get_string(v, src, key));
        static const char* levels[] = {"debug", "info", "warn", "error", "fatal"};
        bool ok_level = false;
        for (auto* l : levels) ok_level |= c.log_level == l;
        if (!ok_level)
            return bad(src, key, "unknown level \"" + c.log_level + "\" (debug, info, warn, error, fatal)");
    } else if (key == "debug")
        c.debug = BERTH_TRY(get_bool(v, src, key));
    else if (key == "group")
        c.group = BERTH_TRY(get_string(v, src, key));
    else if (key == "tls")
        c.tls = BERTH_TRY(get_bool(v, src, key));
    else if (key == "tlsverify")
        c.tlsverify = BERTH_TRY(get_bool(v, src, key));
    else if (key == "tlscacert")
        c.tlscacert = BERTH_TRY(get_string(v, src, key));
    else if (key == "tlscert")
        c.tlscert = BERTH_TRY(get_string(v, src, key));
    else if (key == "tlskey")
        c.tlskey = BERTH_TRY(get_string(v, src, key));
    else if (key == "insecure-tcp")
        c.insecure_tcp = BERTH_TRY(get_bool(v, src, key));
    else if (key == "live-restore")
        c.live_restore = BERTH_TRY(get_bool(v, src, key));
    else if (key == "shutdown-timeout")
        c.shutdown_timeout = BERTH_TRY(get_int(v, src, key, 0, 3600));
    else if (key == "labels")
        c.labels = BERTH_TRY(get_strings(v, src, key));
    else
        return false;
    return true;
}

// Pulls and pushes: mirrors, insecure registries, concurrency, certificates.
Result<bool> apply_registry_key(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (key == "registry-mirrors")
        c.registry_mirrors = BERTH_TRY(get_strings(v, src, key));
    else if (key == "insecure-registries")
        c.insecure_registries = BERTH_TRY(get_strings(v, src, key));
    else if (key == "max-concurrent-downloads")
        c.max_concurrent_downloads = BERTH_TRY(get_int(v, src, key, 1, 64));
    else if (key == "max-concurrent-uploads")
        c.max_concurrent_uploads = BERTH_TRY(get_int(v, src, key, 1, 64));
    else if (key == "registry-certs-dir")
        c.registry_certs_dir = BERTH_TRY(get_string(v, src, key));
    else if (key == "registry-stall-timeout")
        c.registry_stall_timeout = BERTH_TRY(get_int(v, src, key, 1, 3600));
    else
        return false;
    return true;
}

// "runtimes": {"name": {"path": "..."}}, added to those already configured.
Result<> apply_runtimes(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (!v.is_object()) return bad(src, key, "expected an object");
    for (auto& [name, r] : v.items()) {
        if (!r.is_object() || !r.contains("path") || !r["path"].is_string())
            return bad(src, key + "." + name, "expected {\"path\": \"...\"}");
        c.runtimes[name] = r["path"].get<std::string>();
    }
    return ok();
}

// "default-ulimits": {"name": {"Name", "Soft", "Hard"}}, added to those already configured.
Result<> apply_default_ulimits(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (!v.is_object()) return bad(src, key, "expected an object");
    for (auto& [name, u] : v.items()) {
        if (!u.is_object()) return bad(src, key + "." + name, "expected {\"Name\",\"Soft\",\"Hard\"}");
        Ulimit ul;
        ul.name = name;
        ul.soft =
            BERTH_TRY(get_int(u.value("Soft", Json(0)), src, key + "." + name + ".Soft", -1, INT64_MAX));
        ul.hard =
            BERTH_TRY(get_int(u.value("Hard", Json(0)), src, key + "." + name + ".Hard", -1, INT64_MAX));
        c.default_ulimits[name] = ul;
    }
    return ok();
}

// What every container gets unless it asks otherwise: logging, runtime, cgroup, security.
Result<bool> apply_container_key(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (key == "log-driver") {
        c.log_driver = BERTH_TRY(get_string(v, src, key));
        if (c.log_driver != "json-file" && c.log_driver != "none" && c.log_driver != "local")
            return bad(src, key, "unsupported log driver \"" + c.log_driver + "\" (json-file, local, none)");
    } else if (key == "log-opts")
        c.log_opts = BERTH_TRY(get_string_map(v, src, key));
    else if (key == "default-runtime")
        c.default_runtime = BERTH_TRY(get_string(v, src, key));
    else if (key == "runtimes")
        BERTH_TRY(apply_runtimes(c, key, v, src));
    else if (key == "cgroup-parent")
        c.cgroup_parent = BERTH_TRY(get_string(v, src, key));
    else if (key == "default-ulimits")
        BERTH_TRY(apply_default_ulimits(c, key, v, src));
    else if (key == "default-shm-size") {
        if (v.is_string()) return bad(src, key, "use a number of bytes");
        c.default_shm_size = BERTH_TRY(get_int(v, src, key, 0, INT64_MAX));
    } else if (key == "seccomp-profile")
        c.seccomp_profile = BERTH_TRY(get_string(v, src, key));
    else if (key == "no-new-privileges")
        c.no_new_privileges = BERTH_TRY(get_bool(v, src, key));
    else if (key == "init")
        c.init = BERTH_TRY(get_bool(v, src, key));
    else if (key == "default-cgroupns-mode") {
        c.default_cgroupns_mode = BERTH_TRY(get_string(v, src, key));
        if (c.default_cgroupns_mode != "private" && c.default_cgroupns_mode != "host")
            return bad(src, key, "must be \"private\" or \"host\"");
    } else
        return false;
    return true;
}

// "default-address-pools": [{"base": CIDR, "size": N}], replacing the built-in pools.
Result<> apply_address_pools(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (!v.is_array()) return bad(src, key, "expected a list of {\"base\", \"size\"}");
    c.default_address_pools.clear();
    for (size_t i = 0; i < v.size(); ++i) {
        std::string k = key + "[" + std::to_string(i) + "]";
        auto& p = v[i];
        if (!p.is_object() || !p.contains("base"))
            return bad(src, k, "expected {\"base\": CIDR, \"size\": N}");
        AddressPool pool;
        pool.base = BERTH_TRY(get_string(p["base"], src, k + ".base"));
        if (!valid_cidr(pool.base)) return bad(src, k + ".base", "\"" + pool.base + "\" is not an IPv4 CIDR");
        pool.size = static_cast<int>(BERTH_TRY(get_int(p.value("size", Json(24)), src, k + ".size", 1, 32)));
        int base_len = std::stoi(pool.base.substr(pool.base.find('/') + 1));
        if (pool.size < base_len) return bad(src, k + ".size", "must not be shorter than the base's prefix");
        c.default_address_pools.push_back(pool);
    }
    return ok();
}

// The default bridge network, address pools, the firewall and DNS.
Result<bool> apply_network_key(Config& c, const std::string& key, const Json& v, const std::string& src) {
    if (key == "bip") {
        c.bip = BERTH_TRY(get_string(v, src, key));
        if (!valid_cidr(c.bip))
            return bad(src, key, "\"" + c.bip + "\" is not an IPv4 CIDR such as 172.17.0.1/16");
    } else if (key == "fixed-cidr") {
        c.fixed_cidr = BERTH_TRY(get_string(v, src, key));
        if (!valid_cidr(c.fixed_cidr)) return bad(src, key, "\"" + c.fixed_cidr + "\" is not an IPv4 CIDR");
    } else if (key == "default-address-pools")
        BERTH_TRY(apply_address_pools(c, key, v, src));
    else if (key == "mtu")
        c.mtu = static_cast<int>(BERTH_TRY(get_int(v, src, key, 68, 65535)));
    else if (key == "ip-forward")
        c.ip_forward = BERTH_TRY(get_bool(v, src, key));
    else if (key == "iptables")
        c.iptables = BERTH_TRY(get_bool(v, src, key));
    else if (key == "bridge") {
        c.bridge = BERTH_TRY(get_string(v, src, key));
        if (c.bridge.empty() || c.bridge.size() > 15 || c.bridge.find('/') != std::string::npos)
            return bad(src, key, "\"" + c.bridge + "\" is not an interface name (1 to 15 characters)");
    } else if (key == "nft-table") {
        c.nft_table = BERTH_TRY(get_string(v, src, key));
        for (char ch : c.nft_table)
            if (!isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
                return bad(src, key, "\"" + c.nft_table + "\" is not an nftables table name");
        if (c.nft_table.empty()) return bad(src, key, "empty table name");
    } else if (key == "icc")
        c.icc = BERTH_TRY(get_bool(v, src, key));
    else if (key == "dns")
        c.dns = BERTH_TRY(get_strings(v, src, key));
    else if (key == "dns-search")
        c.dns_search = BERTH_TRY(get_strings(v, src, key));
    else if (key == "dns-opts")
        c.dns_opts = BERTH_TRY(get_strings(v, src, key));
    else
        return false;
    return true;
}

using KeyGroup = Result<bool> (*)(Config&, const std::string&, const Json&, const std::string&);
const KeyGroup kKeyGroups[] = {apply_daemon_key, apply_registry_key, apply_container_key, apply_network_key};

// A key no group knows: a Docker key berthd does not act on is a warning, anything else an error.
Result<> accept_ignored_key(Config& c, const std::string& key, const std::string& src) {
    bool ignored = false;
    for (auto* k : kIgnoredDockerKeys) ignored |= key == k;
    if (!ignored)
        return Error::invalid(src + ": unknown configuration key \"" + key +
                              "\" (the following directives don't match any configuration option)");
    c.warnings.push_back(src + ": \"" + key + "\" is accepted for Docker compatibility but has no effect");
    return ok();
}

}  // namespace

Result<> apply_json(Config& c, const Json& doc, const std::string& src) {
    if (!doc.is_object()) return Error::invalid(src + ": expected a JSON object");
    for (auto& [key, v] : doc.items()) {
        bool applied = false;
        for (KeyGroup apply : kKeyGroups)
            if ((applied = BERTH_TRY(apply(c, key, v, src)))) break;
        if (!applied) BERTH_TRY(accept_ignored_key(c, key, src));
    }
    return ok();
}

Result<> load_file(Config& cfg, const std::string& path, bool required) {
    auto text = read_file(path);
    if (!text) {
        if (text.error().kind() == ErrorKind::NotFound && !required) return ok();
        return std::move(text.error()).with_context("read daemon configuration");
    }
    auto doc = BERTH_TRY(parse_json(*text, path));
    return apply_json(cfg, doc, path);
}

Result<HostAddr> parse_host(const std::string& spec) {
    HostAddr h;
    if (starts_with(spec, "unix://")) {
        h.kind = HostAddr::Kind::Unix;
        h.path = spec.substr(7);
        if (h.path.empty() || h.path[0] != '/')
            return Error::invalid("host \"" + spec + "\": unix socket path must be absolute");
        return h;
    }
    if (starts_with(spec, "tcp://")) {
        h.kind = HostAddr::Kind::Tcp;
        std::string rest = spec.substr(6);
        auto colon = rest.rfind(':');
        if (colon == std::string::npos)
            return Error::invalid("host \"" + spec + "\": expected tcp://HOST:PORT");
        h.host = rest.substr(0, colon);
        if (h.host.size() > 1 && h.host.front() == '[' && h.host.back() == ']')
            h.host = h.host.substr(1, h.host.size() - 2);
        if (h.host.empty()) h.host = "0.0.0.0";
        char* end;
        long port = strtol(rest.c_str() + colon + 1, &end, 10);
        if (*end || port <= 0 || port > 65535) return Error::invalid("host \"" + spec + "\": invalid port");
        h.port = static_cast<uint16_t>(port);
        return h;
    }
    if (starts_with(spec, "fd://")) {
        h.kind = HostAddr::Kind::Fd;
        std::string n = spec.substr(5);
        if (n.empty()) return h;
        char* end;
        long fd = strtol(n.c_str(), &end, 10);
        if (*end || fd < 3 || fd > 65535)
            return Error::invalid("host \"" + spec + "\": expected fd:// or fd://N with N >= 3");
        h.fd = static_cast<int>(fd);
        return h;
    }
    if (!spec.empty() && spec[0] == '/') return parse_host("unix://" + spec);
    return Error::invalid("host \"" + spec + "\": expected unix:///path, tcp://host:port or fd://");
}

Result<> validate(const Config& c) {
    bool any_tcp = false;
    for (auto& h : c.hosts) {
        auto addr = BERTH_TRY(parse_host(h));
        any_tcp |= addr.kind == HostAddr::Kind::Tcp;
    }
    if (any_tcp && !c.insecure_tcp) {
        if (!(c.tlsverify || c.tls)) {
            return Error::invalid(
                "a TCP listener needs TLS with client certificates (--tlsverify --tlscacert --tlscert "
                "--tlskey);"
                " plain TCP is refused unless --insecure-tcp is given");
        }
        if (c.tlscert.empty() || c.tlskey.empty())
            return Error::invalid("TLS: --tlscert and --tlskey are required");
        if (c.tlsverify && c.tlscacert.empty()) return Error::invalid("TLS: --tlsverify needs --tlscacert");
        for (auto* f : {&c.tlscacert, &c.tlscert, &c.tlskey})
            if (!f->empty() && !path_exists(*f))
                return Error::not_found("TLS file " + *f + " does not exist");
    }
    if (c.data_root.empty() || c.data_root[0] != '/')
        return Error::invalid("data-root must be an absolute path");
    if (c.exec_root.empty() || c.exec_root[0] != '/')
        return Error::invalid("exec-root must be an absolute path");
    if (!c.runtimes.empty() || c.default_runtime != "berth")
        if (c.default_runtime != "berth" && !c.runtimes.count(c.default_runtime))
            return Error::invalid("default-runtime \"" + c.default_runtime + "\" is not defined in runtimes");
    return ok();
}

Result<int64_t> parse_byte_size(std::string_view s) {
    auto bad = [&] { return Error::invalid("invalid size: '" + std::string(s) + "'"); };
    size_t i = 0;
    double v = 0, frac = 0.1;
    bool digits = false, dot = false;
    for (; i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'); ++i) {
        if (s[i] == '.') {
            if (dot) return bad();
            dot = true;
        } else if (dot) {
            v += (s[i] - '0') * frac, frac /= 10, digits = true;
        } else {
            v = v * 10 + (s[i] - '0'), digits = true;
        }
    }
    if (!digits) return bad();
    std::string unit;
    for (; i < s.size(); ++i) unit += static_cast<char>(tolower(static_cast<unsigned char>(s[i])));
    if (unit.size() > 1 && unit.substr(unit.size() - 2) == "ib")
        unit.resize(unit.size() - 2);
    else if (!unit.empty() && unit.back() == 'b')
        unit.pop_back();
    double mult = 1;
    if (unit == "k")
        mult = 1024.0;
    else if (unit == "m")
        mult = 1024.0 * 1024;
    else if (unit == "g")
        mult = 1024.0 * 1024 * 1024;
    else if (unit == "t")
        mult = 1024.0 * 1024 * 1024 * 1024;
    else if (!unit.empty())
        return bad();
    return static_cast<int64_t>(v * mult);
}

}  // namespace berth::daemon

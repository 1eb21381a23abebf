// Interfaces through libnl-route (see link.h). Each call opens its own netlink socket (a few
// microseconds) so calls from different threads never share libnl state.
#include "hostnet/link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sys/random.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "common/fd.h"
#include "common/file.h"
#include "common/scope.h"
#include "common/strings.h"
#include "hostnet/netns.h"

namespace berth::hostnet {
namespace {

struct SockFree {
    void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct CachePut {
    void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct AddrPut {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrPut {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RoutePut {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
using Sock = std::unique_ptr<nl_sock, SockFree>;
using Link = std::unique_ptr<rtnl_link, LinkPut>;
using Cache = std::unique_ptr<nl_cache, CachePut>;
using Addr = std::unique_ptr<nl_addr, AddrPut>;

ErrorKind kind_of(int nlerr) {
    switch (nlerr < 0 ? -nlerr : nlerr) {
        case NLE_EXIST:
            return ErrorKind::AlreadyExists;
        case NLE_OBJ_NOTFOUND:
        case NLE_NODEV:
            return ErrorKind::NotFound;
        case NLE_PERM:
        case NLE_NOACCESS:
            return ErrorKind::PermissionDenied;
        case NLE_INVAL:
        case NLE_RANGE:
            return ErrorKind::InvalidArgument;
        case NLE_BUSY:
            return ErrorKind::Conflict;
        case NLE_OPNOTSUPP:
            return ErrorKind::Unsupported;
        default:
            return ErrorKind::Internal;
    }
}

Error nl_error(const std::string& what, int nlerr) {
    return Error(kind_of(nlerr), what + ": " + nl_geterror(nlerr));
}

bool is_missing(int nlerr) {
    int e = nlerr < 0 ? -nlerr : nlerr;
    return e == NLE_OBJ_NOTFOUND || e == NLE_NODEV;
}

Result<Sock> open_sock() {
    Sock s(nl_socket_alloc());
    if (!s) return Error::internal("netlink: cannot allocate socket");
    if (int err = nl_connect(s.get(), NETLINK_ROUTE); err < 0) return nl_error("netlink connect", err);
    return s;
}

Result<> check_ifname(const std::string& name, const char* what) {
    if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("/ \t\n:") != std::string::npos ||
        name == "." || name == "..")
        return Error::invalid(std::string("invalid ") + what + " name \"" + name +
                              "\" (1 to 15 characters, no '/', ':' or spaces)");
    return ok();
}

// Returns nullptr (and no error) when the link does not exist.
Result<Link> get_link(nl_sock* s, const std::string& name) {
    rtnl_link* l = nullptr;
    int err = rtnl_link_get_kernel(s, 0, name.c_str(), &l);
    if (err < 0) {
        if (is_missing(err)) return Link();
        return nl_error("get link " + name, err);
    }
    return Link(l);
}

Result<Addr> parse_cidr(const std::string& cidr, const char* what) {
    auto slash = cidr.find('/');
    in_addr tmp{};
    if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &tmp) != 1)
        return Error::invalid(std::string("invalid ") + what + " \"" + cidr + "\" (want a.b.c.d/len)");
    const std::string len = cidr.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(len) > 32)
        return Error::invalid(std::string("invalid ") + what + " \"" + cidr + "\" (prefix length 0-32)");
    nl_addr* a = nullptr;
    if (int err = nl_addr_parse(cidr.c_str(), AF_INET, &a); err < 0)
        return nl_error(std::string("parse ") + what + " " + cidr, err);
    return Addr(a);
}

Result<Addr> parse_ip(const std::string& ip, const char* what) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
        return Error::invalid(std::string("invalid ") + what + " \"" + ip + "\" (want an IPv4 address)");
    return Addr(nl_addr_build(AF_INET, &a, sizeof a));
}

Result<Addr> parse_mac(const std::string& mac) {
    unsigned char b[6];
    char tail;
    unsigned v[6];
    if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                    &tail) != 6 ||
        mac.size() != 17)
        return Error::invalid("invalid MAC address \"" + mac + "\" (want xx:xx:xx:xx:xx:xx)");
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(v[i]);
    if (b[0] & 1) return Error::invalid("invalid MAC address \"" + mac + "\" (multicast bit set)");
    return Addr(nl_addr_build(AF_LLC, b, sizeof b));
}

Result<> set_up(nl_sock* s, rtnl_link* link, int mtu) {
    Link change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (mtu > 0) rtnl_link_set_mtu(change.get(), static_cast<unsigned>(mtu));
    if (int err = rtnl_link_change(s, link, change.get(), 0); err < 0)
        return nl_error(std::string("bring up ") + rtnl_link_get_name(link), err);
    return ok();
}

Result<> delete_by_name(nl_sock* s, const std::string& name) {
    Link l(rtnl_link_alloc());
    rtnl_link_set_name(l.get(), name.c_str());
    int err = rtnl_link_delete(s, l.get());
    if (err < 0 && !is_missing(err)) return nl_error("delete link " + name, err);
    return ok();
}

// True when the link has exactly this IPv4 address and prefix length.
Result<bool> has_address(nl_sock* s, int ifindex, nl_addr* want) {
    nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(s, &raw); err < 0) return nl_error("list addresses", err);
    Cache cache(raw);
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET) continue;
        nl_addr* local = rtnl_addr_get_local(a);
        if (local && nl_addr_get_len(local) == nl_addr_get_len(want) &&
            memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(want), nl_addr_get_len(want)) ==
                0 &&
            static_cast<unsigned>(rtnl_addr_get_prefixlen(a)) == nl_addr_get_prefixlen(want))
            return true;
    }
    return false;
}

Result<> add_address(nl_sock* s, int ifindex, nl_addr* local, const std::string& text) {
    std::unique_ptr<rtnl_addr, RtAddrPut> a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), ifindex);
    if (int err = rtnl_addr_set_local(a.get(), local); err < 0) return nl_error("address " + text, err);
    rtnl_addr_set_prefixlen(a.get(), static_cast<int>(nl_addr_get_prefixlen(local)));
    if (int err = rtnl_addr_add(s, a.get(), 0); err < 0) return nl_error("add address " + text, err);
    return ok();
}

Result<> add_default_route(nl_sock* s, int ifindex, const std::string& gateway) {
    Addr gw = BERTH_TRY(parse_ip(gateway, "gateway"));
    nl_addr* dst_raw = nullptr;
    if (int err = nl_addr_parse("0.0.0.0/0", AF_INET, &dst_raw); err < 0)
        return nl_error("default route", err);
    Addr dst(dst_raw);
    std::unique_ptr<rtnl_route, RoutePut> r(rtnl_route_alloc());
    rtnl_route_set_family(r.get(), AF_INET);
    rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
    rtnl_route_set_type(r.get(), RTN_UNICAST);
    rtnl_route_set_protocol(r.get(), RTPROT_BOOT);
    rtnl_route_set_scope(r.get(), RT_SCOPE_UNIVERSE);
    if (int err = rtnl_route_set_dst(r.get(), dst.get()); err < 0) return nl_error("default route", err);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_nh_set_gateway(nh, gw.get());
    rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh from here
    if (int err = rtnl_route_add(s, r.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nl_error("add default route via " + gateway, err);
    return ok();
}

// Runs fn with a netlink socket opened inside the namespace (the socket is bound to it).
Result<> with_netns_sock(const std::string& netns_path, const std::function<Result<>(nl_sock*)>& fn) {
    return run_in_netns(netns_path, [&]() -> Result<> {
        Sock s = BERTH_TRY(open_sock());
        return fn(s.get());
    });
}

std::string format_prefix(const unsigned char* b, unsigned prefixlen) {
    uint32_t v = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
    if (prefixlen < 32) v &= prefixlen == 0 ? 0 : ~((1u << (32 - prefixlen)) - 1);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255,
                  prefixlen);
    return buf;
}

Result<> write_sysctl(const std::string& path, const std::string& value) {
    auto cur = read_file(path);
    if (cur && trim(*cur) == value) return ok();
    return write_file(path, value);
}

// Runs in the namespace: /proc/sys/net resolves against the calling thread's namespace.
// Without it the kernel starts IPv6 link-local setup (DAD, router solicitations) on the
// new interface, whose work holds the RTNL lock and slows every following netlink call.
Result<> disable_ipv6_here(const std::string& ifname) {
    const std::string path = "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
    if (!path_exists(path)) return ok();  // kernel without IPv6
    return write_file(path, "1");
}

// Inside the container's namespace: address, up, default route.
Result<> configure_peer(nl_sock* s, const VethConfig& cfg, nl_addr* local) {
    Link l = BERTH_TRY(get_link(s, cfg.ifname));
    if (!l) return Error::not_found(cfg.ifname + " missing in namespace");
    int index = rtnl_link_get_ifindex(l.get());
    BERTH_TRY(add_address(s, index, local, cfg.address_cidr));
    if (cfg.disable_ipv6) BERTH_TRY(disable_ipv6_here(cfg.ifname));
    BERTH_TRY(set_up(s, l.get(), 0));
    if (!cfg.gateway.empty()) BERTH_TRY(add_default_route(s, index, cfg.gateway));
    return ok();
}

}  // namespace

Result<std::string> mac_for_ipv4(const std::string& ip) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return Error::invalid("invalid IPv4 address \"" + ip + "\"");
    auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
    char buf[18];
    std::snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
    return std::string(buf);
}

Result<> ensure_bridge(const std::string& name, const std::string& gateway_cidr, int mtu) {
    BERTH_TRY(check_ifname(name, "bridge"));
    Addr gw = BERTH_TRY(parse_cidr(gateway_cidr, "bridge address"));
    Sock s = BERTH_TRY(open_sock());
    Link link = BERTH_TRY(get_link(s.get(), name));
    if (!link) {
        Link br(rtnl_link_alloc());
        if (int err = rtnl_link_set_type(br.get(), "bridge"); err < 0) return nl_error("bridge type", err);
        rtnl_link_set_name(br.get(), name.c_str());
        if (mtu > 0) rtnl_link_set_mtu(br.get(), static_cast<unsigned>(mtu));
        // A fixed random MAC, as Docker does: otherwise the bridge takes the lowest port MAC
        // and changes it as containers come and go, which breaks the containers' ARP caches.
        unsigned char mac[6];
        if (getrandom(mac, sizeof mac, 0) == sizeof mac) {
            mac[0] = (mac[0] & 0xfe) | 0x02;
            Addr lladdr(nl_addr_build(AF_LLC, mac, sizeof mac));
            rtnl_link_set_addr(br.get(), lladdr.get());
        }
        int err = rtnl_link_add(s.get(), br.get(), NLM_F_CREATE | NLM_F_EXCL);
        if (err < 0 && kind_of(err) != ErrorKind::AlreadyExists)
            return nl_error("create bridge " + name, err);
        link = BERTH_TRY(get_link(s.get(), name));
        if (!link) return Error::internal("bridge " + name + " vanished after creation");
    }
    const char* type = rtnl_link_get_type(link.get());
    if (!type || std::string(type) != "bridge")
        return Error::conflict("link " + name + " exists and is not a bridge (" + (type ? type : "no type") +
                               ")");
    int index = rtnl_link_get_ifindex(link.get());
    if (!BERTH_TRY(has_address(s.get(), index, gw.get())))
        BERTH_TRY_CTX(add_address(s.get(), index, gw.get(), gateway_cidr), "bridge " + name);
    return set_up(s.get(), link.get(), mtu);
}

Result<> delete_link(const std::string& name) {
    BERTH_TRY(check_ifname(name, "link"));
    Sock s = BERTH_TRY(open_sock());
    return delete_by_name(s.get(), name);
}

Result<bool> link_exists(const std::string& name) {
    BERTH_TRY(check_ifname(name, "link"));
    Sock s = BERTH_TRY(open_sock());
    Link l = BERTH_TRY(get_link(s.get(), name));
    return static_cast<bool>(l);
}

Result<> create_endpoint(const VethConfig& cfg) {
    BERTH_TRY(check_ifname(cfg.host_name, "host interface"));
    BERTH_TRY(check_ifname(cfg.ifname, "container interface"));
    BERTH_TRY(check_ifname(cfg.bridge, "bridge"));
    Addr local = BERTH_TRY(parse_cidr(cfg.address_cidr, "endpoint address"));
    if (!cfg.gateway.empty()) BERTH_TRY(parse_ip(cfg.gateway, "gateway"));
    std::string mac = cfg.mac;
    if (mac.empty()) mac = BERTH_TRY(mac_for_ipv4(cfg.address_cidr.substr(0, cfg.address_cidr.find('/'))));
    Addr lladdr = BERTH_TRY(parse_mac(mac));
    if (cfg.mtu < 68 || cfg.mtu > 65535) return Error::invalid("invalid MTU " + std::to_string(cfg.mtu));

    UniqueFd ns(::open(cfg.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return Error::sys("open network namespace", cfg.netns_path);
    Sock s = BERTH_TRY(open_sock());
    Link bridge = BERTH_TRY(get_link(s.get(), cfg.bridge));
    if (!bridge) return Error::not_found("bridge " + cfg.bridge + " does not exist");

    // One RTM_NEWLINK makes both ends: the host end enslaved and up, the peer created
    // straight inside the container's namespace under its final name (no rename step).
    Link veth(rtnl_link_veth_alloc());
    if (!veth) return Error::internal("netlink: cannot allocate veth");
    rtnl_link_set_name(veth.get(), cfg.host_name.c_str());
    rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(cfg.mtu));
    rtnl_link_set_master(veth.get(), rtnl_link_get_ifindex(bridge.get()));
    rtnl_link_set_flags(veth.get(), IFF_UP);
    rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
    rtnl_link_set_name(peer, cfg.ifname.c_str());
    rtnl_link_set_mtu(peer, static_cast<unsigned>(cfg.mtu));
    rtnl_link_set_addr(peer, lladdr.get());
    // Not IFF_UP here: the kernel refuses to open a peer created in another namespace in
    // the same request (ENOTCONN); it is brought up from inside below.
    rtnl_link_set_ns_fd(peer, ns.get());
    int err = rtnl_link_add(s.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    if (err < 0)
        return nl_error("create veth " + cfg.host_name + " (" + cfg.ifname + " in " + cfg.netns_path + ")",
                        err);
    ScopeExit undo([&] { (void)delete_by_name(s.get(), cfg.host_name); });  // it dies with the netns too
    if (cfg.hairpin) BERTH_TRY(write_file("/sys/class/net/" + cfg.host_name + "/brport/hairpin_mode", "1"));

    BERTH_TRY_CTX(
        with_netns_sock(cfg.netns_path,
                        [&](nl_sock* ns_sock) { return configure_peer(ns_sock, cfg, local.get()); }),
        "configure " + cfg.ifname + " in " + cfg.netns_path);
    undo.dismiss();
    return ok();
}

Result<> remove_endpoint(const std::string& host_name) {
    return delete_link(host_name);
}

Result<> remove_interface(const std::string& netns_path, const std::string& ifname) {
    BERTH_TRY(check_ifname(ifname, "interface"));
    return with_netns_sock(netns_path, [&](nl_sock* s) { return delete_by_name(s, ifname); });
}

Result<> loopback_up(const std::string& netns_path) {
    return with_netns_sock(netns_path, [&](nl_sock* s) -> Result<> {
        Link lo = BERTH_TRY(get_link(s, "lo"));
        if (!lo) return Error::not_found("no loopback in " + netns_path);
        if (rtnl_link_get_flags(lo.get()) & IFF_UP) return ok();
        return set_up(s, lo.get(), 0);
    });
}

Result<std::string> next_ifname(const std::string& netns_path) {
    std::set<std::string> names;
    BERTH_TRY(with_netns_sock(netns_path, [&](nl_sock* s) -> Result<> {
        nl_cache* raw = nullptr;
        if (int err = rtnl_link_alloc_cache(s, AF_UNSPEC, &raw); err < 0) return nl_error("list links", err);
        Cache cache(raw);
        for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o))
            names.insert(rtnl_link_get_name(reinterpret_cast<rtnl_link*>(o)));
        return ok();
    }));
    for (int i = 0;; ++i) {
        std::string n = "eth" + std::to_string(i);
        if (!names.count(n)) return n;
    }
}

Result<std::vector<std::string>> host_ipv4_networks() {
    Sock s = BERTH_TRY(open_sock());
    std::set<std::string> out;
    nl_cache* raw = nullptr;
    if (int err = rtnl_route_alloc_cache(s.get(), AF_INET, 0, &raw); err < 0)
        return nl_error("list routes", err);
    Cache routes(raw);
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        nl_addr* dst = rtnl_route_get_dst(r);
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN || !dst || nl_addr_get_prefixlen(dst) == 0 ||
            nl_addr_get_len(dst) != 4)
            continue;
        out.insert(format_prefix(static_cast<unsigned char*>(nl_addr_get_binary_addr(dst)),
                                 nl_addr_get_prefixlen(dst)));
    }
    raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(s.get(), &raw); err < 0) return nl_error("list addresses", err);
    Cache addrs(raw);
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        nl_addr* local = rtnl_addr_get_local(a);
        if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4) continue;
        out.insert(format_prefix(static_cast<unsigned char*>(nl_addr_get_binary_addr(local)),
                                 static_cast<unsigned>(rtnl_addr_get_prefixlen(a))));
    }
    return std::vector<std::string>(out.begin(), out.end());
}

Result<> enable_forwarding(const std::string& bridge) {
    BERTH_TRY(check_ifname(bridge, "bridge"));
    BERTH_TRY(write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"));
    return write_sysctl("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "1");
}

}  // namespace berth::hostnet

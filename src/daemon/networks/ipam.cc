#include "daemon/networks/ipam.h"

#include <arpa/inet.h>

#include <cstdio>

namespace berth::daemon::networks {

Result<Ipv4> parse_ipv4(std::string_view text) {
    std::string s(text);
    struct in_addr a {};
    // inet_pton accepts only the dotted quad (no "10.1", no octal), as Go's ParseIP.
    if (s.empty() || inet_pton(AF_INET, s.c_str(), &a) != 1)
        return Error::invalid("invalid IPv4 address: " + s);
    return ntohl(a.s_addr);
}

std::string format_ipv4(Ipv4 addr) {
    char buf[16];
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
    return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
    auto bad = [&] { return Error::invalid("invalid CIDR address: " + std::string(text)); };
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return bad();
    auto addr = parse_ipv4(text.substr(0, slash));
    if (!addr) return bad();
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 2) return bad();
    int prefix = 0;
    for (char c : p) {
        if (c < '0' || c > '9') return bad();
        prefix = prefix * 10 + (c - '0');
    }
    if (prefix > 32) return bad();
    return Cidr{*addr, prefix};
}

std::vector<AddressPool> default_pools() {
    std::vector<AddressPool> pools;
    for (Ipv4 second = 17; second <= 31; ++second)
        pools.push_back({Cidr{(172u << 24) | (second << 16), 16}, 16});
    pools.push_back({Cidr{(192u << 24) | (168u << 16), 16}, 20});
    return pools;
}

Result<Cidr> pick_subnet(const std::vector<AddressPool>& pools, const std::vector<Cidr>& taken) {
    for (const auto& pool : pools) {
        if (pool.size < pool.base.prefix || pool.size > 30) continue;
        uint64_t step = uint64_t(1) << (32 - pool.size);
        uint64_t first = pool.base.network(), end = uint64_t(pool.base.broadcast()) + 1;
        for (uint64_t a = first; a < end; a += step) {
            Cidr candidate{static_cast<Ipv4>(a), pool.size};
            bool clash = false;
            for (const auto& t : taken)
                if (candidate.overlaps(t.masked())) {
                    clash = true;
                    break;
                }
            if (!clash) return candidate;
        }
    }
    return Error(ErrorKind::Unavailable,
                 "could not find an available, non-overlapping IPv4 address pool among the defaults to "
                 "assign to the network");
}

Pool::Pool(Cidr subnet, Ipv4 gateway, std::optional<Cidr> ip_range)
    : subnet_(subnet.masked()), gateway_(gateway), range_(ip_range ? ip_range->masked() : subnet.masked()) {
    cursor_ = range_.network();
}

bool Pool::reserved(Ipv4 addr) const {
    if (addr == gateway_) return true;
    // /31 and /32 have no network or broadcast address to keep free.
    if (subnet_.prefix < 31 && (addr == subnet_.network() || addr == subnet_.broadcast())) return true;
    return false;
}

bool Pool::mark(Ipv4 addr) {
    return leased_.insert(addr).second;
}

Result<> Pool::claim(Ipv4 addr) {
    if (!subnet_.contains(addr))
        return Error::invalid("no configured subnet contains IP address " + format_ipv4(addr));
    if (reserved(addr) || leased(addr))
        return Error::conflict("Address already in use: " + format_ipv4(addr));
    leased_.insert(addr);
    return ok();
}

Result<Ipv4> Pool::allocate() {
    uint64_t first = range_.network(), last = range_.broadcast();
    uint64_t count = last - first + 1;
    uint64_t start = cursor_ < first || cursor_ > last ? first : cursor_;
    for (uint64_t i = 1; i <= count; ++i) {
        auto a = static_cast<Ipv4>(first + (start - first + i) % count);
        if (!subnet_.contains(a) || reserved(a) || leased(a)) continue;
        leased_.insert(a);
        cursor_ = a;
        return a;
    }
    return Error(ErrorKind::Unavailable, "no available addresses on network (" + range_.str() + ")");
}

void Pool::release(Ipv4 addr) {
    leased_.erase(addr);
}

std::string mac_for(Ipv4 addr) {
    char buf[18];
    snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255);
    return buf;
}

}  // namespace berth::daemon::networks

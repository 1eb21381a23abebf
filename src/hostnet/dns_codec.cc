// Private: DNS wire codec (see dns_codec.h).
#include "hostnet/dns_codec.h"

#include <arpa/inet.h>

namespace berth::hostnet::dns {
namespace {

uint16_t get16(std::span<const uint8_t> m, size_t off) {
    return static_cast<uint16_t>(m[off] << 8 | m[off + 1]);
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v));
}

constexpr uint16_t kFlagQR = 0x8000;
constexpr uint16_t kFlagAA = 0x0400;
constexpr uint16_t kFlagRD = 0x0100;
constexpr uint16_t kFlagRA = 0x0080;
constexpr uint16_t kOpcodeMask = 0x7800;

}  // namespace

Result<std::string> read_name(std::span<const uint8_t> msg, size_t& offset, std::vector<uint8_t>* wire) {
    std::string name;
    size_t pos = offset;
    bool jumped = false;
    int jumps = 0;
    size_t wire_len = 1;
    while (true) {
        if (pos >= msg.size()) return Error::invalid("dns: name runs past the message");
        uint8_t len = msg[pos];
        if ((len & 0xc0) == 0xc0) {
            if (pos + 1 >= msg.size()) return Error::invalid("dns: truncated compression pointer");
            size_t target = static_cast<size_t>(len & 0x3f) << 8 | msg[pos + 1];
            // Pointers must go backwards; a cap on jumps stops loops either way.
            if (target >= pos || ++jumps > 32) return Error::invalid("dns: bad compression pointer");
            if (!jumped) offset = pos + 2;
            jumped = true;
            pos = target;
            continue;
        }
        if (len & 0xc0) return Error::invalid("dns: unsupported label type");
        if (len == 0) {
            if (!jumped) offset = pos + 1;
            break;
        }
        if (pos + 1 + len > msg.size()) return Error::invalid("dns: label runs past the message");
        wire_len += 1 + len;
        if (wire_len > 255) return Error::invalid("dns: name longer than 255 bytes");
        if (wire) {
            wire->push_back(len);
            wire->insert(wire->end(), msg.begin() + pos + 1, msg.begin() + pos + 1 + len);
        }
        if (!name.empty()) name += '.';
        name.append(reinterpret_cast<const char*>(msg.data() + pos + 1), len);
        pos += 1 + len;
    }
    if (wire) wire->push_back(0);
    return name;
}

Result<Query> parse_query(std::span<const uint8_t> msg) {
    if (msg.size() < 12) return Error::invalid("dns: message shorter than its header");
    Query q;
    q.id = get16(msg, 0);
    q.flags = get16(msg, 2);
    if (q.flags & kFlagQR) return Error::invalid("dns: not a query");
    uint16_t qdcount = get16(msg, 4);
    size_t off = 12;
    for (uint16_t i = 0; i < qdcount; ++i) {
        Question question;
        question.name = BERTH_TRY(read_name(msg, off, &question.wire_name));
        if (off + 4 > msg.size()) return Error::invalid("dns: truncated question");
        question.type = get16(msg, off);
        question.cls = get16(msg, off + 2);
        off += 4;
        q.questions.push_back(std::move(question));
    }
    return q;
}

std::vector<uint8_t> build_response(const Query& q, int rcode, const std::vector<std::string>& ipv4s) {
    std::vector<uint8_t> out;
    out.reserve(64 + 16 * ipv4s.size());
    std::vector<in_addr> addrs;
    if (!q.questions.empty() && rcode == kRcodeNoError && q.questions[0].type == kTypeA)
        for (const std::string& ip : ipv4s) {
            in_addr a{};
            if (inet_pton(AF_INET, ip.c_str(), &a) == 1) addrs.push_back(a);
        }
    put16(out, q.id);
    uint16_t flags =
        kFlagQR | kFlagRA | (q.flags & (kOpcodeMask | kFlagRD)) | static_cast<uint16_t>(rcode & 0xf);
    if (rcode == kRcodeNoError || rcode == kRcodeNxDomain) flags |= kFlagAA;
    put16(out, flags);
    put16(out, q.questions.empty() ? 0 : 1);
    put16(out, static_cast<uint16_t>(addrs.size()));
    put16(out, 0);
    put16(out, 0);
    if (q.questions.empty()) return out;
    const Question& question = q.questions[0];
    out.insert(out.end(), question.wire_name.begin(), question.wire_name.end());
    put16(out, question.type);
    put16(out, question.cls);
    for (const in_addr& a : addrs) {
        put16(out, 0xc00c);  // the name of the question, which starts right after the header
        put16(out, kTypeA);
        put16(out, kClassIN);
        put32(out, kTtl);
        put16(out, 4);
        auto* b = reinterpret_cast<const uint8_t*>(&a.s_addr);
        out.insert(out.end(), b, b + 4);
    }
    return out;
}

std::vector<uint8_t> build_error(std::span<const uint8_t> msg, int rcode) {
    Query q;
    if (msg.size() >= 2) q.id = get16(msg, 0);
    if (msg.size() >= 4) q.flags = get16(msg, 2);
    return build_response(q, rcode);
}

std::string normalize(std::string name) {
    while (!name.empty() && name.back() == '.') name.pop_back();
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return name;
}

}  // namespace berth::hostnet::dns

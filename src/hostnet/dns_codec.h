// Private: the small part of the DNS wire format (RFC 1035) the embedded server needs:
// parse a query's header and question (names with compression pointers), build answers
// (A records, TTL 600) and error replies. Hand-written: a resolver library would bring far
// more than two functions' worth of code, and this must never crash on garbage input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::hostnet::dns {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAAAA = 28;
constexpr uint16_t kClassIN = 1;
constexpr int kRcodeNoError = 0;
constexpr int kRcodeFormErr = 1;
constexpr int kRcodeServFail = 2;
constexpr int kRcodeNxDomain = 3;
constexpr int kRcodeNotImp = 4;
constexpr uint32_t kTtl = 600;

struct Question {
    std::string name;                // as received ("Web.Example."-> "Web.Example"), no trailing dot
    std::vector<uint8_t> wire_name;  // uncompressed, original case (echoed in answers)
    uint16_t type = 0;
    uint16_t cls = 0;
};

struct Query {
    uint16_t id = 0;
    uint16_t flags = 0;
    std::vector<Question> questions;
};

// Parses a message's header and questions; rejects responses and truncated/garbage data.
Result<Query> parse_query(std::span<const uint8_t> msg);
// Reads a (possibly compressed) name at offset; advances offset past it in the message.
Result<std::string> read_name(std::span<const uint8_t> msg, size_t& offset,
                              std::vector<uint8_t>* wire = nullptr);
// The response to q (first question only): rcode and A records for the given IPv4
// addresses (invalid ones are skipped).
std::vector<uint8_t> build_response(const Query& q, int rcode, const std::vector<std::string>& ipv4s = {});
// A header-only error reply for a message we could not parse beyond its id (>= 2 bytes).
std::vector<uint8_t> build_error(std::span<const uint8_t> msg, int rcode);
// Lower-case, no trailing dot: the form names are matched in.
std::string normalize(std::string name);

}  // namespace berth::hostnet::dns

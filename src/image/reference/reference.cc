// Docker image reference grammar and normalisation (distribution/reference v0.6 regexp.go,
// normalize.go). Hand-written matchers instead of std::regex: the grammar is small, and
// std::regex backtracks recursively (stack overflow on hostile long input) and is slow.
#include "image/reference/reference.h"

#include <algorithm>
#include <optional>

namespace berth::image::reference {
namespace {

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
    return is_alnum(c) || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// pathComponent: [a-z0-9]+ (?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool match_path_component(std::string_view s) {
    size_t i = 0, n = s.size();
    if (n == 0 || !is_lower_alnum(s[0])) return false;
    while (i < n) {
        while (i < n && is_lower_alnum(s[i])) ++i;
        if (i == n) return true;
        size_t sep = i;
        if (s[i] == '-') {
            while (i < n && s[i] == '-') ++i;
        } else if (s[i] == '_' && i + 1 < n && s[i + 1] == '_') {
            i += 2;
        } else if (s[i] == '.' || s[i] == '_') {
            ++i;
        } else {
            return false;
        }
        if (i == sep || i == n || !is_lower_alnum(s[i])) return false;
    }
    return true;
}

// remoteName: pathComponent (?:/pathComponent)*
bool match_remote_name(std::string_view s) {
    if (s.empty()) return false;
    size_t start = 0;
    for (;;) {
        size_t slash = s.find('/', start);
        std::string_view part = s.substr(start, slash == std::string_view::npos ? s.npos : slash - start);
        if (!match_path_component(part)) return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

// domainNameComponent: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool match_domain_component(std::string_view s) {
    if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domainAndPort: (domainName | \[[a-fA-F0-9:]+\]) (?::[0-9]+)?
bool match_domain_and_port(std::string_view s) {
    std::string_view host, port;
    bool has_port = false;
    if (!s.empty() && s[0] == '[') {
        size_t close = s.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        std::string_view addr = s.substr(1, close - 1);
        if (!std::all_of(addr.begin(), addr.end(), [](char c) { return is_hex(c) || c == ':'; }))
            return false;
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return false;
            has_port = true;
            port = rest.substr(1);
        }
    } else {
        size_t colon = s.find(':');
        host = s.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port = s.substr(colon + 1);
        }
        size_t start = 0;
        for (;;) {
            size_t dot = host.find('.', start);
            std::string_view part =
                host.substr(start, dot == std::string_view::npos ? host.npos : dot - start);
            if (!match_domain_component(part)) return false;
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
    }
    if (has_port && (port.empty() || !std::all_of(port.begin(), port.end(), is_digit))) return false;
    return true;
}

// digestPat: [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}
bool match_digest_pattern(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view alg = s.substr(0, colon), hex = s.substr(colon + 1);
    if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex)) return false;
    size_t i = 0;
    for (;;) {
        if (i >= alg.size() || !((alg[i] >= 'a' && alg[i] <= 'z') || (alg[i] >= 'A' && alg[i] <= 'Z')))
            return false;
        ++i;
        while (i < alg.size() && is_alnum(alg[i])) ++i;
        if (i == alg.size()) return true;
        char c = alg[i];
        if (c != '-' && c != '_' && c != '+' && c != '.') return false;
        ++i;
    }
}

struct Parts {
    std::string domain, path, tag, digest;
};

// The anchored referencePat match: name (:tag)? (@digest)?, with the name split into
// domain and path the way the leftmost-first regexp does (a first component that is a valid
// domainAndPort is the domain).
std::optional<Parts> match_reference(std::string_view s) {
    Parts p;
    size_t at = s.find('@');
    if (at != std::string_view::npos) {
        std::string_view dg = s.substr(at + 1);
        if (!match_digest_pattern(dg)) return std::nullopt;
        p.digest = dg;
        s = s.substr(0, at);
    }
    // A tag cannot contain '/', and a name holds ':' only before its first '/' (port), so the
    // tag separator is the last ':' after the last '/'.
    size_t colon = s.rfind(':');
    size_t slash = s.rfind('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        std::string_view tag = s.substr(colon + 1);
        if (!valid_tag(tag)) return std::nullopt;
        p.tag = tag;
        s = s.substr(0, colon);
    }
    size_t first = s.find('/');
    if (first != std::string_view::npos && match_domain_and_port(s.substr(0, first)) &&
        match_remote_name(s.substr(first + 1))) {
        p.domain = s.substr(0, first);
        p.path = s.substr(first + 1);
    } else if (match_remote_name(s)) {
        p.path = s;
    } else {
        return std::nullopt;
    }
    return p;
}

// splitDockerDomain: which part of a familiar name is the registry.
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
    std::string domain, remainder;
    size_t slash = name.find('/');
    if (slash == std::string_view::npos) {
        // A single element is always a Docker Hub official image, even "localhost".
        return {std::string(kDefaultDomain), std::string(kOfficialRepoPrefix) + std::string(name)};
    }
    std::string_view maybe_domain = name.substr(0, slash), rest = name.substr(slash + 1);
    if (maybe_domain == "localhost") {
        domain = maybe_domain, remainder = rest;
    } else if (maybe_domain == kLegacyDefaultDomain) {
        domain = kDefaultDomain, remainder = rest;
    } else if (maybe_domain.find_first_of(".:") != std::string_view::npos) {
        domain = maybe_domain, remainder = rest;
    } else if (to_lower(maybe_domain) != maybe_domain) {
        // Namespaces are lowercase, so an upper-case first element must be a host name.
        domain = maybe_domain, remainder = rest;
    } else {
        domain = kDefaultDomain, remainder = name;
    }
    if (domain == kDefaultDomain && remainder.find('/') == std::string::npos)
        remainder = std::string(kOfficialRepoPrefix) + remainder;
    return {domain, remainder};
}

}  // namespace

bool valid_tag(std::string_view s) {
    if (s.empty() || s.size() > 128 || !is_word(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool is_full_identifier(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

Result<> validate_digest(std::string_view s) {
    // go-digest's Digest.Validate, with sha256 the only registered algorithm.
    size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size())
        return Error::invalid("invalid checksum digest format");
    std::string_view alg = s.substr(0, colon), hex = s.substr(colon + 1);
    if (alg != "sha256") {
        if (!match_digest_pattern(s)) return Error::invalid("invalid checksum digest format");
        return Error::invalid("unsupported digest algorithm");
    }
    if (hex.size() != 64) return Error::invalid("invalid checksum digest length");
    if (!is_full_identifier(hex)) return Error::invalid("invalid checksum digest format");
    return ok();
}

Result<Reference> parse(std::string_view s) {
    if (s.empty()) return Error::invalid("repository name must have at least one component");
    auto parts = match_reference(s);
    if (!parts) {
        std::string lower = to_lower(s);
        if (lower != s && match_reference(lower)) return Error::invalid("repository name must be lowercase");
        return Error::invalid("invalid reference format");
    }
    if (parts->path.size() > kMaxPathLength)
        return Error::invalid("repository name must not be more than 255 characters");
    if (!parts->digest.empty()) BERTH_TRY(validate_digest(parts->digest));
    Reference r;
    r.domain_ = std::move(parts->domain);
    r.path_ = std::move(parts->path);
    r.tag_ = std::move(parts->tag);
    r.digest_ = std::move(parts->digest);
    return r;
}

Result<Reference> parse_normalized(std::string_view s) {
    if (is_full_identifier(s)) {
        return Error::invalid("invalid repository name (" + std::string(s) +
                              "), cannot specify 64-byte hexadecimal strings");
    }
    auto [domain, remainder] = split_docker_domain(s);
    std::string remote = remainder.substr(0, remainder.find(':'));
    if (to_lower(remote) != remote) {
        return Error::invalid("invalid reference format: repository name (" + remote + ") must be lowercase");
    }
    return parse(domain + "/" + remainder);
}

std::string Reference::name() const {
    return domain_.empty() ? path_ : domain_ + "/" + path_;
}

std::string Reference::familiar_name() const {
    if (domain_ != kDefaultDomain) return name();
    std::string_view path = path_;
    if (path.substr(0, kOfficialRepoPrefix.size()) == kOfficialRepoPrefix) {
        std::string_view rest = path.substr(kOfficialRepoPrefix.size());
        if (rest.find('/') == std::string_view::npos) path = rest;
    }
    return std::string(path);
}

static std::string append_tag_digest(std::string s, const std::string& tag, const std::string& dg) {
    if (!tag.empty()) s += ":" + tag;
    if (!dg.empty()) s += "@" + dg;
    return s;
}

std::string Reference::string() const {
    return append_tag_digest(name(), tag_, digest_);
}

std::string Reference::familiar_string() const {
    return append_tag_digest(familiar_name(), tag_, digest_);
}

Reference Reference::with_default_tag() const {
    Reference r = *this;
    if (r.name_only()) r.tag_ = kDefaultTag;
    return r;
}

Result<Reference> Reference::with_tag(std::string_view tag) const {
    if (!valid_tag(tag)) return Error::invalid("invalid tag format");
    Reference r = *this;
    r.tag_ = tag;
    return r;
}

Result<Reference> Reference::with_digest(std::string_view digest) const {
    if (!match_digest_pattern(digest)) return Error::invalid("invalid digest format");
    BERTH_TRY(validate_digest(digest));
    Reference r = *this;
    r.digest_ = digest;
    return r;
}

Reference Reference::repository() const {
    Reference r = *this;
    r.tag_.clear();
    r.digest_.clear();
    return r;
}

Reference Reference::docker_ref() const {
    Reference r = *this;
    if (r.has_digest()) r.tag_.clear();
    return r.with_default_tag();
}

}  // namespace berth::image::reference

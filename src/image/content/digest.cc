// Digest parsing/validation and SHA-256 with OpenSSL's SHA256_* functions.
//
// Not EVP: the first EVP digest loads OpenSSL's default provider, ~2 MB of libcrypto pages
// and heap that stay in every berthd; SHA256_* run the same assembly (SHA-NI) without it.
// They are deprecated in OpenSSL 3 but kept, hence OPENSSL_SUPPRESS_DEPRECATED.
#include "image/content/digest.h"

#include <algorithm>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace berth::image::content {

static bool is_lower_hex64(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

Result<Digest> Digest::parse(std::string_view s) {
    constexpr std::string_view prefix = "sha256:";
    if (s.substr(0, prefix.size()) != prefix) {
        size_t colon = s.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return Error::invalid("invalid digest \"" + std::string(s) + "\": missing algorithm");
        return Error::invalid("unsupported digest algorithm \"" + std::string(s.substr(0, colon)) + "\"");
    }
    if (!is_lower_hex64(s.substr(prefix.size())))
        return Error::invalid("invalid digest \"" + std::string(s) + "\": want sha256:<64 lowercase hex>");
    Digest d;
    d.str_ = s;
    return d;
}

Result<Digest> Digest::from_hex(std::string_view hex) {
    return parse("sha256:" + std::string(hex));
}

Digest Digest::of(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

struct Sha256::Impl {
    SHA256_CTX ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
    BERTH_ASSERT(SHA256_Init(&impl_->ctx) == 1);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    if (!data.empty()) BERTH_ASSERT(SHA256_Update(&impl_->ctx, data.data(), data.size()) == 1);
}

Digest Sha256::finish() {
    unsigned char md[SHA256_DIGEST_LENGTH];
    constexpr unsigned len = SHA256_DIGEST_LENGTH;
    BERTH_ASSERT(SHA256_Final(md, &impl_->ctx) == 1);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(64);
    for (unsigned i = 0; i < len; ++i) {
        hex += kHex[md[i] >> 4];
        hex += kHex[md[i] & 0xf];
    }
    return *Digest::from_hex(hex);
}

}  // namespace berth::image::content

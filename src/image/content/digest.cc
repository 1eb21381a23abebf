// Digest parsing/validation and SHA-256 over OpenSSL's EVP interface.
#include "image/content/digest.h"

#include <algorithm>

#include <openssl/evp.h>

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
    EVP_MD_CTX* ctx = nullptr;
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
    impl_->ctx = EVP_MD_CTX_new();
    // Allocation failure or a missing sha256 provider is not something callers can handle.
    BERTH_ASSERT(impl_->ctx != nullptr);
    BERTH_ASSERT(EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    if (!data.empty()) BERTH_ASSERT(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
}

Digest Sha256::finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    BERTH_ASSERT(EVP_DigestFinal_ex(impl_->ctx, md, &len) == 1 && len == 32);
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

// Streaming sha256 over OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "common/error.h"

namespace berth::image::layer {

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        BERTH_ASSERT(ctx_ && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
    }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t len) {
        if (len) EVP_DigestUpdate(ctx_, data, len);
    }
    // "sha256:<hex>"; call once, at the end.
    std::string digest() {
        unsigned char md[32];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_, md, &n);
        std::string out = "sha256:";
        char hex[3];
        for (unsigned i = 0; i < n; ++i) {
            std::snprintf(hex, sizeof hex, "%02x", md[i]);
            out += hex;
        }
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

}  // namespace berth::image::layer

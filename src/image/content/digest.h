// Content digests ("sha256:<64 lowercase hex>") and a streaming SHA-256 hasher.
// Part of the content store's public interface: include "image/content/content_store.h".
#pragma once

#include <compare>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::image::content {

// A validated sha256 digest. Only sha256 exists here: it is what OCI and Docker use for
// every blob and image ID, and the only algorithm the store can verify.
class Digest {
public:
    Digest() = default;

    // Parses "sha256:<64 lowercase hex>"; anything else is InvalidArgument naming the input.
    static Result<Digest> parse(std::string_view s);
    // Builds from 64 lowercase hex characters (no "sha256:" prefix).
    static Result<Digest> from_hex(std::string_view hex);
    // The digest of `data`.
    static Digest of(std::string_view data);

    // "sha256:<hex>"; empty for a default-constructed Digest.
    const std::string& str() const { return str_; }
    std::string_view algorithm() const { return std::string_view(str_).substr(0, 6); }
    // The 64 hex characters.
    std::string_view hex() const { return std::string_view(str_).substr(7); }
    // First 12 hex characters, as `docker images` shows IDs.
    std::string short_id() const { return std::string(hex().substr(0, 12)); }
    bool empty() const { return str_.empty(); }

    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

private:
    std::string str_;
};

// Incremental SHA-256 (OpenSSL EVP). update() any number of times, then finish() once.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::string_view data);
    void update(const void* data, size_t len) {
        update(std::string_view(static_cast<const char*>(data), len));
    }
    Digest finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image::content

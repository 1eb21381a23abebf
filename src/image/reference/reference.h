// Image references ("busybox", "localhost:5000/a/b:tag", "name@sha256:..."), parsed and
// normalised exactly as Docker does (github.com/distribution/reference v0.6 + moby).
//
// The model. A reference names a repository and optionally pins a tag and/or a digest:
//
//     [domain/]path[:tag][@digest]        e.g. localhost:5000/team/app:1.2@sha256:<64 hex>
//
//   domain  the registry host[:port]. The first path element is a domain when it contains '.'
//           or ':', is exactly "localhost", or has an upper-case letter; otherwise the domain
//           is Docker Hub ("docker.io"; "index.docker.io" is folded into it).
//   path    lowercase components [a-z0-9]+ joined by '.', '_', "__" or runs of '-', separated
//           by '/'; at most 255 characters. A one-component path on Docker Hub gets the
//           "library/" prefix (official images): busybox -> docker.io/library/busybox.
//   tag     [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//   digest  "sha256:" + 64 lowercase hex (the only algorithm the content store holds).
//
// Two spellings of the same reference: the full one (string(): docker.io/library/busybox:latest,
// what we store and compare) and the familiar one users type and `docker images` prints
// (familiar_string(): busybox:latest). A name with no tag and no digest means ":latest", but
// only once with_default_tag() says so, as in Docker (ParseNormalizedNamed vs ParseDockerRef).
//
// Typical use:
//     auto ref = BERTH_TRY(reference::parse_normalized(user_input));
//     ref = ref.with_default_tag();             // busybox -> docker.io/library/busybox:latest
//     registry.pull(ref.domain(), ref.path(), ref.tag().empty() ? ref.digest() : ref.tag());
//     store.tag(ref, image_id);                  // keyed by ref.string()
//
// Errors (kind InvalidArgument) carry Docker's wording, which users and tests grep for:
// "invalid reference format", "invalid reference format: repository name (library/Busybox)
// must be lowercase", "repository name must not be more than 255 characters", "invalid
// repository name (<64 hex>), cannot specify 64-byte hexadecimal strings".
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::image::reference {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
inline constexpr std::string_view kOfficialRepoPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";
inline constexpr size_t kMaxPathLength = 255;

class Reference {
public:
    Reference() = default;

    // Registry host[:port], e.g. "docker.io", "localhost:5000"; empty only for references
    // from parse() whose first component is not a domain.
    const std::string& domain() const { return domain_; }
    // Repository path within the registry, e.g. "library/busybox".
    const std::string& path() const { return path_; }
    // Tag without the ':' ("latest"), empty if none.
    const std::string& tag() const { return tag_; }
    // Digest "sha256:<hex>", empty if none.
    const std::string& digest() const { return digest_; }

    bool has_tag() const { return !tag_.empty(); }
    bool has_digest() const { return !digest_.empty(); }
    // Neither tag nor digest ("busybox").
    bool name_only() const { return tag_.empty() && digest_.empty(); }

    // Full repository name: "docker.io/library/busybox".
    std::string name() const;
    // Repository name as Docker shows it: "busybox", "user/app", "localhost:5000/app".
    std::string familiar_name() const;
    // Full reference: name[:tag][@digest], e.g. "docker.io/library/busybox:latest".
    std::string string() const;
    // Familiar reference: "busybox:latest", "busybox@sha256:...".
    std::string familiar_string() const;

    // Adds ":latest" when the reference has neither tag nor digest (Docker's TagNameOnly).
    Reference with_default_tag() const;
    // The same repository with this tag (validated); the digest is kept.
    Result<Reference> with_tag(std::string_view tag) const;
    // The same repository with this digest (validated); the tag is kept.
    Result<Reference> with_digest(std::string_view digest) const;
    // The bare repository (no tag, no digest).
    Reference repository() const;
    // What Docker's ParseDockerRef returns: with a digest, the tag is dropped; with neither,
    // ":latest" is added.
    Reference docker_ref() const;

    friend bool operator==(const Reference&, const Reference&) = default;

private:
    friend Result<Reference> parse(std::string_view s);
    std::string domain_, path_, tag_, digest_;
};

// Parses a familiar or full reference and normalises it the Docker way (domain and
// "library/" filled in). Does NOT add a default tag: see Reference::with_default_tag().
Result<Reference> parse_normalized(std::string_view s);

// Parses a reference as written, with no normalisation (distribution's reference.Parse):
// "busybox" keeps an empty domain. Mostly useful for tests and registry-internal names.
Result<Reference> parse(std::string_view s);

// True if `s` is a valid tag.
bool valid_tag(std::string_view s);
// Validates a digest as Docker does; errors: "invalid checksum digest format",
// "invalid checksum digest length", "unsupported digest algorithm".
Result<> validate_digest(std::string_view s);
// True if `s` is exactly 64 lowercase hex characters (a full image ID without "sha256:").
bool is_full_identifier(std::string_view s);

}  // namespace berth::image::reference

// A client of the OCI distribution spec / Docker Registry HTTP API v2, over libcurl.
//
// The model:
//   - A Repository is one repository ("library/busybox") on one endpoint (a registry or a
//     mirror). It authenticates lazily: the first 401 carries a WWW-Authenticate challenge;
//     Bearer challenges are answered by fetching a token from the realm (service, scope
//     "repository:<path>:pull[,push]", Basic credentials or an identity token), cached until
//     it expires; Basic challenges get the credentials directly.
//   - Endpoints: HTTPS with the system CAs plus <certs_dir>/<host:port>/ (ca.crt and
//     *.crt as CAs, *.cert/*.key as the client certificate; certs_dir is /etc/berth/certs.d,
//     daemon.json "registry-certs-dir"). Hosts in insecure-registries (host[:port] or a CIDR)
//     use plain HTTP; so do 127.0.0.0/8 / ::1 / localhost unless certs_dir has certificates
//     for them (then HTTPS, verified with those).
//   - Transfers follow redirects (blob storage elsewhere), retry 5xx and connection errors
//     with exponential backoff (blobs resume with Range), and fail a transfer that stalls
//     (no byte moving for Config::stall_seconds; a stalled blob download is retried only when
//     that attempt brought new bytes).
//   - Blobs are streamed into a sink; the caller verifies them (content::Store writers with
//     the expected digest), so nothing unverified is ever kept.
//
// Typical pull:
//     registry::Config cfg;                      // from daemon.json
//     auto repo = BERTH_TRY(registry::Repository::open(cfg, "docker.io", "library/busybox",
//                                                      creds, registry::Access::Pull));
//     auto m = BERTH_TRY(repo.get_manifest("latest"));   // bytes, media type, digest
//     BERTH_TRY(repo.fetch_blob(layer_digest, [&](std::string_view d) { return w.write(d); }));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::registry {

struct Config {
    std::vector<std::string> insecure_registries;  // "host:port", "host" or a CIDR
    std::vector<std::string> mirrors;              // for docker.io: "https://mirror.example"
    std::string certs_dir = "/etc/berth/certs.d";
    int retries = 4;           // attempts after the first, on 5xx and connection errors
    int backoff_ms = 200;      // first delay; doubles each retry
    int stall_seconds = 30;    // a transfer with no byte moving this long fails (daemon.json
                               // "registry-stall-timeout")
    int connect_timeout = 30;  // seconds
};

// Credentials as the docker CLI sends them (X-Registry-Auth) and stores them.
struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token;  // OAuth refresh token (docker login with a token)
    std::string registry_token;  // a bearer token to use as is
    bool empty() const { return username.empty() && identity_token.empty() && registry_token.empty(); }
};

// Decodes an X-Registry-Auth header (base64url JSON {username, password, serveraddress,
// identitytoken, registrytoken}); empty input gives empty credentials.
Result<Credentials> decode_auth_header(std::string_view header);

// "docker.io" -> "registry-1.docker.io" (where Docker Hub's API lives); others unchanged.
std::string api_host(std::string_view domain);
// Whether `host` (host[:port]) is reached over plain HTTP under `cfg`.
bool is_insecure(const Config& cfg, std::string_view host);

enum class Access { Pull, Push };

// One fetched manifest or index: the exact bytes (digests are over them).
struct FetchedManifest {
    std::string bytes;
    std::string content_type;  // the registry's Content-Type
    std::string digest;        // sha256 of bytes
};

// Called with the bytes delivered so far and the total (-1 if unknown).
using ProgressFn = std::function<void(int64_t done, int64_t total)>;
using SinkFn = std::function<Result<>(std::string_view data)>;
using ReadFn = std::function<Result<size_t>(void* buf, size_t len)>;

struct Endpoint {
    std::string base_url;  // "https://registry-1.docker.io" (no trailing slash)
    std::string host;      // "registry-1.docker.io" (for certs.d and insecure checks)
    bool mirror = false;
};

// Where to look for `domain`'s images: the mirrors first for docker.io, then the registry.
std::vector<Endpoint> endpoints(const Config& cfg, std::string_view domain);

class Repository {
public:
    // Prepares a client for `path` ("library/busybox") on `endpoint`. No request is made.
    static Result<Repository> open(const Config& cfg, const Endpoint& endpoint, std::string path,
                                   Credentials creds, Access access);
    Repository(Repository&&) noexcept;
    Repository& operator=(Repository&&) noexcept;
    ~Repository();

    // GET /v2/<path>/manifests/<reference> with every manifest/index media type accepted.
    // NotFound when the registry has no such manifest; checks the digest when reference is one.
    Result<FetchedManifest> get_manifest(std::string_view reference);
    // GET /v2/<path>/blobs/<digest>, streamed into `sink`; resumes with Range on retries so
    // `sink` sees each byte once. Returns the bytes delivered.
    Result<int64_t> fetch_blob(std::string_view digest, const SinkFn& sink, const ProgressFn& progress = {},
                               int64_t expected_size = -1);
    // GET /v2/<path>/tags/list (following Link pagination).
    Result<std::vector<std::string>> list_tags();
    // HEAD /v2/<path>/blobs/<digest>: its size, or nullopt if absent.
    Result<std::optional<int64_t>> stat_blob(std::string_view digest);
    // Cross-repository mount from `from_path` on the same registry; false if the registry
    // answered with an upload session instead (then push the blob).
    Result<bool> mount_blob(std::string_view digest, std::string_view from_path);
    // POST + PUT (monolithic) for small blobs, POST + PATCH chunks + PUT for large ones.
    Result<> push_blob(std::string_view digest, int64_t size, const ReadFn& read,
                       const ProgressFn& progress = {});
    // PUT /v2/<path>/manifests/<reference>; returns the digest the registry reports.
    Result<std::string> put_manifest(std::string_view reference, std::string_view media_type,
                                     std::string_view bytes);
    // A copy with the same endpoint, credentials and current token (one per thread).
    Result<Repository> clone() const;
    // GET /v2/ with authentication: checks the credentials (login).
    Result<> ping();

    const Endpoint& endpoint() const;
    const std::string& path() const;

private:
    struct Impl;
    explicit Repository(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// POST /auth: checks `creds` against the registry at `server` ("https://index.docker.io/v1/",
// "localhost:5000"). Unauthorized (PermissionDenied) with the registry's reason.
Result<> login(const Config& cfg, std::string_view server, const Credentials& creds);

// GET /v1/search?q=&n= on the registry of `term` ("localhost:5000/busy" or "busy" for Docker
// Hub). Returns the "results" array. Unsupported when the registry has no search API.
Result<Json> search(const Config& cfg, std::string_view term, int limit, const Credentials& creds);

}  // namespace berth::registry

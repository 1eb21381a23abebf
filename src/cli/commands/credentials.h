// Internal: registry credentials in Docker's config.json format, as `login`/`logout` keep
// them and pull/push/search send them (the X-Registry-Auth header).
//
//   auto paths = config_paths(ctx.globals.config_dir);      // ~/.berth, ~/.docker (or env)
//   auto creds = BERTH_TRY(lookup(paths, key_for_domain("127.0.0.1:5000")));
//   headers["X-Registry-Auth"] = encode_auth_header(creds.value_or(AuthEntry{}));
//
//   auto file = BERTH_TRY(ConfigFile::load(paths.berth));    // login: verify, then store
//   file.set("127.0.0.1:5000", {.username = "u", .password = "p"});
//   BERTH_TRY(file.save());                                  // dir 0700, file 0600
//
// Files: berth writes <dir>/config.json where dir is --config, else $BERTH_CONFIG, else
// ~/.berth; it reads that file first and then falls back to docker's ($DOCKER_CONFIG, else
// ~/.docker), so a `docker login` is seen too. Entries are keyed as docker keys them: Docker
// Hub is "https://index.docker.io/v1/", other registries "host[:port]"; a key spelled with a
// scheme or path ("https://host:5000/v2/") matches its host. Other keys of the files are kept
// as they are. A file that is not JSON is an error naming the file; nothing is written then.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/json.h"

namespace berth::cli::credentials {

inline constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

// One registry's credentials (an "auths" entry, decoded).
struct AuthEntry {
    std::string username;
    std::string password;
    std::string identity_token;  // OAuth refresh token from a token login
    bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

struct ConfigPaths {
    std::string berth;   // the file login writes
    std::string docker;  // read when `berth` has no entry
};
// From --config (may be empty) and the environment (BERTH_CONFIG, DOCKER_CONFIG, HOME).
ConfigPaths config_paths(const std::string& config_dir_flag);

// docker's ConvertToHostname: "https://host:5000/v2/" -> "host:5000".
std::string hostname_of(std::string_view server);
// The key for a server given to login/logout: empty, "docker.io" or Docker Hub's URLs give
// kDockerHubKey; others their hostname.
std::string server_key(std::string_view server);
// The key for an image reference's registry domain ("docker.io" -> kDockerHubKey).
std::string key_for_domain(std::string_view domain);

class ConfigFile {
public:
    // A missing file is an empty config; unreadable or malformed ones are errors naming it.
    static Result<ConfigFile> load(const std::string& path);
    const std::string& path() const { return path_; }
    // The entry for `key`, matching keys by hostname when not spelled the same.
    Result<std::optional<AuthEntry>> find(const std::string& key) const;
    void set(const std::string& key, const AuthEntry& entry);
    // Removes the entries for `key` (every spelling of its host); false when there was none.
    bool erase(const std::string& key);
    // Writes the file atomically (mode 0600; its directory is created 0700), tab-indented
    // as docker writes it.
    Result<> save() const;

private:
    std::string path_;
    Json json_ = Json::object();
};

// The entry for `key` in paths.berth, else in paths.docker; nullopt when neither has one.
Result<std::optional<AuthEntry>> lookup(const ConfigPaths& paths, const std::string& key);

// X-Registry-Auth: base64url (padded) of {"username","password","serveraddress"} (or
// "identitytoken"), empty fields left out; "e30=" ({}) for no credentials, as docker sends.
std::string encode_auth_header(const AuthEntry& entry, const std::string& server_address);
// The JSON body of POST /auth.
Json auth_body(const AuthEntry& entry, const std::string& server_address);

}  // namespace berth::cli::credentials

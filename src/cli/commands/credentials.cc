// Docker's config.json "auths" entries: lookup with the ~/.docker fallback, atomic writes
// that keep the file's other keys, and the X-Registry-Auth encoding.
#include "cli/commands/credentials.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/base64.h"
#include "common/file.h"
#include "common/strings.h"

namespace berth::cli::credentials {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string absolute(const std::string& path) {
    if (path.empty() || path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return path;
    return path_join(cwd, path);
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

ConfigPaths config_paths(const std::string& config_dir_flag) {
    std::string home = env("HOME");
    if (home.empty()) home = "/root";
    std::string berth = !config_dir_flag.empty()       ? config_dir_flag
                        : !env("BERTH_CONFIG").empty() ? env("BERTH_CONFIG")
                                                       : home + "/.berth";
    std::string docker = !env("DOCKER_CONFIG").empty() ? env("DOCKER_CONFIG") : home + "/.docker";
    return {absolute(berth) + "/config.json", absolute(docker) + "/config.json"};
}

std::string hostname_of(std::string_view server) {
    std::string_view s = server;
    if (s.substr(0, 7) == "http://")
        s.remove_prefix(7);
    else if (s.substr(0, 8) == "https://")
        s.remove_prefix(8);
    return std::string(s.substr(0, s.find('/')));
}

std::string server_key(std::string_view server) {
    std::string host = hostname_of(server);
    if (host.empty() || host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io")
        return std::string(kDockerHubKey);
    return host;
}

std::string key_for_domain(std::string_view domain) {
    return server_key(domain);
}

Result<ConfigFile> ConfigFile::load(const std::string& path) {
    ConfigFile f;
    f.path_ = path;
    if (!path_exists(path)) return f;
    auto text = read_file(path);
    if (!text) return Error(text.error()).with_context("loading config file " + path);
    if (trim(*text).empty()) return f;
    auto j = parse_json(*text, path);
    if (!j) return Error::invalid("loading config file " + path + ": " + j.error().str());
    if (!j->is_object()) return Error::invalid("loading config file " + path + ": not a JSON object");
    if (j->contains("auths") && !(*j)["auths"].is_object() && !(*j)["auths"].is_null())
        return Error::invalid("loading config file " + path + ": \"auths\" is not an object");
    f.json_ = std::move(*j);
    return f;
}

Result<std::optional<AuthEntry>> ConfigFile::find(const std::string& key) const {
    if (!json_.contains("auths") || !json_["auths"].is_object()) return std::nullopt;
    const Json& auths = json_["auths"];
    const Json* e = nullptr;
    if (auths.contains(key)) {
        e = &auths[key];
    } else {
        std::string host = hostname_of(key);
        for (auto it = auths.begin(); it != auths.end(); ++it)
            if (server_key(it.key()) == server_key(host)) {
                e = &it.value();
                break;
            }
    }
    if (!e || !e->is_object()) return std::nullopt;
    auto str = [&](const char* k) { return string_field(*e, k); };
    AuthEntry out;
    out.username = str("username");
    out.password = str("password");
    out.identity_token = str("identitytoken");
    if (std::string auth = str("auth"); !auth.empty()) {
        auto decoded = base64_decode(auth);
        if (!decoded)
            return Error::invalid("config file " + path_ + ": the \"auth\" of " + key + " is not base64");
        auto colon = decoded->find(':');
        if (colon == std::string::npos)
            return Error::invalid("config file " + path_ + ": the \"auth\" of " + key +
                                  " is not base64 of user:password");
        out.username = decoded->substr(0, colon);
        out.password = decoded->substr(colon + 1);
    }
    if (out.empty()) return std::nullopt;
    return out;
}

void ConfigFile::set(const std::string& key, const AuthEntry& entry) {
    if (!json_.contains("auths") || !json_["auths"].is_object()) json_["auths"] = Json::object();
    Json e = Json::object();
    // As docker: user:password in "auth"; a token login keeps only the token.
    if (!entry.username.empty() || !entry.password.empty())
        e["auth"] =
            base64_encode(entry.username + ":" + (entry.identity_token.empty() ? entry.password : ""));
    if (!entry.identity_token.empty()) e["identitytoken"] = entry.identity_token;
    json_["auths"][key] = e;
}

bool ConfigFile::erase(const std::string& key) {
    if (!json_.contains("auths") || !json_["auths"].is_object()) return false;
    Json& auths = json_["auths"];
    std::vector<std::string> gone;
    for (auto it = auths.begin(); it != auths.end(); ++it)
        if (it.key() == key || server_key(it.key()) == server_key(key)) gone.push_back(it.key());
    for (const auto& k : gone) auths.erase(k);
    return !gone.empty();
}

Result<> ConfigFile::save() const {
    std::string target = path_;
    // A symlinked config.json (dotfiles repositories) is updated where it points.
    char real[PATH_MAX];
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && ::realpath(path_.c_str(), real))
        target = real;
    std::string dir = dir_of(target);
    if (!path_exists(dir)) BERTH_TRY_CTX(mkdir_all(dir, 0700), "saving config file " + path_);
    std::string text = json_.dump(1, '\t', false, Json::error_handler_t::replace);
    BERTH_TRY_CTX(write_file_atomic(target, text, 0600), "saving config file " + path_);
    return ok();
}

Result<std::optional<AuthEntry>> lookup(const ConfigPaths& paths, const std::string& key) {
    auto berth = BERTH_TRY(ConfigFile::load(paths.berth));
    if (auto e = BERTH_TRY(berth.find(key))) return e;
    if (paths.docker.empty() || paths.docker == paths.berth) return std::nullopt;
    auto docker = BERTH_TRY(ConfigFile::load(paths.docker));
    return docker.find(key);
}

Json auth_body(const AuthEntry& entry, const std::string& server_address) {
    Json j = Json::object();
    if (!entry.username.empty()) j["username"] = entry.username;
    if (!entry.password.empty()) j["password"] = entry.password;
    if (!entry.identity_token.empty()) j["identitytoken"] = entry.identity_token;
    if (!server_address.empty()) j["serveraddress"] = server_address;
    return j;
}

std::string encode_auth_header(const AuthEntry& entry, const std::string& server_address) {
    if (entry.empty()) return base64_encode("{}", true);
    return base64_encode(dump_json(auth_body(entry, server_address)), true);
}

}  // namespace berth::cli::credentials

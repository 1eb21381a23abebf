// WWW-Authenticate challenges, token fetching and caching (see auth.h), credentials.
#include "registry/auth.h"

#include <chrono>
#include <mutex>

#include "common/base64.h"
#include "common/file.h"
#include "common/strings.h"
#include "registry/http.h"

namespace berth::registry::auth {

namespace {

struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expires;
};

std::mutex cache_mu;
std::map<std::string, CachedToken> cache;

}  // namespace

std::vector<Challenge> parse_challenges(const std::vector<std::string>& headers) {
    std::vector<Challenge> out;
    for (auto& h : headers) {
        size_t i = 0;
        while (i < h.size()) {
            while (i < h.size() && (h[i] == ' ' || h[i] == ',')) ++i;
            size_t start = i;
            while (i < h.size() && h[i] != ' ' && h[i] != '=' && h[i] != ',') ++i;
            std::string word = h.substr(start, i - start);
            if (word.empty()) break;
            if (i >= h.size() || h[i] != '=') {  // a scheme name starts a new challenge
                Challenge c;
                for (char ch : word) c.scheme += static_cast<char>(tolower(static_cast<unsigned char>(ch)));
                out.push_back(c);
                continue;
            }
            ++i;  // '='
            std::string value;
            if (i < h.size() && h[i] == '"') {
                ++i;
                while (i < h.size() && h[i] != '"') {
                    if (h[i] == '\\' && i + 1 < h.size()) ++i;
                    value += h[i++];
                }
                ++i;
            } else {
                while (i < h.size() && h[i] != ',') value += h[i++];
            }
            if (out.empty()) continue;
            std::string key;
            for (char ch : word) key += static_cast<char>(tolower(static_cast<unsigned char>(ch)));
            out.back().params[key] = trim(value);
        }
    }
    return out;
}

Result<std::string> bearer_token(const Config& cfg, const Challenge& ch,
                                 const std::vector<std::string>& scopes, const Credentials& creds) {
    if (!creds.registry_token.empty()) return creds.registry_token;
    auto realm = ch.params.find("realm");
    if (realm == ch.params.end() || realm->second.empty())
        return Error::invalid("registry's bearer challenge has no realm");
    std::string service = ch.params.count("service") ? ch.params.at("service") : "";
    std::string key = realm->second + "\n" + service + "\n" + creds.username + "\n";
    for (auto& s : scopes) key += s + " ";
    {
        std::lock_guard lock(cache_mu);
        auto it = cache.find(key);
        if (it != cache.end() && it->second.expires > std::chrono::steady_clock::now())
            return it->second.token;
    }
    http::Request req;
    std::string query;
    if (!service.empty()) query += "service=" + percent_encode(service);
    for (auto& s : scopes) query += std::string(query.empty() ? "" : "&") + "scope=" + percent_encode(s);
    if (!creds.identity_token.empty()) {
        // OAuth2 refresh-token grant, as Docker does with an identity token.
        req.method = "POST";
        req.url = realm->second;
        req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        req.body = query + "&grant_type=refresh_token&client_id=berth&refresh_token=" +
                   percent_encode(creds.identity_token);
    } else {
        req.url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&") + query;
        if (!creds.username.empty())
            req.headers.push_back("Authorization: Basic " +
                                  base64_encode(creds.username + ":" + creds.password));
    }
    auto resp = BERTH_TRY_CTX(http::perform(cfg, http::host_of(req.url), req), "get registry token");
    if (resp.status == 401 || resp.status == 403)
        return Error(ErrorKind::PermissionDenied, "unauthorized: incorrect username or password");
    if (resp.status != 200)
        return Error(ErrorKind::Unavailable,
                     "get registry token from " + realm->second + ": HTTP " + std::to_string(resp.status));
    auto j = BERTH_TRY(parse_json(resp.body, "registry token response"));
    std::string token;
    if (j.is_object() && j.contains("token") && j["token"].is_string()) token = j["token"];
    if (token.empty() && j.is_object() && j.contains("access_token") && j["access_token"].is_string())
        token = j["access_token"];
    if (token.empty()) return Error::invalid("registry token response has no token");
    int64_t expires_in = 60;
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) expires_in = j["expires_in"];
    if (expires_in < 60) expires_in = 60;
    std::lock_guard lock(cache_mu);
    cache[key] = {token, std::chrono::steady_clock::now() + std::chrono::seconds(expires_in - 10)};
    return token;
}

}  // namespace berth::registry::auth

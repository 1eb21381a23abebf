// Registry search and login (GET /images/search, POST /auth).
#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

Result<Json> Service::search(std::string_view term, int limit, const Filters& filters,
                             const registry::Credentials& credentials) {
    if (term.empty()) return Error::invalid("search: a term is required");
    if (limit < 0 || limit > 100)
        return Error::invalid("limit " + std::to_string(limit) + " is outside the range of [1, 100]");
    if (limit == 0) limit = 25;
    int min_stars = 0;
    std::optional<bool> official, automated;
    for (auto& [key, values] : filters) {
        for (auto& v : values) {
            if (key == "stars") {
                char* end = nullptr;
                long n = strtol(v.c_str(), &end, 10);
                if (v.empty() || *end) return Error::invalid("invalid filter 'stars=" + v + "'");
                min_stars = std::max(min_stars, static_cast<int>(n));
            } else if (key == "is-official" || key == "is-automated") {
                if (v != "true" && v != "false")
                    return Error::invalid("invalid filter '" + key + "=" + v + "'");
                (key == "is-official" ? official : automated) = v == "true";
            } else {
                return Error::invalid("invalid filter '" + key + "'");
            }
        }
    }
    auto results = BERTH_TRY(registry::search(registry_options().registry, term, limit, credentials));
    Json out = Json::array();
    for (auto& r : results) {
        if (!r.is_object()) continue;
        // The registry's JSON is untrusted: read fields without nlohmann's throwing getters.
        auto str = [&](const char* k) { return string_field(r, k); };
        auto flag = [&](const char* k) { return r.contains(k) && r[k].is_boolean() && r[k].get<bool>(); };
        int64_t stars = r.contains("star_count") && r["star_count"].is_number_integer()
                            ? r["star_count"].get<int64_t>()
                            : 0;
        Json e = {{"name", str("name")},
                  {"description", str("description")},
                  {"star_count", stars},
                  {"is_official", flag("is_official")},
                  {"is_automated", flag("is_automated")}};
        if (e["star_count"].get<int64_t>() < min_stars) continue;
        if (official && e["is_official"].get<bool>() != *official) continue;
        if (automated && e["is_automated"].get<bool>() != *automated) continue;
        out.push_back(e);
        if (static_cast<int>(out.size()) >= limit) break;
    }
    return out;
}

Result<> Service::login(std::string_view server, const registry::Credentials& credentials) {
    return registry::login(registry_options().registry, server, credentials);
}

}  // namespace berth::daemon::images

// Read-only image queries: GET /images/json, /images/{name}/json, /images/{name}/history,
// the Images part of /system/df, and the count for /info.
#include <fnmatch.h>
#include <time.h>

#include <map>
#include <set>

#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

namespace mf = image::manifest;
namespace ref = image::reference;

namespace {

const char* kListFilters[] = {"dangling", "label", "before", "since", "reference", "until"};

Result<bool> parse_bool_filter(const std::string& key, const std::string& v) {
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    return Error::invalid("Invalid filter '" + key + "=" + v + "'");
}

// Docker's `until`: unix seconds (with fraction), RFC 3339, or a Go duration before now.
Result<int64_t> parse_until(const std::string& v) {
    if (v.empty()) return Error::invalid("invalid filter 'until='");
    char* end = nullptr;
    double secs = strtod(v.c_str(), &end);
    if (end && *end == '\0') return static_cast<int64_t>(secs);
    if (v.find('T') != std::string::npos || v.find('-') != std::string::npos) {
        int64_t t = parse_rfc3339(v);
        if (t != 0) return t;
    }
    // Go duration: sequence of <number><unit>, units h m s ms us ns.
    double total = 0;
    const char* p = v.c_str();
    while (*p) {
        char* num_end = nullptr;
        double n = strtod(p, &num_end);
        if (num_end == p) return Error::invalid("invalid filter 'until=" + v + "'");
        p = num_end;
        std::string unit;
        while (*p && isalpha(static_cast<unsigned char>(*p))) unit += *p++;
        double mult = unit == "h"    ? 3600
                      : unit == "m"  ? 60
                      : unit == "s"  ? 1
                      : unit == "ms" ? 1e-3
                      : unit == "us" ? 1e-6
                      : unit == "ns" ? 1e-9
                                     : -1;
        if (mult < 0) return Error::invalid("invalid filter 'until=" + v + "'");
        total += n * mult;
    }
    return static_cast<int64_t>(time(nullptr) - total);
}

// moby's reference filter: a name matches when the pattern matches its familiar form with
// or without the tag; only the matching names are listed.
std::vector<std::string> matching_refs(const std::vector<std::string>& refs,
                                       const std::vector<std::string>& patterns) {
    std::vector<std::string> out;
    for (auto& t : refs) {
        auto r = ref::parse_normalized(t);
        if (!r) continue;
        for (auto& p : patterns)
            if (fnmatch(p.c_str(), r->familiar_string().c_str(), 0) == 0 ||
                fnmatch(p.c_str(), r->familiar_name().c_str(), 0) == 0) {
                out.push_back(t);
                break;
            }
    }
    return out;
}

Json familiar_list(const std::vector<std::string>& refs) {
    Json out = Json::array();
    for (auto& r : refs) out.push_back(familiar(r));
    return out;
}

}  // namespace

Result<Json> Service::list(bool all, const Filters& filters, bool shared_size) {
    (void)all;  // no intermediate (parent) images exist here: loaded and imported images have none
    for (auto& [key, values] : filters) {
        bool known = false;
        for (auto* k : kListFilters) known |= key == k;
        if (!known) return Error::invalid("invalid filter '" + key + "'");
    }
    auto get = [&](const char* k) -> const std::vector<std::string>* {
        auto it = filters.find(k);
        return it == filters.end() || it->second.empty() ? nullptr : &it->second;
    };
    std::optional<bool> dangling;
    if (auto* v = get("dangling")) dangling = BERTH_TRY(parse_bool_filter("dangling", v->front()));
    std::optional<int64_t> before, since, until;
    if (auto* v = get("before"))
        before = BERTH_TRY(db_.get(BERTH_TRY(db_.resolve(v->front())))).image.created;
    if (auto* v = get("since")) since = BERTH_TRY(db_.get(BERTH_TRY(db_.resolve(v->front())))).image.created;
    if (auto* v = get("until")) until = BERTH_TRY(parse_until(v->front()));

    auto images = BERTH_TRY(db_.list());
    // Layer refcounts for SharedSize: a layer used by another image too is shared.
    std::map<Digest, std::vector<store::LayerRecord>> stacks;
    if (shared_size)
        for (auto& img : images) stacks[img.image.id] = BERTH_TRY(db_.layers(img.image.id));

    Json out = Json::array();
    for (auto& img : images) {
        if (auto* v = get("reference")) {
            img.tags = matching_refs(img.tags, *v);
            img.repo_digests = matching_refs(img.repo_digests, *v);
            if (img.tags.empty() && img.repo_digests.empty()) continue;
        }
        const auto& rec = img.image;
        if (dangling && *dangling != img.tags.empty()) continue;
        if (before && rec.created >= *before) continue;
        if (since && rec.created <= *since) continue;
        if (until && rec.created > *until) continue;
        Json labels = nullptr;
        if (auto cfg = config_json(rec.id); cfg && cfg->contains("config") && (*cfg)["config"].is_object())
            labels = (*cfg)["config"].value("Labels", Json(nullptr));
        if (auto* v = get("label"); v && !labels_match(labels, *v)) continue;
        Json repo_digests = familiar_list(img.repo_digests);
        int64_t shared = -1;
        if (shared_size) {
            shared = 0;
            for (auto& l : stacks[rec.id])
                if (l.refcount > 1) shared += l.size;
        }
        out.push_back({{"Id", rec.id.str()},
                       {"ParentId", ""},
                       {"RepoTags", familiar_list(img.tags)},
                       {"RepoDigests", repo_digests},
                       {"Created", rec.created},
                       {"Size", rec.size},
                       {"SharedSize", shared},
                       {"Labels", labels.is_null() ? Json::object() : labels},
                       {"Containers", -1}});
    }
    // Newest first, as docker lists them.
    std::stable_sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
        return a["Created"].get<int64_t>() > b["Created"].get<int64_t>();
    });
    return out;
}

Result<Json> Service::inspect(std::string_view name) {
    Digest id = BERTH_TRY(db_.resolve(name));
    auto info = BERTH_TRY(db_.get(id));
    Json cfg = BERTH_TRY(config_json(id));
    auto layers = BERTH_TRY(db_.layers(id));
    Json diff_ids = Json::array();
    for (auto& l : layers) diff_ids.push_back(l.diff_id.str());
    Json graph = Json::object();
    if (!layers.empty()) {
        std::string lower;
        for (size_t i = layers.size() - 1; i-- > 0;) {
            auto dir = snap_.layer_dir(layers[i].chain_id.str());
            if (!dir) continue;
            if (!lower.empty()) lower += ':';
            lower += *dir;
        }
        auto upper = snap_.layer_dir(layers.back().chain_id.str());
        std::string top = upper ? upper->substr(0, upper->size() - 5) : "";
        graph = {
            {"UpperDir", upper ? *upper : ""}, {"MergedDir", top + "/merged"}, {"WorkDir", top + "/work"}};
        if (!lower.empty()) graph["LowerDir"] = lower;
    }
    Json config = cfg.contains("config") && cfg["config"].is_object() ? cfg["config"] : Json::object();
    Json out = {{"Id", id.str()},
                {"RepoTags", familiar_list(info.tags)},
                {"RepoDigests", familiar_list(info.repo_digests)},
                {"Parent", ""},
                {"Comment", cfg.value("comment", "")},
                {"Created", cfg.value("created", format_rfc3339(info.image.created))},
                {"DockerVersion", cfg.value("docker_version", "")},
                {"Author", cfg.value("author", "")},
                {"Config", config},
                {"Architecture", cfg.value("architecture", "")},
                {"Os", cfg.value("os", "")},
                {"Size", info.image.size},
                {"GraphDriver", {{"Name", "overlay2"}, {"Data", graph}}},
                {"RootFS", {{"Type", "layers"}, {"Layers", diff_ids}}},
                {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
    if (cfg.contains("variant") && cfg["variant"].is_string()) out["Variant"] = cfg["variant"];
    if (cfg.contains("os.version") && cfg["os.version"].is_string()) out["OsVersion"] = cfg["os.version"];
    return out;
}

Result<Json> Service::history(std::string_view name) {
    Digest id = BERTH_TRY(db_.resolve(name));
    auto info = BERTH_TRY(db_.get(id));
    Json cfg = BERTH_TRY(config_json(id));
    auto layers = BERTH_TRY(db_.layers(id));
    Json rows = Json::array();
    size_t layer = 0;
    Json history = cfg.contains("history") && cfg["history"].is_array() ? cfg["history"] : Json::array();
    if (history.empty())  // no history recorded: one row per layer
        for (size_t i = 0; i < layers.size(); ++i) history.push_back(Json::object());
    for (auto& h : history) {
        if (!h.is_object()) continue;
        bool empty = h.value("empty_layer", false);
        int64_t size = 0;
        if (!empty && layer < layers.size()) size = layers[layer++].size;
        std::string created = h.value("created", "");
        rows.push_back({{"Id", "<missing>"},
                        {"Created", created.empty() ? info.image.created : parse_rfc3339(created)},
                        {"CreatedBy", h.value("created_by", "")},
                        {"Tags", nullptr},
                        {"Size", size},
                        {"Comment", h.value("comment", "")}});
    }
    std::reverse(rows.begin(), rows.end());
    if (!rows.empty()) {
        rows[0]["Id"] = id.str();
        rows[0]["Tags"] = info.tags.empty() ? Json(nullptr) : familiar_list(info.tags);
    }
    return rows;
}

Result<Json> Service::disk_usage() {
    Json images = BERTH_TRY(list(true, {}, true));
    std::map<Digest, int64_t> unique;
    for (auto& img : BERTH_TRY(db_.list()))
        for (auto& l : BERTH_TRY(db_.layers(img.image.id))) unique[l.chain_id] = l.size;
    int64_t total = 0;
    for (auto& [_, size] : unique) total += size;
    for (auto& img : images) {
        auto id = Digest::parse(img["Id"].get<std::string>());
        img["Containers"] = id ? static_cast<int64_t>(users(*id).size()) : 0;
    }
    return Json{{"LayersSize", total}, {"Images", images}};
}

Result<int64_t> Service::count() {
    return static_cast<int64_t>(BERTH_TRY(db_.list()).size());
}

}  // namespace berth::daemon::images

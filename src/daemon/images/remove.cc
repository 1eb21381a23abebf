// Changing which images exist and what they are called: tag, remove (docker rmi), prune.
// Follows moby's daemon/images/image_delete.go: removing by name untags, and deletes the
// image only with its last name; images that containers use are kept unless forced.
#include <set>

#include "common/log.h"
#include "daemon/images/service_impl.h"

namespace berth::daemon::images {

namespace ref = image::reference;

Result<> Service::tag(std::string_view name, std::string_view repo, std::string_view tag) {
    Digest id = BERTH_TRY(db_.resolve(name));
    if (repo.empty()) return Error::invalid("repository name must have at least one component");
    auto r = BERTH_TRY(ref::parse_normalized(repo));
    if (r.has_digest()) return Error::invalid("refusing to create a tag with a digest reference");
    if (!tag.empty()) {
        if (r.has_tag()) return Error::invalid("invalid reference format: both repo and tag have a tag");
        r = BERTH_TRY(r.with_tag(tag));
    }
    r = r.with_default_tag();
    std::lock_guard lock(write_mu_);
    BERTH_TRY(db_.tag(r, id));
    publish("tag", id.str(), r.familiar_string());
    return ok();
}

Result<int64_t> Service::delete_image(const Digest& id, Json& records) {
    auto info = BERTH_TRY(db_.get(id));
    for (auto& t : info.tags) {
        records.push_back({{"Untagged", familiar(t)}});
        publish("untag", id.str(), id.str());
    }
    for (auto& d : info.repo_digests) records.push_back({{"Untagged", familiar(d)}});
    auto garbage = BERTH_TRY(db_.remove_image(id));
    records.push_back({{"Deleted", id.str()}});
    int64_t reclaimed = 0;
    for (auto& l : garbage.layers) {
        records.push_back({{"Deleted", l.chain_id.str()}});
        reclaimed += l.size;
    }
    collect(garbage);
    publish("delete", id.str(), id.str());
    return reclaimed;
}

Result<Json> Service::remove(std::string_view name, bool force, bool noprune) {
    (void)noprune;  // images here have no parent chain to prune
    std::lock_guard lock(write_mu_);
    Digest id = BERTH_TRY(db_.resolve(name));
    auto info = BERTH_TRY(db_.get(id));
    std::string hex(id.hex());
    std::string_view n = name.substr(0, 7) == "sha256:" ? name.substr(7) : name;
    auto parsed = ref::parse_normalized(name);
    bool by_id = !parsed || (!n.empty() && hex.compare(0, n.size(), n) == 0);
    if (by_id && parsed)
        for (auto& t : info.tags) by_id &= t != parsed->with_default_tag().string();
    auto users_now = users(id);
    Json records = Json::array();

    if (!by_id) {
        auto r = parsed->docker_ref();
        // As Docker: digest references of the same repository do not keep the image alive
        // once its last tag there goes (they are untagged with it).
        size_t names = info.tags.size();
        for (auto& d : info.repo_digests)
            if (auto dr = ref::parse_normalized(d); !dr || dr->name() != r.name()) ++names;
        if (names > 1) {  // other names remain: untagging is all
            BERTH_TRY(db_.untag(r));
            records.push_back({{"Untagged", r.familiar_string()}});
            publish("untag", id.str(), id.str());
            return records;
        }
        if (!users_now.empty() && !force)
            return Error::conflict("conflict: unable to remove repository reference \"" + std::string(name) +
                                   "\" (must force) - container " + users_now[0].container_id.substr(0, 12) +
                                   " is using its referenced image " + id.short_id());
    } else {
        std::set<std::string> repos;
        for (auto& t : info.tags)
            if (auto r = ref::parse_normalized(t)) repos.insert(r->name());
        if (repos.size() > 1 && !force)
            return Error::conflict("conflict: unable to delete " + id.short_id() +
                                   " (must be forced) - image is referenced in multiple repositories");
    }
    for (auto& u : users_now)
        if (u.running)
            return Error::conflict("conflict: unable to delete " + id.short_id() +
                                   " (cannot be forced) - image is being used by running container " +
                                   u.container_id.substr(0, 12));
    if (!users_now.empty()) {
        if (!force)
            return Error::conflict("conflict: unable to delete " + id.short_id() +
                                   " (must be forced) - image is being used by stopped container " +
                                   users_now[0].container_id.substr(0, 12));
        // Forced with stopped containers: drop the names, keep the layers they run on.
        for (auto& t : info.tags) {
            auto r = ref::parse_normalized(t);
            if (r && db_.untag(*r)) {
                records.push_back({{"Untagged", familiar(t)}});
                publish("untag", id.str(), id.str());
            }
        }
        return records;
    }
    BERTH_TRY(delete_image(id, records));
    return records;
}

Result<Json> Service::prune(const Filters& filters) {
    for (auto& [key, values] : filters)
        if (key != "dangling" && key != "until" && key != "label" && key != "label!")
            return Error::invalid("invalid filter '" + key + "'");
    bool dangling_only = true;
    if (auto it = filters.find("dangling"); it != filters.end() && !it->second.empty()) {
        const auto& v = it->second.front();
        if (v == "false" || v == "0")
            dangling_only = false;
        else if (v != "true" && v != "1")
            return Error::invalid("Invalid filter 'dangling=" + v + "'");
    }
    // until and label filters reuse list()'s parsing.
    Filters list_filters;
    if (auto it = filters.find("until"); it != filters.end()) list_filters["until"] = it->second;
    if (auto it = filters.find("label"); it != filters.end()) list_filters["label"] = it->second;
    Json candidates = BERTH_TRY(list(true, list_filters, false));
    std::vector<std::string> not_labels;
    if (auto it = filters.find("label!"); it != filters.end()) not_labels = it->second;

    std::lock_guard lock(write_mu_);
    Json deleted = Json::array();
    int64_t reclaimed = 0;
    for (auto& c : candidates) {
        if (dangling_only && !c["RepoTags"].empty()) continue;
        bool excluded = false;
        for (auto& w : not_labels) {
            auto eq = w.find('=');
            std::string key = w.substr(0, eq);
            const Json& labels = c["Labels"];
            if (labels.contains(key) &&
                (eq == std::string::npos ||
                 (labels[key].is_string() && labels[key].get<std::string>() == w.substr(eq + 1))))
                excluded = true;
        }
        if (excluded) continue;
        auto id = Digest::parse(c["Id"].get<std::string>());
        if (!id || !users(*id).empty()) continue;
        auto r = delete_image(*id, deleted);
        if (!r) {
            log::warn("prune: " + r.error().str());
            continue;
        }
        reclaimed += *r;
    }
    if (events_) {
        Event ev;
        ev.type = "image";
        ev.action = "prune";
        ev.attributes["reclaimed"] = std::to_string(reclaimed);
        events_->publish(std::move(ev));
    }
    return Json{{"ImagesDeleted", deleted.empty() ? Json(nullptr) : deleted}, {"SpaceReclaimed", reclaimed}};
}

}  // namespace berth::daemon::images

// images / image ls, history, tag, rmi / image rm, image prune.
#include <unistd.h>

#include <set>

#include "cli/commands/context.h"
#include "cli/commands/humanize.h"
#include "cli/commands/rows.h"
#include "cli/format/template.h"

namespace berth::cli {

// One row of the list: the image under one repository, tag and digest.
Json image_row(const Json& img, bool trunc, const std::string& repo, const std::string& tag,
               const std::string& digest) {
    std::string id = string_field(img, "Id");
    int64_t created = img.value("Created", int64_t{0});
    Json r;
    r["ID"] = trunc ? short_id(id) : id;
    r["Repository"] = repo;
    r["Tag"] = tag;
    r["Digest"] = digest;
    r["CreatedSince"] = human_duration(now_seconds() - created) + " ago";
    r["CreatedAt"] = go_time_string(created);
    int64_t size = img.value("Size", int64_t{0});
    r["Size"] = human_size(static_cast<double>(size));
    // docker's imageContext: Size with 3 significant digits, the others with units.HumanSize's 4.
    r["VirtualSize"] = human_size(static_cast<double>(img.value("VirtualSize", size)), 4);
    int64_t shared = img.value("SharedSize", int64_t{-1});
    r["SharedSize"] = shared < 0 ? "N/A" : human_size(static_cast<double>(shared), 4);
    r["UniqueSize"] = shared < 0 ? "N/A" : human_size(static_cast<double>(size - shared), 4);
    int64_t containers = img.value("Containers", int64_t{-1});
    r["Containers"] = containers < 0 ? "N/A" : std::to_string(containers);
    return r;
}

const std::map<std::string, std::string> kImageHeaders = {{"ID", "IMAGE ID"},
                                                          {"Repository", "REPOSITORY"},
                                                          {"Tag", "TAG"},
                                                          {"Digest", "DIGEST"},
                                                          {"CreatedSince", "CREATED"},
                                                          {"CreatedAt", "CREATED AT"},
                                                          {"Size", "SIZE"},
                                                          {"VirtualSize", "VIRTUAL SIZE"},
                                                          {"SharedSize", "SHARED SIZE"},
                                                          {"UniqueSize", "UNIQUE SIZE"},
                                                          {"Containers", "CONTAINERS"}};
namespace {

// "reg:5000/a/b:tag" -> {"reg:5000/a/b", "tag"}; no tag -> {ref, ""}.
std::pair<std::string, std::string> split_tag(const std::string& ref) {
    auto at = ref.find('@');
    std::string r = at == std::string::npos ? ref : ref.substr(0, at);
    auto colon = r.rfind(':');
    auto slash = r.rfind('/');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
        return {r.substr(0, colon), r.substr(colon + 1)};
    return {r, ""};
}

struct ImagesOpts {
    bool all = false, quiet = false, digests = false, no_trunc = false, tree = false;
    std::vector<std::string> filters;
    std::string format;
};

// RepoDigests ("repo@sha256:...") as repo -> digest.
std::map<std::string, std::string> digests_by_repo(const Json& img) {
    std::map<std::string, std::string> digest_of;
    if (img.contains("RepoDigests") && img["RepoDigests"].is_array())
        for (const auto& d : img["RepoDigests"])
            if (d.is_string()) {
                std::string s = d.get<std::string>();
                auto at = s.find('@');
                if (at != std::string::npos) digest_of[s.substr(0, at)] = s.substr(at + 1);
            }
    return digest_of;
}

// A row per tag (with its repository's digest); an untagged image gets a row per digest,
// or a single "<none>" row when it has neither.
void add_image_rows(std::vector<Json>& rows, const Json& img, bool trunc) {
    std::map<std::string, std::string> digest_of = digests_by_repo(img);
    bool any = false;
    if (img.contains("RepoTags") && img["RepoTags"].is_array())
        for (const auto& t : img["RepoTags"]) {
            if (!t.is_string() || t.get<std::string>() == "<none>:<none>") continue;
            auto [repo, tag] = split_tag(t.get<std::string>());
            auto it = digest_of.find(repo);
            rows.push_back(image_row(img, trunc, repo, tag, it == digest_of.end() ? "<none>" : it->second));
            any = true;
        }
    if (!any) {
        if (!digest_of.empty()) {
            for (const auto& [repo, dg] : digest_of)
                rows.push_back(image_row(img, trunc, repo, "<none>", dg));
        } else {
            rows.push_back(image_row(img, trunc, "<none>", "<none>", "<none>"));
        }
    }
}

int cmd_images(Context& ctx, const ImagesOpts& o, const std::vector<std::string>& args) {
    client::Query q;
    q.add_if(o.all, "all", "1");
    std::vector<std::string> filters = o.filters;
    if (!args.empty()) filters.push_back("reference=" + args[0]);
    if (auto r = q.add_filters(filters); !r) return ctx.fail(r.error());
    auto list = ctx.client().get_json("/images/json", q);
    if (!list) return ctx.fail(list.error());
    std::vector<Json> rows;
    std::set<std::string> seen_ids;
    bool trunc = !o.no_trunc;
    if (list->is_array())
        for (const auto& img : *list) add_image_rows(rows, img, trunc);
    std::string fmt = o.format;
    if (o.quiet && (fmt.empty() || fmt == "table")) {
        for (const auto& r : rows) {
            std::string id = r["ID"].get<std::string>();
            if (seen_ids.insert(id).second) ctx.io.out << id << "\n";
        }
        return 0;
    }
    std::string def =
        o.digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                  : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    if (fmt.rfind("table", 0) == 0 && o.digests && fmt != "table" &&
        fmt.find("{{.Digest}}") == std::string::npos) {
        // docker inserts the digest column into custom tables too; keep the user's template.
    }
    auto out = render_list(fmt, def, rows, kImageHeaders);
    if (!out) {
        ctx.io.out << out.error().str() << "\n";
        return 1;
    }
    ctx.io.out << *out;
    return 0;
}

struct HistoryOpts {
    bool human = true, quiet = false, no_trunc = false;
    std::string format, platform;
};

int cmd_history(Context& ctx, const HistoryOpts& o, const std::string& name) {
    auto h = ctx.client().get_json("/images/" + name + "/history");
    if (!h) return ctx.fail(h.error());
    std::vector<Json> rows;
    bool trunc = !o.no_trunc;
    if (h->is_array())
        for (const auto& e : *h) {
            Json r;
            std::string id = string_field(e, "Id");
            r["ID"] = id == "<missing>" || id.empty() ? "<missing>" : (trunc ? short_id(id) : id);
            int64_t created = e.value("Created", int64_t{0});
            std::string rfc3339;
            {
                char buf[64];
                time_t t = static_cast<time_t>(created);
                struct tm tm;
                localtime_r(&t, &tm);
                std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
                rfc3339 = buf;
                if (tm.tm_gmtoff == 0)
                    rfc3339 = rfc3339.substr(0, rfc3339.size() - 5) + "Z";
                else
                    rfc3339.insert(rfc3339.size() - 2, ":");
            }
            // docker shows dates up to 2000-01-01 (reproducible builds' epoch) as N/A.
            constexpr int64_t kEpoch = 946684800;
            if (!o.human)
                r["CreatedSince"] = rfc3339;
            else if (created <= kEpoch)
                r["CreatedSince"] = "N/A";
            else
                r["CreatedSince"] = human_duration(now_seconds() - created) + " ago";
            r["CreatedAt"] = rfc3339;
            std::string by = string_field(e, "CreatedBy");
            for (auto& c : by)
                if (c == '\t') c = ' ';
            r["CreatedBy"] = trunc ? ellipsis(by, 45) : by;
            int64_t size = e.value("Size", int64_t{0});
            r["Size"] = o.human ? human_size(static_cast<double>(size)) : std::to_string(size);
            r["Comment"] = string_field(e, "Comment");
            rows.push_back(std::move(r));
        }
    std::string fmt = o.format;
    if (o.quiet && (fmt.empty() || fmt == "table")) fmt = "{{.ID}}";
    auto out =
        render_list(fmt, "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", rows,
                    {{"ID", "IMAGE"},
                     {"CreatedSince", "CREATED"},
                     {"CreatedAt", "CREATED AT"},
                     {"CreatedBy", "CREATED BY"},
                     {"Size", "SIZE"},
                     {"Comment", "COMMENT"}});
    if (!out) return ctx.fail(out.error());
    ctx.io.out << *out;
    return 0;
}

int cmd_tag(Context& ctx, const std::string& source, const std::string& target) {
    auto [repo, tag] = split_tag(target);
    if (repo.empty()) return ctx.fail("invalid reference format");
    client::Query q;
    q.add("repo", repo).add("tag", tag.empty() ? "latest" : tag);
    auto r = ctx.client().call("POST", "/images/" + source + "/tag", q);
    if (!r) return ctx.fail(r.error());
    return 0;
}

int cmd_rmi(Context& ctx, bool force, bool no_prune, const std::vector<std::string>& names) {
    int status = 0;
    for (const auto& n : names) {
        client::Query q;
        q.add_if(force, "force", "1").add_if(no_prune, "noprune", "1");
        auto r = ctx.client().call("DELETE", "/images/" + n, q);
        if (!r) {
            status = ctx.fail(r.error());
            continue;
        }
        auto j = parse_json(r->body, "daemon response");
        if (j && j->is_array())
            for (const auto& e : *j) {
                if (e.contains("Untagged")) ctx.io.out << "Untagged: " << string_field(e, "Untagged") << "\n";
                if (e.contains("Deleted")) ctx.io.out << "Deleted: " << string_field(e, "Deleted") << "\n";
            }
    }
    return status;
}

int cmd_image_prune(Context& ctx, bool all, bool force, const std::vector<std::string>& filters) {
    if (!force &&
        !ctx.confirm(
            all ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images.")) {
        return 0;
    }
    std::vector<std::string> f = filters;
    if (all) f.push_back("dangling=false");
    client::Query q;
    if (auto r = q.add_filters(f); !r) return ctx.fail(r.error());
    auto rep = ctx.client().post_json("/images/prune", q);
    if (!rep) return ctx.fail(rep.error());
    std::string out;
    const Json& del = rep->value("ImagesDeleted", Json::array());
    if (del.is_array() && !del.empty()) {
        out = "Deleted Images:\n";
        for (const auto& e : del) {
            if (!string_field(e, "Untagged").empty())
                out += "untagged: " + string_field(e, "Untagged") + "\n";
            else
                out += "deleted: " + string_field(e, "Deleted") + "\n";
        }
        ctx.io.out << out << "\n";
    }
    ctx.io.out << "Total reclaimed space: "
               << human_size(static_cast<double>(rep->value("SpaceReclaimed", int64_t{0})), 4) << "\n";
    return 0;
}

void define_images(Context& ctx, CLI::App* parent, const std::string& name) {
    auto o = std::make_shared<ImagesOpts>();
    Cmd c(ctx, parent, name, "List images", "[OPTIONS] [REPOSITORY[:TAG]]", 0, 1);
    if (name == "ls")
        c.alias("list").also_known_as("berth images");
    else
        c.also_known_as("berth image ls").also_known_as("berth image list");
    c.flag("-a,--all", o->all, "Show all images (default hides intermediate images)")
        .flag("--digests", o->digests, "Show digests")
        .strs("-f,--filter", o->filters, "Filter output based on conditions provided", "filter")
        .str("--format", o->format, kFormatHelp)
        .flag("--no-trunc", o->no_trunc, "Don't truncate output")
        .flag("-q,--quiet", o->quiet, "Only show image IDs")
        .flag("--tree", o->tree, "List multi-platform images as a tree (EXPERIMENTAL)")
        .action([&ctx, o](const auto& args) { return cmd_images(ctx, *o, args); });
}

}  // namespace

void add_image_commands(Context& ctx, CLI::App& root, CLI::App* image) {
    define_images(ctx, &root, "images");
    define_images(ctx, image, "ls");

    for (CLI::App* parent : {&root, image}) {
        auto h = std::make_shared<HistoryOpts>();
        Cmd(ctx, parent, "history", "Show the history of an image", "[OPTIONS] IMAGE", 1, 1)
            .also_known_as(parent == image ? "berth history" : "berth image history")
            .str("--format", h->format, "Format output using a custom template")
            .flag("-H,--human", h->human, "Print sizes and dates in human readable format (default true)")
            .flag("--no-trunc", h->no_trunc, "Don't truncate output")
            .str("--platform", h->platform, "Show history for the given platform")
            .flag("-q,--quiet", h->quiet, "Only show image IDs")
            .action([&ctx, h](const auto& a) { return cmd_history(ctx, *h, a[0]); });

        Cmd(ctx, parent, "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
            "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", 2, 2)
            .also_known_as(parent == image ? "berth tag" : "berth image tag")
            .action([&ctx](const auto& a) { return cmd_tag(ctx, a[0], a[1]); });

        auto force = std::make_shared<bool>(false), no_prune = std::make_shared<bool>(false);
        Cmd rm(ctx, parent, parent == image ? "rm" : "rmi", "Remove one or more images",
               "[OPTIONS] IMAGE [IMAGE...]", 1, -1);
        if (parent == image)
            rm.alias("remove").also_known_as("berth rmi");
        else
            rm.also_known_as("berth image rm").also_known_as("berth image remove");
        rm.flag("-f,--force", *force, "Force removal of the image")
            .flag("--no-prune", *no_prune, "Do not delete untagged parents")
            .action([&ctx, force, no_prune](const auto& a) { return cmd_rmi(ctx, *force, *no_prune, a); });
    }

    struct PruneOpts {
        bool all = false, force = false;
        std::vector<std::string> filters;
    };
    auto p = std::make_shared<PruneOpts>();
    Cmd(ctx, image, "prune", "Remove unused images", "[OPTIONS]", 0, 0)
        .flag("-a,--all", p->all, "Remove all unused images, not just dangling ones")
        .strs("--filter", p->filters, "Provide filter values (e.g. \"until=<timestamp>\")", "filter")
        .flag("-f,--force", p->force, "Do not prompt for confirmation")
        .action([&ctx, p](const auto&) { return cmd_image_prune(ctx, p->all, p->force, p->filters); });
}

}  // namespace berth::cli

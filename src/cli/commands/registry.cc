// pull, push, login, logout, search (and image pull/push): docker 28's flags, output and
// errors over POST /images/create, POST /images/{name}/push, POST /auth, GET /images/search.
#include "cli/commands/registry.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "cli/commands/credentials.h"
#include "cli/commands/humanize.h"
#include "cli/commands/progress.h"
#include "common/file.h"
#include "common/strings.h"
#include "image/reference/reference.h"

namespace berth::cli {

namespace ref = image::reference;

Result<std::map<std::string, std::string>> registry_auth_headers(Context& ctx, const std::string& domain) {
    auto paths = credentials::config_paths(ctx.globals.config_dir);
    std::string key = credentials::key_for_domain(domain);
    auto entry = BERTH_TRY(credentials::lookup(paths, key));
    return std::map<std::string, std::string>{
        {"X-Registry-Auth", credentials::encode_auth_header(entry.value_or(credentials::AuthEntry{}), key)}};
}

namespace {

// The API's tag parameter: the digest or tag of a reference.
std::string api_tag(const ref::Reference& r) {
    return r.has_digest() ? r.digest() : r.tag();
}

Result<> do_pull(Context& ctx, const ref::Reference& r, bool all, const std::string& platform,
                 ProgressRenderer& out) {
    client::Query q;
    q.add("fromImage", r.name());
    if (!all) q.add("tag", api_tag(r));
    q.add_if(!platform.empty(), "platform", to_lower(platform));
    auto headers = BERTH_TRY(registry_auth_headers(ctx, r.domain()));
    auto s = BERTH_TRY(ctx.client().stream("POST", "/images/create", q, {}, -1, "application/json", headers));
    return render_stream(s, out);
}

// docker's "Using default tag" step: a name without tag gets ":latest" unless -a, which
// refuses a tag.
Result<ref::Reference> reference_for(Context& ctx, const std::string& name, bool all, bool quiet) {
    auto r = BERTH_TRY(ref::parse_normalized(name));
    if (all && !r.name_only()) return Error::invalid("tag can't be used with --all-tags/-a");
    if (!all && r.name_only()) {
        r = r.with_default_tag();
        if (!quiet) ctx.io.out << "Using default tag: " << r.tag() << "\n" << std::flush;
    }
    return r;
}

// The flags pull and push share.
struct TransferOpts {
    bool all = false, quiet = false, disable_content_trust = true;
    std::string platform;
};

int cmd_pull(Context& ctx, const TransferOpts& o, const std::string& name) {
    auto r = reference_for(ctx, name, o.all, o.quiet);
    if (!r) return ctx.fail(r.error().message());
    ProgressRenderer out(progress_output(ctx, false, o.quiet));
    if (auto p = do_pull(ctx, *r, o.all, o.platform, out); !p) return ctx.fail(p.error().message());
    ctx.io.out << (o.all ? r->name() : r->string()) << "\n";
    return 0;
}

// --platform for push: docker sends the OCI platform as JSON.
Result<std::string> platform_json(const std::string& p) {
    auto parts = split(to_lower(p), '/', false);
    if (parts.empty() || parts.size() > 3 ||
        std::any_of(parts.begin(), parts.end(), [](auto& s) { return s.empty(); }))
        return Error::invalid("invalid platform \"" + p + "\": expected os[/arch[/variant]]");
    Json j = {{"os", parts[0]}};
    if (parts.size() > 1) j["architecture"] = parts[1];
    if (parts.size() > 2) j["variant"] = parts[2];
    return dump_json(j);
}

int cmd_push(Context& ctx, const TransferOpts& o, const std::string& name) {
    auto r = reference_for(ctx, name, o.all, o.quiet);
    if (!r) return ctx.fail(r.error().message());
    if (r->has_digest()) return ctx.fail("cannot push a digest reference");
    client::Query q;
    if (!o.all) q.add("tag", r->tag());
    if (!o.platform.empty()) {
        auto pj = platform_json(o.platform);
        if (!pj) return ctx.fail(pj.error().message());
        q.add("platform", *pj);
    }
    auto headers = registry_auth_headers(ctx, r->domain());
    if (!headers) return ctx.fail(headers.error().message());
    auto s = ctx.client().stream("POST", "/images/" + r->familiar_name() + "/push", q, {}, -1,
                                 "application/json", *headers);
    if (!s) return ctx.fail(s.error().message());
    ProgressRenderer out(progress_output(ctx, false, o.quiet));
    if (auto p = render_stream(*s, out); !p) return ctx.fail(p.error().message());
    if (o.quiet) ctx.io.out << (o.all ? r->name() : r->string()) << "\n";
    return 0;
}

// ---- login ----

struct LoginOpts {
    std::string username, password;
    bool password_stdin = false;
    bool password_set = false;
};

// A line from stdin (no echo when `secret` and stdin is a terminal).
std::string read_line(Context& ctx, bool secret) {
    struct termios old {};
    bool restore = false;
    if (secret && ::tcgetattr(ctx.io.in_fd, &old) == 0) {
        struct termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        restore = ::tcsetattr(ctx.io.in_fd, TCSANOW, &quiet) == 0;
    }
    std::string line;
    char ch;
    while (::read(ctx.io.in_fd, &ch, 1) == 1 && ch != '\n') line += ch;
    if (restore) {
        ::tcsetattr(ctx.io.in_fd, TCSANOW, &old);
        ctx.io.out << "\n" << std::flush;
    }
    while (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// POST /auth; the daemon verifies the credentials against the registry. Returns the
// identity token the daemon may hand back (empty: keep the password).
Result<std::string> verify(Context& ctx, const credentials::AuthEntry& e, const std::string& server) {
    auto j = BERTH_TRY(ctx.client().post_json("/auth", {}, credentials::auth_body(e, server)));
    if (j.is_object() && j.contains("IdentityToken") && j["IdentityToken"].is_string())
        return j["IdentityToken"].get<std::string>();
    return std::string();
}

int cmd_login(Context& ctx, LoginOpts o, const std::vector<std::string>& args) {
    std::string server = args.empty() ? "" : args[0];
    std::string key = credentials::server_key(server);
    auto paths = credentials::config_paths(ctx.globals.config_dir);
    if (o.password_set && o.password_stdin)
        return ctx.fail("--password and --password-stdin are mutually exclusive");
    if (o.password_stdin) {
        if (o.username.empty()) return ctx.fail("Must provide --username with --password-stdin");
        auto in = read_fd(ctx.io.in_fd);
        if (!in) return ctx.fail("reading the password from stdin: " + in.error().str());
        o.password = *in;
        while (!o.password.empty() && (o.password.back() == '\n' || o.password.back() == '\r'))
            o.password.pop_back();
    } else if (o.password_set) {
        ctx.io.err << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
    }
    // Load first: a malformed config.json fails before anything is sent or written.
    auto file = credentials::ConfigFile::load(paths.berth);
    if (!file) return ctx.fail(file.error().str());

    credentials::AuthEntry entry{.username = o.username, .password = o.password};
    if (o.username.empty() && o.password.empty()) {
        // docker's "existing credentials" path: stored ones that still work need no prompt.
        auto stored = credentials::lookup(paths, key);
        if (!stored) return ctx.fail(stored.error().str());
        if (*stored) {
            ctx.io.out << "Authenticating with existing credentials..."
                       << ((*stored)->username.empty() ? "" : " [Username: " + (*stored)->username + "]")
                       << "\n"
                       << std::flush;
            if (auto t = verify(ctx, **stored, key)) {
                ctx.io.out << "Login Succeeded\n";
                return 0;
            }
            ctx.io.err << "Login did not succeed, error: the stored credentials were refused\n";
        }
    }
    if (entry.username.empty() || entry.password.empty()) {
        if (!::isatty(ctx.io.in_fd))
            return ctx.fail("Error: Cannot perform an interactive login from a non TTY device");
        if (entry.username.empty()) {
            ctx.io.out << "Username: " << std::flush;
            entry.username = trim(read_line(ctx, false));
            if (entry.username.empty()) return ctx.fail("Error: Non-null Username Required");
        }
        ctx.io.out << "Password: " << std::flush;
        entry.password = read_line(ctx, true);
        if (entry.password.empty()) return ctx.fail("Error: Password Required");
    }
    auto token = verify(ctx, entry, key);
    if (!token) return ctx.fail(token.error().message());
    if (!token->empty()) entry.identity_token = *token;
    file->set(key, entry);
    if (auto s = file->save(); !s) return ctx.fail("Error saving credentials: " + s.error().str());
    ctx.io.err << "WARNING! Your credentials are stored unencrypted in '" << paths.berth << "'.\n"
               << "Configure a credential helper to remove this warning. See\n"
               << "https://docs.docker.com/go/credential-store/\n\n"
               << std::flush;
    ctx.io.out << "Login Succeeded\n";
    return 0;
}

int cmd_logout(Context& ctx, const std::vector<std::string>& args) {
    std::string key = credentials::server_key(args.empty() ? "" : args[0]);
    auto paths = credentials::config_paths(ctx.globals.config_dir);
    auto file = credentials::ConfigFile::load(paths.berth);
    if (!file) return ctx.fail(file.error().str());
    bool had = file->erase(key);
    // Entries only docker's file holds are docker's to remove; say so, since berth reads them.
    bool docker_has = false;
    if (paths.docker != paths.berth) {
        if (auto d = credentials::ConfigFile::load(paths.docker)) {
            auto e = d->find(key);
            docker_has = e && e->has_value();
        }
    }
    if (!had) {
        ctx.io.out << "Not logged in to " << key << "\n";
    } else {
        ctx.io.out << "Removing login credentials for " << key << "\n";
        if (auto s = file->save(); !s)
            return ctx.fail("WARNING: could not erase credentials: " + s.error().str());
    }
    if (docker_has)
        ctx.io.err << "WARNING: " << paths.docker << " still holds credentials for " << key
                   << ", which berth uses as a fallback; remove them with `docker logout "
                   << (args.empty() ? "" : args[0]) << "`\n";
    return 0;
}

// ---- search ----

struct SearchOpts {
    int64_t limit = 0;
    std::vector<std::string> filters;
    bool no_trunc = false;
    std::string format;
};

// The registry a search term goes to: "host:5000/name" -> "host:5000", else Docker Hub.
std::string search_domain(const std::string& term) {
    auto slash = term.find('/');
    if (slash == std::string::npos) return "docker.io";
    std::string first = term.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") return first;
    return "docker.io";
}

int cmd_search(Context& ctx, const SearchOpts& o, const std::string& term) {
    client::Query q;
    q.add("term", term);
    if (o.limit != 0) q.add("limit", std::to_string(o.limit));
    if (auto f = q.add_filters(o.filters); !f) return ctx.fail(f.error().message());
    auto headers = registry_auth_headers(ctx, search_domain(term));
    if (!headers) return ctx.fail(headers.error().message());
    auto resp = ctx.client().call("GET", "/images/search", q, {}, *headers);
    if (!resp) return ctx.fail(resp.error().message());
    auto j = parse_json(resp->body, "search results");
    if (!j || !j->is_array()) return ctx.fail("malformed search results from the daemon");
    std::vector<Json> rows;
    for (const auto& r : *j) {
        if (!r.is_object()) continue;
        std::string desc = r.value("description", std::string());
        std::replace(desc.begin(), desc.end(), '\n', ' ');
        std::replace(desc.begin(), desc.end(), '\r', ' ');
        if (!o.no_trunc) desc = ellipsis(desc, 45);
        bool official =
            r.contains("is_official") && r["is_official"].is_boolean() && r["is_official"].get<bool>();
        bool automated =
            r.contains("is_automated") && r["is_automated"].is_boolean() && r["is_automated"].get<bool>();
        rows.push_back({{"Name", r.value("name", std::string())},
                        {"Description", desc},
                        {"StarCount", r.contains("star_count") && r["star_count"].is_number_integer()
                                          ? r["star_count"].get<int64_t>()
                                          : 0},
                        {"IsOfficial", official ? "[OK]" : ""},
                        {"IsAutomated", automated ? "[OK]" : ""}});
    }
    auto text =
        render_list(o.format, "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}", rows,
                    {{"Name", "NAME"},
                     {"Description", "DESCRIPTION"},
                     {"StarCount", "STARS"},
                     {"IsOfficial", "OFFICIAL"},
                     {"IsAutomated", "AUTOMATED"}});
    if (!text) return ctx.fail("template parsing error: " + text.error().message());
    ctx.io.out << *text;
    return 0;
}

}  // namespace

Result<> pull_image(Context& ctx, const std::string& image, const std::string& platform, bool to_stderr,
                    bool quiet) {
    auto r = BERTH_TRY(ref::parse_normalized(image)).with_default_tag();
    ProgressRenderer out(progress_output(ctx, to_stderr, quiet));
    return do_pull(ctx, r, false, platform, out);
}

void add_registry_commands(Context& ctx, CLI::App& root, CLI::App* image) {
    for (CLI::App* parent : {&root, image}) {
        bool top = parent == &root;
        auto po = std::make_shared<TransferOpts>();
        Cmd(ctx, parent, "pull", "Download an image from a registry", "[OPTIONS] NAME[:TAG|@DIGEST]", 1, 1)
            .also_known_as(top ? "berth image pull" : "berth pull")
            .flag("-a,--all-tags", po->all, "Download all tagged images in the repository")
            .flag("--disable-content-trust", po->disable_content_trust,
                  "Skip image verification (default true)")
            .str("--platform", po->platform, "Set platform if server is multi-platform capable")
            .flag("-q,--quiet", po->quiet, "Suppress verbose output")
            .action([&ctx, po](const auto& a) { return cmd_pull(ctx, *po, a[0]); });

        auto so = std::make_shared<TransferOpts>();
        Cmd(ctx, parent, "push", "Upload an image to a registry", "[OPTIONS] NAME[:TAG]", 1, 1)
            .also_known_as(top ? "berth image push" : "berth push")
            .flag("-a,--all-tags", so->all, "Push all tags of an image to the repository")
            .flag("--disable-content-trust", so->disable_content_trust, "Skip image signing (default true)")
            .str("--platform", so->platform,
                 "Push a platform-specific manifest as a single-platform image to the registry.\n"
                 "Image index won't be pushed, meaning that other manifests, including attestations won't "
                 "be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)")
            .flag("-q,--quiet", so->quiet, "Suppress verbose output")
            .action([&ctx, so](const auto& a) { return cmd_push(ctx, *so, a[0]); });
    }

    auto lo = std::make_shared<LoginOpts>();
    Cmd login(ctx, &root, "login",
              "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
              "[OPTIONS] [SERVER]", 0, 1);
    login.str("-p,--password", lo->password, "Password or Personal Access Token (PAT)")
        .flag("--password-stdin", lo->password_stdin,
              "Take the Password or Personal Access Token (PAT) from stdin")
        .str("-u,--username", lo->username, "Username");
    CLI::Option* password = login.app()->get_option("--password");
    login.action([&ctx, lo, password](const auto& a) {
        LoginOpts o = *lo;
        o.password_set = password->count() > 0;
        return cmd_login(ctx, o, a);
    });

    Cmd(ctx, &root, "logout",
        "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
        "[SERVER]", 0, 1)
        .action([&ctx](const auto& a) { return cmd_logout(ctx, a); });

    auto se = std::make_shared<SearchOpts>();
    Cmd(ctx, &root, "search", "Search a registry for images", "[OPTIONS] TERM", 1, 1)
        .strs("-f,--filter", se->filters, "Filter output based on conditions provided", "filter")
        .str("--format", se->format, "Pretty-print search using a Go template")
        .num("--limit", se->limit, "Max number of search results")
        .flag("--no-trunc", se->no_trunc, "Don't truncate output")
        .action([&ctx, se](const auto& a) { return cmd_search(ctx, *se, a[0]); });
}

}  // namespace berth::cli

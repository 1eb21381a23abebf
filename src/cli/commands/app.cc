// The command tree: global flags, CLI11 parsing with docker's error wording and exit
// codes, docker-style help, and the shared helpers of context.h.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "cli/commands/context.h"
#include "cli/commands/docs.h"
#include "cli/commands/registry.h"
#include "cli/format/template.h"
#include "common/file.h"
#include "common/version.h"

namespace berth::cli {

// ---- Context ----

client::Client& Context::client() {
    if (!client_) {
        client::ClientOptions o;
        o.host = client::select_host(globals.host);
        const char* tls_env = std::getenv("DOCKER_TLS_VERIFY");
        bool verify = globals.tlsverify || (tls_env && *tls_env);
        o.tls.enabled = globals.tls || verify;
        o.tls.verify = verify;
        std::string cert_dir;
        if (const char* p = std::getenv("DOCKER_CERT_PATH"); p && *p)
            cert_dir = p;
        else if (const char* h = std::getenv("HOME"))
            cert_dir = std::string(h) + "/.docker";
        auto pick = [&](const std::string& flag, const char* file) {
            if (!flag.empty()) return flag;
            std::string p = cert_dir + "/" + file;
            return ::access(p.c_str(), R_OK) == 0 ? p : std::string();
        };
        if (o.tls.enabled) {
            o.tls.ca_file = pick(globals.tlscacert, "ca.pem");
            o.tls.cert_file = pick(globals.tlscert, "cert.pem");
            o.tls.key_file = pick(globals.tlskey, "key.pem");
        }
        if (const char* v = std::getenv("DOCKER_API_VERSION"); v && *v) o.api_version = v;
        client_ = std::make_unique<client::Client>(std::move(o));
    }
    return *client_;
}

std::string Context::path(const CLI::App* app) const {
    std::vector<std::string> parts;
    for (const CLI::App* a = app; a; a = a->get_parent()) parts.push_back(a->get_name());
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (!out.empty()) out += ' ';
        out += *it;
    }
    return out;
}

bool Context::confirm(const std::string& warning) {
    io.out << warning << "\nAre you sure you want to continue? [y/N] ";
    io.out.flush();
    std::string line;
    char ch;
    while (::read(io.in_fd, &ch, 1) == 1 && ch != '\n') line += ch;
    return line == "y" || line == "Y";
}

int Context::fail(const Error& e) {
    return fail(e.str());
}

int Context::fail(const std::string& message) {
    io.err << message << "\n";
    io.err.flush();
    return 1;
}

void write_out(Context& ctx, std::string_view data) {
    if (ctx.io.real_stdio) {
        ctx.io.out.flush();
        (void)write_all(ctx.io.out_fd, data, "stdout");  // stdout closed (a finished pager): nothing to tell
        return;
    }
    ctx.io.out.write(data.data(), static_cast<std::streamsize>(data.size()));
    ctx.io.out.flush();
}

void write_err(Context& ctx, std::string_view data) {
    if (ctx.io.real_stdio) {
        (void)write_all(2, data, "stderr");  // stderr closed: nowhere left to say so
        return;
    }
    ctx.io.err.write(data.data(), static_cast<std::streamsize>(data.size()));
    ctx.io.err.flush();
}

Result<std::string> render_list(const std::string& format, const std::string& default_table,
                                const std::vector<Json>& rows,
                                const std::map<std::string, std::string>& headers) {
    std::string f = format;
    if (f.empty() || f == "table") f = default_table;
    return format::render_table(f, rows, headers);
}

// ---- Cmd ----

Cmd::Cmd(Context& ctx, CLI::App* parent, const std::string& name, const std::string& desc,
         const std::string& usage, int min_args, int max_args)
    : ctx_(ctx),
      app_(parent->add_subcommand(name, desc)),
      args_(std::make_shared<std::vector<std::string>>()) {
    app_->set_help_flag("--help", "Print usage");
    auto& m = ctx.meta[app_];
    m.usage = usage;
    m.min_args = min_args;
    m.max_args = max_args;
}

Cmd& Cmd::alias(const std::string& name) {
    app_->alias(name);
    return *this;
}

Cmd& Cmd::also_known_as(const std::string& full) {
    ctx_.meta[app_].aliases.push_back(full);
    return *this;
}

Cmd& Cmd::flag(const std::string& names, bool& v, const std::string& desc) {
    if (names == "-h,--help") app_->set_help_flag();
    app_->add_flag(names, v, desc);
    return *this;
}

Cmd& Cmd::str(const std::string& names, std::string& v, const std::string& desc, const std::string& type) {
    app_->add_option(names, v, desc)->type_name(type);
    return *this;
}

Cmd& Cmd::strs(const std::string& names, std::vector<std::string>& v, const std::string& desc,
               const std::string& type) {
    app_->add_option(names, v, desc)->type_name(type)->allow_extra_args(false);
    return *this;
}

Cmd& Cmd::num(const std::string& names, int64_t& v, const std::string& desc, const std::string& type) {
    app_->add_option(names, v, desc)->type_name(type);
    return *this;
}

Cmd& Cmd::stop_at_first_arg() {
    stop_at_first_ = true;
    app_->prefix_command();
    return *this;
}

namespace {

std::string usage_error(const Context& ctx, const CLI::App* app, const std::string& msg, bool see_help) {
    const auto it = ctx.meta.find(app);
    std::string usage = it == ctx.meta.end() ? "[OPTIONS]" : it->second.usage;
    std::string p = ctx.path(app);
    std::string out = msg + "\n\nUsage:  " + p + (usage.empty() ? "" : " " + usage) + "\n\n";
    out += see_help ? "See '" + p + " --help' for more information\n"
                    : "Run '" + p + " --help' for more information\n";
    return out;
}

std::string plural(int n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

Cmd& Cmd::action(std::function<int(const std::vector<std::string>&)> fn) {
    if (!stop_at_first_) app_->add_option("args", *args_)->type_name("");
    auto args = args_;
    Context* ctx = &ctx_;
    CLI::App* app = app_;
    bool stop = stop_at_first_;
    app_->callback([ctx, app, args, stop, fn]() {
        std::vector<std::string> a = stop ? app->remaining() : *args;
        if (stop && !a.empty() && a[0].size() > 1 && a[0][0] == '-' && a[0] != "--") {
            std::string f = a[0].substr(0, a[0].find('='));
            std::string msg = f.rfind("--", 0) == 0
                                  ? "unknown flag: " + f
                                  : "unknown shorthand flag: '" + f.substr(1, 1) + "' in " + f;
            ctx->io.err << usage_error(*ctx, app, msg, false);
            ctx->status = 125;
            return;
        }
        if (stop && !a.empty() && a[0] == "--") a.erase(a.begin());
        const CommandMeta& m = ctx->meta[app];
        int n = static_cast<int>(a.size());
        std::string err;
        std::string p = "'" + ctx->path(app) + "'";
        // docker's cli.NoArgs/ExactArgs/RequiresMinArgs/RequiresMaxArgs/RequiresRangeArgs
        // wording; only the "at least" one says "See".
        bool see = false;
        if (m.min_args == m.max_args && n != m.min_args) {
            err = m.min_args == 0 ? p + " accepts no arguments"
                                  : p + " requires " + plural(m.min_args, "argument");
        } else if (m.min_args > 0 && m.max_args > m.min_args && (n < m.min_args || n > m.max_args)) {
            err = p + " requires at least " + std::to_string(m.min_args) + " and at most " +
                  plural(m.max_args, "argument");
        } else if (n < m.min_args) {
            err = p + " requires at least " + plural(m.min_args, "argument");
            see = true;
        } else if (m.max_args >= 0 && n > m.max_args) {
            err = p + " requires at most " + plural(m.max_args, "argument");
        }
        if (!err.empty()) {
            ctx->io.err << usage_error(*ctx, app, "berth: " + err, see);
            ctx->status = 1;
            return;
        }
        ctx->status = fn(a);
    });
    return *this;
}

// ---- help ----

std::string help_text(const Context& ctx, const CLI::App* app) {
    std::ostringstream o;
    std::string p = ctx.path(app);
    auto it = ctx.meta.find(app);
    bool is_root = app->get_parent() == nullptr;
    bool is_group = it == ctx.meta.end() && !is_root;
    if (is_root)
        o << "\nUsage:  " << p << " [OPTIONS] COMMAND\n\n";
    else if (is_group)
        o << "\nUsage:  " << p << " COMMAND\n\n";
    else
        o << "Usage:  " << p << (it->second.usage.empty() ? "" : " " + it->second.usage) << "\n\n";
    o << app->get_description() << "\n";
    if (it != ctx.meta.end()) {
        std::vector<std::string> aliases;
        for (const auto& a : app->get_aliases()) aliases.push_back(ctx.path(app->get_parent()) + " " + a);
        for (const auto& a : it->second.aliases) aliases.push_back(a);
        if (!aliases.empty()) {
            aliases.insert(aliases.begin(), p);
            std::sort(aliases.begin(), aliases.end());
            o << "\nAliases:\n  ";
            for (size_t i = 0; i < aliases.size(); ++i) o << (i ? ", " : "") << aliases[i];
            o << "\n";
        }
    }
    std::vector<std::pair<std::string, std::string>> rows;
    for (const FlagDoc& f : flags_of(app)) {
        std::string left = f.short_name.empty()
                               ? "      " + f.long_name
                               : "  " + f.short_name + (f.long_name.empty() ? "" : ", " + f.long_name);
        if (!f.type.empty()) left += " " + f.type;
        rows.emplace_back(left, f.description);
    }
    if (!rows.empty()) {
        size_t w = 0;
        for (const auto& r : rows) w = std::max(w, r.first.size());
        o << (is_root ? "\nGlobal Options:\n" : "\nOptions:\n");
        for (const auto& r : rows) {
            std::string desc = r.second;
            // Continuation lines of a description line up under its first line.
            for (size_t nl = desc.find('\n'); nl != std::string::npos; nl = desc.find('\n', nl + 1))
                desc.insert(nl + 1, std::string(w + 3, ' '));
            o << r.first << std::string(w - r.first.size() + 3, ' ') << desc << "\n";
        }
    }
    auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    if (!subs.empty()) {
        std::vector<std::pair<std::string, std::string>> groups, cmds;
        for (const CLI::App* s : subs) {
            bool grp = ctx.meta.find(s) == ctx.meta.end();
            // A long description ("Authenticate to a registry.\nDefaults to ...") is listed
            // by its first line, as docker lists a command's Short.
            std::string desc = s->get_description();
            if (auto nl = desc.find('\n'); nl != std::string::npos) {
                desc.resize(nl);
                if (!desc.empty() && desc.back() == '.') desc.pop_back();
            }
            (grp ? groups : cmds).emplace_back(s->get_name(), desc);
        }
        auto print = [&](const char* title, auto& list) {
            if (list.empty()) return;
            std::sort(list.begin(), list.end());
            size_t w = 0;
            for (const auto& r : list) w = std::max(w, r.first.size());
            o << "\n" << title << ":\n";
            for (const auto& r : list)
                o << "  " << r.first << std::string(w - r.first.size() + 3, ' ') << r.second << "\n";
        };
        print("Management Commands", groups);
        print("Commands", cmds);
        o << "\nRun '" << p << (is_root ? " COMMAND" : " COMMAND")
          << " --help' for more information on a command.\n";
    }
    return o.str();
}

namespace {

// The deepest subcommand that took part in the parse.
const CLI::App* selected(const CLI::App& root) {
    const CLI::App* cur = &root;
    for (;;) {
        auto subs = cur->get_subcommands();
        if (subs.empty()) return cur;
        cur = subs.front();
    }
}

std::string docker_parse_message(const CLI::ParseError& e) {
    std::string what = e.what();
    std::string name = e.get_name();
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
        auto colon = what.find(": ");
        std::string arg = colon == std::string::npos ? what : what.substr(colon + 2);
        arg = arg.substr(0, arg.find(' '));
        std::string f = arg.substr(0, arg.find('='));
        if (f.rfind("--", 0) == 0) return "unknown flag: " + f;
        if (f.size() > 1 && f[0] == '-') return "unknown shorthand flag: '" + f.substr(1, 1) + "' in " + f;
        return "unknown command: " + arg;
    }
    if (name == "ArgumentMismatch") {
        auto colon = what.find(':');
        std::string f = what.substr(0, colon);
        if (f.rfind("--", 0) == 0) return "flag needs an argument: " + f;
        if (f.size() > 1 && f[0] == '-') return "flag needs an argument: '" + f.substr(1) + "' in " + f;
        return what;
    }
    if (name == "ConversionError" || name == "ValidationError") return "invalid argument: " + what;
    return what;
}

}  // namespace

const std::vector<CommandFamily>& command_families() {
    static const std::vector<CommandFamily> families = {
        {"system",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_system_commands(c, r, g.system); },
         {"events", "info", "system df", "system events", "system info", "version"}},
        {"container list",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_container_list(c, r, g.container); },
         {"container list", "container ls", "container ps", "ps"}},
        {"inspect",
         [](Context& c, CLI::App& r, const CommandGroups& g) {
             add_inspect_commands(c, r, g.container, g.image);
         },
         {"container inspect", "image inspect", "inspect"}},
        {"images",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_image_commands(c, r, g.image); },
         {"history", "image history", "image list", "image ls", "image prune", "image remove", "image rm",
          "image tag", "images", "rmi", "tag"}},
        {"image io",
         [](Context& c, CLI::App& r, const CommandGroups& g) {
             add_image_io_commands(c, r, g.image, g.container);
         },
         {"container export", "export", "image import", "image load", "image save", "import", "load",
          "save"}},
        {"lifecycle",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_lifecycle_commands(c, r, g.container); },
         {"container kill", "container pause", "container prune", "container remove", "container rename",
          "container restart", "container rm", "container stop", "container unpause", "container wait",
          "kill", "pause", "rename", "restart", "rm", "stop", "unpause", "wait"}},
        {"run",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_run_commands(c, r, g.container); },
         {"container create", "container run", "create", "run"}},
        {"io",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_io_commands(c, r, g.container); },
         {"attach", "container attach", "container exec", "container logs", "container start", "exec", "logs",
          "start"}},
        {"misc",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_misc_commands(c, r, g.container); },
         {"container diff", "container port", "container top", "diff", "port", "top"}},
        {"stats",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_stats_commands(c, r, g.container); },
         {"container stats", "stats"}},
        {"registry",
         [](Context& c, CLI::App& r, const CommandGroups& g) { add_registry_commands(c, r, g.image); },
         {"image pull", "image push", "login", "logout", "pull", "push", "search"}},
        {"network",
         [](Context& c, CLI::App&, const CommandGroups& g) { add_network_commands(c, g.network); },
         {"network connect", "network create", "network disconnect", "network inspect", "network list",
          "network ls", "network prune", "network remove", "network rm"}},
        {"volume",
         [](Context& c, CLI::App&, const CommandGroups& g) { add_volume_commands(c, g.volume); },
         {"volume create", "volume inspect", "volume list", "volume ls", "volume prune", "volume remove",
          "volume rm"}},
    };
    return families;
}

namespace {

// The families a command line names: its first word after the global flags ("ps"), or a
// group and its command ("container ls"). Nullopt (all of them) when it names none, for the
// top-level help and docker's unknown-command errors (none for `berth --version`).
std::optional<std::vector<const CommandFamily*>> families_named(const std::vector<std::string>& args) {
    static const std::set<std::string, std::less<>> valued = {
        "-H",        "--host",   "-l",       "--log-level", "--tlscacert",
        "--tlscert", "--tlskey", "--config", "-c",          "--context"};
    size_t i = 0;
    while (i < args.size() && !args[i].empty() && args[i][0] == '-' && args[i] != "--")
        i += valued.count(args[i]) ? 2 : 1;
    if (i >= args.size()) {
        // `berth --version` needs no command; `berth` and `berth --help` list them all.
        bool version = std::find(args.begin(), args.end(), "-v") != args.end() ||
                       std::find(args.begin(), args.end(), "--version") != args.end();
        bool help = std::find(args.begin(), args.end(), "-h") != args.end() ||
                    std::find(args.begin(), args.end(), "--help") != args.end();
        if (version && !help) return std::vector<const CommandFamily*>{};
        return std::nullopt;
    }
    std::string line = args[i];
    if ((line == "container" || line == "image" || line == "system" || line == "network" ||
         line == "volume") &&
        i + 1 < args.size())
        line += " " + args[i + 1];
    std::vector<const CommandFamily*> out;
    for (const auto& f : command_families())
        if (std::find(f.commands.begin(), f.commands.end(), line) != f.commands.end()) out.push_back(&f);
    if (out.empty()) return std::nullopt;
    return out;
}

}  // namespace

namespace {

// The global flags, docker's groups and the families `wanted` names (all when nullopt).
void build_tree(Context& ctx, CLI::App& root,
                const std::optional<std::vector<const CommandFamily*>>& wanted) {
    root.set_help_flag("-h,--help", "Print usage");
    root.add_option("-H,--host", ctx.globals.host, "Daemon socket to connect to")->type_name("list");
    root.add_flag("-D,--debug", ctx.globals.debug, "Enable debug mode");
    root.add_option("-l,--log-level", ctx.globals.log_level,
                    "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")")
        ->type_name("string");
    root.add_flag("--tls", ctx.globals.tls, "Use TLS; implied by --tlsverify");
    root.add_option("--tlscacert", ctx.globals.tlscacert, "Trust certs signed only by this CA")
        ->type_name("string");
    root.add_option("--tlscert", ctx.globals.tlscert, "Path to TLS certificate file")->type_name("string");
    root.add_option("--tlskey", ctx.globals.tlskey, "Path to TLS key file")->type_name("string");
    root.add_flag("--tlsverify", ctx.globals.tlsverify, "Use TLS and verify the remote");
    root.add_option("--config", ctx.globals.config_dir, "Location of client config files")
        ->type_name("string");
    root.add_option("-c,--context", ctx.globals.context, "Name of the context to use")->type_name("string");
    root.add_flag("-v,--version", ctx.globals.version, "Print version information and quit");
    root.require_subcommand(0, 1);

    auto group = [&](const char* name, const char* desc) {
        CLI::App* g = root.add_subcommand(name, desc);
        g->set_help_flag("--help", "Print usage");
        g->require_subcommand(0, 1);
        return g;
    };
    CommandGroups groups{.container = group("container", "Manage containers"),
                         .image = group("image", "Manage images"),
                         .system = group("system", "Manage Berth"),
                         .network = group("network", "Manage networks"),
                         .volume = group("volume", "Manage volumes")};
    for (const auto& f : command_families())
        if (!wanted || std::find(wanted->begin(), wanted->end(), &f) != wanted->end())
            f.add(ctx, root, groups);
    add_doc_commands(ctx, root);
}

}  // namespace

void build_full_tree(Context& ctx, CLI::App& root) {
    build_tree(ctx, root, std::nullopt);
}

int run(const std::vector<std::string>& args, Io& io) {
    Context ctx(io);
    CLI::App root("A self-sufficient runtime for containers", "berth");
    build_tree(ctx, root, families_named(args));

    std::vector<std::string> rev(args.rbegin(), args.rend());
    try {
        root.parse(rev);
    } catch (const CLI::CallForHelp&) {
        io.out << help_text(ctx, selected(root));
        return 0;
    } catch (const CLI::ParseError& e) {
        const CLI::App* app = selected(root);
        if (app == &root && dynamic_cast<const CLI::ExtrasError*>(&e)) {
            std::string what = e.what();
            auto colon = what.find(": ");
            std::string arg = colon == std::string::npos ? "" : what.substr(colon + 2);
            arg = arg.substr(0, arg.find(' '));
            if (!arg.empty() && arg[0] != '-') {
                io.err << "berth: unknown command: berth " << arg
                       << "\n\nRun 'berth --help' for more information\n";
                return 1;
            }
        }
        // A group (network, container, ...) given an unknown command: docker's cli.NoArgs text.
        if (app != &root && ctx.meta.find(app) == ctx.meta.end() &&
            dynamic_cast<const CLI::ExtrasError*>(&e)) {
            std::string what = e.what();
            auto colon = what.find(": ");
            std::string arg = colon == std::string::npos ? "" : what.substr(colon + 2);
            arg = arg.substr(0, arg.find(' '));
            if (!arg.empty() && arg[0] != '-') {
                std::string p = ctx.path(app);
                io.err << "berth: unknown command: " << p << " " << arg << "\n\nUsage:  " << p << "\n\nRun '"
                       << p << " --help' for more information\n";
                return 1;
            }
        }
        std::string msg = docker_parse_message(e);
        const auto it = ctx.meta.find(app);
        std::string p = ctx.path(app);
        io.err << msg << "\n\nUsage:  " << p << " "
               << (it == ctx.meta.end() ? (app == &root ? "[OPTIONS] COMMAND" : "COMMAND") : it->second.usage)
               << "\n\nRun '" << p << " --help' for more information\n";
        return 125;
    } catch (const std::exception& e) {
        io.err << "berth: " << e.what() << "\n";
        return 125;
    }
    if (ctx.globals.version) {
        io.out << "Berth version " << berth_version() << ", build " << berth_git_commit() << "\n";
        return 0;
    }
    const CLI::App* app = selected(root);
    if (ctx.meta.find(app) == ctx.meta.end()) {  // the root or a group without a command
        io.out << help_text(ctx, app);
        return 0;
    }
    io.out.flush();
    return ctx.status;
}

}  // namespace berth::cli

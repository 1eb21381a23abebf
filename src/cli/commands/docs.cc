// The command tree as data (docs.h), and the commands that print from it: `berth help`
// and `berth completion`.
#include "cli/commands/docs.h"

#include <algorithm>
#include <sstream>

namespace berth::cli {

std::vector<FlagDoc> flags_of(const CLI::App* app) {
    std::vector<FlagDoc> out;
    for (const CLI::Option* opt : app->get_options()) {
        if (opt->get_positional() || opt == app->get_help_ptr() || opt->get_group().empty()) continue;
        FlagDoc f;
        for (const auto& s : opt->get_snames()) f.short_name = "-" + s;
        for (const auto& l : opt->get_lnames()) f.long_name = "--" + l;
        if (opt->get_expected_min() > 0) f.type = opt->get_type_name();
        f.description = opt->get_description();
        out.push_back(std::move(f));
    }
    return out;
}

namespace {

void collect(const Context& ctx, const CLI::App* app, std::vector<CommandDoc>& out) {
    CommandDoc d;
    std::string full = ctx.path(app);  // "berth container ls"
    d.path = full == app->get_name() ? "" : full.substr(full.find(' ') + 1);
    d.names.push_back(app->get_name());
    for (const auto& a : app->get_aliases()) d.names.push_back(a);
    auto it = ctx.meta.find(app);
    d.group = it == ctx.meta.end();
    if (!d.group) d.usage = it->second.usage;
    d.description = app->get_description();
    d.takes_command = app->get_prefix_command();
    d.flags = flags_of(app);
    auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    std::vector<const CLI::App*> sorted(subs.begin(), subs.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const CLI::App* a, const CLI::App* b) { return a->get_name() < b->get_name(); });
    size_t self = out.size();
    out.push_back(std::move(d));
    for (const CLI::App* s : sorted) {
        out[self].children.push_back(out.size());
        collect(ctx, s, out);
    }
}

// The subcommand of `app` that `word` names (or an alias of it).
const CLI::App* child_named(const CLI::App* app, const std::string& word) {
    for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
        if (s->check_name(word)) return s;
    return nullptr;
}

}  // namespace

std::vector<CommandDoc> command_docs(const Context& ctx, const CLI::App& root) {
    std::vector<CommandDoc> out;
    collect(ctx, &root, out);
    return out;
}

std::vector<CommandDoc> full_command_docs() {
    std::ostringstream out, err;
    Io io{out, err};
    Context ctx(io);
    CLI::App root("Berth, a container engine: run, build and share containers with the Docker Engine API",
                  "berth");
    build_full_tree(ctx, root);
    return command_docs(ctx, root);
}

std::string summary_of(const std::string& description) {
    std::string line = description.substr(0, description.find('\n'));
    if (!line.empty() && line.back() == '.') line.pop_back();
    return line;
}

void add_doc_commands(Context& ctx, CLI::App& root) {
    CLI::App* rootp = &root;
    Cmd(ctx, &root, "completion",
        "Generate the autocompletion script for the specified shell\n"
        "bash: berth completion bash > /etc/bash_completion.d/berth\n"
        "zsh: berth completion zsh > \"${fpath[1]}/_berth\"",
        "[bash|zsh]", 1, 1)
        .action([&ctx, rootp](const std::vector<std::string>& a) {
            // This command line built the whole tree already (no family names `completion`).
            std::string script = completion_script(command_docs(ctx, *rootp), a[0]);
            if (script.empty())
                return ctx.fail("unsupported shell \"" + a[0] + "\": berth completes bash and zsh");
            write_out(ctx, script);
            return 0;
        });
    Cmd(ctx, &root, "help", "Help about any command", "[COMMAND]")
        .action([&ctx, rootp](const std::vector<std::string>& a) {
            const CLI::App* app = rootp;
            for (const auto& word : a) {
                app = child_named(app, word);
                if (!app) {
                    std::string topic;
                    for (const auto& w : a) topic += (topic.empty() ? "" : " ") + w;
                    return ctx.fail("unknown help topic \"" + topic +
                                    "\"\n\nRun 'berth --help' for the commands");
                }
            }
            write_out(ctx, help_text(ctx, app));
            return 0;
        });
}

}  // namespace berth::cli

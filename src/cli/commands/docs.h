// Internal: the command tree read back as data, for what is generated from it (help,
// shell completion, man pages), so every one of them follows the commands' definitions.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands/context.h"

namespace berth::cli {

struct FlagDoc {
    std::string short_name;  // "-a", or empty
    std::string long_name;   // "--all", or empty
    std::string type;        // "string", "list", ... ; empty for a switch
    std::string description;
};

struct CommandDoc {
    const CLI::App* app = nullptr;
    std::string path;                // "container ls"; empty for berth itself
    std::vector<std::string> names;  // the name and its aliases: "ls", "list", "ps"
    std::string usage;               // "[OPTIONS]"; empty for a group
    std::string description;
    bool group = false;                 // container, image, system, network (and berth)
    bool takes_command = false;         // run, exec: words after the first argument are its command
    std::vector<FlagDoc> flags;         // without --help
    std::vector<std::string> children;  // paths of its subcommands, sorted
};

// A command's flags as its help lists them.
std::vector<FlagDoc> flags_of(const CLI::App* app);

// Every command of the full tree below root, berth itself first, parents before children.
std::vector<CommandDoc> command_docs(const Context& ctx, const CLI::App& root);

// Builds the whole tree (all families, the groups, the global flags) into root.
void build_full_tree(Context& ctx, CLI::App& root);

// The documentation commands: `berth completion bash|zsh` and `berth help [COMMAND]`.
void add_doc_commands(Context& ctx, CLI::App& root);

}  // namespace berth::cli

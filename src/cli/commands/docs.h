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
    std::string path;                // "container ls"; empty for berth itself
    std::vector<std::string> names;  // the name and its aliases: "ls", "list", "ps"
    std::string usage;               // "[OPTIONS]"; empty for a group
    std::string description;
    bool group = false;            // container, image, system, network (and berth)
    bool takes_command = false;    // run, exec: words after the first argument are its command
    std::vector<FlagDoc> flags;    // without --help
    std::vector<size_t> children;  // its subcommands, by name: indices in the same list
};

// A command's flags as its help lists them.
std::vector<FlagDoc> flags_of(const CLI::App* app);

// Every command of the tree below root, berth itself first, parents before children.
std::vector<CommandDoc> command_docs(const Context& ctx, const CLI::App& root);
// The same for berth's whole tree, built for the purpose (berth-docgen, completion).
std::vector<CommandDoc> full_command_docs();

// The first line of a description, without its final period: how a list shows a command
// (docker's Short).
std::string summary_of(const std::string& description);

// Builds the whole tree (all families, the groups, the global flags) into root.
void build_full_tree(Context& ctx, CLI::App& root);

// The documentation commands: `berth completion bash|zsh` and `berth help [COMMAND]`.
void add_doc_commands(Context& ctx, CLI::App& root);

// The completion script for "bash" or "zsh" from these commands; empty for another shell.
std::string completion_script(const std::vector<CommandDoc>& docs, const std::string& shell);

}  // namespace berth::cli

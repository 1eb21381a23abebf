// Internal: what every command file shares: the context (io, global options, the client),
// a small DSL over CLI11 that records docker-style help (usage, aliases, flag types), and
// docker's error reporting.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/client/client.h"
#include "cli/commands/cli.h"
#include "common/error.h"
#include "common/json.h"

namespace berth::cli {

struct GlobalOptions {
    std::string host;
    bool debug = false;
    bool tls = false;
    bool tlsverify = false;
    std::string tlscacert, tlscert, tlskey;
    std::string log_level = "info";
    std::string config_dir;
    std::string context;
    bool version = false;
};

// Usage line, aliases and arity for docker's help and argument errors.
struct CommandMeta {
    std::string usage;                 // after "berth <path> ": "[OPTIONS] CONTAINER [CONTAINER...]"
    std::vector<std::string> aliases;  // full forms, e.g. "berth container ls"
    int min_args = 0;
    int max_args = -1;  // -1: unlimited
};

struct Context {
    explicit Context(Io& io_) : io(io_) {}
    Io& io;
    GlobalOptions globals;
    int status = 0;
    std::map<const CLI::App*, CommandMeta> meta;

    client::Client& client();
    // docker's `docker ps` style path of a command: "berth container ls".
    std::string path(const CLI::App* app) const;

    // Prints the error as docker does ("Error response from daemon: ...") and returns 1.
    int fail(const Error& e);
    int fail(const std::string& message);
    // Docker's "WARNING! ... Are you sure you want to continue? [y/N]" prompt on stdin;
    // anything but y/Y declines.
    bool confirm(const std::string& warning);

private:
    std::unique_ptr<client::Client> client_;
};

// One command: a CLI11 subcommand plus its docker metadata. Flags are bound to variables
// the caller keeps alive (a shared_ptr captured by the action).
class Cmd {
public:
    Cmd(Context& ctx, CLI::App* parent, const std::string& name, const std::string& desc,
        const std::string& usage, int min_args = 0, int max_args = -1);

    Cmd& alias(const std::string& name);
    Cmd& also_known_as(const std::string& full);  // extra "Aliases:" entry only
    Cmd& flag(const std::string& names, bool& v, const std::string& desc);
    Cmd& str(const std::string& names, std::string& v, const std::string& desc,
             const std::string& type = "string");
    Cmd& strs(const std::string& names, std::vector<std::string>& v, const std::string& desc,
              const std::string& type = "list");
    Cmd& num(const std::string& names, int64_t& v, const std::string& desc, const std::string& type = "int");
    // Everything after the first positional argument goes to the arguments (run, exec).
    Cmd& stop_at_first_arg();
    // The action gets the positional arguments after the arity check.
    Cmd& action(std::function<int(const std::vector<std::string>&)> fn);

    CLI::App* app() const { return app_; }

private:
    Context& ctx_;
    CLI::App* app_;
    std::shared_ptr<std::vector<std::string>> args_;
    bool stop_at_first_ = false;
};

// The groups of commands, one file each.
void add_system_commands(Context& ctx, CLI::App& root, CLI::App* system);
void add_container_list(Context& ctx, CLI::App& root, CLI::App* container);
void add_inspect_commands(Context& ctx, CLI::App& root, CLI::App* container, CLI::App* image);
void add_image_commands(Context& ctx, CLI::App& root, CLI::App* image);
void add_image_io_commands(Context& ctx, CLI::App& root, CLI::App* image, CLI::App* container);
void add_lifecycle_commands(Context& ctx, CLI::App& root, CLI::App* container);
void add_run_commands(Context& ctx, CLI::App& root, CLI::App* container);
void add_io_commands(Context& ctx, CLI::App& root, CLI::App* container);
void add_misc_commands(Context& ctx, CLI::App& root, CLI::App* container);
void add_stats_commands(Context& ctx, CLI::App& root, CLI::App* container);
void add_network_commands(Context& ctx, CLI::App* network);
void add_volume_commands(Context& ctx, CLI::App* volume);

// docker's inspect output for objects fetched one by one (`fetch` gives the daemon's JSON
// text): a JSON array of them (the daemon's key order, 4-space indent) or one --format line
// each; then each failure as `error_line` words it, one per line. 1 if any failed.
int print_inspected(Context& ctx, const std::string& format, const std::vector<std::string>& names,
                    const std::function<Result<std::string>(const std::string&)>& fetch,
                    const std::function<std::string(const Error&)>& error_line);
// GET `path`: the body, or the daemon's error ("Error response from daemon: ...").
Result<std::string> get_object(Context& ctx, const std::string& path, const client::Query& q = {});

// Shared by the list and inspect commands: --format's help, and KEY=VALUE flags as a map.
extern const char* const kFormatHelp;
extern const char* const kInspectFormatHelp;
std::pair<std::string, std::string> split_kv(const std::string& kv);
Json kv_map(const std::vector<std::string>& items);

// The groups docker nests commands under ("berth container ls").
struct CommandGroups {
    CLI::App* container;
    CLI::App* image;
    CLI::App* system;
    CLI::App* network;
    CLI::App* volume;
};

// A family of commands (the add_* above) and the command lines it declares ("ps",
// "container ls", aliases included). berth registers only the family its command line
// names: building docker's whole tree costs more than a short command itself. A unit test
// keeps `commands` equal to what `add` registers.
struct CommandFamily {
    const char* name;
    void (*add)(Context& ctx, CLI::App& root, const CommandGroups& groups);
    std::vector<std::string> commands;
};
const std::vector<CommandFamily>& command_families();

// Docker's help text for a command.
std::string help_text(const Context& ctx, const CLI::App* app);

// --format strings common to list commands: "" -> default table, "table", "json", or a
// template; rows are rendered with the given headers.
Result<std::string> render_list(const std::string& format, const std::string& default_table,
                                const std::vector<Json>& rows,
                                const std::map<std::string, std::string>& headers);

// Prints a JSON message stream (load, import, pull) as docker does without a terminal:
// "stream" text as is, "status" lines, and the first "error" as the returned Error.
Result<> display_json_messages(Context& ctx, client::Stream& s);

// Lines of --env-file/--label-file files (comments and blank lines skipped); with `env`, a
// bare NAME takes its value from the environment (dropped when unset), as docker does.
Result<std::vector<std::string>> read_kv_files(const std::vector<std::string>& files, bool env);

// Writes raw bytes to stdout (container output), flushing.
void write_out(Context& ctx, std::string_view data);
void write_err(Context& ctx, std::string_view data);

}  // namespace berth::cli

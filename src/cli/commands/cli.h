// The berth command line: docker's command tree, flags, output and exit codes over the
// Engine API client. src/bin/berth/main.cc calls run(); tests call it with string streams.
//
//   berth::cli::Io io{std::cout, std::cerr};
//   return berth::cli::run({"-H", "unix:///tmp/s.sock", "ps", "-a"}, io);
//
// Exit codes follow docker's CLI: 0, 1 for a failed command (daemon errors included), 125
// for usage errors and for `run`/`create` failing before the container runs, 126/127 when
// the command cannot be invoked / is not found, otherwise a container's own exit code.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace berth::cli {

struct Io {
    std::ostream& out;
    std::ostream& err;
    int in_fd = 0;   // stdin for attach/run -i/load
    int out_fd = 1;  // where raw container output goes when out is std::cout
    // Output stream is the process's stdout (so terminals and raw fds are real).
    bool real_stdio = false;
};

// argv without the program name.
int run(const std::vector<std::string>& args, Io& io);

// What is generated from the command definitions, so it never drifts from them:
// the completion script `berth completion SHELL` prints ("bash" or "zsh"; empty for
// another shell), and the man pages, {"berth.1", roff}, {"berth-container-ls.1", ...}.
std::string completion_script(const std::string& shell);
std::vector<std::pair<std::string, std::string>> man_pages();

}  // namespace berth::cli

// berth: the docker-compatible CLI (see cli/commands/cli.h).
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands/cli.h"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    std::ios::sync_with_stdio(true);
    std::vector<std::string> args(argv + 1, argv + argc);
    berth::cli::Io io{std::cout, std::cerr, 0, 1, true};
    int rc = berth::cli::run(args, io);
    std::cout.flush();
    return rc;
}

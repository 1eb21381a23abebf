// berth-docgen DIR: writes what is generated from berth's command definitions, for the
// install and the package: DIR/man1/berth*.1, DIR/completion/berth.bash and DIR/completion/_berth.
// A build tool; not installed.
#include <iostream>

#include "cli/commands/cli.h"
#include "common/file.h"

using namespace berth;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: berth-docgen DIR\n";
        return 2;
    }
    std::string dir = argv[1];
    auto write = [](const std::string& path, const std::string& text) {
        if (auto r = write_file_atomic(path, text); !r) {
            std::cerr << "berth-docgen: " << r.error().str() << "\n";
            return false;
        }
        return true;
    };
    for (auto* sub : {"/man1", "/completion"})
        if (auto r = mkdir_all(dir + sub, 0755); !r) {
            std::cerr << "berth-docgen: " << r.error().str() << "\n";
            return 1;
        }
    for (const auto& [name, text] : cli::man_pages())
        if (!write(dir + "/man1/" + name, text)) return 1;
    if (!write(dir + "/completion/berth.bash", cli::completion_script("bash"))) return 1;
    if (!write(dir + "/completion/_berth", cli::completion_script("zsh"))) return 1;
    return 0;
}

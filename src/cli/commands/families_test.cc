// The command families' declared command lines match what each registers, so that berth,
// which registers only the family its command line names, never misses a command.
#include <algorithm>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/commands/cli.h"
#include "cli/commands/context.h"

namespace berth::cli {
namespace {

std::vector<std::string> names_of(const CLI::App* app) {
    std::vector<std::string> out = {app->get_name()};
    for (const auto& a : app->get_aliases()) out.push_back(a);
    return out;
}

// What `f` registers: root commands ("ps") and group commands ("container ls"), aliases too.
std::vector<std::string> registered(const CommandFamily& f) {
    std::ostringstream out, err;
    Io io{out, err};
    Context ctx(io);
    CLI::App root;
    CommandGroups g{root.add_subcommand("container"), root.add_subcommand("image"),
                    root.add_subcommand("system"), root.add_subcommand("network"),
                    root.add_subcommand("volume")};
    f.add(ctx, root, g);
    std::set<const CLI::App*> groups = {g.container, g.image, g.system, g.network, g.volume};
    std::vector<std::string> lines;
    for (const CLI::App* s : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (groups.count(s)) {
            for (const CLI::App* c : s->get_subcommands([](const CLI::App*) { return true; }))
                for (const auto& n : names_of(c)) lines.push_back(s->get_name() + " " + n);
        } else {
            for (const auto& n : names_of(s)) lines.push_back(n);
        }
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

TEST(CommandFamilies, DeclareWhatTheyRegister) {
    std::set<std::string> seen;
    for (const auto& f : command_families()) {
        auto want = registered(f);
        auto have = f.commands;
        std::sort(have.begin(), have.end());
        std::string expected;
        for (const auto& w : want) expected += "\"" + w + "\", ";
        EXPECT_EQ(have, want) << "family " << f.name << " registers: {" << expected << "}";
        for (const auto& w : want) EXPECT_TRUE(seen.insert(w).second) << w << " is in two families";
    }
}

TEST(CommandFamilies, OnlyTheNamedFamilyIsBuilt) {
    // A command resolves through its family; an unknown one still gets docker's error.
    std::ostringstream out, err;
    Io io{out, err};
    EXPECT_EQ(run({"-H", "unix:///nonexistent.sock", "container", "ls", "--help"}, io), 0);
    EXPECT_NE(out.str().find("berth container ls"), std::string::npos) << out.str();
    std::ostringstream out2, err2;
    Io io2{out2, err2};
    EXPECT_EQ(run({"frobnicate"}, io2), 1);
    EXPECT_NE(err2.str().find("unknown command: berth frobnicate"), std::string::npos) << err2.str();
    std::ostringstream out3, err3;
    Io io3{out3, err3};
    EXPECT_EQ(run({"--help"}, io3), 0);
    for (const char* c : {"run", "ps", "network", "images", "inspect", "stats"})
        EXPECT_NE(out3.str().find(std::string("  ") + c + " "), std::string::npos) << c;
}

}  // namespace
}  // namespace berth::cli

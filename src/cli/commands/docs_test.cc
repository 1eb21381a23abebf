// What is generated from the command tree: completion scripts completing in a real bash
// (compgen through the script's own completion function) and parsing in zsh, man pages
// rendered by man without warnings, and `berth help`.
#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/commands/cli.h"
#include "common/file.h"
#include "common/strings.h"
#include "support/support.h"

namespace berth::cli {
namespace {

using berth::test::run_shell;
using berth::test::TempDir;

class Completion : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir("berth-completion");
        ASSERT_TRUE(write_file_atomic(dir_->path() + "/berth.bash", completion_script("bash")));
        ASSERT_TRUE(write_file_atomic(dir_->path() + "/_berth", completion_script("zsh")));
    }
    static void TearDownTestSuite() { delete dir_; }

    // What bash offers for the command line `words` (the last one is being typed).
    static std::string complete(const std::string& words) {
        std::string script = "source '" + dir_->path() +
                             "/berth.bash'\n"
                             "COMP_WORDS=(" +
                             words +
                             ")\n"
                             "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                             "_berth\n"
                             "echo \"${COMPREPLY[*]}\"\n";
        EXPECT_TRUE(write_file_atomic(dir_->path() + "/t.sh", script));
        // No daemon at this socket: names of containers and images complete to nothing.
        auto r = run_shell("PATH=/nonexistent:$PATH bash '" + dir_->path() + "/t.sh'");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return trim(r.out);
    }
    static TempDir* dir_;
};
TempDir* Completion::dir_ = nullptr;

TEST_F(Completion, BashCompletesCommandsSubcommandsAndFlags) {
    EXPECT_EQ(complete("berth ru"), "run");
    EXPECT_EQ(complete("berth container l"), "logs ls list");
    EXPECT_EQ(complete("berth network ''"), "connect create disconnect inspect ls list prune rm remove");
    EXPECT_EQ(complete("berth run --me"), "--memory --memory-reservation --memory-swap");
    EXPECT_EQ(complete("berth -H unix:///nowhere ima"), "image images") << "a global flag's value is skipped";
    EXPECT_EQ(complete("berth image ls --format '{{.ID}}' -"),
              "-a --all --digests -f --filter --format "
              "--no-trunc -q --quiet --tree --help");
    EXPECT_EQ(complete("berth run -it busybox s"), "")
        << "the container's command is not berth's to complete";
    EXPECT_EQ(complete("berth compl"), "completion");
    EXPECT_EQ(complete("berth completion ''"), "bash zsh");
    EXPECT_EQ(complete("berth help ru"), "run");
    EXPECT_EQ(complete("berth help netw"), "network");
}

TEST_F(Completion, BashAsksBerthForContainerNames) {
    ASSERT_TRUE(mkdir_all(dir_->path() + "/bin", 0755));
    // A stand-in berth on PATH answers `ps -a --format {{.Names}}` as berthd would.
    ASSERT_TRUE(write_file_atomic(dir_->path() + "/bin/berth",
                                  "#!/bin/sh\n[ \"$1 $2\" = '-H unix:///s' ] && shift 2\n"
                                  "[ \"$1 $2\" = 'ps -a' ] && printf 'web\\nworker\\ndb\\n'\n"));
    ASSERT_EQ(run_shell("chmod +x '" + dir_->path() + "/bin/berth'").exit_code, 0);
    std::string script = "PATH='" + dir_->path() + "/bin':$PATH; source '" + dir_->path() +
                         "/berth.bash'; COMP_WORDS=(berth -H unix:///s stop w); COMP_CWORD=4; _berth; "
                         "echo \"${COMPREPLY[*]}\"";
    auto r = run_shell("bash -c \"$(cat <<'EOF'\n" + script + "\nEOF\n)\"");
    EXPECT_EQ(trim(r.out), "web worker") << r.err;
}

TEST_F(Completion, ZshScriptParsesAndDefinesTheFunction) {
    auto r = run_shell("zsh -n '" + dir_->path() +
                       "/_berth' && zsh -c 'autoload -U compinit; compinit -u -D; source " + dir_->path() +
                       "/_berth; whence -w _berth'");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("_berth: function"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(completion_script("fish"), "");
}

TEST(ManPages, EveryCommandHasAPageThatRendersWithoutWarnings) {
    auto pages = man_pages();
    ASSERT_GT(pages.size(), 60u);
    EXPECT_EQ(pages.front().first, "berth.1");
    TempDir dir("berth-man");
    std::string names;
    for (const auto& [name, text] : pages) {
        ASSERT_TRUE(write_file_atomic(dir.path() + "/" + name, text));
        names += " " + name;
    }
    for (const char* expected : {"berth-run.1", "berth-container-ls.1", "berth-network-create.1",
                                 "berth-image.1", "berth-completion.1"})
        EXPECT_NE(names.find(std::string(" ") + expected), std::string::npos) << expected;
    auto r = run_shell("cd '" + dir.path() +
                       "' && for f in *.1; do MANWIDTH=80 man --warnings -l \"$f\" >/dev/null || echo \"$f "
                       "failed\"; done 2>&1");
    EXPECT_EQ(r.out, "") << "man warnings";
    auto run_page = run_shell("MANWIDTH=200 man -l '" + dir.path() + "/berth-run.1' 2>&1");
    EXPECT_NE(run_page.out.find("--memory"), std::string::npos);
    EXPECT_NE(run_page.out.find("berth run [OPTIONS] IMAGE [COMMAND] [ARG...]"), std::string::npos)
        << run_page.out;
}

TEST(Help, HelpCommandPrintsACommandsHelp) {
    std::ostringstream out, err;
    Io io{out, err};
    EXPECT_EQ(run({"help", "container", "ls"}, io), 0);
    EXPECT_NE(out.str().find("Usage:  berth container ls [OPTIONS]"), std::string::npos) << out.str();
    std::ostringstream out2, err2;
    Io io2{out2, err2};
    EXPECT_EQ(run({"help", "nosuch"}, io2), 1);
    EXPECT_NE(err2.str().find("unknown help topic \"nosuch\""), std::string::npos) << err2.str();
}

}  // namespace
}  // namespace berth::cli

// The package as a user gets it: built by cpack from this build tree, installed with dpkg
// on this host, berthd started from berth.service's ExecStart with a socket passed as
// systemd passes berth.socket's (and berthd reporting READY=1 as Type=notify asks), a container run through
// the installed berth, then purged: no file, unit link or group of Berth may remain, only the data it was
// told to keep.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "support/daemon.h"
#include "support/support.h"

namespace berth::test {
namespace {

bool group_exists(const char* name) {
    return ::getgrnam(name) != nullptr;
}

// "ExecStart=/usr/bin/berthd -H fd://" -> {"/usr/bin/berthd", "-H", "fd://"}
std::vector<std::string> exec_start(const std::string& unit_text) {
    for (const auto& line : split(unit_text, '\n'))
        if (starts_with(line, "ExecStart=")) {
            std::vector<std::string> argv;
            for (const auto& w : split(line.substr(10), ' '))
                if (!w.empty()) argv.push_back(w);
            return argv;
        }
    return {};
}

std::string value_of(const std::string& unit_text, const std::string& key) {
    for (const auto& line : split(unit_text, '\n'))
        if (starts_with(line, key + "=")) return line.substr(key.size() + 1);
    return "";
}

class Package : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        // The test purges the package: it must not be one a person installed.
        auto status = run_command({"dpkg-query", "-W", "-f=${Status}", "berth"});
        ASSERT_EQ(status.out.find("installed"), std::string::npos)
            << "a berth package is installed on this host; the test would purge it";
        group_existed_ = group_exists("berth");
        data_root_existed_ = path_exists("/var/lib/berth");
        if (data_root_existed_) data_before_ = visible_entries("/var/lib/berth");
        dir_ = std::make_unique<TempDir>("berth-package");
    }

    void TearDown() override {
        stop_daemon();
        if (installed_) run_command({"dpkg", "--purge", "berth"}, {}, 120);
        if (group_existed_ && !group_exists("berth")) run_command({"groupadd", "--system", "berth"});
    }

    void stop_daemon() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = 0;
    }

    std::unique_ptr<TempDir> dir_;
    NetworkIsolation net_;
    pid_t pid_ = 0;
    bool installed_ = false, group_existed_ = false, data_root_existed_ = false;
    std::vector<std::string> data_before_;
};

TEST_F(Package, InstallsRunsAContainerAndPurgesClean) {
    // cpack, as scripts/package runs it.
    std::string out = dir_->path() + "/out";
    auto cpack = run_shell("cd '" + build_dir() + "' && cpack -G DEB -B '" + out +
                               "' -D CPACK_OUTPUT_FILE_PREFIX='" + out + "' 2>&1",
                           240);
    ASSERT_EQ(cpack.exit_code, 0) << cpack.out;
    auto debs = run_shell("ls " + out + "/berth_*_amd64.deb");
    ASSERT_EQ(debs.exit_code, 0) << "cpack made no berth_<version>_amd64.deb: " << cpack.out;
    std::string deb = trim(debs.out);

    auto contents = run_command({"dpkg-deb", "-c", deb});
    ASSERT_EQ(contents.exit_code, 0) << contents.err;
    std::vector<std::string> files;  // every regular file the package ships, as installed
    for (const auto& line : split(contents.out, '\n')) {
        if (line.empty() || line[0] != '-') continue;
        auto dot = line.find(" ./");
        if (dot != std::string::npos) files.push_back(line.substr(dot + 2));
    }
    for (const char* f :
         {"/usr/bin/berth", "/usr/bin/berthd", "/usr/bin/berth-runtime", "/usr/bin/berth-shim",
          "/usr/lib/systemd/system/berth.service", "/usr/lib/systemd/system/berth.socket",
          "/etc/berth/daemon.json", "/usr/share/man/man1/berth.1", "/usr/share/man/man1/berth-run.1",
          "/usr/share/man/man8/berthd.8", "/usr/share/bash-completion/completions/berth",
          "/usr/share/zsh/vendor-completions/_berth"})
        EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f << " is not in the package";
    auto control = run_command({"dpkg-deb", "-f", deb, "Depends"});
    EXPECT_NE(control.out.find("libssl3"), std::string::npos)
        << "shared libraries are declared: " << control.out;
    EXPECT_NE(control.out.find("libcurl4"), std::string::npos) << control.out;
    auto conffiles = run_shell("dpkg-deb --ctrl-tarfile '" + deb + "' | tar -xO ./conffiles");
    EXPECT_EQ(trim(conffiles.out), "/etc/berth/daemon.json");

    // Install. systemd is not running here: postinst must start nothing.
    auto install = run_command({"dpkg", "-i", deb}, {}, 120);
    installed_ = true;
    ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
    EXPECT_TRUE(group_exists("berth")) << "postinst makes the socket's group";
    EXPECT_EQ(run_shell("pgrep -x berthd -P 1").exit_code, 1) << "no berthd started by postinst";
    auto version = run_command({"/usr/bin/berth", "--version"});
    EXPECT_NE(version.out.find("Berth version"), std::string::npos) << version.out;
    auto man = run_shell("MANWIDTH=80 man --warnings berth-run 2>&1 >/dev/null; man -w berthd");
    EXPECT_EQ(man.out, "/usr/share/man/man8/berthd.8\n")
        << "man finds the pages and renders them without warnings";

    // berthd from the unit's command line, with the socket the socket unit describes.
    auto service = read_file("/usr/lib/systemd/system/berth.service");
    auto socket_unit = read_file("/usr/lib/systemd/system/berth.socket");
    ASSERT_TRUE(service && socket_unit);
    EXPECT_EQ(value_of(*service, "Type"), "notify");
    EXPECT_EQ(value_of(*service, "Delegate"), "yes");
    EXPECT_EQ(value_of(*service, "KillMode"), "process");
    EXPECT_EQ(value_of(*socket_unit, "ListenStream"), "/run/berth/berth.sock");
    EXPECT_EQ(value_of(*socket_unit, "SocketGroup"), "berth");
    // systemd's own check of the installed units (no running systemd needed).
    auto verify = run_shell(
        "systemd-analyze verify /usr/lib/systemd/system/berth.socket "
        "/usr/lib/systemd/system/berth.service 2>&1");
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    EXPECT_EQ(verify.out, "");
    auto argv = exec_start(*service);
    ASSERT_EQ(argv, (std::vector<std::string>{"/usr/bin/berthd", "-H", "fd://"}));
    // Its own paths and network, so a berthd this host runs is left alone.
    std::string sock = dir_->path() + "/berth.sock";
    ASSERT_TRUE(write_file_atomic(dir_->path() + "/daemon.json", net_.apply("{}")));
    NotifySocket notify(dir_->path() + "/notify.sock");
    ASSERT_TRUE(notify.ok());
    // As systemd passes berth.socket: bound and listening at fd 3, LISTEN_FDS=1 and
    // LISTEN_PID naming berthd, which has not started yet when the first client connects.
    int listener = bind_unix_socket(sock, SOCK_STREAM, 16);
    ASSERT_GE(listener, 0);
    std::vector<std::string> cmd = argv;
    for (std::string a : {"--config-file", "daemon.json", "--data-root", "data", "--exec-root", "exec",
                          "--pidfile", "berthd.pid"})
        cmd.push_back(a[0] == '-' ? a : dir_->path() + "/" + a);
    std::string log = dir_->path() + "/berthd.log";
    pid_ = fork();
    if (pid_ == 0) {
        setsid();
        FILE* f = fopen(log.c_str(), "a");
        if (f) dup2(fileno(f), 1), dup2(fileno(f), 2);
        dup2(listener, 3);
        setenv("LISTEN_FDS", "1", 1);
        setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
        setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
        std::vector<char*> args;
        for (auto& a : cmd) args.push_back(a.data());
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    ::close(listener);
    auto ping = run_command({"curl", "-s", "--max-time", "30", "--unix-socket", sock, "http://d/_ping"});
    EXPECT_EQ(ping.out, "OK") << *read_file(log);
    ASSERT_TRUE(notify.wait_for("READY=1", pid_, 30000)) << notify.received() << *read_file(log);

    std::string host = "unix://" + sock;
    auto load = run_command({"/usr/bin/berth", "-H", host, "load", "-i", busybox_image_tar()}, {}, 120);
    ASSERT_EQ(load.exit_code, 0) << load.err;
    auto hello = run_command(
        {"/usr/bin/berth", "-H", host, "run", "--rm", "busybox", "echo", "hello from the package"}, {}, 120);
    EXPECT_EQ(hello.exit_code, 0) << hello.err << *read_file(log);
    EXPECT_EQ(hello.out, "hello from the package\n");
    ::kill(pid_, SIGTERM);
    EXPECT_TRUE(notify.wait_for("STOPPING=1", pid_, 30000)) << notify.received();
    stop_daemon();

    // Purge: nothing of Berth stays but the data root it keeps (when it holds data).
    auto purge = run_command({"dpkg", "--purge", "berth"}, {}, 120);
    ASSERT_EQ(purge.exit_code, 0) << purge.out << purge.err;
    installed_ = false;
    for (const auto& f : files) EXPECT_FALSE(path_exists(f)) << f << " is left after purge";
    EXPECT_FALSE(path_exists("/etc/berth"));
    EXPECT_FALSE(group_exists("berth")) << "purge removes the group";
    auto links = run_shell(
        "ls /etc/systemd/system/*/berth.* /var/lib/systemd/deb-systemd-helper-enabled/*berth* "
        "2>/dev/null");
    EXPECT_EQ(links.out, "") << "unit links left after purge";
    if (data_root_existed_)
        EXPECT_EQ(visible_entries("/var/lib/berth"), data_before_) << "the data root is the user's";
    else
        EXPECT_FALSE(path_exists("/var/lib/berth")) << "an empty data root goes with the package";
}

TEST(BerthdManPage, NamesEveryFlagBerthdHas) {
    auto help = run_command({binary("berthd"), "--help"});
    auto page = read_file(source_dir() + "/packaging/man/berthd.8");
    ASSERT_TRUE(page);
    std::string text = *page;
    size_t n = 0;
    std::string words = help.out;
    std::replace(words.begin(), words.end(), ',', ' ');
    std::replace(words.begin(), words.end(), '\n', ' ');
    for (const auto& word : split(words, ' ')) {
        std::string flag = trim(word);
        if (!starts_with(flag, "--") || flag == "--help") continue;
        flag = flag.substr(0, flag.find_first_of(" =\n"));
        std::string roff;
        for (char c : flag) roff += c == '-' ? std::string("\\-") : std::string(1, c);
        EXPECT_NE(text.find("\\fB" + roff + "\\fR"), std::string::npos) << flag << " is not in berthd.8";
        ++n;
    }
    EXPECT_GT(n, 10u);
}

}  // namespace
}  // namespace berth::test

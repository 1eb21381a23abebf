// berth-runtime's lifecycle and commands (create, start, state, exec, pause, kill,
// delete, ps, features) and its answers to bad input.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "integration/runtime/runtime_harness.h"
#include "runtime/container/container.h"

namespace berth::test {
namespace {

class Lifecycle : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        session_ = std::make_unique<RuntimeSession>(berth_runtime());
    }
    Json state(const std::string& id) {
        auto r = session_->cmd({"state", id});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto j = parse_json(r.out);
        return j ? *j : Json();
    }
    // Creates and starts `sleep 300` (detached); returns the id.
    std::string start_sleeper(Bundle& b) {
        b.set_args({"sleep", "300"});
        b.write_config();
        std::string id = session_->new_id();
        auto c = session_->detached({"create", "--bundle", b.dir(), id});
        EXPECT_EQ(c.exit_code, 0) << c.err;
        auto s = session_->cmd({"start", id});
        EXPECT_EQ(s.exit_code, 0) << s.err;
        return id;
    }
    std::unique_ptr<RuntimeSession> session_;
};

bool mounts_mention(const std::string& needle) {
    auto m = read_file("/proc/self/mountinfo");
    return m && m->find(needle) != std::string::npos;
}

TEST_F(Lifecycle, CreateStartStateKillDelete) {
    Bundle b;
    b.set_args({"sleep", "300"});
    b.write_config();
    std::string id = session_->new_id();
    std::string pidfile = b.dir() + "/pid";
    auto c = session_->detached({"create", "--bundle", b.dir(), "--pid-file", pidfile, id});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    auto st = state(id);
    EXPECT_EQ(st["status"], "created");
    EXPECT_EQ(st["id"], id);
    int pid = st["pid"].get<int>();
    EXPECT_GT(pid, 0);
    EXPECT_EQ(trim(*read_file(pidfile)), std::to_string(pid));
    // The init waits, in its namespaces, before start.
    EXPECT_TRUE(path_exists("/proc/" + std::to_string(pid)));

    ASSERT_EQ(session_->cmd({"start", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "running");
    auto again = session_->cmd({"start", id});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("running"), std::string::npos) << again.err;

    auto del = session_->cmd({"delete", id});
    EXPECT_NE(del.exit_code, 0);
    EXPECT_NE(del.err.find("not stopped"), std::string::npos) << del.err;

    // The init's pidfd turns readable when it dies: no polling of `state`.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    ASSERT_GE(pidfd, 0);
    ASSERT_EQ(session_->cmd({"kill", id, "KILL"}).exit_code, 0);
    pollfd exited{pidfd, POLLIN, 0};
    EXPECT_EQ(::poll(&exited, 1, 5000), 1);
    ::close(pidfd);
    EXPECT_EQ(state(id)["status"], "stopped");
    ASSERT_EQ(session_->cmd({"delete", id}).exit_code, 0);
    EXPECT_NE(session_->cmd({"state", id}).exit_code, 0);
    EXPECT_FALSE(path_exists(session_->root() + "/" + id));
    EXPECT_FALSE(path_exists("/sys/fs/cgroup/memory/berth/" + id));
    EXPECT_FALSE(path_exists("/sys/fs/cgroup/pids/berth/" + id));
    EXPECT_FALSE(mounts_mention(id));
}

TEST_F(Lifecycle, ExecJoinsEveryNamespace) {
    Bundle b;
    b.config()["hostname"] = "exec-host";
    std::string id = start_sleeper(b);
    int pid = state(id)["pid"].get<int>();
    for (std::string ns : {"pid", "net", "ipc", "uts", "mnt", "cgroup"}) {
        auto r = session_->cmd({"exec", id, "readlink", "/proc/self/ns/" + ns});
        ASSERT_EQ(r.exit_code, 0) << ns << ": " << r.err;
        char want[128] = {};
        ASSERT_GT(readlink(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), want, sizeof want - 1), 0);
        EXPECT_EQ(trim(r.out), want) << ns;
    }
    auto h = session_->cmd({"exec", id, "hostname"});
    EXPECT_EQ(trim(h.out), "exec-host");
    // The exec'd process is in the container's cgroup and sees the init as pid 1.
    auto ps = session_->cmd({"exec", id, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"});
    EXPECT_EQ(trim(ps.out), "sleep 300");
    EXPECT_EQ(session_->cmd({"exec", id, "sh", "-c", "exit 7"}).exit_code, 7);
    auto env = session_->cmd({"exec", "--env", "FOO=bar", "--cwd", "/etc", id, "sh", "-c", "echo $FOO; pwd"});
    EXPECT_EQ(trim(env.out), "bar\n/etc");
    auto missing = session_->cmd({"exec", id, "/no/such/binary"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("/no/such/binary"), std::string::npos) << missing.err;
}

TEST_F(Lifecycle, ExecWithProcessFile) {
    Bundle b;
    std::string id = start_sleeper(b);
    Json process = {{"args", {"sh", "-c", "id -u; echo $X"}},
                    {"cwd", "/"},
                    {"env", {"X=from-file"}},
                    {"user", {{"uid", 65534}, {"gid", 65534}}}};
    std::string path = b.dir() + "/process.json";
    ASSERT_TRUE(write_file_atomic(path, dump_json(process)));
    auto r = session_->cmd({"exec", "--process", path, id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(trim(r.out), "65534\nfrom-file");
}

TEST_F(Lifecycle, PauseFreezesAndResumeThaws) {
    Bundle b;
    b.set_args({"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.05; done"});
    b.write_config();
    std::string id = session_->new_id();
    ASSERT_EQ(session_->detached({"run", "-d", "--bundle", b.dir(), id}).exit_code, 0);
    usleep(300000);
    ASSERT_EQ(session_->cmd({"pause", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "paused");
    auto exec_paused = session_->cmd({"exec", id, "true"});
    EXPECT_NE(exec_paused.exit_code, 0);
    int pid = state(id)["pid"].get<int>();
    std::string count_path = "/proc/" + std::to_string(pid) + "/root/dev/shm/count";
    auto c1 = read_file(count_path);
    usleep(300000);
    auto c2 = read_file(count_path);
    ASSERT_TRUE(c1 && c2);
    EXPECT_EQ(*c1, *c2) << "the counter moved while paused";
    ASSERT_EQ(session_->cmd({"resume", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "running");
    usleep(300000);
    auto c3 = read_file(count_path);
    EXPECT_NE(*c2, *c3) << "the counter did not move after resume";
    ASSERT_EQ(session_->cmd({"delete", "--force", id}).exit_code, 0);
}

TEST_F(Lifecycle, RunForegroundPassesSignalExit) {
    Bundle b;
    b.set_args({"sleep", "300"});
    b.write_config();
    std::string id = session_->new_id();
    pid_t killer = fork();
    if (killer == 0) {
        // Wait for the container to be running, then SIGKILL its init through the runtime.
        for (int i = 0; i < 500; ++i) {
            auto r = session_->cmd({"state", id});
            if (r.out.find("\"running\"") != std::string::npos) {
                session_->cmd({"kill", id, "9"});
                _exit(0);
            }
            usleep(10000);
        }
        _exit(1);
    }
    auto r = session_->cmd({"run", "--bundle", b.dir(), id});
    int status;
    waitpid(killer, &status, 0);
    EXPECT_EQ(r.exit_code, 137) << r.err;
    // run removes the container afterwards.
    EXPECT_NE(session_->cmd({"state", id}).exit_code, 0);
}

TEST_F(Lifecycle, PsListsContainerProcesses) {
    Bundle b;
    std::string id = start_sleeper(b);
    auto r = session_->cmd({"ps", "--format", "json", id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parse_json(r.out);
    ASSERT_TRUE(j);
    ASSERT_EQ(j->size(), 1u);
    EXPECT_EQ((*j)[0].get<int>(), state(id)["pid"].get<int>());
    auto t = session_->cmd({"ps", id});
    EXPECT_NE(t.out.find("sleep 300"), std::string::npos) << t.out;
    auto l = session_->cmd({"list", "--format", "json"});
    EXPECT_NE(l.out.find(id), std::string::npos);
    auto stats = session_->cmd({"events", "--stats", id});
    EXPECT_EQ(stats.exit_code, 0) << stats.err;
    EXPECT_NE(stats.out.find("\"memory\""), std::string::npos) << stats.out;
}

TEST_F(Lifecycle, HooksRunWithState) {
    Bundle b;
    std::string out = b.dir() + "/hooks.log";
    auto hook = [&](const std::string& name) {
        return Json{{"path", "/bin/sh"},
                    {"args", {"sh", "-c", "cat >> " + out + "; echo " + name + " >> " + out}}};
    };
    b.config()["hooks"] = {{"prestart", {hook("prestart")}},
                           {"createRuntime", {hook("createRuntime")}},
                           {"poststart", {hook("poststart")}},
                           {"poststop", {hook("poststop")}}};
    auto r = session_->run(b, {"true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto log = read_file(out);
    ASSERT_TRUE(log);
    for (auto* phase : {"prestart", "createRuntime", "poststart", "poststop"})
        EXPECT_NE(log->find(phase), std::string::npos) << *log;
    EXPECT_NE(log->find("\"ociVersion\""), std::string::npos) << *log;
    EXPECT_LT(log->find("prestart"), log->find("poststart"));

    Bundle bad;
    bad.config()["hooks"] = {{"prestart", {{{"path", "/bin/false"}}}}};
    auto f = session_->run(bad, {"true"});
    EXPECT_NE(f.exit_code, 0);
    EXPECT_NE(f.err.find("prestart hook 0"), std::string::npos) << f.err;
}

TEST_F(Lifecycle, FeaturesAndSpec) {
    auto f = session_->cmd({"features"});
    ASSERT_EQ(f.exit_code, 0);
    auto j = parse_json(f.out);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["ociVersionMax"], "1.1.0");
    EXPECT_NE(f.out.find("CAP_SYS_ADMIN"), std::string::npos);
    TempDir d;
    auto s = run_command({binary("berth-runtime"), "spec", "--bundle", d.path()});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(path_exists(d.path() + "/config.json"));
    auto again = run_command({binary("berth-runtime"), "spec", "--bundle", d.path()});
    EXPECT_NE(again.exit_code, 0);
}

// ---- bad input: a clear error naming the field or path, and nothing left behind ----

class BadInput : public Lifecycle {
protected:
    void expect_rejected(Bundle& b, const std::string& needle) {
        b.write_config();
        std::string id = session_->new_id();
        auto r = session_->detached({"create", "--bundle", b.dir(), id});
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
        EXPECT_FALSE(path_exists(session_->root() + "/" + id)) << "state left behind";
        EXPECT_FALSE(path_exists("/sys/fs/cgroup/memory/berth/" + id)) << "cgroup left behind";
        EXPECT_FALSE(mounts_mention(id));
    }
};

TEST_F(BadInput, MissingField) {
    Bundle b;
    b.config()["process"].erase("cwd");
    expect_rejected(b, "process.cwd: required");
}

TEST_F(BadInput, MistypedField) {
    Bundle b;
    b.config()["process"]["user"]["uid"] = "root";
    expect_rejected(b, "process.user.uid: expected unsigned integer, got string");
}

TEST_F(BadInput, UnknownNamespace) {
    Bundle b;
    b.config()["linux"]["namespaces"].push_back({{"type", "time-travel"}});
    expect_rejected(b, "unknown namespace \"time-travel\"");
}

TEST_F(BadInput, MissingRootfs) {
    Bundle b;
    b.config()["root"]["path"] = "/nonexistent/rootfs";
    expect_rejected(b, "/nonexistent/rootfs");
}

TEST_F(BadInput, MalformedJson) {
    Bundle b;
    b.write_config();
    ASSERT_TRUE(write_file_atomic(b.dir() + "/config.json", "{\"ociVersion\": \"1.1.0\", "));
    std::string id = session_->new_id();
    auto r = session_->cmd({"create", "--bundle", b.dir(), id});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
}

TEST_F(BadInput, UnknownCapability) {
    Bundle b;
    b.config()["process"]["capabilities"]["bounding"].push_back("CAP_TELEPORT");
    expect_rejected(b, "CAP_TELEPORT");
}

TEST_F(BadInput, DuplicateId) {
    Bundle b;
    std::string id = start_sleeper(b);
    auto r = session_->detached({"create", "--bundle", b.dir(), id});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
    EXPECT_EQ(state(id)["status"], "running");  // the first one is untouched
}

TEST_F(BadInput, RlimitAboveHardLimitIsAClearError) {
    Bundle b;
    b.config()["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1ull << 40}, {"soft", 1024}}};
    b.set_args({"true"});
    b.write_config();
    std::string id = session_->new_id();
    auto r = session_->cmd({"run", "--bundle", b.dir(), id});
    // With CAP_SYS_RESOURCE this may succeed up to nr_open; without it, a clear error.
    if (r.exit_code != 0) {
        EXPECT_NE(r.err.find("RLIMIT_NOFILE"), std::string::npos) << r.err;
    }
    EXPECT_NE(r.signal, SIGSEGV);
    EXPECT_FALSE(path_exists(session_->root() + "/" + id));
}

TEST_F(BadInput, MountThroughEscapingSymlinkStaysInRoot) {
    // A private copy of the rootfs with a symlink that points out of it.
    TempDir host_target("berth-escape-target");
    TempDir copy("berth-rootfs-copy");
    ASSERT_EQ(run_shell("cp -a " + Bundle::shared_rootfs() + "/. " + copy.path()).exit_code, 0);
    ASSERT_EQ(symlink(("../../../../../../" + host_target.path()).c_str(), (copy.path() + "/escape").c_str()),
              0);
    ASSERT_EQ(symlink(host_target.path().c_str(), (copy.path() + "/escape-abs").c_str()), 0);
    Bundle b;
    b.config()["root"]["path"] = copy.path();
    b.config()["mounts"].push_back(
        {{"destination", "/escape-abs/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=1m"}}});
    b.set_args({"sh", "-c", "touch /escape-abs/x/written && echo ok"});
    b.write_config();
    auto r = session_->cmd({"run", "--bundle", b.dir(), session_->new_id()});
    // Either resolved inside the rootfs (runc's behaviour) or refused with the path named.
    if (r.exit_code == 0) {
        EXPECT_EQ(trim(r.out), "ok");
    } else {
        EXPECT_NE(r.err.find("escape-abs"), std::string::npos) << r.err;
    }
    EXPECT_FALSE(path_exists(host_target.path() + "/x")) << "the mount escaped to the host";

    Bundle rel;
    rel.config()["root"]["path"] = copy.path();
    rel.config()["mounts"].push_back(
        {{"destination", "/escape/y"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=1m"}}});
    rel.set_args({"true"});
    rel.write_config();
    auto r2 = session_->cmd({"run", "--bundle", rel.dir(), session_->new_id()});
    EXPECT_FALSE(path_exists(host_target.path() + "/y")) << "the mount escaped to the host";
    EXPECT_FALSE(mounts_mention(host_target.path()));
}

TEST_F(Lifecycle, TerminalOverConsoleSocket) {
    // A listening socket stands in for the caller that receives the pty master.
    TempDir dir("berth-console");
    std::string path = dir.path() + "/console.sock";
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(lfd, 1), 0);
    Bundle b;
    b.config()["process"]["terminal"] = true;
    b.config()["process"]["consoleSize"] = {{"height", 33}, {"width", 77}};
    b.set_args({"sh", "-c", "tty; stty size; read x; echo got-$x"});
    b.write_config();
    std::string id = session_->new_id();
    auto r = session_->detached({"run", "-d", "--console-socket", path, "--bundle", b.dir(), id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int conn = accept(lfd, nullptr, nullptr);
    ASSERT_GE(conn, 0);
    auto master = runtime::receive_console(conn);
    ASSERT_TRUE(master) << master.error().str();
    ASSERT_EQ(write(master->get(), "hello\n", 6), 6);
    std::string out;
    char buf[256];
    for (int i = 0; i < 50 && out.find("got-hello") == std::string::npos; ++i) {
        struct pollfd pfd {
            master->get(), POLLIN, 0
        };
        if (poll(&pfd, 1, 100) <= 0) continue;
        ssize_t n = read(master->get(), buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(conn);
    close(lfd);
    EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
    EXPECT_NE(out.find("33 77"), std::string::npos) << out;
    EXPECT_NE(out.find("got-hello"), std::string::npos) << out;
}

TEST_F(Lifecycle, JoinsNamespacesByPath) {
    Bundle first;
    first.config()["hostname"] = "shared-uts";
    std::string a = start_sleeper(first);
    std::string pid = std::to_string(state(a)["pid"].get<int>());
    Bundle second;
    for (auto& ns : second.config()["linux"]["namespaces"]) {
        std::string type = ns["type"];
        if (type == "network") ns["path"] = "/proc/" + pid + "/ns/net";
        if (type == "uts") ns["path"] = "/proc/" + pid + "/ns/uts";
        if (type == "ipc") ns["path"] = "/proc/" + pid + "/ns/ipc";
    }
    second.config().erase("hostname");  // the joined uts namespace keeps its own
    auto r = session_->run(second,
                           {"sh", "-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    char net[128] = {}, ipc[128] = {};
    ASSERT_GT(readlink(("/proc/" + pid + "/ns/net").c_str(), net, sizeof net - 1), 0);
    ASSERT_GT(readlink(("/proc/" + pid + "/ns/ipc").c_str(), ipc, sizeof ipc - 1), 0);
    EXPECT_EQ(trim(r.out), std::string("shared-uts\n") + net + "\n" + ipc);
}

TEST_F(Lifecycle, HostBinaryIsOnAReadOnlyMount) {
    // CVE-2019-5736: every runtime process that a container could see maps its binary
    // from a read-only mount, so /proc/<pid>/exe can never be opened for writing.
    // A createRuntime hook (a child of the runtime) records how its parent's exe is mounted.
    Bundle b;
    std::string out = b.dir() + "/exe-mount";
    b.config()["hooks"] = {{"createRuntime",
                            {{{"path", "/bin/sh"},
                              {"args",
                               {"sh", "-c",
                                "exe=$(readlink /proc/$PPID/exe); grep \" $exe \" /proc/$PPID/mountinfo > " +
                                    out + "; echo $exe >> " + out}}}}}};
    auto r = session_->run(b, {"true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto text = read_file(out);
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("berth-runtime"), std::string::npos) << *text;
    EXPECT_NE(text->find(" ro,"), std::string::npos) << "binary not on a read-only mount: " << *text;
    // And the host's mount table is untouched.
    EXPECT_FALSE(mounts_mention(binary("berth-runtime")));
}

}  // namespace
}  // namespace berth::test

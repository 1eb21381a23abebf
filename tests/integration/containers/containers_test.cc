// Containers through berthd, driven by the real docker CLI: run and its exit codes,
// the detached lifecycle with its events, stdin and ttys, limits and security defaults,
// restart policies, bad input, and live-restore across a daemon crash.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "common/file.h"
#include "common/json.h"
#include "common/scope.h"
#include "common/strings.h"
#include "support/daemon.h"

namespace berth::test {
namespace {

class Containers : public DaemonTest {
protected:
    Containers() : DaemonTest("containers") {}
};

TEST_F(Containers, RunPrintsOutputAndReturnsDockerExitCodes) {
    auto r = docker({"run", "--rm", "busybox", "echo", "hello", "world"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello world\n");
    EXPECT_EQ(docker({"run", "--rm", "busybox", "sh", "-c", "exit 42"}).exit_code, 42);
    r = docker({"run", "--rm", "busybox", "no-such-command"});
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_NE(r.err.find("executable file not found"), std::string::npos) << r.err;
    r = docker({"run", "--rm", "busybox", "/etc/passwd"});
    EXPECT_EQ(r.exit_code, 126) << r.err;
    r = docker({"run", "--rm", "--pull", "never", "no-such-image", "true"});
    EXPECT_EQ(r.exit_code, 125);
    // stderr stays stderr; --rm leaves nothing behind.
    r = docker({"run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2"});
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_EQ(out({"ps", "-aq"}), "");
}

TEST_F(Containers, DetachedLifecycleWithEvents) {
    auto since = std::to_string(time(nullptr) - 1);
    std::string id =
        out({"create", "--name", "web", "-l", "tier=front", "busybox", "sh", "-c",
             "trap 'exit 0' TERM; i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"});
    ASSERT_EQ(id.size(), 64u);
    // start -a -i attaches (stdin too) before the process starts.
    out({"create", "-i", "--name", "reader", "busybox", "sh", "-c", "read x; echo got $x"});
    auto started = docker({"start", "-a", "-i", "reader"}, "hello\n");
    EXPECT_EQ(started.out, "got hello\n") << started.err;
    ASSERT_EQ(docker({"start", "web"}).exit_code, 0);
    EXPECT_EQ(out({"ps", "--format", "{{.Names}} {{.Image}} {{.Labels}}"}), "web busybox tier=front");
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}} {{.Name}} {{.Config.Hostname}}", "web"}),
              "running /web " + id.substr(0, 12));
    usleep(500000);
    auto logs = out({"logs", "web"});
    EXPECT_EQ(logs.rfind("line 0\nline 1\n", 0), 0u) << logs;
    EXPECT_EQ(out({"logs", "--tail", "1", "web"}).find('\n'), std::string::npos);

    auto ex = docker({"exec", "web", "sh", "-c", "echo in-exec; hostname; exit 3"});
    EXPECT_EQ(ex.exit_code, 3);
    EXPECT_EQ(ex.out, "in-exec\n" + id.substr(0, 12) + "\n");
    EXPECT_EQ(out({"exec", "-e", "X=42", "-w", "/tmp", "web", "sh", "-c", "echo $X $(pwd)"}), "42 /tmp");
    auto top = out({"top", "web"});
    EXPECT_NE(top.find("PID"), std::string::npos);
    EXPECT_NE(top.find("while true"), std::string::npos) << top;

    ASSERT_EQ(docker({"pause", "web"}).exit_code, 0);
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "web"}), "paused true");
    EXPECT_EQ(docker({"pause", "web"}).exit_code, 1);  // already paused: 409
    ASSERT_EQ(docker({"unpause", "web"}).exit_code, 0);
    ASSERT_EQ(docker({"stop", "-t", "5", "web"}).exit_code, 0);
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"}), "exited 0");
    EXPECT_NE(out({"ps", "-a", "--format", "{{.Status}}"}).find("Exited (0)"), std::string::npos);
    ASSERT_EQ(docker({"start", "web"}).exit_code, 0);
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Running}}", "web"}), "true");
    ASSERT_EQ(docker({"rename", "web", "web2"}).exit_code, 0);
    ASSERT_EQ(docker({"kill", "web2"}).exit_code, 0);
    EXPECT_EQ(out({"wait", "web2"}), "137");
    ASSERT_EQ(docker({"rm", "web2"}).exit_code, 0);
    EXPECT_EQ(docker({"inspect", "web2"}).exit_code, 1);

    auto until = std::to_string(time(nullptr) + 1);
    auto ev = out({"events", "--since", since, "--until", until, "--filter", "type=container", "--format",
                   "{{.Action}}"});
    for (auto* action : {"create", "attach", "start", "exec_create", "exec_start", "exec_die", "pause",
                         "unpause", "kill", "die", "stop", "rename", "destroy"})
        EXPECT_NE(ev.find(action), std::string::npos) << action << " missing in\n" << ev;
}

TEST_F(Containers, StdinPipeAndTty) {
    auto r = docker({"run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z"}, "piped through\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "PIPED THROUGH\n");
    // A real terminal: docker run -it under script(1), with a known window size.
    r = run_shell("script -qec \"stty cols 91 rows 37; /usr/local/bin/docker -H " + d_->host() +
                      " run --rm -it busybox sh -c 'tty; stty size; exit 5'\" /dev/null </dev/null",
                  60);
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("37 91"), std::string::npos) << r.out;
    // exec -t gets a pty too.
    out({"run", "-d", "--name", "tt", "busybox", "sleep", "30"});
    r = run_shell(
        "script -qec \"/usr/local/bin/docker -H " + d_->host() + " exec -it tt tty\" /dev/null </dev/null",
        60);
    EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out << r.err;
}

TEST_F(Containers, SecurityDefaultsAndLimits) {
    // Docker's 14 default capabilities, and exactly none after --cap-drop ALL.
    EXPECT_EQ(out({"run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status"}),
              "CapEff:\t00000000a80425fb");
    EXPECT_EQ(out({"run", "--rm", "--cap-drop", "ALL", "busybox", "grep", "CapEff", "/proc/self/status"}),
              "CapEff:\t0000000000000000");
    // Masked /proc paths, read-only /proc/sys, seccomp on.
    EXPECT_EQ(out({"run", "--rm", "busybox", "sh", "-c", "cat /proc/kcore | wc -c"}), "0");
    EXPECT_NE(docker({"run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/ostype"}).exit_code,
              0);
    EXPECT_EQ(out({"run", "--rm", "busybox", "grep", "Seccomp:", "/proc/self/status"}), "Seccomp:\t2");
    EXPECT_NE(docker({"run", "--rm", "--read-only", "busybox", "touch", "/x"}).exit_code, 0);
    EXPECT_EQ(
        docker({"run", "--rm", "--read-only", "--tmpfs", "/run", "busybox", "touch", "/run/x"}).exit_code, 0);
    // Limits land in the container's cgroup; a fork bomb stops at the pids limit.
    std::string id = out(
        {"run", "-d", "--memory", "32m", "--pids-limit", "10", "--cpus", "0.5", "busybox", "sleep", "30"});
    std::string mem = "/sys/fs/cgroup/memory/berth/" + id + "/memory.limit_in_bytes";
    if (path_exists(mem)) {
        EXPECT_EQ(trim(*read_file(mem)), std::to_string(32 << 20));
    }
    auto r = docker({"exec", id, "sh", "-c", "for i in $(seq 20); do sleep 5 & done; wait"});
    EXPECT_NE(r.err.find("Resource temporarily unavailable"), std::string::npos) << r.err;
    EXPECT_EQ(out({"inspect", "-f",
                   "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}", id}),
              std::to_string(32 << 20) + " 10 500000000");
    // Users from the image's /etc/passwd, and hostname/hosts files.
    EXPECT_EQ(out({"run", "--rm", "-u", "nobody", "busybox", "id", "-u"}), "65534");
    EXPECT_EQ(out({"run", "--rm", "-h", "box1", "busybox", "sh", "-c", "hostname; grep -c box1 /etc/hosts"}),
              "box1\n1");
}

TEST_F(Containers, RestartPolicyAndAutoRemove) {
    std::string id = out({"run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3"});
    for (int i = 0; i < 100; ++i) {
        if (out({"inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id}) == "2 exited") break;
        usleep(100000);
    }
    EXPECT_EQ(out({"inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", id}),
              "2 exited 3");
    id = out({"run", "-d", "--rm", "busybox", "true"});
    // Docker's wait condition "removed" returns once --rm has removed it (or 404 if it already has).
    d_->curl({"-s", "-X", "POST", "http://d/containers/" + id + "/wait?condition=removed"});
    EXPECT_NE(docker({"inspect", id}).exit_code, 0);
}

TEST_F(Containers, InitRunsAsPid1ForwardsSignalsAndReaps) {
    auto ps = out({"run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"});
    EXPECT_EQ(ps, "/sbin/docker-init init -- sh -c cat /proc/1/cmdline | tr '\\0' ' '");
    EXPECT_EQ(docker({"run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"}).exit_code, 7);
    // sleep is not PID 1 here, so SIGTERM (forwarded by the init) ends it at once.
    std::string id = out({"run", "-d", "--init", "busybox", "sleep", "300"});
    auto t0 = time(nullptr);
    out({"stop", "-t", "20", id});
    EXPECT_LT(time(nullptr) - t0, 5);
    EXPECT_EQ(out({"inspect", "-f", "{{.State.ExitCode}}", id}), "143");
}

TEST_F(Containers, InfoAndDiskUsageCountContainers) {
    out({"run", "-d", "--name", "up1", "busybox", "sleep", "30"});
    out({"create", "--name", "made1", "busybox"});
    out({"run", "--name", "done1", "busybox", "sh", "-c", "echo data > /file"});
    EXPECT_EQ(out({"info", "-f",
                   "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}} {{.Driver}} "
                   "{{.OSType}} {{.CgroupDriver}}"}),
              "3 1 2 1 overlay2 linux cgroupfs");
    auto df = out({"system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"});
    EXPECT_NE(df.find("Images 1 1"), std::string::npos) << df;
    EXPECT_NE(df.find("Containers 3 1"), std::string::npos) << df;
    EXPECT_EQ(out({"diff", "done1"}), "A /file");
    auto tar = docker({"export", "done1"});
    EXPECT_EQ(tar.exit_code, 0);
    EXPECT_NE(tar.out.find("data\n"), std::string::npos);
    EXPECT_EQ(out({"container", "prune", "-f"}).find("Deleted Containers"), 0u);
    EXPECT_EQ(out({"ps", "-a", "--format", "{{.Names}}"}), "up1");
}

TEST_F(Containers, BadInputGetsDockerStatusAndMessage) {
    auto r = d_->curl({"-s", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "-d",
                       "{\"Image\": \"busybox\",", "http://d/containers/create"});
    EXPECT_EQ(r.out.substr(r.out.size() - 3), "400") << r.out;
    r = d_->curl({"-s", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "-d",
                  "{\"Image\": \"busybox\", \"HostConfig\": {\"Memory\": \"lots\"}}",
                  "http://d/containers/create"});
    EXPECT_NE(r.out.find("HostConfig.Memory: expected integer, got string"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.substr(r.out.size() - 3), "400");
    r = d_->curl({"-s", "-w", "%{http_code}", "http://d/containers/nope/json"});
    EXPECT_NE(r.out.find("No such container: nope"), std::string::npos);
    EXPECT_EQ(r.out.substr(r.out.size() - 3), "404");
    out({"create", "--name", "taken", "busybox"});
    r = docker({"create", "--name", "taken", "busybox"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("is already in use"), std::string::npos) << r.err;
    r = docker({"create", "--name", "bad/name", "busybox"});
    EXPECT_NE(r.err.find("Invalid container name"), std::string::npos) << r.err;
    r = docker({"run", "--rm", "--memory", "1k", "busybox", "true"});
    EXPECT_NE(r.err.find("Minimum memory limit"), std::string::npos) << r.err;
    r = docker({"run", "--rm", "--cap-add", "FLY", "busybox", "true"});
    EXPECT_NE(r.err.find("CAP_FLY"), std::string::npos) << r.err;
    // The daemon kept serving throughout.
    EXPECT_EQ(out({"run", "--rm", "busybox", "echo", "still here"}), "still here");
}

TEST_F(Containers, LiveRestoreSurvivesADaemonCrash) {
    d_->stop();
    ASSERT_TRUE(d_->start("{\"live-restore\": true}"));
    constexpr int kContainers = 20;
    for (int i = 0; i < kContainers; ++i)
        out({"run", "-d", "--name", "c" + std::to_string(i), "busybox", "sh", "-c",
             "i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done"});
    usleep(300000);
    d_->kill9();
    usleep(500000);  // the containers keep logging with no daemon
    ASSERT_TRUE(d_->start("{\"live-restore\": true}"));
    auto running = out({"ps", "-q"});
    EXPECT_EQ(std::count(running.begin(), running.end(), '\n') + 1, kContainers) << running;
    usleep(300000);
    for (int i = 0; i < kContainers; i += 7) {
        std::string name = "c" + std::to_string(i);
        EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}}", name}), "running");
        // Logs are contiguous: every number once, in order, across the crash.
        auto lines = split(out({"logs", name}), '\n');
        ASSERT_GT(lines.size(), 10u);
        for (size_t n = 0; n < lines.size(); ++n)
            ASSERT_EQ(lines[n], std::to_string(n)) << name << " line " << n;
    }
    // The restarted daemon still sees exits.
    ASSERT_EQ(docker({"kill", "c0"}).exit_code, 0);
    EXPECT_EQ(out({"wait", "c0"}), "137");
}

TEST_F(Containers, KillDuringCreateLeavesNoHalfContainer) {
    for (int round = 0; round < 3; ++round) {
        // Creates in flight, then the daemon dies at some point among them.
        auto bg =
            run_shell("for i in $(seq 12); do /usr/local/bin/docker -H " + d_->host() +
                          " create busybox true >/dev/null 2>&1 & done; sleep 0." +
                          std::to_string(2 + round * 3) + "; kill -9 " + std::to_string(d_->pid()) + "; wait",
                      60);
        d_->kill9();  // reaps it
        ASSERT_TRUE(d_->start()) << read_file(d_->dir() + "/berthd.log").value_or("");
        // Every container the restarted daemon lists is whole: it runs and goes away cleanly.
        for (auto& id : split(out({"ps", "-aq"}), '\n')) {
            EXPECT_EQ(out({"start", "-a", id}), "") << id;
            EXPECT_EQ(docker({"rm", id}).exit_code, 0) << id;
        }
    }
    // Nothing of the killed creates is left: no snapshot, container dir, mount or shim.
    auto left = run_shell(
        "find " + d_->dir() + "/data/overlay/active " + d_->dir() + "/data/containers -mindepth 1", 10);
    EXPECT_EQ(left.out, "");
    auto mounts = run_shell("grep -c " + d_->dir() + " /proc/self/mountinfo", 10);
    EXPECT_EQ(trim(mounts.out), "0");
    auto shims = run_shell("pgrep -af '[b]erth-shim.*" + d_->dir() + "'", 10);
    EXPECT_EQ(shims.exit_code, 1) << shims.out << read_file(d_->dir() + "/berthd.log").value_or("");
}

TEST_F(Containers, DockerPyWorks) {
    // Debian's python3-docker (docker-py) against the daemon, as a Python user drives it.
    auto r = run_command(
        {"/usr/bin/python3", source_dir() + "/tests/integration/containers/docker_py_check.py", d_->host()},
        {}, 120);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "docker-py: ok\n");
}

TEST_F(Containers, DaemonStopStopsContainersWithoutLiveRestore) {
    std::string id = out({"run", "-d", "--stop-timeout", "1", "busybox", "sleep", "300"});
    pid_t pid = std::stoi(out({"inspect", "-f", "{{.State.Pid}}", id}));
    d_->stop();
    EXPECT_NE(kill(pid, 0), 0);
    ASSERT_TRUE(d_->start());
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}}", id}), "exited");
}

TEST_F(Containers, ARecordWriteThatFailsIsLoggedAndRetried) {
    std::string id = out({"run", "-d", "busybox", "sleep", "1000"});
    ASSERT_EQ(id.size(), 64u);
    // An immutable directory refuses even root's writes: the record cannot be replaced.
    std::string dir = d_->dir() + "/data/containers/" + id;
    ScopeExit undo([&] { run_command({"chattr", "-i", dir}); });
    ASSERT_EQ(run_command({"chattr", "+i", dir}).exit_code, 0);
    auto log = [&] { return read_file(d_->dir() + "/berthd.log").value_or(""); };

    // pause has a caller: it hears of the failure.
    auto paused = docker({"pause", id});
    EXPECT_NE(paused.exit_code, 0);
    EXPECT_NE(paused.err.find("state was not written"), std::string::npos) << paused.err;
    EXPECT_NE(docker({"unpause", id}).exit_code, 0) << "its record still cannot be written";
    // The exit has none: it is logged with the container's id, and the daemon's view is right.
    ASSERT_EQ(docker({"kill", id}).exit_code, 0);
    d_->curl({"-s", "-X", "POST", "http://d/containers/" + id + "/wait?condition=not-running"});
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}}", id}), "exited");
    EXPECT_NE(log().find("container " + id.substr(0, 12) + ": state not written"), std::string::npos)
        << log();

    // Writable again: the next change writes it, and says so.
    ASSERT_EQ(run_command({"chattr", "-i", dir}).exit_code, 0);
    ASSERT_EQ(docker({"start", id}).exit_code, 0);
    EXPECT_NE(log().find("container " + id.substr(0, 12) + ": state written again"), std::string::npos)
        << log();
    auto record = read_file(dir + "/config.v2.json");
    ASSERT_TRUE(record);
    EXPECT_EQ(parse_json(*record)->at("State").value("Status", ""), "running");
    EXPECT_EQ(docker({"rm", "-f", id}).exit_code, 0);
}

// Records written by berthd at 3716ba7 (before Config and HostConfig became types), in
// tests/fixtures/records-3716ba7, put in place of records this daemon wrote: they load,
// inspect shows what they hold, and their containers run.
TEST_F(Containers, RecordsFromThePreviousVersionLoadAndRun) {
    ASSERT_EQ(docker({"network", "create", "oldnet"}).exit_code, 0);
    std::string bind = d_->dir() + "/bind";
    ASSERT_TRUE(mkdir_all(bind, 0755));
    ASSERT_TRUE(write_file_atomic(bind + "/x", "bound\n"));
    std::string image_id = out({"image", "inspect", "-f", "{{.Id}}", "busybox"});
    std::map<std::string, std::string> ids;
    for (auto* name : {"plain", "rich", "ran"})
        ids[name] = out({"create", "--name", name, "busybox", "true"});
    ASSERT_EQ(d_->stop(), 0);
    for (auto& [name, id] : ids) {
        auto old = read_file(source_dir() + "/tests/fixtures/records-3716ba7/" + name + ".json");
        ASSERT_TRUE(old) << name;
        auto j = parse_json(*old);
        ASSERT_TRUE(j);
        // The fixture's own ID, image and paths become this container's.
        std::string text = *old;
        std::string old_id = (*j)["Id"], old_dir = "/tmp/oldrec/data/containers/" + old_id;
        std::string dir = d_->dir() + "/data/containers/" + id;
        for (auto [from, to] : {std::pair{old_dir, dir}, std::pair{old_id, id},
                                std::pair{(*j)["ImageID"].get<std::string>(), image_id},
                                std::pair{std::string("/tmp/oldrec/bind"), bind}}) {
            // Search on past each replacement: `to` may contain `from` (the fixture image is
            // built deterministically, so its ID may well be this one's).
            for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
                text.replace(at, from.size(), to);
        }
        ASSERT_TRUE(write_file_atomic(dir + "/config.v2.json", text));
    }
    // The log the old daemon's shim wrote for "ran" (json-file lines, as Docker writes them).
    auto log = read_file(source_dir() + "/tests/fixtures/records-3716ba7/ran-json.log");
    ASSERT_TRUE(log);
    std::string ran_dir = d_->dir() + "/data/containers/" + ids["ran"];
    ASSERT_TRUE(write_file_atomic(ran_dir + "/" + ids["ran"] + "-json.log", *log));
    ASSERT_TRUE(d_->start()) << read_file(d_->dir() + "/berthd.log").value_or("");

    EXPECT_EQ(out({"ps", "-a", "--format", "{{.Names}} {{.Status}}", "--filter", "name=ran"})
                  .rfind("ran Exited (137) ", 0),
              0u);
    EXPECT_EQ(
        out({"inspect", "-f",
             "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} "
             "{{.HostConfig.CpuShares}} {{.HostConfig.CapDrop}} {{.HostConfig.Tmpfs}} "
             "{{index .Config.Labels \"app\"}} {{.Config.User}} {{.Config.WorkingDir}} "
             "{{.Config.StopSignal}} "
             "{{.Config.StopTimeout}} {{.HostConfig.NetworkMode}} {{.HostConfig.LogConfig.Config}}",
             "rich"}),
        "unless-stopped 67108864 50 512 [CAP_NET_RAW] map[/run:size=1m] web nobody /tmp SIGINT 3 oldnet "
        "map[max-size:1m]");
    EXPECT_EQ(out({"inspect", "-f", "{{json .HostConfig.PortBindings}} {{json .Config.Env}} {{json .Mounts}}",
                   "rich"}),
              R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"18080"}]} )"
              R"(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1","B=two words"] )"
              R"([{"Type":"bind","Source":")" +
                  bind + R"(","Destination":"/data","Mode":"ro","RW":false,"Propagation":"rprivate"}])");
    auto rich = docker({"start", "-a", "rich"});
    EXPECT_EQ(rich.exit_code, 0) << rich.err;
    EXPECT_EQ(rich.out, "rich\n65534\nbound\nrichhost\n");
    EXPECT_NE(
        out({"inspect", "-f", "{{json .NetworkSettings.Networks.oldnet.Aliases}}", "rich"}).find("richalias"),
        std::string::npos);
    auto plain = docker({"start", "-a", "plain"});
    EXPECT_EQ(plain.out, "hello-old\n") << plain.err;
    EXPECT_EQ(out({"logs", "ran"}), "ran-before");
    EXPECT_EQ(docker({"rm", "-f", "plain", "rich", "ran"}).exit_code, 0);
    EXPECT_EQ(docker({"network", "rm", "oldnet"}).exit_code, 0);
}

// A record this daemon cannot read is not taken for an unfinished create: the container's
// directory stays as it is (it may hold the only copy of its data) and the daemon says why.
TEST_F(Containers, AnUnreadableRecordIsKeptAndNamed) {
    std::string id = out({"create", "busybox", "true"});
    ASSERT_EQ(d_->stop(), 0);
    std::string record = d_->dir() + "/data/containers/" + id + "/config.v2.json";
    auto text = read_file(record);
    ASSERT_TRUE(text);
    std::string broken = *text;
    broken.replace(broken.find("\"Env\":["), 7, "\"Env\":7,\"X\":[");
    ASSERT_TRUE(write_file_atomic(record, broken));
    ASSERT_TRUE(d_->start());
    EXPECT_EQ(docker({"inspect", id}).exit_code, 1);
    auto log = read_file(d_->dir() + "/berthd.log").value_or("");
    EXPECT_NE(log.find(id + ": skipped, its record"), std::string::npos) << log;
    EXPECT_NE(log.find("Config.Env: expected array of strings"), std::string::npos) << log;
    EXPECT_EQ(read_file(record).value_or(""), broken);  // untouched
    // Mended, it loads again at the next start.
    ASSERT_EQ(d_->stop(), 0);
    ASSERT_TRUE(write_file_atomic(record, *text));
    ASSERT_TRUE(d_->start());
    EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}}", id}), "created");
    EXPECT_EQ(docker({"rm", id}).exit_code, 0);
}

}  // namespace
}  // namespace berth::test

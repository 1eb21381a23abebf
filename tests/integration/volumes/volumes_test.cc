// Named volumes through berthd, driven by the real docker CLI: create, ls, inspect, rm and
// prune; data that outlives its container; in-use refusal; Mounts in inspect; bad input.
#include <gtest/gtest.h>

#include "common/file.h"
#include "common/strings.h"
#include "support/daemon.h"
#include "support/support.h"

namespace berth::test {
namespace {

class Volumes : public DaemonTest {
protected:
    Volumes() : DaemonTest("volumes") {}
    std::string volumes_dir() { return d_->dir() + "/data/volumes"; }
};

TEST_F(Volumes, DataOutlivesItsContainers) {
    EXPECT_EQ(out({"volume", "create", "--label", "app=web", "data1"}), "data1");
    EXPECT_EQ(out({"volume", "ls", "-q"}), "data1");
    EXPECT_EQ(out({"volume", "inspect", "--format", "{{.Driver}} {{.Mountpoint}} {{.Labels.app}} {{.Scope}}",
                   "data1"}),
              "local " + volumes_dir() + "/data1/_data web local");
    EXPECT_EQ(out({"run", "--rm", "-v", "data1:/data", "busybox", "sh", "-c", "echo kept > /data/f"}), "");
    EXPECT_EQ(out({"run", "--rm", "-v", "data1:/srv:ro", "busybox", "cat", "/srv/f"}), "kept");
    auto ro = docker({"run", "--rm", "-v", "data1:/srv:ro", "busybox", "touch", "/srv/g"});
    EXPECT_NE(ro.exit_code, 0);
    EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
    EXPECT_EQ(read_file(volumes_dir() + "/data1/_data/f").value_or(""), "kept\n");
    // A volume named in -v that does not exist yet is made, as Docker does.
    EXPECT_EQ(out({"run", "--rm", "-v", "made:/m", "busybox", "true"}), "");
    EXPECT_EQ(out({"volume", "ls", "--format", "{{.Name}}", "--filter", "name=mad"}), "made");
}

TEST_F(Volumes, InUseVolumesAreKeptAndMountsShowThem) {
    out({"volume", "create", "held"});
    std::string id = out({"create", "--name", "holder", "-v", "held:/data", "busybox", "true"});
    EXPECT_EQ(
        out({"inspect", "--format",
             "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.RW}}{{end}}", "holder"}),
        "volume held /data local true");
    auto rm = docker({"volume", "rm", "held"});
    EXPECT_EQ(rm.exit_code, 1);
    EXPECT_NE(rm.err.find("remove held: volume is in use - [" + id + "]"), std::string::npos) << rm.err;
    EXPECT_EQ(out({"volume", "ls", "-q", "--filter", "dangling=true"}), "");
    out({"rm", "holder"});
    EXPECT_EQ(out({"volume", "ls", "-q", "--filter", "dangling=true"}), "held");
    EXPECT_EQ(out({"volume", "rm", "held"}), "held");
    EXPECT_FALSE(path_exists(volumes_dir() + "/held"));
    EXPECT_EQ(out({"volume", "ls", "-q"}), "");
}

TEST_F(Volumes, PruneAndSystemDf) {
    out({"volume", "create", "named1"});
    EXPECT_EQ(
        out({"run", "--rm", "-v", "named1:/d", "busybox", "sh", "-c", "head -c 20000 /dev/zero > /d/z"}), "");
    auto df = out({"system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"});
    EXPECT_NE(df.find("Local Volumes 1 0"), std::string::npos) << df;
    // Docker 23+: prune takes anonymous volumes only, named ones with --all.
    EXPECT_EQ(out({"volume", "prune", "-f"}), "Total reclaimed space: 0B");
    auto all = out({"volume", "prune", "-f", "--all"});
    EXPECT_NE(all.find("named1"), std::string::npos) << all;
    EXPECT_EQ(out({"volume", "ls", "-q"}), "");
}

TEST_F(Volumes, MountFlagTmpfsBindAndVolume) {
    // tmpfs with its size and mode.
    auto t = out({"run", "--rm", "--mount", "type=tmpfs,destination=/t,tmpfs-size=1048576,tmpfs-mode=1770",
                  "busybox", "sh", "-c", "grep ' /t ' /proc/mounts; stat -c %a /t"});
    EXPECT_NE(t.find("tmpfs /t tmpfs"), std::string::npos) << t;
    EXPECT_NE(t.find("size=1024k"), std::string::npos) << t;
    EXPECT_NE(t.find("\n1770"), std::string::npos) << t;
    // A read-only bind of a host directory.
    std::string host = d_->dir() + "/bound";
    ASSERT_TRUE(mkdir_all(host));
    ASSERT_TRUE(write_file_atomic(host + "/hello", "from host\n"));
    EXPECT_EQ(out({"run", "--rm", "--mount", "type=bind,source=" + host + ",target=/b,readonly", "busybox",
                   "cat", "/b/hello"}),
              "from host");
    auto ro = docker({"run", "--rm", "--mount", "type=bind,source=" + host + ",target=/b,readonly", "busybox",
                      "touch", "/b/x"});
    EXPECT_NE(ro.exit_code, 0);
    // A named volume, made when missing, seen in Mounts and kept while in use.
    EXPECT_EQ(out({"run", "--name", "mv", "--mount", "type=volume,source=mvol,target=/m", "busybox", "sh",
                   "-c", "echo v > /m/f"}),
              "");
    EXPECT_EQ(
        out({"inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}", "mv"}),
        "volume mvol /m");
    EXPECT_EQ(out({"ps", "-a", "--filter", "name=mv", "--format", "{{.Mounts}}"}), "mvol");  // the list too
    EXPECT_EQ(read_file(volumes_dir() + "/mvol/_data/f").value_or(""), "v\n");
    EXPECT_EQ(docker({"volume", "rm", "mvol"}).exit_code, 1);
    out({"rm", "mv"});
    // Docker's errors, before anything is made.
    auto missing = docker(
        {"run", "--rm", "--mount", "type=bind,source=/nonexistent-berth,target=/b", "busybox", "true"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("bind source path does not exist: /nonexistent-berth"), std::string::npos)
        << missing.err;
    EXPECT_EQ(out({"ps", "-aq"}), "");
}

TEST_F(Volumes, BadInputGetsDockersErrors) {
    auto slash = docker({"volume", "create", "a/b"});
    EXPECT_EQ(slash.exit_code, 1);
    EXPECT_NE(slash.err.find("includes invalid characters for a local volume name"), std::string::npos)
        << slash.err;
    auto plugin = docker({"volume", "create", "--driver", "nfs", "vx"});
    EXPECT_EQ(plugin.exit_code, 1);
    EXPECT_NE(plugin.err.find("plugin \"nfs\" not found"), std::string::npos) << plugin.err;
    auto missing = docker({"volume", "inspect", "nosuch"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no such volume"), std::string::npos) << missing.err;
    auto short_name = docker({"volume", "create", "x"});
    EXPECT_EQ(short_name.exit_code, 1);
    EXPECT_NE(short_name.err.find("volume name is too short"), std::string::npos) << short_name.err;
    EXPECT_EQ(out({"volume", "ls", "-q"}), "");
    EXPECT_TRUE(list_dir(volumes_dir()).empty());
}

}  // namespace
}  // namespace berth::test

// Mount option parsing, mountinfo parsing and destination cleaning.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <gtest/gtest.h>

#include "runtime/rootfs/rootfs_internal.h"

namespace berth::runtime::rootfs {
namespace {

TEST(MountOptions, FlagsAndData) {
    auto mo = parse_mount_options({"nosuid", "noexec", "nodev", "mode=755", "ro", "size=65536k"});
    EXPECT_EQ(mo.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
    EXPECT_EQ(mo.data, "mode=755,size=65536k");
    EXPECT_TRUE(mo.propagation.empty());
    EXPECT_FALSE(mo.bind());
}

TEST(MountOptions, LaterWordsUndoEarlierOnes) {
    auto mo = parse_mount_options({"ro", "nosuid", "noatime", "rw", "suid", "atime", "exec"});
    EXPECT_EQ(mo.flags, 0u);
    mo = parse_mount_options({"dev", "nodev", "async", "sync", "nomand", "strictatime"});
    EXPECT_EQ(mo.flags, MS_NODEV | MS_SYNCHRONOUS | MS_STRICTATIME);
    mo = parse_mount_options({"relatime", "norelatime", "nodiratime", "diratime", "silent", "loud",
                              "lazytime", "dirsync", "mand", "remount"});
    EXPECT_EQ(mo.flags, MS_LAZYTIME | MS_DIRSYNC | MS_MANDLOCK | MS_REMOUNT);
}

TEST(MountOptions, BindAndPropagation) {
    auto mo = parse_mount_options({"rbind", "rprivate", "ro"});
    EXPECT_TRUE(mo.bind());
    EXPECT_EQ(mo.flags, MS_BIND | MS_REC | MS_RDONLY);
    ASSERT_EQ(mo.propagation.size(), 1u);
    EXPECT_EQ(mo.propagation[0], MS_PRIVATE | MS_REC);
    mo = parse_mount_options(
        {"bind", "shared", "slave", "unbindable", "rshared", "rslave", "runbindable", "private"});
    EXPECT_EQ(mo.flags, MS_BIND);
    std::vector<unsigned long> want = {MS_SHARED,          MS_SLAVE,          MS_UNBINDABLE,
                                       MS_SHARED | MS_REC, MS_SLAVE | MS_REC, MS_UNBINDABLE | MS_REC,
                                       MS_PRIVATE};
    EXPECT_EQ(mo.propagation, want);
    EXPECT_TRUE(mo.data.empty());
}

TEST(MountOptions, UnknownWordsAreData) {
    auto mo = parse_mount_options({"newinstance", "ptmxmode=0666", "defaults", "", "gid=5"});
    EXPECT_EQ(mo.flags, 0u);
    EXPECT_EQ(mo.data, "newinstance,ptmxmode=0666,gid=5");
    EXPECT_FALSE(parse_propagation("rw").has_value());
    EXPECT_EQ(parse_propagation("rslave"), MS_SLAVE | MS_REC);
}

TEST(MountOptions, StatvfsFlags) {
    EXPECT_EQ(statvfs_to_mount_flags(ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC),
              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    EXPECT_EQ(statvfs_to_mount_flags(ST_RELATIME | ST_NOATIME | ST_NODIRATIME),
              MS_RELATIME | MS_NOATIME | MS_NODIRATIME);
    EXPECT_EQ(statvfs_to_mount_flags(0), 0u);
}

TEST(Destination, Clean) {
    EXPECT_EQ(clean_destination("/dev//pts/"), "/dev/pts");
    EXPECT_EQ(clean_destination("dev/./shm"), "/dev/shm");
    EXPECT_EQ(clean_destination(""), "/");
    EXPECT_EQ(clean_destination("/./"), "/");
    EXPECT_EQ(clean_destination("/a/../b"), "/a/../b");  // ".." is for the resolver
}

TEST(MountInfo, Parse) {
    std::string text =
        "26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
        "31 30 0:28 /sub /sys/fs/cgroup/cpu\\040x rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "garbage line\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw master:2 shared:3 - cgroup2 cgroup2 rw\n";
    auto v = parse_mountinfo(text);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].id, 26);
    EXPECT_EQ(v[0].parent, 1);
    EXPECT_EQ(v[0].mount_point, "/");
    EXPECT_EQ(v[0].optional, "shared:1");
    EXPECT_EQ(v[0].fstype, "ext4");
    EXPECT_EQ(v[0].source, "/dev/vda");
    EXPECT_EQ(v[1].root, "/sub");
    EXPECT_EQ(v[1].mount_point, "/sys/fs/cgroup/cpu x");
    EXPECT_EQ(v[1].super_options, "rw,cpu,cpuacct");
    EXPECT_EQ(v[2].optional, "master:2 shared:3");
    EXPECT_EQ(v[2].fstype, "cgroup2");
}

}  // namespace
}  // namespace berth::runtime::rootfs

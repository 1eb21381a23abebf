// prepare_rootfs + finalize_rootfs for real, in a forked child with its own mount namespace,
// on a copy of the busybox rootfs; the child inspects its new root and reports through a
// pipe. The parent checks that its own mounts and the host directory a planted symlink
// points at are untouched.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/rootfs/rootfs.h"
#include "runtime/rootfs/rootfs_internal.h"
#include "support/support.h"

namespace berth::runtime::rootfs {
namespace {

struct ChildResult {
    int status = -1;
    std::string report;
};

// Runs `fn` in a forked child after unshare(flags); whatever it returns is the report
// (empty = success). The child's namespaces, and so its mounts, die with it.
ChildResult run_in_child(int unshare_flags, const std::function<std::string()>& fn) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        std::string report;
        if (::unshare(unshare_flags) != 0)
            report = "unshare: " + std::string(strerror(errno));
        else
            report = fn();
        (void)write_all(p[1], report);
        ::_exit(report.empty() ? 0 : 1);
    }
    ::close(p[1]);
    ChildResult r;
    UniqueFd rd(p[0]);
    auto text = read_fd(rd.get());
    if (text) r.report = *text;
    int st = 0;
    if (::waitpid(pid, &st, 0) == pid) r.status = st;
    return r;
}

std::string mountinfo_points() {
    auto v = read_mountinfo();
    if (!v) return "error";
    std::string out;
    for (auto& m : *v) out += std::to_string(m.id) + " " + m.mount_point + " " + m.options + "\n";
    return out;
}

class RootfsRoot : public ::testing::Test {
protected:
    // The tests compare this process's mount table before and after; other suites running
    // at once mount and unmount on the host. So the process gets a mount namespace of its
    // own, shared again as a new peer group: a child's mount that leaked would still
    // propagate here and be seen, while the host's no longer do.
    static void SetUpTestSuite() {
        if (::geteuid() != 0) return;
        ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << strerror(errno);
        ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << strerror(errno);
        ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr), 0) << strerror(errno);
    }

    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (euid != 0)";
        rootfs_ = tmp_.path() + "/rootfs";
        auto cp = test::run_command({"cp", "-a", test::Bundle::shared_rootfs(), rootfs_});
        ASSERT_EQ(cp.exit_code, 0) << cp.err;
        ASSERT_TRUE(mkdir_all(tmp_.path() + "/bindsrc"));
        ASSERT_TRUE(write_file_atomic(tmp_.path() + "/bindsrc/hello", "hello"));
        ASSERT_TRUE(write_file_atomic(tmp_.path() + "/bindfile", "file"));
        // A symlink in the image pointing at a real host directory: the mount through it
        // must land in rootfs/<host dir>, never in the host dir itself.
        ASSERT_EQ(::symlink(host_.path().c_str(), (rootfs_ + "/hostlink").c_str()), 0);
        doc_ = spec::default_spec_json();
        doc_["root"]["path"] = rootfs_;
        doc_["process"]["terminal"] = false;
        auto& mounts = doc_["mounts"];
        mounts.push_back({{"destination", "/mnt/bind"},
                          {"type", "bind"},
                          {"source", tmp_.path() + "/bindsrc"},
                          {"options", {"rbind", "ro", "nosuid"}}});
        mounts.push_back({{"destination", "/etc/bound"},
                          {"type", "none"},
                          {"source", tmp_.path() + "/bindfile"},
                          {"options", {"bind"}}});
        mounts.push_back({{"destination", "/run/test"},
                          {"type", "tmpfs"},
                          {"source", "tmpfs"},
                          {"options", {"nosuid", "size=1m", "mode=700"}}});
        mounts.push_back({{"destination", "/hostlink/sub"},
                          {"type", "tmpfs"},
                          {"source", "tmpfs"},
                          {"options", {"size=1m"}}});
        before_ = mountinfo_points();
    }

    void TearDown() override {
        if (::geteuid() != 0) return;
        EXPECT_EQ(mountinfo_points(), before_) << "the test's mount namespace changed";
        auto ls = test::run_command({"ls", "-A", host_.path()});
        EXPECT_EQ(ls.out, "") << "host directory behind the planted symlink was modified";
    }

    spec::Spec parse() {
        auto s = spec::parse_spec(doc_, tmp_.path());
        EXPECT_TRUE(s) << s.error().str();
        return s ? *s : spec::Spec{};
    }

    test::TempDir tmp_{"berth-rootfs"};
    test::TempDir host_{"berth-rootfs-host"};
    std::string rootfs_;
    Json doc_;
    std::string before_;
};

// ---- checks run inside the child, after finalize_rootfs ----

struct Checker {
    std::string report;
    void fail(const std::string& what) { report += what + "\n"; }
    void expect(bool cond, const std::string& what) {
        if (!cond) fail(what);
    }
    void expect_errno(int want, int got, const std::string& what) {
        if (want != got)
            fail(what + ": want " + strerrorname_np(want) + ", got " +
                 (got ? strerrorname_np(got) : "success"));
    }
};

int open_errno(const char* path, int flags) {
    int fd = ::open(path, flags | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

std::string inspect(const std::string& hostlink_target, const std::string& old_rootfs,
                    const std::vector<std::string>& masked) {
    Checker c;
    auto infos = read_mountinfo();
    if (!infos) return "mountinfo: " + infos.error().str();
    auto find = [&](const std::string& mp) -> const MountInfo* {
        const MountInfo* found = nullptr;
        for (auto& m : *infos)
            if (m.mount_point == mp) found = &m;  // the last one is the top mount
        return found;
    };
    for (const char* mp :
         {"/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
          "/sys/fs/cgroup/memory", "/mnt/bind", "/etc/bound", "/run/test", "/proc/sys"})
        c.expect(find(mp) != nullptr, std::string("no mount on ") + mp);
    std::string sub = hostlink_target + "/sub";
    auto* m = find(sub);
    c.expect(m && m->fstype == "tmpfs", "no tmpfs on " + sub + " (through the planted symlink)");
    for (auto& mi : *infos)
        c.expect(!starts_with(mi.mount_point, old_rootfs), "old root still visible: " + mi.mount_point);
    if (auto* r = find("/")) c.expect(starts_with(r->options, "ro"), "/ not read-only: " + r->options);

    struct stat st {};
    c.expect(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
                 minor(st.st_rdev) == 3 && (st.st_mode & 07777) == 0666,
             "/dev/null is not a 0666 char device 1:3");
    c.expect(::stat("/dev/tty", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5,
             "/dev/tty missing");
    char buf[64] = {};
    ssize_t n = ::readlink("/dev/ptmx", buf, sizeof(buf) - 1);
    c.expect(n > 0 && std::string(buf, n) == "pts/ptmx", "/dev/ptmx is not a link to pts/ptmx");
    n = ::readlink("/dev/fd", buf, sizeof(buf) - 1);
    c.expect(n > 0 && std::string(buf, n) == "/proc/self/fd", "/dev/fd link");
    c.expect(::access("/dev/stdout", F_OK) == 0, "/dev/stdout does not resolve");

    c.expect_errno(EROFS, open_errno("/newfile", O_CREAT | O_WRONLY), "write to /");
    c.expect_errno(EROFS, open_errno("/dev/newfile", O_CREAT | O_WRONLY), "write to /dev");
    if (auto* d = find("/dev"))
        c.expect(d->options.find("nosuid") != std::string::npos, "/dev lost nosuid: " + d->options);
    c.expect_errno(EROFS, open_errno("/proc/sys/kernel/hostname", O_WRONLY),
                   "write to /proc/sys/kernel/hostname");
    // Masked: files become /dev/null (read gives 0 bytes), directories an empty tmpfs.
    // Only those this kernel has (e.g. /proc/kcore needs CONFIG_PROC_KCORE).
    for (const auto& p : masked) {
        if (::stat(p.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            auto* mm = find(p);
            c.expect(mm && mm->fstype == "tmpfs", p + " is not masked by a tmpfs");
        } else {
            auto text = read_file(p);
            c.expect(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) && text && text->empty(),
                     p + " is not masked by /dev/null");
        }
    }
    auto hello = read_file("/mnt/bind/hello");
    c.expect(hello && *hello == "hello", "bind mount content");
    c.expect_errno(EROFS, open_errno("/mnt/bind/new", O_CREAT | O_WRONLY), "write to ro bind");
    auto bound = read_file("/etc/bound");
    c.expect(bound && *bound == "file", "file bind mount content");
    c.expect_errno(0, open_errno("/run/test/x", O_CREAT | O_WRONLY), "write to tmpfs");
    c.expect(::stat("/sys/fs/cgroup/memory/tasks", &st) == 0, "no cgroup memory hierarchy");
    c.expect_errno(EROFS, open_errno("/sys/fs/cgroup/memory/x", O_CREAT | O_WRONLY),
                   "write to ro cgroup mount");
    return c.report;
}

TEST_F(RootfsRoot, PrepareAndFinalize) {
    for (auto& m : doc_["mounts"])  // a read-only /dev still gets its devices
        if (m["destination"] == "/dev") m["options"].push_back("ro");
    auto s = parse();
    std::string hostlink = host_.path();
    std::string old = rootfs_;
    auto r = run_in_child(CLONE_NEWNS, [&]() -> std::string {
        Options opts;
        if (auto p = prepare_rootfs(s, opts); !p) return "prepare_rootfs: " + p.error().str();
        if (auto f = finalize_rootfs(s); !f) return "finalize_rootfs: " + f.error().str();
        return inspect(hostlink, old, s.linux->masked_paths);
    });
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << "status " << r.status;
    EXPECT_EQ(r.report, "");
    // The mount through the symlink created its destination inside the rootfs.
    EXPECT_TRUE(path_exists(rootfs_ + host_.path() + "/sub"));
}

TEST_F(RootfsRoot, NewCgroupNamespace) {
    auto s = parse();
    auto r = run_in_child(CLONE_NEWNS | CLONE_NEWCGROUP, [&]() -> std::string {
        Options opts;
        opts.new_cgroup_namespace = true;
        if (auto p = prepare_rootfs(s, opts); !p) return "prepare_rootfs: " + p.error().str();
        if (auto f = finalize_rootfs(s); !f) return "finalize_rootfs: " + f.error().str();
        Checker c;
        struct stat st {};
        c.expect(::stat("/sys/fs/cgroup/memory/tasks", &st) == 0, "no memory hierarchy");
        c.expect(::stat("/sys/fs/cgroup/cpu/cpu.shares", &st) == 0, "no cpu hierarchy");
        auto infos = read_mountinfo();
        bool cgroup_mount = false;
        for (auto& m : *infos)
            if (m.mount_point == "/sys/fs/cgroup/memory" && m.fstype == "cgroup") cgroup_mount = true;
        c.expect(cgroup_mount, "memory is not a cgroup mount");
        return c.report;
    });
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << "status " << r.status;
    EXPECT_EQ(r.report, "");
}

TEST_F(RootfsRoot, ErrorsNameTheMount) {
    doc_["mounts"].push_back({{"destination", "/bad"}, {"type", "nosuchfs"}, {"source", "x"}});
    auto s = parse();
    size_t index = s.mounts.size() - 1;
    auto r = run_in_child(CLONE_NEWNS, [&]() -> std::string {
        auto p = prepare_rootfs(s, Options{});
        return p ? "unexpected success" : p.error().str();
    });
    std::string want = "mounts[" + std::to_string(index) + "] (/bad): mount nosuchfs on /bad: ENODEV";
    EXPECT_NE(r.report.find(want), std::string::npos) << r.report;
}

TEST_F(RootfsRoot, ProcOnAFileIsRefused) {
    ASSERT_TRUE(write_file_atomic(rootfs_ + "/fakeproc", "x"));
    doc_["mounts"] = Json::array({{{"destination", "/fakeproc"}, {"type", "proc"}, {"source", "proc"}}});
    auto s = parse();
    auto r = run_in_child(CLONE_NEWNS, [&]() -> std::string {
        auto p = prepare_rootfs(s, Options{});
        return p ? "unexpected success" : p.error().str();
    });
    EXPECT_NE(r.report.find("mounts[0] (/fakeproc): cannot mount proc on /fakeproc: not a directory"),
              std::string::npos)
        << r.report;
}

// Maps our own uid/gid 0 in a user namespace we just created (allowed for one's own ids).
std::string map_self_as_root() {
    if (!write_file("/proc/self/setgroups", "deny")) return "setgroups deny failed";
    if (!write_file("/proc/self/uid_map", "0 0 1")) return "uid_map failed";
    if (!write_file("/proc/self/gid_map", "0 0 1")) return "gid_map failed";
    return {};
}

TEST_F(RootfsRoot, InUserNamespace) {
    // Only what a user namespace may mount without owning a pid/ipc namespace: /proc and
    // mqueue go; sysfs stays (no owned net ns: the rbind fallback), cgroup stays (bind).
    Json kept = Json::array();
    for (auto& m : doc_["mounts"]) {
        if (m["type"] == "proc" || m["type"] == "mqueue") continue;
        if (m["type"] == "devpts") {  // gid 5 is not mapped here: devpts would say EINVAL
            Json opts = Json::array();
            for (auto& o : m["options"])
                if (o != "gid=5") opts.push_back(o);
            m["options"] = opts;
        }
        kept.push_back(m);
    }
    doc_["mounts"] = kept;
    auto s = parse();
    auto r = run_in_child(CLONE_NEWUSER, [&]() -> std::string {
        if (auto e = map_self_as_root(); !e.empty()) return e;
        if (::unshare(CLONE_NEWNS) != 0) return "unshare(CLONE_NEWNS) in the user namespace failed";
        Options opts;
        opts.in_user_namespace = true;
        if (auto p = prepare_rootfs(s, opts); !p) return "prepare_rootfs: " + p.error().str();
        if (auto f = finalize_rootfs(s); !f) return "finalize_rootfs: " + f.error().str();
        Checker c;
        struct stat st {};
        c.expect(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
                 "/dev/null is not the host's char device 1:3");
        auto infos = read_mountinfo("/proc/1/mountinfo");  // no /proc inside: not mounted
        c.expect(!infos, "a /proc appeared inside");
        c.expect(::stat("/sys/kernel", &st) == 0, "/sys is not populated");
        c.expect_errno(EROFS, open_errno("/newfile", O_CREAT | O_WRONLY), "write to /");
        c.expect_errno(EROFS, open_errno("/mnt/bind/new", O_CREAT | O_WRONLY), "write to ro bind");
        c.expect_errno(0, open_errno("/run/test/x", O_CREAT | O_WRONLY), "write to tmpfs");
        return c.report;
    });
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << "status " << r.status;
    EXPECT_EQ(r.report, "");
}

}  // namespace
}  // namespace berth::runtime::rootfs

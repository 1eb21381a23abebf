// Unit tests for cgroups against a fake tree in a temp dir (no root): path resolution, the
// host layout parser, and the exact values (and order) the v1 and v2 backends write.
#include "runtime/cgroups/cgroups.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/cgroups/cgroup_internal.h"
#include "support/support.h"

namespace berth::runtime::cgroups {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

std::string read_value(const std::string& path) {
    auto s = read_file(path);
    return s ? trim(*s) : "<missing: " + s.error().str() + ">";
}

std::vector<std::string> journal_lines(const std::string& journal, const std::string& strip) {
    std::vector<std::string> out;
    for (auto& line : split(read_value(journal), '\n')) {
        if (starts_with(line, strip)) line = line.substr(strip.size());
        out.push_back(line);
    }
    return out;
}

// Index of `line` in the journal, or -1.
int index_of(const std::vector<std::string>& lines, const std::string& line) {
    for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i] == line) return static_cast<int>(i);
    return -1;
}

void put(const std::string& path, const std::string& value) {
    ASSERT_TRUE(mkdir_all(path.substr(0, path.find_last_of('/'))));
    ASSERT_TRUE(write_file_atomic(path, value + "\n"));
}

class FakeV1 : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = tmp_.path() + "/cg";
        for (const char* h :
             {"cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "systemd"})
            ASSERT_TRUE(mkdir_all(root_ + "/" + h));
        put(root_ + "/cpuset/cpuset.cpus", "0-1");
        put(root_ + "/cpuset/cpuset.mems", "0");
        put(root_ + "/memory/memory.memsw.limit_in_bytes", "9223372036854771712");
        env_.mode = Mode::V1;
        env_.fake = true;
        env_.journal = tmp_.path() + "/journal";
        auto add = [&](std::vector<std::string> c, const std::string& dir, const std::string& own = "/") {
            env_.v1.push_back({std::move(c), root_ + "/" + dir, own});
        };
        add({"cpu", "cpuacct"}, "cpu,cpuacct");
        add({"cpuset"}, "cpuset");
        add({"memory"}, "memory", "/user.slice/me");
        add({"pids"}, "pids");
        add({"blkio"}, "blkio");
        add({"devices"}, "devices");
        add({"freezer"}, "freezer");
        add({"name=systemd"}, "systemd");
    }
    std::vector<std::string> journal() { return journal_lines(env_.journal, root_ + "/"); }

    test::TempDir tmp_{"berth-cgroups-unit"};
    std::string root_;
    Env env_;
};

spec::Resources full_resources() {
    spec::Resources r;
    r.memory = spec::MemoryResources{};
    r.memory->limit = 32 * kMiB;
    r.memory->swap = 64 * kMiB;
    r.memory->reservation = 16 * kMiB;
    r.memory->swappiness = 10;
    r.memory->disable_oom_killer = true;
    r.cpu = spec::CpuResources{};
    r.cpu->shares = 512;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->cpus = "1";
    r.cpu->mems = "0";
    r.pids = spec::PidsResources{8};
    r.blkio = spec::BlkioResources{};
    r.blkio->weight = 300;
    r.blkio->weight_device.push_back({8, 0, 200, std::nullopt});
    r.blkio->throttle_read_bps_device.push_back({8, 0, 1048576});
    r.blkio->throttle_write_iops_device.push_back({8, 16, 100});
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    r.devices.push_back({true, "c", 1, 3, "rwm"});
    r.devices.push_back({true, "c", std::nullopt, std::nullopt, "m"});
    r.devices.push_back({false, "c", 5, 1, "w"});
    return r;
}

TEST(CgroupsPath, Resolve) {
    EXPECT_EQ(*resolve_cgroups_path("", "abc"), "/berth/abc");
    EXPECT_EQ(*resolve_cgroups_path("/a/b", "abc"), "/a/b");
    EXPECT_EQ(*resolve_cgroups_path("rel/x", "abc"), "rel/x");
    EXPECT_EQ(*resolve_cgroups_path("system.slice:berth:abc", "abc"), "/system.slice/berth-abc.scope");
    EXPECT_EQ(*resolve_cgroups_path(":berth:abc", "abc"), "/system.slice/berth-abc.scope");
    EXPECT_FALSE(resolve_cgroups_path("/a/../../etc", "abc"));
    EXPECT_FALSE(resolve_cgroups_path("a:b", "abc"));
    EXPECT_FALSE(resolve_cgroups_path("/", "abc"));
    EXPECT_EQ(hierarchy_path("/a/b", "/user.slice"), "/a/b");
    EXPECT_EQ(hierarchy_path("rel/x", "/user.slice"), "/user.slice/rel/x");
    EXPECT_EQ(hierarchy_path("rel/x", "/"), "/rel/x");
}

TEST(CgroupsEnv, ParsesHybridMountinfo) {
    const char* mountinfo =
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n"
        "34 30 0:31 /outer /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "41 30 0:38 / /mnt/again rw,relatime - cgroup cgroup rw,cpu,cpuacct\n";
    const char* own = "9:name=systemd:/\n4:memory:/outer/in\n1:cpu,cpuacct:/x\n0::/u\n";
    Env env = parse_env(Mode::Hybrid, mountinfo, own);
    ASSERT_EQ(env.v1.size(), 3u);
    EXPECT_EQ(env.v1[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(env.v1[0].mount, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(env.v1[0].own, "/x");
    EXPECT_EQ(env.v1[1].own, "/in");  // relative to the mount's root "/outer"
    EXPECT_EQ(env.v1[2].controllers, (std::vector<std::string>{"name=systemd"}));
    EXPECT_EQ(env.unified_mount, "/sys/fs/cgroup/unified");
    EXPECT_EQ(env.unified_own, "/u");
    EXPECT_TRUE(parse_env(Mode::V1, mountinfo, own).unified_mount.empty());
}

TEST_F(FakeV1, WritesEveryResource) {
    auto r = full_resources();
    auto cg = create_in(env_, "/berth/c1", "c1", &r);
    ASSERT_TRUE(cg) << cg.error().str();
    const std::string mem = root_ + "/memory/berth/c1/";
    EXPECT_EQ(read_value(mem + "memory.limit_in_bytes"), "33554432");
    EXPECT_EQ(read_value(mem + "memory.memsw.limit_in_bytes"), "67108864");
    EXPECT_EQ(read_value(mem + "memory.soft_limit_in_bytes"), "16777216");
    EXPECT_EQ(read_value(mem + "memory.swappiness"), "10");
    EXPECT_EQ(read_value(mem + "memory.oom_control"), "1");
    const std::string cpu = root_ + "/cpu,cpuacct/berth/c1/";
    EXPECT_EQ(read_value(cpu + "cpu.shares"), "512");
    EXPECT_EQ(read_value(cpu + "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read_value(cpu + "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read_value(root_ + "/pids/berth/c1/pids.max"), "8");
    const std::string blk = root_ + "/blkio/berth/c1/";
    EXPECT_EQ(read_value(blk + "blkio.weight"), "300");
    EXPECT_EQ(read_value(blk + "blkio.weight_device"), "8:0 200");
    EXPECT_EQ(read_value(blk + "blkio.throttle.read_bps_device"), "8:0 1048576");
    EXPECT_EQ(read_value(blk + "blkio.throttle.write_iops_device"), "8:16 100");
    // cpuset: the intermediate dir inherits the root's values, the leaf then gets its own.
    EXPECT_EQ(read_value(root_ + "/cpuset/berth/cpuset.cpus"), "0-1");
    EXPECT_EQ(read_value(root_ + "/cpuset/berth/cpuset.mems"), "0");
    EXPECT_EQ(read_value(root_ + "/cpuset/berth/c1/cpuset.cpus"), "1");

    auto j = journal();
    // Inheritance happens top-down and before the leaf's own value.
    int inherit_parent = index_of(j, "cpuset/berth/cpuset.cpus 0-1");
    int inherit_leaf = index_of(j, "cpuset/berth/c1/cpuset.cpus 0-1");
    int own_leaf = index_of(j, "cpuset/berth/c1/cpuset.cpus 1");
    EXPECT_TRUE(inherit_parent >= 0 && inherit_parent < inherit_leaf && inherit_leaf < own_leaf);
    // Fresh cgroup (limit unlimited, memsw 64M < current limit): limit first, then memsw.
    EXPECT_LT(index_of(j, "memory/berth/c1/memory.limit_in_bytes 33554432"),
              index_of(j, "memory/berth/c1/memory.memsw.limit_in_bytes 67108864"));
    // Period before quota.
    EXPECT_LT(index_of(j, "cpu,cpuacct/berth/c1/cpu.cfs_period_us 100000"),
              index_of(j, "cpu,cpuacct/berth/c1/cpu.cfs_quota_us 50000"));
    // Devices: deny all, then the rules in their order.
    std::vector<std::string> dev;
    for (const auto& l : j)
        if (starts_with(l, "devices/berth/c1/")) dev.push_back(l.substr(17));
    EXPECT_EQ(dev,
              (std::vector<std::string>{"devices.deny a", "devices.deny a *:* rwm", "devices.allow c 1:3 rwm",
                                        "devices.allow c *:* m", "devices.deny c 5:1 w"}));

    // Raising: memsw goes first; lowering: the limit goes first.
    spec::Resources up;
    up.memory = spec::MemoryResources{};
    up.memory->limit = 128 * kMiB;
    up.memory->swap = 256 * kMiB;
    ASSERT_TRUE((*cg)->update(up));
    j = journal();
    EXPECT_LT(index_of(j, "memory/berth/c1/memory.memsw.limit_in_bytes 268435456"),
              index_of(j, "memory/berth/c1/memory.limit_in_bytes 134217728"));
    spec::Resources down;
    down.memory = spec::MemoryResources{};
    down.memory->limit = 16 * kMiB;
    down.memory->swap = 20 * kMiB;
    ASSERT_TRUE((*cg)->update(down));
    j = journal();
    EXPECT_LT(index_of(j, "memory/berth/c1/memory.limit_in_bytes 16777216"),
              index_of(j, "memory/berth/c1/memory.memsw.limit_in_bytes 20971520"));
    down.memory->swap = 8 * kMiB;  // memory+swap below memory: refused
    EXPECT_FALSE((*cg)->update(down));

    // Every hierarchy gets the process; memory honours its own relative placement only for
    // relative paths.
    ASSERT_TRUE((*cg)->add_process(4242));
    for (const char* h :
         {"cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "systemd"})
        EXPECT_EQ(read_value(root_ + "/" + h + "/berth/c1/cgroup.procs"), "4242") << h;
    EXPECT_EQ((*cg)->path_of("cpuacct"), root_ + "/cpu,cpuacct/berth/c1");

    // Reopen from the saved form, then destroy: leaves gone, /berth stays.
    auto again = Cgroup::open((*cg)->to_json());
    ASSERT_TRUE(again) << again.error().str();
    EXPECT_EQ((*again)->path_of("memory"), mem.substr(0, mem.size() - 1));
    ASSERT_TRUE((*again)->destroy());
    for (const char* h : {"cpu,cpuacct", "cpuset", "memory", "pids", "systemd"}) {
        EXPECT_FALSE(path_exists(root_ + "/" + h + "/berth/c1")) << h;
        EXPECT_TRUE(path_exists(root_ + "/" + h + "/berth")) << h;
    }
    EXPECT_TRUE((*again)->destroy());  // already gone is fine
}

TEST_F(FakeV1, RelativePathUsesOwnCgroup) {
    auto cg = create_in(env_, "sub/c2", "c2", nullptr);
    ASSERT_TRUE(cg) << cg.error().str();
    EXPECT_EQ((*cg)->path_of("memory"), root_ + "/memory/user.slice/me/sub/c2");
    EXPECT_EQ((*cg)->path_of("pids"), root_ + "/pids/sub/c2");
    ASSERT_TRUE((*cg)->destroy());
}

TEST_F(FakeV1, FailureLeavesNothingAndNamesTheFile) {
    // A directory where cpu.shares should be makes that write fail (EISDIR).
    ASSERT_TRUE(mkdir_all(root_ + "/cpu,cpuacct/berth/bad/cpu.shares"));
    spec::Resources r;
    r.pids = spec::PidsResources{8};
    r.cpu = spec::CpuResources{};
    r.cpu->shares = 512;
    auto cg = create_in(env_, "/berth/bad", "bad", &r);
    ASSERT_FALSE(cg);
    EXPECT_NE(cg.error().str().find("write " + root_ + "/cpu,cpuacct/berth/bad/cpu.shares \"512\": EISDIR"),
              std::string::npos)
        << cg.error().str();
    for (const char* h : {"cpuset", "memory", "pids", "systemd"})
        EXPECT_FALSE(path_exists(root_ + "/" + h + "/berth")) << h;
    EXPECT_TRUE(path_exists(root_ + "/cpu,cpuacct/berth/bad"));  // existed before: kept

    // A controller the resources need but the host lacks.
    env_.v1.erase(env_.v1.begin() + 3);  // pids
    auto no_pids = create_in(env_, "/berth/nopids", "nopids", &r);
    ASSERT_FALSE(no_pids);
    EXPECT_FALSE(path_exists(root_ + "/memory/berth/nopids"));
}

TEST_F(FakeV1, Stats) {
    auto cg = create_in(env_, "/berth/s", "s", nullptr);
    ASSERT_TRUE(cg);
    std::string mem = (*cg)->path_of("memory"), cpu = (*cg)->path_of("cpu"), pids = (*cg)->path_of("pids");
    put(mem + "/memory.usage_in_bytes", "1000");
    put(mem + "/memory.max_usage_in_bytes", "2000");
    put(mem + "/memory.limit_in_bytes", "33554432");
    put(mem + "/memory.failcnt", "3");
    put(mem + "/memory.stat", "cache 500\nrss 400");
    put(mem + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2");
    put(cpu + "/cpuacct.usage", "123456");
    put(cpu + "/cpuacct.usage_percpu", "100000 23456 ");
    put(cpu + "/cpuacct.usage_user", "100");
    put(cpu + "/cpuacct.usage_sys", "200");
    put(cpu + "/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 999");
    put(pids + "/pids.current", "3");
    put(pids + "/pids.max", "max");
    put((*cg)->path_of("blkio") + "/blkio.throttle.io_service_bytes",
        "8:0 Read 4096\n8:0 Write 8192\nTotal 12288");
    auto st = (*cg)->stats();
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(st->memory_usage, 1000u);
    EXPECT_EQ(st->memory_limit, 33554432u);
    EXPECT_EQ(st->memory_oom_kills, 2u);
    EXPECT_EQ(st->pids_limit, 0u);
    Json j = st->to_json();
    EXPECT_EQ(j["cpu"]["usage"]["total"], 123456);
    EXPECT_EQ(j["cpu"]["usage"]["percpu"], Json::array({100000, 23456}));
    EXPECT_EQ(j["cpu"]["usage"]["kernel"], 200);
    EXPECT_EQ(j["cpu"]["throttling"]["throttledPeriods"], 4);
    EXPECT_EQ(j["memory"]["usage"]["max"], 2000);
    EXPECT_EQ(j["memory"]["usage"]["failcnt"], 3);
    EXPECT_EQ(j["memory"]["cache"], 500);
    EXPECT_EQ(j["memory"]["raw"]["rss"], 400);
    EXPECT_EQ(j["pids"]["current"], 3);
    ASSERT_EQ(j["blkio"]["ioServiceBytesRecursive"].size(), 2u);
    EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"][1]["op"], "Write");
    EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"][1]["value"], 8192);
    ASSERT_TRUE((*cg)->destroy());
}

TEST(CgroupsV2, Conversions) {
    EXPECT_EQ(shares_to_weight(2), 1u);
    EXPECT_EQ(shares_to_weight(1024), 39u);
    EXPECT_EQ(shares_to_weight(262144), 10000u);
    EXPECT_EQ(blkio_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_to_io_weight(500), 4950u);
    EXPECT_EQ(blkio_to_io_weight(1000), 10000u);
    spec::MemoryResources m;
    m.limit = 32 * kMiB;
    m.swap = 64 * kMiB;
    EXPECT_EQ(*v2_swap_value(m), "33554432");
    m.swap = -1;
    EXPECT_EQ(*v2_swap_value(m), "max");
    m.limit = -1;
    m.swap.reset();
    EXPECT_EQ(*v2_swap_value(m), "max");
    m.limit = 64 * kMiB;
    m.swap = 32 * kMiB;
    EXPECT_FALSE(v2_swap_value(m));
    m.limit.reset();
    EXPECT_FALSE(v2_swap_value(m));
}

TEST(CgroupsV2, WritesEveryResource) {
    test::TempDir tmp("berth-cgroups-unit");
    std::string mount = tmp.path() + "/v2";
    put(mount + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma");
    Env env;
    env.mode = Mode::V2;
    env.unified_mount = mount;
    env.fake = true;
    env.journal = tmp.path() + "/journal";
    auto r = full_resources();
    r.memory->swappiness.reset();  // no v2 equivalent
    r.cpu->shares = 1024;
    r.blkio->weight = 500;
    r.hugepage_limits.push_back({"2MB", 4 * 1024 * 1024});
    r.unified["memory.high"] = "30000000";
    auto cg = create_in(env, "", "c3", &r);
    ASSERT_TRUE(cg) << cg.error().str();
    std::string d = mount + "/berth/c3/";
    EXPECT_EQ((*cg)->path_of("memory"), mount + "/berth/c3");
    EXPECT_EQ(read_value(d + "memory.max"), "33554432");
    EXPECT_EQ(read_value(d + "memory.swap.max"), "33554432");
    EXPECT_EQ(read_value(d + "memory.low"), "16777216");
    EXPECT_EQ(read_value(d + "memory.high"), "30000000");
    EXPECT_EQ(read_value(d + "cpu.weight"), "39");
    EXPECT_EQ(read_value(d + "cpu.max"), "50000 100000");
    EXPECT_EQ(read_value(d + "cpuset.cpus"), "1");
    EXPECT_EQ(read_value(d + "pids.max"), "8");
    EXPECT_EQ(read_value(d + "hugetlb.2MB.max"), "4194304");
    auto j = journal_lines(env.journal, mount + "/");
    EXPECT_GE(index_of(j, "berth/c3/io.weight 4950"), 0);
    EXPECT_GE(index_of(j, "berth/c3/io.weight 8:0 1920"), 0);  // 200 -> 1 + 190*9999/990
    EXPECT_GE(index_of(j, "berth/c3/io.max 8:0 rbps=1048576"), 0);
    EXPECT_GE(index_of(j, "berth/c3/io.max 8:16 wiops=100"), 0);
    // Controllers enabled at each level above the leaf, before the leaf exists; rdma is
    // neither needed nor read by stats.
    for (const char* level : {"", "berth/"})
        for (const char* c : {"memory", "cpu", "cpuset", "pids", "io", "hugetlb"})
            EXPECT_GE(index_of(j, std::string(level) + "cgroup.subtree_control +" + c), 0) << level << c;
    EXPECT_LT(index_of(j, "cgroup.subtree_control +rdma"), 0);
    EXPECT_LT(index_of(j, "berth/c3/cgroup.subtree_control +memory"), 0);
    ASSERT_TRUE((*cg)->destroy());
    EXPECT_FALSE(path_exists(d));
}

TEST(CgroupsDevicesBpf, ProgramShape) {
    std::vector<spec::DeviceRule> rules = {{false, "a", std::nullopt, std::nullopt, "rwm"},
                                           {true, "c", 1, 3, "rwm"},
                                           {true, "b", 8, std::nullopt, "r"}};
    auto prog = build_device_program(rules);
    // 6 prologue + "b 8:* r" (type, 3 access, major, mov, exit = 7) + "c 1:3 rwm" (5) + "a" (2);
    // nothing follows the match-all "a" (the verifier refuses unreachable code).
    ASSERT_EQ(prog.size(), 20u);
    // The last rule is tested first; each mismatch jumps to the instruction after its block.
    EXPECT_EQ(prog[6].code, BPF_JMP | BPF_JNE | BPF_K);
    EXPECT_EQ(prog[6].imm, BPF_DEVCG_DEV_BLOCK);
    EXPECT_EQ(prog[6].off, 6);
    EXPECT_EQ(prog[9].code, BPF_JMP | BPF_JNE | BPF_X);  // access check
    EXPECT_EQ(prog[9].off, 3);
    EXPECT_EQ(prog[10].imm, 8);  // major
    EXPECT_EQ(prog[10].off, 2);
    EXPECT_EQ(prog[11].imm, 1);  // allow
    EXPECT_EQ(prog[13].imm, BPF_DEVCG_DEV_CHAR);
    EXPECT_EQ(prog[13].off, 4);
    EXPECT_EQ(prog[18].imm, 0);  // the deny-all "a" rule returns 0
    EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
    // Without a match-all rule, no match falls through to "deny".
    auto tail = build_device_program({{true, "c", 1, 3, "rwm"}});
    ASSERT_EQ(tail.size(), 6u + 5u + 2u);
    EXPECT_EQ(tail[11].code, BPF_ALU64 | BPF_MOV | BPF_K);
    EXPECT_EQ(tail[11].imm, 0);
}

}  // namespace
}  // namespace berth::runtime::cgroups

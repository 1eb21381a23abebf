// The image service through berthd, driven by the real docker CLI: load, images, inspect,
// history, tag, rmi, save/load round trips, import, prune; interop with skopeo and umoci;
// hostile archives; and berthd killed (SIGKILL) in the middle of loads.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "common/file.h"
#include "common/strings.h"
#include "image/content/content_store.h"
#include "image/store/image_store.h"
#include "support/daemon.h"
#include "support/support.h"

namespace berth::test {
namespace {

const char* kDocker = "/usr/local/bin/docker";

struct Fixture {
    TempDir dir{"berth-image-fixture"};
    std::string tar;
    std::string id;  // image ID printed by make-busybox-image
};

// The busybox image fixture (docker-archive), made once per test process.
const Fixture& fixture() {
    static Fixture f;  // removed at exit
    if (f.tar.empty()) {
        f.tar = f.dir.path() + "/busybox.tar";
        auto r = run_command({source_dir() + "/tests/fixtures/make-busybox-image", f.tar});
        EXPECT_EQ(r.exit_code, 0) << "make-busybox-image: " << r.err;
        f.id = trim(r.out);
    }
    return f;
}

class Images : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        ASSERT_EQ(access(kDocker, X_OK), 0) << "no docker CLI at " << kDocker;
        dir_ = std::make_unique<TempDir>("berth-images");
        sock_ = dir_->path() + "/exec/berth.sock";
        data_ = dir_->path() + "/data";
        ASSERT_FALSE(fixture().id.empty());
        start();
    }
    void TearDown() override { stop(SIGTERM); }

    void start() {
        if (!path_exists(dir_->path() + "/daemon.json")) {
            ASSERT_TRUE(write_file_atomic(dir_->path() + "/daemon.json", net_.apply("{}")));
        }
        std::vector<std::string> args = {binary("berthd"),
                                         "--config-file",
                                         dir_->path() + "/daemon.json",
                                         "--data-root",
                                         data_,
                                         "--exec-root",
                                         dir_->path() + "/exec",
                                         "--pidfile",
                                         dir_->path() + "/exec/berthd.pid",
                                         "-H",
                                         "unix://" + sock_};
        pid_ = spawn_berthd(args, dir_->path(), dir_->path() + "/berthd.log");
        if (pid_ < 0) {
            pid_ = 0;
            FAIL() << "berthd exited or was not ready at start-up";
        }
        auto r = run_command({"curl", "-s", "--unix-socket", sock_, "http://d/_ping"});
        ASSERT_EQ(r.out, "OK") << "berthd did not answer on " << sock_;
    }
    void stop(int sig) {
        if (pid_ <= 0) return;
        kill(pid_, sig);
        waitpid(pid_, nullptr, 0);
        pid_ = 0;
        unlink(sock_.c_str());
        unlink((dir_->path() + "/exec/berthd.pid").c_str());
    }
    CommandResult docker(std::vector<std::string> args, const std::string& input = {}) {
        std::vector<std::string> argv = {kDocker, "-H", "unix://" + sock_};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, input, 120);
    }
    std::string ok(std::vector<std::string> args, const std::string& input = {}) {
        auto r = docker(args, input);
        EXPECT_EQ(r.exit_code, 0) << "docker " << args[0] << ": " << r.err << r.out;
        return trim(r.out);
    }
    std::string images() { return ok({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"}); }
    std::vector<std::string> blobs() { return visible_entries(data_ + "/content/blobs/sha256"); }
    std::vector<std::string> layers() {
        std::vector<std::string> out;
        for (auto& n : visible_entries(data_ + "/overlay"))
            if (n.size() == 64) out.push_back(n);
        return out;
    }

    std::unique_ptr<TempDir> dir_;

    test::NetworkIsolation net_;  // its own bridge and nft table
    std::string sock_, data_;
    pid_t pid_ = 0;
};

TEST_F(Images, LoadListInspectTagRemove) {
    const auto& f = fixture();
    EXPECT_EQ(ok({"load", "-i", f.tar}), "Loaded image: busybox:latest");
    std::string short_id = f.id.substr(7, 12);
    EXPECT_EQ(images(), "busybox:latest " + short_id);
    EXPECT_EQ(
        ok({"image", "inspect", "busybox", "--format", "{{.Id}} {{json .Config.Cmd}} {{.Os}} {{.RepoTags}}"}),
        f.id + " [\"sh\"] linux [busybox:latest]");
    EXPECT_NE(ok({"history", "busybox"}).find("make-busybox-image"), std::string::npos);

    ok({"tag", "busybox", "localhost:5000/team/bb:v1"});
    EXPECT_EQ(
        ok({"images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=localhost:5000/*/*"}),
        "localhost:5000/team/bb:v1");
    EXPECT_EQ(ok({"images", "-q", "--filter", "dangling=true"}), "");
    // By name with another name left: only the tag goes.
    EXPECT_EQ(ok({"rmi", "localhost:5000/team/bb:v1"}), "Untagged: localhost:5000/team/bb:v1");
    EXPECT_EQ(images(), "busybox:latest " + short_id);
    auto missing = docker({"rmi", "nosuch"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("No such image: nosuch"), std::string::npos) << missing.err;
    // The last name: the image, its layer and blobs go.
    auto out = ok({"rmi", "busybox"});
    EXPECT_NE(out.find("Untagged: busybox:latest"), std::string::npos) << out;
    EXPECT_NE(out.find("Deleted: " + f.id), std::string::npos) << out;
    EXPECT_EQ(images(), "");
    EXPECT_EQ(blobs(), std::vector<std::string>{});
    EXPECT_EQ(layers(), std::vector<std::string>{});
}

TEST_F(Images, SaveLoadRoundTripAndHostileArchives) {
    const auto& f = fixture();
    ok({"load", "-i", f.tar});
    std::string saved = dir_->path() + "/saved.tar";
    ok({"save", "-o", saved, "busybox:latest"});
    auto listing = run_command({"tar", "tf", saved});
    for (auto* member : {"manifest.json", "index.json", "oci-layout", "repositories"})
        EXPECT_NE(listing.out.find(member), std::string::npos) << listing.out;
    ok({"rmi", "busybox"});
    EXPECT_EQ(ok({"load", "-i", saved}), "Loaded image: busybox:latest");
    EXPECT_EQ(ok({"image", "inspect", "busybox", "--format", "{{.Id}}"}), f.id);

    // Hostile archives are refused with a clear error; what is stored stays usable.
    auto before = blobs();
    std::string evil = dir_->path() + "/evil";
    ASSERT_TRUE(mkdir_all(evil));
    ASSERT_TRUE(write_file_atomic(evil + "/manifest.json",
                                  R"([{"Config":"../../../etc/passwd","RepoTags":["evil:1"],"Layers":[]}])"));
    run_command({"tar", "cf", evil + ".tar", "-C", evil, "manifest.json"});
    auto r = docker({"load", "-i", evil + ".tar"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("escapes the archive"), std::string::npos) << r.err;
    r = docker({"load"}, "definitely not a tarball");
    EXPECT_NE(r.exit_code, 0);
    // A layer whose entry climbs out of the layer root.
    std::string script = R"PY(
import hashlib, io, json, sys, tarfile
def tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
layer = tar([("../../escaped-by-layer", b"pwned\n")])
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
manifest = json.dumps([{"Config": "c.json", "RepoTags": ["evil:layer"], "Layers": ["l/layer.tar"]}]).encode()
sys.stdout.buffer.write(tar([("c.json", config), ("l/layer.tar", layer), ("manifest.json", manifest)]))
)PY";
    ASSERT_TRUE(write_file_atomic(evil + "/make.py", script));
    auto made = run_shell("python3 '" + evil + "/make.py' > '" + evil + "-layer.tar'");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    r = docker({"load", "-i", evil + "-layer.tar"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("escapes the layer root"), std::string::npos) << r.err;
    EXPECT_FALSE(path_exists(data_ + "/escaped-by-layer"));
    EXPECT_FALSE(path_exists(data_ + "/overlay/escaped-by-layer"));
    EXPECT_FALSE(path_exists(data_ + "/overlay/tmp/escaped-by-layer"));
    EXPECT_EQ(ok({"images", "--format", "{{.Repository}}:{{.Tag}}"}), "busybox:latest");

    // Two layers, the second not what the config says: refused, and the first layer, already
    // unpacked, is removed again.
    auto layers_before = layers();
    std::string mismatch = R"PY(
import hashlib, io, json, sys, tarfile
def tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
l1 = tar([("a", b"1")]); l2 = tar([("b", b"2")])
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers",
    "diff_ids": ["sha256:" + hashlib.sha256(l1).hexdigest(), "sha256:" + "0" * 64]}}).encode()
m = json.dumps([{"Config": "c.json", "RepoTags": ["bad:2"], "Layers": ["1/layer.tar", "2/layer.tar"]}]).encode()
sys.stdout.buffer.write(tar([("c.json", config), ("1/layer.tar", l1), ("2/layer.tar", l2), ("manifest.json", m)]))
)PY";
    ASSERT_TRUE(write_file_atomic(evil + "/mismatch.py", mismatch));
    made = run_shell("python3 '" + evil + "/mismatch.py' > '" + evil + "-mismatch.tar'");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    r = docker({"load", "-i", evil + "-mismatch.tar"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("does not match the image config"), std::string::npos) << r.err;
    EXPECT_EQ(layers(), layers_before);
    EXPECT_EQ(blobs(), before);
    EXPECT_EQ(blobs(), before);
    EXPECT_EQ(ok({"image", "inspect", "busybox", "--format", "{{.Id}}"}), f.id);
}

TEST_F(Images, ImportWithChangesAndPrune) {
    std::string rootfs = dir_->path() + "/rootfs";
    ASSERT_TRUE(mkdir_all(rootfs + "/etc"));
    ASSERT_TRUE(write_file_atomic(rootfs + "/etc/hello", "hi\n"));
    auto tar = run_command({"tar", "cf", "-", "-C", rootfs, "."});
    ASSERT_EQ(tar.exit_code, 0);
    std::string id =
        ok({"import", "-c", "CMD [\"/bin/sh\"]", "-c", "ENV A=b", "-m", "my message", "-", "imp:1"}, tar.out);
    EXPECT_EQ(id.substr(0, 7), "sha256:");
    EXPECT_EQ(
        ok({"image", "inspect", "imp:1", "--format", "{{json .Config.Cmd}} {{.Config.Env}} {{.Comment}}"}),
        "[\"/bin/sh\"] [A=b] my message");
    EXPECT_NE(ok({"history", "imp:1"}).find("my message"), std::string::npos);
    auto bad = docker({"import", "-c", "RUN true", "-"}, tar.out);
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("RUN is not a valid change command"), std::string::npos) << bad.err;

    // An untagged import is dangling: prune takes it, prune -a takes the rest.
    std::string dangling = ok({"import", "-"}, tar.out);
    ok({"load", "-i", fixture().tar});
    EXPECT_EQ(ok({"images", "-q", "--no-trunc", "--filter", "dangling=true"}), dangling);
    auto pruned = ok({"image", "prune", "-f"});
    EXPECT_NE(pruned.find(dangling), std::string::npos) << pruned;
    EXPECT_EQ(ok({"images", "-q", "--filter", "dangling=true"}), "");
    EXPECT_NE(images().find("busybox:latest"), std::string::npos);
    ok({"image", "prune", "-a", "-f"});
    EXPECT_EQ(images(), "");
    EXPECT_EQ(blobs(), std::vector<std::string>{});
}

bool have(const char* tool) {
    return run_shell(std::string("command -v ") + tool).exit_code == 0;
}

TEST_F(Images, SkopeoAndUmociInterop) {
    ASSERT_TRUE(have("skopeo") && have("umoci"))
        << "skopeo/umoci not installed (scripts/setup installs them)";
    const auto& f = fixture();
    std::string d = dir_->path();
    // An OCI archive written by skopeo loads, under the name it gives.
    auto r = run_command(
        {"skopeo", "copy", "docker-archive:" + f.tar, "oci-archive:" + d + "/oci.tar:sk/busybox:oci"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ok({"load", "-i", d + "/oci.tar"}), "Loaded image: sk/busybox:oci");

    // What berthd saves is read by skopeo (docker-archive and OCI layout) and unpacked by
    // umoci to the same tree as the fixture's layer.
    ok({"load", "-i", f.tar});
    std::string saved = d + "/saved.tar";
    ok({"save", "-o", saved, "busybox"});
    r = run_command({"skopeo", "copy", "docker-archive:" + saved, "oci:" + d + "/skopeo-layout:bb"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(mkdir_all(d + "/layout"));
    ASSERT_EQ(run_command({"tar", "xf", saved, "-C", d + "/layout"}).exit_code, 0);
    r = run_command({"skopeo", "inspect", "oci:" + d + "/layout:latest"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_command({"umoci", "unpack", "--image", d + "/layout:latest", d + "/bundle"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(mkdir_all(d + "/expected"));
    auto x = run_shell("tar xOf '" + f.tar + "' --wildcards '*/layer.tar' | tar x -C '" + d + "/expected'");
    ASSERT_EQ(x.exit_code, 0) << x.err;
    auto fmt = [](const std::string& dir) {
        return run_shell("cd '" + dir +
                         "' && find . -mindepth 1 -printf '%P %M %l %U:%G\\n' | LC_ALL=C sort && " +
                         "find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2")
            .out;
    };
    std::string want = fmt(d + "/expected");
    EXPECT_GT(want.size(), 100u);
    EXPECT_EQ(fmt(d + "/bundle/rootfs"), want);
    run_shell("rm -rf '" + d + "/bundle' '" + d + "/expected'");
}

// A docker-archive of a three-layer image of random data (big enough that a load takes a
// while), tagged crash:test.
std::string make_layered_archive(const std::string& dir) {
    std::string script = R"PY(
import hashlib, io, json, os, sys, tarfile
def tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
layers = [tar([("data%d" % i, os.urandom(6 << 20)), ("small%d" % i, b"x")]) for i in range(3)]
diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
members = [("c.json", config)] + [("l%d/layer.tar" % i, l) for i, l in enumerate(layers)]
manifest = [{"Config": "c.json", "RepoTags": ["crash:test"], "Layers": ["l%d/layer.tar" % i for i in range(3)]}]
members.append(("manifest.json", json.dumps(manifest).encode()))
sys.stdout.buffer.write(tar(members))
)PY";
    EXPECT_TRUE(write_file_atomic(dir + "/make-layered.py", script));
    std::string out = dir + "/layered.tar";
    auto r = run_shell("python3 '" + dir + "/make-layered.py' > '" + out + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
}

// berthd killed with SIGKILL at random points of a load: after a restart the store checks
// clean, every image is wholly there (its layers unpacked, its blobs saveable) or absent,
// and no blob or unpacked layer is left that no image references.
TEST_F(Images, CrashDuringLoad) {
    std::string archive = make_layered_archive(dir_->path());
    // How long a whole load takes here: kills are spread over that time and a bit more.
    auto t0 = std::chrono::steady_clock::now();
    ok({"load", "-i", archive});
    int full_us = static_cast<int>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    ok({"rmi", "crash:test"});
    std::mt19937 rng(std::random_device{}());
    int present = 0;
    for (int round = 0; round < 8; ++round) {
        pid_t client = fork();
        if (client == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execl(kDocker, kDocker, "-H", ("unix://" + sock_).c_str(), "load", "-i", archive.c_str(),
                  nullptr);
            _exit(127);
        }
        usleep(std::uniform_int_distribution<int>(0, full_us * 5 / 4)(rng));
        stop(SIGKILL);
        waitpid(client, nullptr, 0);
        {
            auto db = image::store::ImageStore::open(data_ + "/berth.db");
            ASSERT_TRUE(db) << db.error().str();
            auto check = db->check();
            EXPECT_TRUE(check) << "round " << round << ": " << check.error().str();
            // Every recorded image has every layer unpacked.
            auto all = db->list();
            ASSERT_TRUE(all);
            for (auto& img : *all) {
                auto stack = db->layers(img.image.id);
                ASSERT_TRUE(stack);
                for (auto& l : *stack)
                    EXPECT_TRUE(path_exists(data_ + "/overlay/" + std::string(l.chain_id.hex()) + "/diff"))
                        << "round " << round << ": layer " << l.chain_id.str() << " missing";
            }
        }
        start();
        std::string listed = images();
        if (!listed.empty()) {
            ++present;
            EXPECT_EQ(listed.substr(0, 11), "crash:test ") << "round " << round;
            auto saved = docker({"save", "-o", dir_->path() + "/crash-saved.tar", "crash:test"});
            EXPECT_EQ(saved.exit_code, 0) << "round " << round << ": " << saved.err;
        }
        // After the restart's sweep every blob and layer belongs to an image.
        auto db = image::store::ImageStore::open(data_ + "/berth.db");
        ASSERT_TRUE(db);
        for (auto& hex : blobs()) {
            auto d = image::content::Digest::from_hex(hex);
            ASSERT_TRUE(d);
            EXPECT_TRUE(*db->blob_referenced(*d)) << "round " << round << ": orphan blob " << hex;
        }
        for (auto& hex : layers()) {
            auto d = image::content::Digest::from_hex(hex);
            ASSERT_TRUE(d);
            EXPECT_TRUE(db->layer(*d)->has_value()) << "round " << round << ": orphan layer " << hex;
        }
        if (!listed.empty()) ok({"rmi", "crash:test"});
    }
    RecordProperty("rounds_with_image", present);
}

}  // namespace
}  // namespace berth::test

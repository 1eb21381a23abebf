// The container manager over fake image and network services, on a temp data root: what
// create, inspect, the list and its filters, rename, remove, prune and a reload do to the
// records, without a runtime, images on disk, or root. (Starting containers needs all of
// those: tests/integration/containers covers it.)
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/file.h"
#include "daemon/containers/containers.h"
#include "support/fakes.h"
#include "support/support.h"

using namespace berth;
using namespace berth::daemon::containers;

namespace {

class Manager : public ::testing::Test {
protected:
    void SetUp() override { open(); }
    void TearDown() override {
        if (manager_) manager_->shutdown();
    }
    void open() {
        ManagerOptions o;
        o.data_root = dir_.path() + "/data";
        o.exec_root = dir_.path() + "/run";
        o.shim_path = "/nonexistent/berth-shim";
        o.runtime_path = "/nonexistent/berth-runtime";
        auto m = ContainerManager::open(o, &images_, &networks_, &events_, volumes_);
        ASSERT_TRUE(m) << m.error().str();
        manager_ = std::move(*m);
    }
    void reopen() {
        manager_->shutdown();
        manager_.reset();
        open();
    }
    CreateRequest request(const std::string& body) {
        auto j = parse_json(body);
        EXPECT_TRUE(j) << body;
        auto r = read_create_request(*j);
        EXPECT_TRUE(r) << r.error().str();
        return r ? *r : CreateRequest{};
    }
    std::string create(const std::string& name, const std::string& body = R"({"Image":"busybox"})") {
        auto c = manager_->create(name, request(body));
        EXPECT_TRUE(c) << c.error().str();
        return c ? c->id : "";
    }
    Json list(bool all, const Filters& filters = {}) {
        auto text = manager_->list(all, 0, false, filters);
        EXPECT_TRUE(text) << text.error().str();
        auto j = parse_json(text.value_or("[]"));
        EXPECT_TRUE(j);
        return j.value_or(Json::array());
    }
    std::vector<std::string> names(const Json& list) {
        std::vector<std::string> out;
        for (auto& c : list) out.push_back(c["Names"][0].get<std::string>());
        return out;
    }
    std::string record_path(const std::string& id) {
        return dir_.path() + "/data/containers/" + id + "/config.v2.json";
    }

    test::TempDir dir_{"berth-manager"};
    test::FakeImages images_;
    test::FakeNetworks networks_;
    daemon::EventBus events_;
    daemon::volumes::VolumeService* volumes_ = nullptr;
    std::unique_ptr<ContainerManager> manager_;
};

TEST_F(Manager, CreateWritesARecordAndInspectShowsDockersDefaults) {
    std::string id = create("web", R"({"Image":"busybox","Cmd":["echo","hi"],"Labels":{"tier":"front"}})");
    ASSERT_EQ(id.size(), 64u);
    EXPECT_TRUE(path_exists(record_path(id)));
    EXPECT_TRUE(images_.rootfs.count(id));
    auto j = manager_->inspect("web", false);
    ASSERT_TRUE(j) << j.error().str();
    EXPECT_EQ((*j)["Id"], id);
    EXPECT_EQ((*j)["Name"], "/web");
    EXPECT_EQ((*j)["Path"], "echo");
    EXPECT_EQ((*j)["Args"], Json({"hi"}));
    EXPECT_EQ((*j)["State"]["Status"], "created");
    EXPECT_EQ((*j)["HostConfig"]["NetworkMode"], "bridge");
    EXPECT_EQ((*j)["HostConfig"]["RestartPolicy"]["Name"], "no");
    EXPECT_EQ((*j)["HostConfig"]["LogConfig"]["Type"], "json-file");
    EXPECT_EQ((*j)["Config"]["Labels"]["tier"], "front");
    EXPECT_EQ((*j)["Config"]["Image"], "busybox");
    EXPECT_TRUE((*j)["NetworkSettings"]["Networks"].contains("bridge"));
    // The image's Cmd and Env fill in what the request left out.
    std::string plain = create("plain");
    auto p = manager_->inspect(plain, false);
    ASSERT_TRUE(p);
    EXPECT_EQ((*p)["Path"], "sh");
    EXPECT_EQ((*p)["Config"]["Env"][0], images_.image.config.config.env[0]);
    // Prefixes of the ID find it too.
    EXPECT_TRUE(manager_->inspect(id.substr(0, 12), false));
}

TEST_F(Manager, CreateRefusesWhatItCannotRunAndLeavesNothing) {
    auto unknown = manager_->create("xx", request(R"({"Image":"nosuch"})"));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind(), ErrorKind::NotFound);
    EXPECT_NE(unknown.error().message().find("nosuch"), std::string::npos);
    auto badnet =
        manager_->create("yy", request(R"({"Image":"busybox","HostConfig":{"NetworkMode":"nonet"}})"));
    ASSERT_FALSE(badnet);
    EXPECT_NE(badnet.error().message().find("nonet"), std::string::npos);
    EXPECT_TRUE(list_dir(dir_.path() + "/data/containers").empty());
    EXPECT_TRUE(images_.rootfs.empty());
    EXPECT_EQ(list(true).size(), 0u);
}

TEST_F(Manager, NamesAreUniqueAndRenameMovesThem) {
    std::string a = create("aa");
    auto dup = manager_->create("aa", request(R"({"Image":"busybox"})"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().kind(), ErrorKind::Conflict);
    EXPECT_NE(dup.error().message().find(a), std::string::npos);  // docker names the holder
    auto bad = manager_->create("no spaces", request(R"({"Image":"busybox"})"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);

    create("bb");
    EXPECT_EQ(manager_->rename("aa", "bb").error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(manager_->rename("aa", "x").error().kind(),
              ErrorKind::InvalidArgument);  // Docker wants 2+ chars
    ASSERT_TRUE(manager_->rename("aa", "cc"));
    EXPECT_FALSE(manager_->inspect("aa", false));
    EXPECT_EQ((*manager_->inspect("cc", false))["Id"], a);
    // The name "aa" is free again.
    EXPECT_NE(create("aa"), "");
}

TEST_F(Manager, ListShowsCreatedOnlyWithAllAndFilters) {
    create("one", R"({"Image":"busybox","Labels":{"app":"x"}})");
    create("two", R"({"Image":"busybox","Labels":{"app":"y"}})");
    EXPECT_EQ(list(false).size(), 0u);  // none is running
    auto all = list(true);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(names(all), (std::vector<std::string>{"/two", "/one"}));  // newest first
    EXPECT_EQ(all[0]["State"], "created");
    EXPECT_EQ(all[0]["Image"], "busybox");
    EXPECT_TRUE(all[0]["NetworkSettings"]["Networks"].contains("bridge"));
    EXPECT_EQ(names(list(true, {{"label", {"app=x"}}})), (std::vector<std::string>{"/one"}));
    EXPECT_EQ(names(list(true, {{"name", {"tw"}}})), (std::vector<std::string>{"/two"}));
    EXPECT_EQ(list(true, {{"status", {"running"}}}).size(), 0u);
    EXPECT_EQ(list(false, {{"status", {"created"}}}).size(), 2u);  // a status filter shows stopped ones
    EXPECT_EQ(list(true, {{"network", {"bridge"}}}).size(), 2u);
    EXPECT_EQ(list(true, {{"network", {"host"}}}).size(), 0u);
    EXPECT_EQ(list(true, {{"ancestor", {"busybox"}}}).size(), 2u);
    EXPECT_EQ(list(true, {{"since", {"one"}}}).size(), 1u);
    auto bad = manager_->list(true, 0, false, {{"colour", {"red"}}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("colour"), std::string::npos);
    EXPECT_FALSE(manager_->list(true, 0, false, {{"status", {"sleeping"}}}));
    EXPECT_FALSE(manager_->list(true, 0, false, {{"exited", {"x"}}}));
    EXPECT_EQ(manager_->list(true, 0, false, {{"before", {"nosuch"}}}).error().kind(), ErrorKind::NotFound);
}

TEST_F(Manager, RemoveDeletesTheRecordAndTheSnapshot) {
    std::string id = create("gone");
    ASSERT_TRUE(manager_->remove("gone", false, false));
    EXPECT_FALSE(path_exists(dir_.path() + "/data/containers/" + id));
    EXPECT_FALSE(images_.rootfs.count(id));
    EXPECT_EQ(manager_->inspect(id, false).error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(manager_->remove("gone", false, false).error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(std::count(networks_.left.begin(), networks_.left.end(), id), 1);
}

TEST_F(Manager, PruneRemovesStoppedContainersMatchingItsFilters) {
    std::string keep = create("keep", R"({"Image":"busybox","Labels":{"keep":"1"}})");
    std::string drop = create("drop");
    auto r = manager_->prune({{"label!", {"keep"}}});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ((*r)["ContainersDeleted"], Json({drop}));
    EXPECT_TRUE(manager_->inspect(keep, false));
    EXPECT_FALSE(manager_->inspect(drop, false));
}

TEST_F(Manager, RecordsLoadAgainAfterARestart) {
    std::string id = create("kept", R"({"Image":"busybox","Env":["A=1"],"HostConfig":{"Memory":33554432}})");
    ASSERT_TRUE(manager_->rename("kept", "renamed"));
    reopen();
    auto j = manager_->inspect("renamed", false);
    ASSERT_TRUE(j) << j.error().str();
    EXPECT_EQ((*j)["Id"], id);
    EXPECT_EQ((*j)["HostConfig"]["Memory"], 33554432);
    EXPECT_EQ((*j)["State"]["Status"], "created");
    EXPECT_EQ(manager_->counts().total, 1);
    // A record that cannot be read is left where it is, not swept.
    for (const char* damaged : {"{\"Id\": 7}", "{\"Id\": \"", ""}) {
        ASSERT_TRUE(rewrite_file(record_path(id), damaged));
        reopen();
        EXPECT_FALSE(manager_->inspect(id, false)) << damaged;
        EXPECT_TRUE(path_exists(record_path(id))) << damaged;
        EXPECT_TRUE(images_.rootfs.count(id)) << damaged;
    }
}

TEST_F(Manager, NamedVolumesInBindsAreMadeAndCounted) {
    auto refused =
        manager_->create("novol", request(R"({"Image":"busybox","HostConfig":{"Binds":["data:/d"]}})"));
    ASSERT_FALSE(refused);  // without a volume service
    EXPECT_EQ(refused.error().kind(), ErrorKind::Unsupported);
    auto service = daemon::volumes::VolumeService::open(dir_.path() + "/data", &events_);
    ASSERT_TRUE(service) << service.error().str();
    volumes_ = service->get();
    reopen();
    std::string id =
        create("withvol", R"({"Image":"busybox","HostConfig":{"Binds":["data:/d:ro","/srv:/srv"]}})");
    auto v = volumes_->inspect("data");
    ASSERT_TRUE(v) << v.error().str();
    EXPECT_EQ(manager_->volume_users("data"), (std::vector<std::string>{id}));
    EXPECT_TRUE(manager_->volume_users("other").empty());
    auto j = manager_->inspect(id, false);
    ASSERT_TRUE(j);
    const Json& m = (*j)["Mounts"];
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0]["Type"], "volume");
    EXPECT_EQ(m[0]["Name"], "data");
    EXPECT_EQ(m[0]["Source"], v->mountpoint);
    EXPECT_EQ(m[0]["Driver"], "local");
    EXPECT_EQ(m[0]["RW"], false);
    EXPECT_EQ(m[1]["Type"], "bind");
    EXPECT_EQ(m[1]["Source"], "/srv");
    ASSERT_TRUE(manager_->remove(id, false, false));
    EXPECT_TRUE(manager_->volume_users("data").empty());
    manager_->shutdown();
    manager_.reset();  // before the volume service it holds goes
}

TEST_F(Manager, EventsFollowTheLifecycle) {
    auto sub = events_.subscribe({});
    std::string id = create("ev");
    ASSERT_TRUE(manager_->rename("ev", "ev2"));
    ASSERT_TRUE(manager_->remove("ev2", false, false));
    std::vector<std::string> actions;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (auto ev = sub->next(deadline)) {
        if (ev->actor_id == id) actions.push_back(ev->action);
        if (ev->action == "destroy") break;
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"create", "rename", "destroy"}));
}

}  // namespace

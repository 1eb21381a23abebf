// The local volume driver on a temp data root: records, names, filters, in-use refusal,
// prune's rules, reload, events.
#include "daemon/volumes/volume_service.h"

#include <gtest/gtest.h>

#include "common/file.h"
#include "support/support.h"

namespace berth::daemon::volumes {
namespace {

class Volumes : public ::testing::Test {
protected:
    void SetUp() override { open(); }
    void open() {
        auto s = VolumeService::open(dir_.path(), &events_);
        ASSERT_TRUE(s) << s.error().str();
        service_ = std::move(*s);
        service_->set_users([this](const std::string& v) {
            auto it = users_.find(v);
            return it == users_.end() ? std::vector<std::string>{} : it->second;
        });
    }
    Volume create(const std::string& name, StringMap labels = {}) {
        auto v = service_->create({.name = name, .labels = std::move(labels)});
        EXPECT_TRUE(v) << v.error().str();
        return v.value_or(Volume{});
    }
    std::vector<std::string> names(const Filters& f) {
        std::vector<std::string> out;
        for (auto& v : service_->list(f).value_or(std::vector<Volume>{})) out.push_back(v.name);
        return out;
    }

    test::TempDir dir_{"berth-volumes"};
    EventBus events_;
    std::unique_ptr<VolumeService> service_;
    std::map<std::string, std::vector<std::string>> users_;
};

TEST_F(Volumes, CreateMakesDockersLayoutAndIsIdempotent) {
    auto v = create("data", {{"app", "web"}});
    EXPECT_EQ(v.mountpoint, dir_.path() + "/volumes/data/_data");
    EXPECT_TRUE(path_exists(v.mountpoint));
    EXPECT_EQ(v.driver, "local");
    EXPECT_FALSE(v.anonymous);
    ASSERT_TRUE(write_file_atomic(v.mountpoint + "/kept", "x"));
    auto again = create("data");
    EXPECT_EQ(again.created_at, v.created_at);
    EXPECT_TRUE(path_exists(v.mountpoint + "/kept"));
    Json j = to_json(v);
    EXPECT_EQ(j["Name"], "data");
    EXPECT_EQ(j["Scope"], "local");
    EXPECT_EQ(j["Labels"]["app"], "web");
    EXPECT_EQ(j["Options"], Json::object());
    EXPECT_EQ(j["CreatedAt"].get<std::string>().size(), 20u);  // 2026-01-02T03:04:05Z
    auto anon = service_->create({});
    ASSERT_TRUE(anon);
    EXPECT_EQ(anon->name.size(), 64u);
    EXPECT_TRUE(anon->anonymous);
}

TEST_F(Volumes, BadNamesDriversAndOptionsAreRefused) {
    for (const char* bad : {"a", "with/slash", "-dash", "sp ace"}) {
        auto r = service_->create({.name = bad});
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument) << bad;
    }
    auto slash = service_->create({.name = "with/slash"});
    EXPECT_NE(slash.error().message().find("use absolute path"), std::string::npos);
    auto plugin = service_->create({.name = "vv", .driver = "nfs"});
    ASSERT_FALSE(plugin);
    EXPECT_EQ(plugin.error().kind(), ErrorKind::NotFound);
    EXPECT_NE(plugin.error().message().find("plugin \"nfs\" not found"), std::string::npos);
    auto opts = service_->create({.name = "vv", .driver_opts = {{"type", "tmpfs"}}});
    ASSERT_FALSE(opts);
    EXPECT_EQ(opts.error().kind(), ErrorKind::Unsupported);
    EXPECT_TRUE(list_dir(dir_.path() + "/volumes").empty());  // nothing half made
}

TEST_F(Volumes, InUseVolumesAreNotRemoved) {
    create("busy");
    users_["busy"] = {"c1"};
    auto r = service_->remove("busy", false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Conflict);
    EXPECT_EQ(r.error().message(), "remove busy: volume is in use - [c1]");
    EXPECT_TRUE(service_->inspect("busy"));
    users_.clear();
    ASSERT_TRUE(service_->remove("busy", false));
    EXPECT_FALSE(path_exists(dir_.path() + "/volumes/busy"));
    auto gone = service_->remove("busy", false);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().message(), "get busy: no such volume");
    EXPECT_TRUE(service_->remove("busy", true));
}

TEST_F(Volumes, ListFilters) {
    create("alpha", {{"tier", "db"}});
    create("beta");
    users_["beta"] = {"c1"};
    EXPECT_EQ(names({}), (std::vector<std::string>{"alpha", "beta"}));
    EXPECT_EQ(names({{"dangling", {"true"}}}), (std::vector<std::string>{"alpha"}));
    EXPECT_EQ(names({{"dangling", {"false"}}}), (std::vector<std::string>{"beta"}));
    EXPECT_EQ(names({{"label", {"tier=db"}}}), (std::vector<std::string>{"alpha"}));
    EXPECT_EQ(names({{"name", {"et"}}}), (std::vector<std::string>{"beta"}));
    EXPECT_EQ(names({{"driver", {"local"}}}).size(), 2u);
    EXPECT_FALSE(service_->list({{"colour", {"red"}}}));
}

TEST_F(Volumes, PruneTakesUnusedAnonymousOnesUnlessAllIsAsked) {
    create("named");
    auto anon = service_->create({}).value();
    auto used = service_->create({}).value();
    users_[used.name] = {"c1"};
    ASSERT_TRUE(write_file_atomic(anon.mountpoint + "/f", std::string(10000, 'x')));
    auto r = service_->prune({});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ((*r)["VolumesDeleted"], Json({anon.name}));
    EXPECT_GE((*r)["SpaceReclaimed"].get<int64_t>(), 10000);
    auto all = service_->prune({{"all", {"true"}}});
    ASSERT_TRUE(all);
    EXPECT_EQ((*all)["VolumesDeleted"], Json({"named"}));
    EXPECT_TRUE(service_->inspect(used.name));
}

TEST_F(Volumes, RecordsLoadAgainAndDamagedOnesAreKept) {
    create("keep", {{"k", "v"}});
    ASSERT_TRUE(mkdir_all(dir_.path() + "/volumes/broken/_data"));
    ASSERT_TRUE(write_file_atomic(dir_.path() + "/volumes/broken/volume.json", "{"));
    open();
    auto v = service_->inspect("keep");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->labels.at("k"), "v");
    EXPECT_FALSE(service_->inspect("broken"));
    EXPECT_TRUE(path_exists(dir_.path() + "/volumes/broken/_data"));
}

TEST_F(Volumes, EventsAndDiskUsage) {
    auto sub = events_.subscribe({});
    create("ev");
    ASSERT_TRUE(write_file_atomic(dir_.path() + "/volumes/ev/_data/f", std::string(5000, 'y')));
    auto df = service_->disk_usage();
    ASSERT_TRUE(df);
    ASSERT_EQ(df->size(), 1u);
    EXPECT_GE((*df)[0]["UsageData"]["Size"].get<int64_t>(), 5000);
    EXPECT_EQ((*df)[0]["UsageData"]["RefCount"], 0);
    ASSERT_TRUE(service_->remove("ev", false));
    std::vector<std::string> actions;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (auto e = sub->next(deadline)) {
        EXPECT_EQ(e->type, "volume");
        actions.push_back(e->action);
        if (e->action == "destroy") break;
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"create", "destroy"}));
}

}  // namespace
}  // namespace berth::daemon::volumes

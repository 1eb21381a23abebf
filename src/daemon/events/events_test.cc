#include "daemon/events/events.h"

#include <thread>

#include <gtest/gtest.h>

namespace berth::daemon {
namespace {

using namespace std::chrono_literals;

Event container_event(const std::string& action, const std::string& id, const std::string& name) {
    Event e;
    e.type = "container";
    e.action = action;
    e.actor_id = id;
    e.attributes = {{"name", name}, {"image", "busybox"}, {"com.example", "x"}};
    return e;
}

TEST(Events, DockerJsonShape) {
    auto e = container_event("start", "abc", "web");
    e.time_nano = 1700000000123456789;
    auto j = e.to_json();
    EXPECT_EQ(j["Type"], "container");
    EXPECT_EQ(j["Action"], "start");
    EXPECT_EQ(j["Actor"]["ID"], "abc");
    EXPECT_EQ(j["Actor"]["Attributes"]["name"], "web");
    EXPECT_EQ(j["status"], "start");
    EXPECT_EQ(j["from"], "busybox");
    EXPECT_EQ(j["time"], 1700000000);
    EXPECT_EQ(j["timeNano"], 1700000000123456789);
}

TEST(Events, Filters) {
    auto e = container_event("die", "0123456789abcdef0123", "web");
    EXPECT_TRUE(event_matches(e, {{"type", {"container"}}}));
    EXPECT_FALSE(event_matches(e, {{"type", {"image"}}}));
    EXPECT_TRUE(event_matches(e, {{"event", {"start", "die"}}}));
    EXPECT_TRUE(event_matches(e, {{"container", {"web"}}}));
    EXPECT_TRUE(event_matches(e, {{"container", {"0123456789ab"}}}));
    EXPECT_FALSE(event_matches(e, {{"container", {"db"}}}));
    EXPECT_TRUE(event_matches(e, {{"label", {"com.example=x"}}}));
    EXPECT_TRUE(event_matches(e, {{"label", {"com.example"}}}));
    EXPECT_FALSE(event_matches(e, {{"label", {"com.example=y"}}}));
    EXPECT_TRUE(event_matches(e, {{"image", {"busybox"}}}));
    auto exec = container_event("exec_start: sh -c true", "x", "web");
    EXPECT_TRUE(event_matches(exec, {{"event", {"exec_start"}}}));
}

TEST(Events, SubscribersGetLiveAndReplayedEvents) {
    EventBus bus;
    int64_t t0 = now_nano();
    bus.publish(container_event("create", "a", "one"));
    auto sub = bus.subscribe({{"event", {"create", "start"}}}, t0);
    bus.publish(container_event("attach", "a", "one"));  // filtered out
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        bus.publish(container_event("start", "a", "one"));
    });
    auto first = sub->next(std::chrono::steady_clock::now() + 1s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->action, "create");
    auto second = sub->next(std::chrono::steady_clock::now() + 1s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->action, "start");
    t.join();
    EXPECT_FALSE(sub->next(std::chrono::steady_clock::now() + 10ms));
    auto past = bus.history({}, t0, now_nano());
    EXPECT_EQ(past.size(), 3u);
    bus.close();
    EXPECT_FALSE(sub->next(std::chrono::steady_clock::now() + 1s));
    EXPECT_TRUE(sub->closed());
}

TEST(Events, HistoryIsBounded) {
    EventBus bus(3);
    for (int i = 0; i < 10; ++i) bus.publish(container_event("start", std::to_string(i), "n"));
    auto all = bus.history({}, 0, now_nano());
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].actor_id, "7");
}

}  // namespace
}  // namespace berth::daemon

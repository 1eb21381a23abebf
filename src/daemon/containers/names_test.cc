#include <gtest/gtest.h>

#include "common/time.h"
#include "daemon/containers/manager_impl.h"

using namespace berth;
using namespace berth::daemon::containers;

TEST(Names, IdsAndGeneratedNames) {
    auto id = generate_id();
    EXPECT_EQ(id.size(), 64u);
    EXPECT_NE(id, generate_id());
    EXPECT_TRUE(valid_name(generate_name()));
    EXPECT_TRUE(valid_name("web-1.prod_x"));
    EXPECT_FALSE(valid_name("a"));
    EXPECT_FALSE(valid_name("-web"));
    EXPECT_FALSE(valid_name("web/1"));
}

TEST(Names, HumanDurationAsDocker) {
    EXPECT_EQ(human_duration(0), "Less than a second");
    EXPECT_EQ(human_duration(1), "1 second");
    EXPECT_EQ(human_duration(45), "45 seconds");
    EXPECT_EQ(human_duration(90), "About a minute");
    EXPECT_EQ(human_duration(600), "10 minutes");
    EXPECT_EQ(human_duration(3600), "About an hour");
    EXPECT_EQ(human_duration(5 * 3600), "5 hours");
    EXPECT_EQ(human_duration(3 * 86400), "3 days");
}

TEST(Names, StatusAndCommand) {
    Container c;
    c.path = "sh";
    c.args = {"-c", "echo hi"};
    EXPECT_EQ(command_line(c), "sh -c 'echo hi'");
    c.state.status = Status::Exited;
    c.state.exit_code = 3;
    c.state.finished_at = format_rfc3339_nano(now_unix_nanos() - 5'000'000'000);
    EXPECT_EQ(status_text(c), "Exited (3) 5 seconds ago");
    c.state.status = Status::Created;
    EXPECT_EQ(status_text(c), "Created");
}

TEST(Record, RoundTrips) {
    Container c;
    c.id = std::string(64, 'b');
    c.name = "x1";
    c.config.tty = true;
    c.config.labels = {{"a", "b"}};
    c.config.cmd = std::vector<std::string>{"sh"};
    c.state.status = Status::Paused;
    c.state.pid = 42;
    auto back = Container::from_json(c.to_json());
    ASSERT_TRUE(back) << back.error().str();
    EXPECT_EQ(back->state.status, Status::Paused);
    EXPECT_EQ(back->state.pid, 42);
    EXPECT_EQ(to_json(back->config), to_json(c.config));
    EXPECT_EQ(to_json(back->host_config), to_json(c.host_config));
    EXPECT_FALSE(Container::from_json(Json::array()));
    auto j = c.to_json();
    j["State"]["Status"] = "flying";
    EXPECT_FALSE(Container::from_json(j));
}

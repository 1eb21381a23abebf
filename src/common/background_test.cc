#include "common/background.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>

#include <gtest/gtest.h>

namespace berth {
namespace {

using namespace std::chrono_literals;

TEST(Background, RunsTasksNowAndLater) {
    Background tasks;
    std::promise<void> now, later;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(tasks.run([&] { now.set_value(); }));
    ASSERT_TRUE(tasks.run_after(50ms, [&] { later.set_value(); }));
    EXPECT_EQ(now.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_EQ(later.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
}

TEST(Background, ShutdownCancelsWaitingTasksAndJoinsRunningOnes) {
    std::atomic<bool> late_ran{false}, slow_done{false};
    std::promise<void> slow_started;
    Background tasks;
    ASSERT_TRUE(tasks.run_after(60s, [&] { late_ran = true; }));
    ASSERT_TRUE(tasks.run([&] {
        slow_started.set_value();
        std::this_thread::sleep_for(100ms);  // work in progress when shutdown() comes
        slow_done = true;
    }));
    slow_started.get_future().wait();
    auto t0 = std::chrono::steady_clock::now();
    tasks.shutdown();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "a 60 s back-off must not hold shutdown";
    EXPECT_TRUE(slow_done) << "shutdown returns only after running tasks end";
    EXPECT_FALSE(late_ran);
    EXPECT_EQ(tasks.pending(), 0u);
    EXPECT_FALSE(tasks.run([] {})) << "nothing starts after shutdown";
    tasks.shutdown();  // idempotent
}

TEST(Background, CancelFdWakesABlockedTask) {
    Background tasks;
    std::atomic<bool> woke{false};
    std::promise<void> started;
    ASSERT_TRUE(tasks.run([&] {
        started.set_value();
        pollfd p{tasks.cancel_fd(), POLLIN, 0};
        woke = ::poll(&p, 1, 30000) == 1 && tasks.cancelled();
    }));
    started.get_future().wait();  // a task shutdown() finds not yet started never runs
    tasks.shutdown();
    EXPECT_TRUE(woke);
}

TEST(Background, WaitReadableReturnsOnDataOrOnShutdown) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    Background tasks;
    ASSERT_EQ(::write(p[1], "x", 1), 1);
    EXPECT_TRUE(tasks.wait_readable(p[0]));
    char c;
    ASSERT_EQ(::read(p[0], &c, 1), 1);
    std::atomic<int> result{-1};
    std::promise<void> started;
    ASSERT_TRUE(tasks.run([&] {
        started.set_value();
        result = tasks.wait_readable(p[0]) ? 1 : 0;
    }));
    started.get_future().wait();
    tasks.shutdown();
    EXPECT_EQ(result, 0) << "nothing to read: shutdown ends the wait";
    ::close(p[0]);
    ::close(p[1]);
}

TEST(Background, FinishedTasksAreReaped) {
    Background tasks;
    for (int i = 0; i < 50; ++i) {
        std::promise<void> done;
        ASSERT_TRUE(tasks.run([&] { done.set_value(); }));
        done.get_future().wait();
    }
    EXPECT_LE(tasks.pending(), 1u);
}

}  // namespace
}  // namespace berth

// The handler pool grows for a burst and shrinks right after it, keeping one thread.
#include "api/server/worker_pool.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace berth::api::detail {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return cond();
}

TEST(WorkerPool, BurstThreadsGoQuicklyOneLingers) {
    WorkerPool pool(10s);
    std::atomic<int> done{0};
    std::atomic<bool> release{false};
    for (int i = 0; i < 8; ++i)
        pool.submit([&] {
            while (!release) std::this_thread::sleep_for(1ms);
            ++done;
        });
    EXPECT_TRUE(eventually([&] { return pool.threads() == 8; }, 2s)) << pool.threads();
    release = true;
    EXPECT_TRUE(eventually([&] { return done == 8; }, 2s));
    // The seven extra threads leave within their short linger; one stays for the next request.
    EXPECT_TRUE(eventually([&] { return pool.threads() == 1; }, 2s)) << pool.threads();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(pool.threads(), 1u);
    pool.submit([&] { ++done; });
    EXPECT_TRUE(eventually([&] { return done == 9; }, 2s));
    EXPECT_EQ(pool.threads(), 1u) << "the lingering thread took the request";
}

TEST(WorkerPool, AllThreadsLeaveAfterTheLinger) {
    WorkerPool pool(200ms);
    std::atomic<int> done{0};
    for (int i = 0; i < 4; ++i) pool.submit([&] { ++done; });
    EXPECT_TRUE(eventually([&] { return done == 4; }, 2s));
    EXPECT_TRUE(eventually([&] { return pool.threads() == 0; }, 2s)) << pool.threads();
}

}  // namespace
}  // namespace berth::api::detail

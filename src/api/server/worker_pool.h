// Private: an elastic pool of threads for handlers. Threads start on demand; one idle thread
// waits `linger` for more work, the others of a burst exit after 100 ms, so an idle daemon
// keeps at most one (we promise a small idle RSS). Every thread is joined: a thread that
// exits hands itself to `finished_` and joins the ones that exited before it; the
// destructor joins the rest.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::api::detail {

class WorkerPool {
public:
    explicit WorkerPool(std::chrono::milliseconds linger) : linger_(linger) {}
    ~WorkerPool();  // waits for every thread
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // `task` must not throw (the server wraps handlers in a catch-all).
    void submit(std::function<void()> task);
    // Waits until no task runs or waits; false on timeout. Later submits still work.
    bool drain(std::chrono::milliseconds timeout);
    std::size_t threads() const;

private:
    void run();
    void join_finished();

    static constexpr std::chrono::milliseconds kBurstLinger{100};
    std::chrono::milliseconds linger_;
    mutable std::mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
    std::deque<std::function<void()>> queue_;
    std::map<std::thread::id, std::thread> running_;
    std::vector<std::thread> finished_;  // exited or exiting, not joined yet
    std::size_t threads_ = 0;
    std::size_t idle_ = 0;
    bool exiting_ = false;
};

}  // namespace berth::api::detail

// Background work an object owns: tasks run on their own threads, now or after a delay,
// and shutdown() cancels the ones still waiting for their time and joins every one, so no
// task outlives (or touches) its owner. A task that blocks (a process wait) polls
// cancel_fd(), readable from shutdown() on, to learn it should give up.
//
//   Background tasks;                       // a member, declared after what tasks use
//   tasks.run_after(200ms, [this] { restart(); });
//   tasks.shutdown();                       // in the owner's shutdown: waits for all
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/fd.h"

namespace berth {

class Background {
public:
    Background();
    ~Background();  // shutdown()
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // Runs fn on a thread of its own, after `delay` unless shutdown() comes first (then fn
    // never runs). False once shut down, or when no thread could be made (fn is dropped).
    bool run_after(std::chrono::milliseconds delay, std::function<void()> fn);
    bool run(std::function<void()> fn) { return run_after(std::chrono::milliseconds(0), std::move(fn)); }

    // Readable (an eventfd) from shutdown() on: for tasks blocked in poll().
    int cancel_fd() const { return cancel_.get(); }
    bool cancelled() const;
    // For a task waiting on a process (its pidfd) or a socket: true once `fd` is readable,
    // false when shutdown() comes first (or poll fails).
    bool wait_readable(int fd) const;

    // Cancels what has not started, then waits for what has. Idempotent.
    void shutdown();

    std::size_t pending() const;  // tasks not finished yet (tests)

private:
    struct Task {
        std::thread thread;
        bool done = false;
    };
    void reap_finished_locked();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::list<Task> tasks_;
    bool stopping_ = false;
    UniqueFd cancel_;
};

}  // namespace berth

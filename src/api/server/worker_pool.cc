// Elastic handler thread pool (see worker_pool.h).
#include "api/server/worker_pool.h"

#include <malloc.h>

#include <algorithm>
#include <thread>

#include "common/log.h"

namespace berth::api::detail {

WorkerPool::~WorkerPool() {
    std::unique_lock lock(mu_);
    exiting_ = true;
    work_cv_.notify_all();
    done_cv_.wait(lock, [this] { return threads_ == 0; });
}

void WorkerPool::submit(std::function<void()> task) {
    std::unique_lock lock(mu_);
    queue_.push_back(std::move(task));
    if (idle_ >= queue_.size()) {
        work_cv_.notify_one();
        return;
    }
    ++threads_;
    lock.unlock();
    // std::thread throws only when the system cannot create one; then run the task on a
    // thread we already have by leaving it queued, and say so.
    try {
        std::thread([this] { run(); }).detach();
    } catch (...) {
        std::lock_guard relock(mu_);
        --threads_;
        log::error("api: cannot start a handler thread; request waits for a free one");
        if (threads_ == 0) done_cv_.notify_all();
    }
}

void WorkerPool::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        if (queue_.empty()) {
            // One idle thread waits `linger` for the next request; the others of a burst go at
            // once, so that right after a burst the daemon is back to its idle size.
            auto linger = idle_ == 0 ? linger_ : std::min(linger_, kBurstLinger);
            ++idle_;
            done_cv_.notify_all();  // drain() waits for every thread to be idle
            bool got = work_cv_.wait_for(lock, linger, [this] { return !queue_.empty() || exiting_; });
            --idle_;
            if (!got || queue_.empty()) break;
        }
        std::function<void()> task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        task();
        task = nullptr;  // release captures (connections) outside the lock
        lock.lock();
        done_cv_.notify_all();
    }
    bool burst_over = --threads_ <= 1;
    done_cv_.notify_all();
    lock.unlock();
    // The burst's extra threads gone: give the heap's free pages back, so that the daemon's
    // RSS returns to its resting size.
    if (burst_over) malloc_trim(0);
}

bool WorkerPool::drain(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return done_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && idle_ == threads_; });
}

std::size_t WorkerPool::threads() const {
    std::lock_guard lock(mu_);
    return threads_;
}

}  // namespace berth::api::detail

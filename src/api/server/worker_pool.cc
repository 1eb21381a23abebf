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
    done_cv_.wait(lock, [this] { return running_.empty(); });
    lock.unlock();
    join_finished();
}

void WorkerPool::join_finished() {
    std::vector<std::thread> done;
    {
        std::lock_guard lock(mu_);
        done.swap(finished_);
    }
    for (auto& t : done) t.join();  // each has left run() or is about to
}

void WorkerPool::submit(std::function<void()> task) {
    std::unique_lock lock(mu_);
    queue_.push_back(std::move(task));
    if (idle_ >= queue_.size()) {
        work_cv_.notify_one();
        return;
    }
    // std::thread throws only when the system cannot create one; then run the task on a
    // thread we already have by leaving it queued, and say so. The new thread is recorded
    // before it can look itself up: run() starts by taking mu_, held here.
    try {
        std::thread t([this] { run(); });
        running_.emplace(t.get_id(), std::move(t));
        ++threads_;
    } catch (...) {
        log::error("api: cannot start a handler thread; request waits for a free one");
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
    // Last, so that whoever joins this thread waits for nothing more than its return. The
    // threads that exited before it are joined here, off the request path; the destructor
    // joins the last ones.
    lock.lock();
    std::vector<std::thread> older;
    older.swap(finished_);
    if (auto self = running_.extract(std::this_thread::get_id()))
        finished_.push_back(std::move(self.mapped()));
    done_cv_.notify_all();
    lock.unlock();
    for (auto& t : older) t.join();  // each has returned from run() already
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

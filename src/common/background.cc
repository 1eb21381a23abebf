#include "common/background.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "common/sys.h"

namespace berth {

Background::Background() : cancel_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Background::~Background() {
    shutdown();
}

bool Background::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
    std::lock_guard lk(mu_);
    if (stopping_) return false;
    reap_finished_locked();
    auto it = tasks_.emplace(tasks_.end());
    try {
        it->thread = std::thread([this, it, delay, fn = std::move(fn)] {
            bool go;
            {
                std::unique_lock wait(mu_);
                go = !cv_.wait_for(wait, delay, [this] { return stopping_; });
            }
            if (go) fn();
            std::lock_guard done(mu_);
            it->done = true;
        });
    } catch (const std::system_error&) {
        tasks_.erase(it);
        return false;
    }
    return true;
}

bool Background::cancelled() const {
    std::lock_guard lk(mu_);
    return stopping_;
}

bool Background::wait_readable(int fd) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {cancel_.get(), POLLIN, 0}};
    (void)sys::retry_eintr([&] { return ::poll(fds, 2, -1); });  // an error leaves revents 0: not readable
    return fds[0].revents & POLLIN;
}

void Background::shutdown() {
    std::list<Task> all;
    {
        std::lock_guard lk(mu_);
        if (!stopping_) {
            stopping_ = true;
            uint64_t one = 1;
            if (cancel_ && ::write(cancel_.get(), &one, sizeof one) != sizeof one) {
                // An eventfd write only fails on overflow, which one write cannot reach.
            }
        }
        all.splice(all.end(), tasks_);
    }
    cv_.notify_all();
    for (auto& t : all)
        if (t.thread.joinable()) t.thread.join();
}

std::size_t Background::pending() const {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (const auto& t : tasks_) n += t.done ? 0 : 1;
    return n;
}

void Background::reap_finished_locked() {
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->done) {
            // Its function has returned; joining only waits for the thread's last instructions.
            it->thread.join();
            it = tasks_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace berth

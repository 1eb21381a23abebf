// Private: see netns.h.
#include "hostnet/netns.h"

#include <fcntl.h>
#include <sched.h>

#include <exception>
#include <thread>

#include "common/fd.h"

namespace berth::hostnet {

Result<> run_in_netns(const std::string& netns_path, const std::function<Result<>()>& fn) {
    UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return Error::sys("open network namespace", netns_path);
    Result<> result;
    // setns(CLONE_NEWNET) affects only the calling thread; this thread dies with it.
    auto work = [&] {
        try {
            if (::setns(ns.get(), CLONE_NEWNET) != 0) {
                result = Error::sys("setns", netns_path);
                return;
            }
            result = fn();
        } catch (const std::exception& e) {
            result = Error::internal(std::string("in network namespace: ") + e.what());
        } catch (...) {
            result = Error::internal("in network namespace: unknown exception");
        }
    };
    std::thread worker;
    try {
        worker = std::thread(work);
    } catch (const std::exception& e) {
        return Error::internal(std::string("start a thread for ") + netns_path + ": " + e.what());
    }
    worker.join();
    return result;
}

}  // namespace berth::hostnet

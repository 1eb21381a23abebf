// Private: state shared by the listeners, connections and the server object.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>

#include "api/server/http_server.h"
#include "api/server/worker_pool.h"

namespace berth::api::detail {

class Connection;

// "Api-Version: 1.47\r\n..." (connection.cc).
std::string format_common_headers(const ServerConfig& config, const Router& router);

struct ServerCore {
    ServerCore(ServerConfig c, Router r)
        : config(std::move(c)),
          router(std::move(r)),
          common_headers(format_common_headers(config, router)),
          pool(config.worker_idle_linger),
          ioc(config.io_threads > 0 ? config.io_threads : 1) {}

    bool on_io_thread() { return ioc.get_executor().running_in_this_thread(); }

    uint64_t add_connection(std::weak_ptr<Connection> c) {
        std::lock_guard lock(mu);
        conns.emplace(++next_id, std::move(c));
        return next_id;
    }
    void remove_connection(uint64_t id) {
        std::lock_guard lock(mu);
        conns.erase(id);
        cv.notify_all();
    }

    ServerConfig config;
    Router router;
    // The fields every response carries (Api-Version, Server...), formatted once
    // (connection.cc) rather than for each response.
    std::string common_headers;
    WorkerPool pool;
    bool stopping = false;  // guarded by mu
    std::mutex mu;
    std::condition_variable cv;
    std::map<uint64_t, std::weak_ptr<Connection>> conns;
    uint64_t next_id = 0;
    // Last: destroyed first, so pending handlers that hold connections run their
    // destructors while the members above still exist.
    boost::asio::io_context ioc;
};

}  // namespace berth::api::detail

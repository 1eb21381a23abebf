// HttpServer: owns the io_context and its threads, the listeners and the shutdown sequence.
#include "api/server/http_server.h"

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "api/server/connection.h"
#include "api/server/listener.h"
#include "api/server/tls.h"
#include "common/log.h"

namespace berth::api {

using detail::Connection;
using detail::ServerCore;

class HttpServer::Impl {
public:
    Impl(ServerConfig config, Router router)
        : core(std::make_unique<ServerCore>(std::move(config), std::move(router))) {}

    std::unique_ptr<ServerCore> core;
    std::vector<std::shared_ptr<detail::Listener>> listeners;
    std::vector<std::shared_ptr<boost::asio::ssl::context>> tls_contexts;
    std::vector<std::thread> threads;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::mutex mu;  // guards the fields above against concurrent listen/start/stop
    bool started = false;
    bool stopped = false;

    void run_io() {
        // Asio handlers should not throw; if one does, log it and keep the thread serving.
        for (;;) {
            try {
                core->ioc.run();
                return;
            } catch (const std::exception& e) {
                log::error(std::string("api: io handler threw: ") + e.what());
            } catch (...) {
                log::error("api: io handler threw");
            }
        }
    }

    std::vector<std::shared_ptr<Connection>> live_connections() {
        std::vector<std::shared_ptr<Connection>> out;
        std::lock_guard lock(core->mu);
        for (auto& [id, weak] : core->conns) {
            if (auto c = weak.lock()) out.push_back(std::move(c));
        }
        return out;
    }

    bool wait_connections(std::chrono::milliseconds timeout) {
        std::unique_lock lock(core->mu);
        return core->cv.wait_for(lock, timeout, [this] { return core->conns.empty(); });
    }
};

HttpServer::HttpServer(ServerConfig config, Router router)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(router))) {}

HttpServer::~HttpServer() {
    stop();
}

const Router& HttpServer::router() const {
    return impl_->core->router;
}

std::size_t HttpServer::connection_count() const {
    std::lock_guard lock(impl_->core->mu);
    return impl_->core->conns.size();
}

Result<> HttpServer::listen_unix(const UnixListenerConfig& config) {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return Error(ErrorKind::Unavailable, "server stopped");
    auto l = BERTH_TRY_CTX(detail::listen_unix(*impl_->core, config), "listen on unix socket");
    impl_->listeners.push_back(std::move(l));
    return ok();
}

Result<> HttpServer::listen_fd(int fd) {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return Error(ErrorKind::Unavailable, "server stopped");
    auto l = BERTH_TRY(detail::adopt_unix_listener(*impl_->core, fd));
    impl_->listeners.push_back(std::move(l));
    return ok();
}

Result<uint16_t> HttpServer::listen_tcp(const TcpListenerConfig& config) {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return Error(ErrorKind::Unavailable, "server stopped");
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (!config.insecure) {
        auto ctx = BERTH_TRY(detail::make_server_tls_context(config.tls));
        tls = std::shared_ptr<boost::asio::ssl::context>(std::move(ctx));
        impl_->tls_contexts.push_back(tls);
    }
    auto [l, port] = BERTH_TRY_CTX(detail::listen_tcp(*impl_->core, config, tls), "listen on tcp");
    impl_->listeners.push_back(std::move(l));
    return port;
}

Result<> HttpServer::start() {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return Error(ErrorKind::Unavailable, "server stopped");
    if (impl_->started) return ok();
    impl_->work.emplace(impl_->core->ioc.get_executor());
    int n = std::max(1, impl_->core->config.io_threads);
    try {
        for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->run_io(); });
    } catch (const std::exception& e) {
        if (impl_->threads.empty()) {
            impl_->work.reset();
            return Error::internal(std::string("start io thread: ") + e.what());
        }
    }
    impl_->started = true;
    return ok();
}

void HttpServer::stop() {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    ServerCore& core = *impl_->core;
    {
        std::lock_guard clock(core.mu);
        core.stopping = true;
    }
    for (auto& l : impl_->listeners) l->close();
    if (!impl_->started) {
        core.ioc.run();  // run the posted closes ourselves; nothing else is queued yet
        impl_->listeners.clear();
        return;
    }
    auto timeout = core.config.shutdown_timeout;
    for (auto& c : impl_->live_connections()) c->begin_shutdown();
    if (!impl_->wait_connections(timeout)) {
        log::warn("api: shutdown timeout; closing busy connections");
        for (auto& c : impl_->live_connections()) c->force_close();
        impl_->wait_connections(std::chrono::milliseconds(2000));
    }
    bool handlers_done = core.pool.drain(timeout);
    impl_->work.reset();
    core.ioc.stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
    impl_->listeners.clear();
    if (!handlers_done) {
        // A handler ignores its closed connection; it may still touch the server state, so
        // leave that state alive rather than free it under the handler.
        log::error("api: handlers still running after shutdown; leaving them their state");
        (void)impl_->core.release();  // leaked on purpose: a running handler may still use it
    }
}

}  // namespace berth::api

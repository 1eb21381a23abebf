// Attach and resize: a connection to the container's shim (attach.sock). Before the
// container starts, attach waits for start() to bring the shim up and connects while the
// init still waits on its fifo, so the client sees all output from the first byte.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>

#include "common/file.h"
#include "common/sys.h"
#include "daemon/containers/manager_impl.h"
#include "shim/shim.h"

namespace berth::daemon::containers {

namespace {

Result<UniqueFd> connect_shim(const std::string& dir, const std::string& header) {
    std::string path = dir + "/" + shim::kAttachSocket;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::invalid("attach socket path too long: " + path);
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::sys("connect", path);
    BERTH_TRY(write_all(fd.get(), header));
    if (header.rfind("attach", 0) != 0) return fd;
    char ok[3];
    size_t got = 0;
    while (got < 3) {
        ssize_t n = sys::retry_eintr([&] { return ::read(fd.get(), ok + got, 3 - got); });
        if (n <= 0) return Error::conflict("the container's shim closed the attach connection");
        got += static_cast<size_t>(n);
    }
    if (std::string_view(ok, 3) != "ok\n") return Error::internal("unexpected reply from the shim");
    return fd;
}

}  // namespace

Result<Attachment> ManagerImpl::attach(const std::string& ref, bool in, bool out, bool err,
                                       const std::function<Result<>()>& registered) {
    auto e = BERTH_TRY(find(ref));
    std::string header = std::string("attach stdin=") + (in ? "1" : "0") + " stdout=" + (out ? "1" : "0") +
                         " stderr=" + (err ? "1" : "0") + "\n";
    Attachment a;
    std::unique_lock lk(mu_);
    a.tty = e->c.config.tty;
    if (e->c.state.status == Status::Paused)
        return Error::conflict("You cannot attach to a paused container, unpause it first");
    if (e->c.state.status != Status::Running || e->shim_ready) {
        // Not started yet: wait for start() to bring the shim up (it waits for us).
        e->pending_attach++;
        uint64_t failures = e->start_failures;
        if (registered) {
            lk.unlock();
            auto r = registered();
            lk.lock();
            if (!r) {
                e->pending_attach--;
                cv_.notify_all();
                return r.error();
            }
        }
        cv_.wait(lk, [&] {
            return e->shim_ready || e->removed || stopping_ || e->c.state.status == Status::Running ||
                   e->start_failures != failures;
        });
        bool ready = e->shim_ready || e->c.state.status == Status::Running;
        lk.unlock();
        auto fd = ready ? connect_shim(shim_dir(e->c.id), header)
                        : Result<UniqueFd>(Error::conflict("the container did not start"));
        lk.lock();
        e->pending_attach--;
        cv_.notify_all();
        if (!fd) return fd.error();
        a.fd = std::move(*fd);
        publish(e->c, "attach");
        return a;
    }
    lk.unlock();
    if (registered) BERTH_TRY(registered());
    a.fd = BERTH_TRY(connect_shim(shim_dir(e->c.id), header));
    publish(e->c, "attach");
    return a;
}

Result<> ManagerImpl::resize(const std::string& ref, int height, int width) {
    auto e = BERTH_TRY(find(ref));
    if (height < 0 || width < 0 || height > 65535 || width > 65535)
        return Error::invalid("invalid terminal size " + std::to_string(height) + "x" +
                              std::to_string(width));
    if (!e->c.state.running()) return Error::conflict("Container " + e->c.id + " is not running");
    if (!e->c.config.tty) return ok();
    BERTH_TRY(connect_shim(shim_dir(e->c.id),
                           "resize " + std::to_string(height) + " " + std::to_string(width) + "\n"));
    return ok();
}

Result<bool> ManagerImpl::is_tty(const std::string& ref) {
    auto e = BERTH_TRY(find(ref));
    std::lock_guard lk(mu_);
    return e->c.config.tty;
}

}  // namespace berth::daemon::containers

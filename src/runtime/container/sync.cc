// Parent/child synchronisation over a SOCK_SEQPACKET socketpair: one message per record,
// [int type][payload]. Errors cross as "kind errno text".
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/sys.h"
#include "runtime/container/internal.h"

namespace berth::runtime {

namespace {
constexpr const char* kInitExited = "container init exited unexpectedly";
}  // namespace

Result<> sync_send(int fd, SyncMsg msg, std::string_view payload) {
    std::string buf(sizeof(int), '\0');
    int type = static_cast<int>(msg);
    memcpy(buf.data(), &type, sizeof type);
    buf.append(payload);
    ssize_t n = sys::retry_eintr([&] { return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL); });
    if (n < 0) return Error::sys("sync send");
    return ok();
}

Result<std::string> sync_expect(int fd, SyncMsg want) {
    char buf[8192];
    ssize_t n = sys::retry_eintr([&] { return ::recv(fd, buf, sizeof buf, 0); });
    if (n < 0) return Error::sys("sync receive");
    if (n == 0) return Error::internal(kInitExited);
    if (static_cast<size_t>(n) < sizeof(int)) return Error::internal("sync: short message");
    int type;
    memcpy(&type, buf, sizeof type);
    std::string payload(buf + sizeof(int), static_cast<size_t>(n) - sizeof(int));
    if (type == static_cast<int>(SyncMsg::Error)) {
        int kind = 0, err = 0, off = 0;
        if (sscanf(payload.c_str(), "%d %d %n", &kind, &err, &off) < 2) return Error::internal(payload);
        return Error::from_wire(kind, err, payload.substr(static_cast<size_t>(off)));
    }
    if (type != static_cast<int>(want))
        return Error::internal("sync: expected message " + std::to_string(static_cast<int>(want)) + ", got " +
                               std::to_string(type));
    return payload;
}

Result<> sync_wait_exec(int fd) {
    auto r = sync_expect(fd, SyncMsg::Go);
    if (!r && r.error().kind() == ErrorKind::Internal && r.error().message() == kInitExited) return ok();
    if (r) return Error::internal("sync: unexpected message after start");
    return std::move(r.error());
}

void child_fail(int fd, const Error& e, int code) {
    // Send context + message; the receiver re-adds errno through from_wire.
    std::string text;
    for (auto it = e.context().rbegin(); it != e.context().rend(); ++it) text += *it + ": ";
    text += e.message();
    std::string payload =
        std::to_string(static_cast<int>(e.kind())) + " " + std::to_string(e.sys_errno()) + " " + text;
    if (fd < 0 || !sync_send(fd, SyncMsg::Error, payload)) {
        std::string line = "berth-runtime: " + e.str() + "\n";
        ssize_t r = ::write(2, line.data(), line.size());
        (void)r;  // the child exits next; stderr was the last place to tell
    }
    _exit(code);
}

int wait_status_to_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace berth::runtime

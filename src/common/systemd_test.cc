#include "common/systemd.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace berth::systemd {
namespace {

TEST(Systemd, NotifySendsTheStateToNotifySocket) {
    char dir[] = "/tmp/berth-sd-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/notify";
    int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    ASSERT_TRUE(notify("READY=1\nSTATUS=serving"));
    char buf[64] = {};
    ASSERT_EQ(::recv(fd, buf, sizeof buf, MSG_DONTWAIT), 22);
    EXPECT_STREQ(buf, "READY=1\nSTATUS=serving");
    ::close(fd);

    ::setenv("NOTIFY_SOCKET", "relative", 1);
    auto bad = notify("READY=1");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().str().find("relative"), std::string::npos);
    ::setenv("NOTIFY_SOCKET", (std::string(dir) + "/nobody-listens").c_str(), 1);
    EXPECT_FALSE(notify("READY=1"));
    ::unlink(path.c_str());
    ::rmdir(dir);
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_TRUE(notify("READY=1")) << "outside systemd it is a no-op";
}

TEST(Systemd, ListenFdsOnlyForTheProcessNamed) {
    ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    EXPECT_TRUE(listen_fds().empty());
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr) << "children must not inherit them";

    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    // Put one socket at fd 3 as systemd would (3 may be in use by the test runner).
    int saved = ::dup(3);
    ASSERT_EQ(::dup2(sv[0], 3), 3);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    auto fds = listen_fds();
    ASSERT_EQ(fds.size(), 1u);
    EXPECT_EQ(fds[0], 3);
    if (saved >= 0) {
        ::dup2(saved, 3);
        ::close(saved);
    } else {
        ::close(3);
    }
    ::close(sv[0]);
    ::close(sv[1]);
}

}  // namespace
}  // namespace berth::systemd

#include "common/error.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

Result<int> fails() {
    return Error::sys("mount", "/x", EINVAL);
}
Result<int> passes() {
    return 7;
}

Result<int> chain() {
    int v = BERTH_TRY(passes());
    int w = BERTH_TRY_CTX(fails(), "prepare rootfs");
    return v + w;
}

TEST(Error, SysErrorCarriesErrnoAndPath) {
    auto e = Error::sys("mount", "/x", EINVAL);
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(e.sys_errno(), EINVAL);
    EXPECT_EQ(e.str(), "mount /x: EINVAL (Invalid argument)");
}

TEST(Error, ContextIsPrintedOutermostFirst) {
    auto r = chain();
    ASSERT_FALSE(r);
    auto e = r.error();
    e.with_context("create container abc");
    EXPECT_EQ(e.str(), "create container abc: prepare rootfs: mount /x: EINVAL (Invalid argument)");
}

TEST(Error, TryYieldsValue) {
    auto f = []() -> Result<int> { return BERTH_TRY(passes()) * 2; };
    ASSERT_TRUE(f());
    EXPECT_EQ(*f(), 14);
}

TEST(Error, KindsFromErrno) {
    EXPECT_EQ(kind_from_errno(ENOENT), ErrorKind::NotFound);
    EXPECT_EQ(kind_from_errno(EEXIST), ErrorKind::AlreadyExists);
    EXPECT_EQ(kind_from_errno(EPERM), ErrorKind::PermissionDenied);
    EXPECT_EQ(kind_from_errno(ENOSYS), ErrorKind::Unsupported);
}

TEST(Error, WireRoundTrip) {
    auto e = Error::from_wire(static_cast<int>(ErrorKind::NotFound), ENOENT, "exec /bin/nope");
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_EQ(e.str(), "exec /bin/nope: ENOENT (No such file or directory)");
    EXPECT_EQ(Error::from_wire(99, 0, "x").kind(), ErrorKind::Internal);
}

}  // namespace
}  // namespace berth

// Error values for every Berth component: a kind callers branch on, the errno and the
// operation/path that failed, and a chain of context added once per layer crossed.
// We never throw; see ../../STYLE notes in shared/STYLE.md §2.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace berth {

enum class ErrorKind {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    Conflict,
    PermissionDenied,
    Unavailable,
    Unsupported,
    Internal,
};

std::string_view to_string(ErrorKind kind);

class Error {
public:
    Error() = default;
    Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

    // A failed system call: errno is captured by the caller right after the call.
    static Error sys(std::string_view op, std::string_view path = {}, int err = errno);
    static Error invalid(std::string message) { return {ErrorKind::InvalidArgument, std::move(message)}; }
    static Error not_found(std::string message) { return {ErrorKind::NotFound, std::move(message)}; }
    static Error conflict(std::string message) { return {ErrorKind::Conflict, std::move(message)}; }
    static Error exists(std::string message) { return {ErrorKind::AlreadyExists, std::move(message)}; }
    static Error unsupported(std::string message) { return {ErrorKind::Unsupported, std::move(message)}; }
    static Error internal(std::string message) { return {ErrorKind::Internal, std::move(message)}; }

    ErrorKind kind() const { return kind_; }
    int sys_errno() const { return errno_; }
    const std::string& message() const { return message_; }
    const std::vector<std::string>& context() const { return context_; }

    // Adds an outer layer of context ("prepare rootfs"); printed before the message.
    Error& with_context(std::string ctx) & {
        context_.push_back(std::move(ctx));
        return *this;
    }
    Error&& with_context(std::string ctx) && {
        context_.push_back(std::move(ctx));
        return std::move(*this);
    }

    // "create container 3f2a: prepare rootfs: mount overlay on /x: EINVAL (Invalid argument)"
    std::string str() const;

    // Rebuilds an error sent between processes (kind, errno, text).
    static Error from_wire(int kind, int err, std::string text);

private:
    ErrorKind kind_ = ErrorKind::Internal;
    int errno_ = 0;
    std::string message_;
    std::vector<std::string> context_;  // innermost first
};

ErrorKind kind_from_errno(int err);

template <typename T = void>
class [[nodiscard]] Result : public tl::expected<T, Error> {
public:
    using tl::expected<T, Error>::expected;
    Result(Error e) : tl::expected<T, Error>(tl::unexpected<Error>(std::move(e))) {}
    Result(const tl::expected<T, Error>& other) : tl::expected<T, Error>(other) {}
    Result(tl::expected<T, Error>&& other) : tl::expected<T, Error>(std::move(other)) {}
};

inline Result<> ok() {
    return {};
}

// Abort on a broken invariant (never for anything the environment can cause).
[[noreturn]] void assert_fail(const char* expr, const char* file, int line);

namespace detail {
template <typename T>
T take_value(tl::expected<T, Error>& r) {
    return std::move(*r);
}
inline void take_value(tl::expected<void, Error>&) {}
}  // namespace detail

}  // namespace berth

#define BERTH_ASSERT(expr) ((expr) ? (void)0 : ::berth::assert_fail(#expr, __FILE__, __LINE__))  // no-op arm

// Evaluates a Result-returning expression; returns its error from the enclosing function,
// otherwise yields the value.
#define BERTH_TRY(expr)                                                            \
    ({                                                                             \
        auto&& berth_try_r_ = (expr);                                              \
        if (!berth_try_r_) return ::berth::Error(std::move(berth_try_r_).error()); \
        ::berth::detail::take_value(berth_try_r_);                                 \
    })

#define BERTH_TRY_CTX(expr, ctx)                                                                     \
    ({                                                                                               \
        auto&& berth_try_r_ = (expr);                                                                \
        if (!berth_try_r_) return ::berth::Error(std::move(berth_try_r_).error()).with_context(ctx); \
        ::berth::detail::take_value(berth_try_r_);                                                   \
    })

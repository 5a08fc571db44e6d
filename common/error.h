// Error values for bad input and environment failures (programmer bugs assert instead).
// A Result<T> holds either a T or an Error whose message names what failed, on which object,
// where, and a hint — the message a biologist reads, so it is a full sentence.
#pragma once

#include <cassert>
#include <sstream>
#include <string>
#include <utility>
#include <variant>

namespace ms {

struct Error {
    std::string message;
    // The same call may succeed shortly without anyone changing anything: something another
    // process is creating is not there yet (a results database whose schema a job is writing).
    bool retryable = false;
    // The file read is damaged (a results database's pages): a reader that reports damage, such
    // as an integrity check, takes it as a finding rather than as its own failure.
    bool damaged = false;
};

// Concatenates its arguments with operator<<: ms::cat("tensor '", name, "' has shape ", shape).
template <class... Args>
std::string cat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}

template <class... Args>
Error make_error(const Args&... args) {
    return Error{cat(args...)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { assert(failed_); return error_; }

private:
    Error error_;
    bool failed_ = false;
};

}  // namespace ms

// Assigns the value of a Result<T> expression to `lhs`, or returns its error to the caller.
#define MS_ASSIGN(lhs, expr)                                      \
    do {                                                          \
        auto ms_assign_result_ = (expr);                          \
        if (!ms_assign_result_) return ms_assign_result_.error(); \
        lhs = std::move(*ms_assign_result_);                      \
    } while (0)

// Propagates an error from an expression of type Result<...> to the caller.
#define MS_TRY(expr)                                  \
    do {                                              \
        auto ms_try_result_ = (expr);                 \
        if (!ms_try_result_) return ms_try_result_.error(); \
    } while (0)

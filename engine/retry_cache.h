// A value worked out once and kept, unless it came out bad: then worked out again when asked, at
// most once per `wait`. The GPU scan uses it (backend_registry.cpp): a device that failed its
// self-test while another program held the GPU's memory, or while it was busy in exclusive mode,
// stayed unusable for the life of the process (a GUI session kept the CPU until it was restarted),
// while a scan that went well is not repeated (it takes hundreds of milliseconds, and the GUI's
// dialogs ask for it on the GUI thread).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

namespace ms {

template <typename T>
class RetryCache {
public:
    using Clock = std::chrono::steady_clock;

    RetryCache(std::function<T()> make, std::function<bool(const T&)> good, Clock::duration wait)
        : make_(std::move(make)), good_(std::move(good)), wait_(wait) {}

    // A copy: another thread may replace the value while the caller reads it.
    T get(Clock::time_point now = Clock::now()) {
        std::lock_guard lock(mutex_);
        if (!value_ || (!good_(*value_) && now - made_at_ >= wait_)) {
            value_ = make_();
            made_at_ = now;
        }
        return *value_;
    }

private:
    std::function<T()> make_;
    std::function<bool(const T&)> good_;
    Clock::duration wait_;
    std::mutex mutex_;
    std::optional<T> value_;
    Clock::time_point made_at_{};
};

}  // namespace ms

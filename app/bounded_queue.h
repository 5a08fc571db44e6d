// A bounded multi-producer/multi-consumer queue joining the stages of a job (reader → compute →
// writer): a full queue makes the faster stage wait, so memory stays bounded whatever the genome,
// and close() ends the job from either side (end of input, an error, Ctrl-C).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace ms {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(size_t capacity) : capacity_(capacity ? capacity : 1) {}
    // Bounded by bytes too: items whose sizes vary by orders of magnitude (10 kbp windows, whole
    // chromosomes) would otherwise hold capacity × the largest. An item larger than max_bytes still
    // goes into an empty queue, so one huge item waits for room but never forever.
    BoundedQueue(size_t capacity, size_t max_bytes, std::function<size_t(const T&)> bytes_of)
        : capacity_(capacity ? capacity : 1), max_bytes_(max_bytes), bytes_of_(std::move(bytes_of)) {}

    // Waits for room; false (and the item dropped) once the queue is closed.
    bool push(T item) {
        const size_t w = bytes_of_ ? bytes_of_(item) : 0;
        std::unique_lock lock(mutex_);
        const auto room = [&] {
            return closed_ || (items_.size() < capacity_ && (items_.empty() || bytes_ + w <= max_bytes_));
        };
        if (!room()) {
            const auto t0 = std::chrono::steady_clock::now();
            not_full_.wait(lock, room);
            push_wait_ += std::chrono::steady_clock::now() - t0;
        }
        if (closed_) return false;
        items_.push_back({std::move(item), w});
        bytes_ += w;
        not_empty_.notify_one();
        return true;
    }

    // Waits for an item; nothing once the queue is closed and drained.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        const auto ready = [&] { return closed_ || !items_.empty(); };
        if (!ready()) {
            const auto t0 = std::chrono::steady_clock::now();
            not_empty_.wait(lock, ready);
            pop_wait_ += std::chrono::steady_clock::now() - t0;
        }
        return take_front();
    }

    // An item if one is queued now; never waits.
    std::optional<T> try_pop() {
        std::lock_guard lock(mutex_);
        return take_front();
    }

    // Bytes held now (0 without a size function): for tests and progress.
    size_t bytes() const {
        std::lock_guard lock(mutex_);
        return bytes_;
    }

    // Seconds producers have waited for room and consumers for items, all of them together: a
    // stage that waits on neither side sets the job's pace (`score`'s stage times).
    double push_wait_seconds() const {
        std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(push_wait_).count();
    }
    double pop_wait_seconds() const {
        std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(pop_wait_).count();
    }

    // No more pushes; consumers drain what is queued, producers waiting for room give up.
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_full_.notify_all();
        not_empty_.notify_all();
    }

private:
    // The first item, or nothing when there is none; the caller holds the lock.
    std::optional<T> take_front() {
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front().item);
        bytes_ -= items_.front().bytes;
        items_.pop_front();
        // Several small items may fit where one large one left: wake every waiting producer.
        not_full_.notify_all();
        return item;
    }

    struct Entry {
        T item;
        size_t bytes;
    };
    const size_t capacity_;
    const size_t max_bytes_ = SIZE_MAX;
    const std::function<size_t(const T&)> bytes_of_;
    mutable std::mutex mutex_;
    std::condition_variable not_full_, not_empty_;
    std::deque<Entry> items_;
    size_t bytes_ = 0;
    bool closed_ = false;
    std::chrono::steady_clock::duration push_wait_{}, pop_wait_{};
};

}  // namespace ms

#include "engine/thread_pool.h"

#include <algorithm>
#include <exception>

#include "common/thread_name.h"

namespace ms {

namespace {
// The i-th of `parts` ranges of [0, n), aligned to `grain`.
std::pair<int, int> slice(int n, int grain, int parts, int i) {
    const int blocks = (n + grain - 1) / grain;
    const int b0 = int(int64_t(blocks) * i / parts), b1 = int(int64_t(blocks) * (i + 1) / parts);
    return {std::min(n, b0 * grain), std::min(n, b1 * grain)};
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < threads; ++i)
        workers_.emplace_back([this, i] {
            name_this_thread("ms-pool");
            worker_loop(i);
        });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(int n, int grain, const std::function<void(int, int)>& fn) {
    if (n <= 0) return;
    if (workers_.empty() || n <= grain) {
        fn(0, n);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = &fn;
        job_n_ = n;
        job_grain_ = grain;
        pending_ = int(workers_.size());
        ++generation_;
    }
    wake_.notify_all();
    auto [b, e] = slice(n, grain, size(), 0);
    std::exception_ptr mine;
    try {
        if (b < e) fn(b, e);
    } catch (...) {
        mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    // The first error of any share, once every share is done (fn and what it uses live in the
    // caller's frame): before, a worker's exception ended the process and the caller's returned
    // while the workers still ran fn.
    std::exception_ptr error = mine ? mine : error_;
    error_ = nullptr;
    lock.unlock();
    if (error) std::rethrow_exception(error);
}

void ThreadPool::worker_loop(int index) {
    unsigned seen = 0;
    for (;;) {
        const std::function<void(int, int)>* job;
        int n, grain;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            job = job_;
            n = job_n_;
            grain = job_grain_;
        }
        auto [b, e] = slice(n, grain, size(), index);
        std::exception_ptr error;
        try {
            if (b < e) (*job)(b, e);
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (error && !error_) error_ = error;
            if (--pending_ == 0) done_.notify_one();
        }
    }
}

}  // namespace ms

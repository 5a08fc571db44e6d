// A fixed pool of worker threads for all of the CPU backend's work: parallel_for splits [0, n) into
// one contiguous range per thread and waits for all of them. Matrix products use it too — each
// thread runs a single-threaded OpenBLAS call on its rows (cpu_backend.cpp, gemm_nt) — so one set
// of threads serves the whole forward pass.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ms {

class ThreadPool {
public:
    explicit ThreadPool(int threads);   // threads ≤ 0: one per hardware thread
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(workers_.size()) + 1; }   // the caller works too
    // fn(begin, end) over contiguous ranges of [0, n) whose boundaries are multiples of `grain`.
    // An exception of any range (std::bad_alloc) is rethrown here once all ranges are done.
    void parallel_for(int n, int grain, const std::function<void(int, int)>& fn);

private:
    void worker_loop(int index);
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int, int)>* job_ = nullptr;
    int job_n_ = 0, job_grain_ = 1, pending_ = 0;
    unsigned generation_ = 0;
    std::exception_ptr error_;  // the first exception of a worker's range in this job
    bool stop_ = false;
};

}  // namespace ms

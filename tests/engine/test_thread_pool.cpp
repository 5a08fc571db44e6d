// parallel_for covers every index exactly once, in grain-aligned ranges, from any thread count,
// and an exception in any range reaches the caller once every range is done. The CPU backends'
// threads fit the process's address-space limit.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <new>
#include <thread>
#include <vector>

#include "engine/thread_budget.h"
#include "engine/thread_pool.h"
#include "tests/common/harness.h"

MS_TEST(parallel_for_covers_each_index_once) {
    for (int threads : {1, 2, 3, 8}) {
        ms::ThreadPool pool(threads);
        for (int n : {0, 1, 5, 16, 17, 1000})
            for (int grain : {1, 4, 16}) {
                std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
                std::atomic<bool> aligned{true};
                pool.parallel_for(n, grain, [&](int b, int e) {
                    if (b % grain) aligned = false;
                    for (int i = b; i < e; ++i) hits[size_t(i)]++;
                });
                for (int i = 0; i < n; ++i) MS_CHECK_MSG(hits[size_t(i)] == 1, "threads " << threads << " n " << n << " i " << i);
                MS_CHECK(aligned);
            }
    }
}

// A worker's std::bad_alloc (a job under an address-space limit) ended the process, and the
// caller's own returned while the workers still ran the function on its stack.
MS_TEST(an_exception_in_any_range_reaches_the_caller_after_all_ranges) {
    ms::ThreadPool pool(4);
    for (int thrower = 0; thrower < 4; ++thrower) {
        std::atomic<int> finished{0};
        bool caught = false;
        try {
            pool.parallel_for(4, 1, [&](int b, int) {
                if (b == thrower) throw std::bad_alloc();
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                ++finished;
            });
        } catch (const std::bad_alloc&) {
            caught = true;
        }
        MS_CHECK_MSG(caught, "range " << thrower);
        MS_CHECK_EQ(finished.load(), 3);
        // The pool works on after it.
        std::atomic<int> sum{0};
        pool.parallel_for(100, 1, [&](int b, int e) { sum += e - b; });
        MS_CHECK_EQ(sum.load(), 100);
    }
}

// OpenBLAS keeps a buffer for each thread that calls it; under `ulimit -v` too small for them it
// retried its mmap forever (64 threads under 3 GB spun and never ended).
MS_TEST(threads_fit_half_the_free_address_space) {
    constexpr uint64_t MiB = uint64_t(1) << 20;
    MS_CHECK_EQ(ms::cpu_threads_within(0, 300 * MiB, 64), 64);  // no limit
    MS_CHECK_EQ(ms::cpu_threads_within(3000000000ull, 300 * MiB, 64), 6);
    MS_CHECK_EQ(ms::cpu_threads_within(3000000000ull, 300 * MiB, 4), 4);
    MS_CHECK_EQ(ms::cpu_threads_within(64ull << 30, 300 * MiB, 64), 64);
    MS_CHECK_EQ(ms::cpu_threads_within(1ull << 30, 2ull << 30, 8), 1);  // already past it: one thread still runs
    MS_CHECK_EQ(ms::cpu_threads_within(0, 0, 0), 1);
}

// The backends of one process share the budget (score's lanes each open one), and a destroyed
// backend gives its threads back.
MS_TEST(backends_share_the_limit_and_give_threads_back) {
    rlimit saved{};
    MS_CHECK(getrlimit(RLIMIT_AS, &saved) == 0);
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    statm >> pages;
    const uint64_t mapped = pages * uint64_t(sysconf(_SC_PAGESIZE));
    rlimit tight = saved;
    tight.rlim_cur =
        mapped + 2200 * (uint64_t(1) << 20);  // room for 5 threads' buffers (and 100 MiB to spare) beside as much data
    if (saved.rlim_max != RLIM_INFINITY && tight.rlim_cur > saved.rlim_max) tight.rlim_cur = saved.rlim_max;
    MS_CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
    int first = 0, second = 0, again = 0;
    std::string why;
    {
        ms::CpuThreadGrant a(64);
        first = a.threads();
        why = a.shortfall();
        ms::CpuThreadGrant b(64);
        second = b.threads();
    }
    {
        ms::CpuThreadGrant c(64);
        again = c.threads();
    }
    ms::CpuThreadGrant small(2);
    const int small_threads = small.threads();
    const bool small_short = !small.shortfall().empty();
    MS_CHECK(setrlimit(RLIMIT_AS, &saved) == 0);
    MS_CHECK_EQ(first, 5);
    MS_CHECK_EQ(second, 1);
    MS_CHECK_EQ(again, first);
    MS_CHECK_EQ(small_threads, 2);
    MS_CHECK(!small_short);
    MS_CHECK_MSG(why.find("5 CPU thread(s) of the 64 asked for: the address-space limit (ulimit -v ") == 0, why);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// parallel_for covers every index exactly once, in grain-aligned ranges, from any thread count,
// and an exception in any range reaches the caller once every range is done.
#include <atomic>
#include <chrono>
#include <new>
#include <thread>
#include <vector>

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

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

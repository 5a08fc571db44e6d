// parallel_for covers every index exactly once, in grain-aligned ranges, from any thread count.
#include <atomic>
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

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

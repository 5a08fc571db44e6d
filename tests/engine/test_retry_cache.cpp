// engine/retry_cache.h: a good value is worked out once; a bad one again when asked, at most once
// per wait (the GPU scan: a device that failed its self-test while another program held it is
// tried again instead of staying unusable for the process).
#include "engine/retry_cache.h"

#include <thread>
#include <vector>

#include "tests/common/harness.h"

using namespace std::chrono_literals;
using Clock = ms::RetryCache<int>::Clock;

MS_TEST(a_bad_value_is_worked_out_again_after_the_wait_and_a_good_one_kept) {
    int calls = 0;
    std::vector<int> answers{-1, -2, 7, 8};  // negative: bad (a device failed)
    ms::RetryCache<int> cache([&] { return answers[size_t(calls++)]; }, [](int v) { return v >= 0; }, 30s);
    const Clock::time_point t0 = Clock::now();
    MS_CHECK_EQ(cache.get(t0), -1);
    MS_CHECK_EQ(cache.get(t0 + 29s), -1);  // within the wait: not asked again
    MS_CHECK_EQ(calls, 1);
    MS_CHECK_EQ(cache.get(t0 + 30s), -2);  // the wait over: asked again, still bad
    MS_CHECK_EQ(cache.get(t0 + 59s), -2);
    MS_CHECK_EQ(cache.get(t0 + 60s), 7);    // good now
    MS_CHECK_EQ(cache.get(t0 + 3600s), 7);  // and kept
    MS_CHECK_EQ(calls, 3);
}

MS_TEST(threads_asking_at_once_work_it_out_once) {
    int calls = 0;
    ms::RetryCache<int> cache(
        [&] {
            std::this_thread::sleep_for(20ms);
            return ++calls;
        },
        [](int) { return true; }, 30s);
    std::vector<std::thread> threads;
    std::vector<int> seen(8);
    for (size_t i = 0; i < seen.size(); ++i) threads.emplace_back([&, i] { seen[i] = cache.get(); });
    for (std::thread& t : threads) t.join();
    MS_CHECK_EQ(calls, 1);
    for (int v : seen) MS_CHECK_EQ(v, 1);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// The queues between a job's stages: bounded by count, and by bytes when given a size function
// (classify/embed items range from 10 kbp windows to whole chromosomes); close() ends waits.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "app/bounded_queue.h"
#include "tests/common/harness.h"

using namespace ms;
using namespace std::chrono_literals;

namespace {

// Waits until `pushed` stops changing for a while: the producer is blocked (or done).
int settled(const std::atomic<int>& pushed) {
    int last = -1;
    for (int same = 0; same < 5; std::this_thread::sleep_for(20ms)) {
        const int now = pushed.load();
        same = now == last ? same + 1 : 0;
        last = now;
    }
    return last;
}

}  // namespace

MS_TEST(queue_bounded_by_bytes_holds_no_more_than_its_budget) {
    BoundedQueue<std::string> q(100, 1000, [](const std::string& s) { return s.size(); });
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        for (int i = 0; i < 10; ++i) {
            if (!q.push(std::string(400, 'A'))) return;
            ++pushed;
        }
    });
    // Two items of 400 bytes fit in 1,000; the third waits although the count allows 100.
    MS_CHECK_EQ(settled(pushed), 2);
    MS_CHECK_EQ(q.bytes(), size_t(800));
    MS_CHECK(q.pop().has_value());
    MS_CHECK_EQ(settled(pushed), 3);
    MS_CHECK(q.bytes() <= size_t(1000));
    q.close();   // the waiting producer gives up
    producer.join();
    MS_CHECK_EQ(pushed.load(), 3);
    // What was queued before close() is still handed out.
    MS_CHECK(q.pop().has_value() && q.pop().has_value() && !q.pop().has_value());
}

MS_TEST(an_item_larger_than_the_budget_goes_through_alone) {
    BoundedQueue<std::string> q(100, 1000, [](const std::string& s) { return s.size(); });
    MS_CHECK(q.push(std::string(5000, 'C')));   // an empty queue takes it: a chromosome never deadlocks
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        if (q.push(std::string(10, 'G'))) ++pushed;
    });
    MS_CHECK_EQ(settled(pushed), 0);   // nothing joins it until it is taken
    MS_CHECK_EQ(q.pop()->size(), size_t(5000));
    producer.join();
    MS_CHECK_EQ(pushed.load(), 1);
    MS_CHECK_EQ(q.bytes(), size_t(10));
}

MS_TEST(queue_bounded_by_count) {
    BoundedQueue<int> q(3);
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        for (int i = 0; i < 5; ++i)
            if (q.push(i)) ++pushed;
    });
    MS_CHECK_EQ(settled(pushed), 3);
    MS_CHECK_EQ(*q.pop(), 0);
    MS_CHECK_EQ(settled(pushed), 4);
    q.close();
    producer.join();
    MS_CHECK_EQ(q.bytes(), size_t(0));   // no size function: bytes are not counted
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// try_pop takes what is queued without waiting (the score writer records completed parts when its
// queue runs dry), frees room for a waiting producer, and gives nothing on an empty queue, open or
// closed.
MS_TEST(try_pop_never_waits_and_frees_room) {
    BoundedQueue<int> q(1);
    MS_CHECK(!q.try_pop());
    MS_CHECK(q.push(1));
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        if (q.push(2)) ++pushed;
    });
    MS_CHECK_EQ(settled(pushed), 0);  // full: the second push waits
    MS_CHECK_EQ(q.try_pop().value_or(-1), 1);
    producer.join();
    MS_CHECK_EQ(pushed.load(), 1);
    MS_CHECK_EQ(q.try_pop().value_or(-1), 2);
    q.close();
    MS_CHECK(!q.try_pop() && !q.pop());
}

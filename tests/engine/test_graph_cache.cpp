// engine/cuda/graph_cache.h: which chunk shapes the CUDA runner captures as graphs. A shape is
// launched kernel by kernel the first time, captured the second, replayed after; the last
// GraphCache::kGraphs graphs are kept (a sequence's tail does not evict its full chunks' graph),
// and every graph is destroyed exactly once. The GPU side (replays give the bits of launches) is
// cuda_graphs_replay_the_bits_of_launches in test_cuda_conformance.
#include "engine/cuda/graph_cache.h"

#include <map>
#include <vector>

#include "tests/common/harness.h"

namespace {

using Cache = ms::GraphCache<int>;
using Plan = Cache::Plan;

// Plays a runner: captures when told to (graph handle = key · 10 + capture count).
struct Runner {
    std::map<int, int> destroyed;  // handle → times destroyed
    int captures = 0;
    Cache cache{[this](int h) { ++destroyed[h]; }};
    Plan run(uint64_t key) {
        const Plan p = cache.plan(key);
        if (p == Plan::Capture) cache.add(key, int(key) * 10 + ++captures % 10);
        if (p == Plan::Replay) MS_CHECK_EQ(cache.exec() / 10, int(key));  // the key's own graph
        return p;
    }
};

}  // namespace

MS_TEST(a_shape_is_launched_then_captured_then_replayed) {
    Runner r;
    MS_CHECK(r.run(4096) == Plan::Launch);
    MS_CHECK(r.run(4096) == Plan::Capture);
    MS_CHECK(r.run(4096) == Plan::Replay);
    MS_CHECK(r.run(4096) == Plan::Replay);
    MS_CHECK_EQ(r.captures, 1);
}

MS_TEST(a_tail_between_full_chunks_keeps_their_graph) {
    // Records of 5,000 positions at 4,096-position chunks: 4,096 then 904, again and again. The
    // single kept graph this replaced was recaptured twice a record.
    Runner r;
    for (int rec = 0; rec < 10; ++rec) {
        r.run(4096);
        r.run(904);
    }
    MS_CHECK_EQ(r.captures, 2);
    MS_CHECK(r.run(4096) == Plan::Replay);
    MS_CHECK(r.run(904) == Plan::Replay);
}

MS_TEST(one_off_lengths_are_never_captured) {
    // Reads of many lengths: each is one chunk of a length of its own.
    Runner r;
    for (uint64_t len = 1000; len < 1200; ++len) MS_CHECK(r.run(len) == Plan::Launch);
    MS_CHECK_EQ(r.captures, 0);
    MS_CHECK_EQ(r.cache.size(), size_t(0));
    // The full chunk size still earns its graph among them.
    MS_CHECK(r.run(65536) == Plan::Launch);
    for (uint64_t len = 2000; len < 2010; ++len) r.run(len);
    MS_CHECK(r.run(65536) == Plan::Capture);
}

MS_TEST(the_least_recently_used_graph_goes_first_and_is_destroyed_once) {
    Runner r;
    const uint64_t n = Cache::kGraphs + 2;
    for (uint64_t k = 1; k <= n; ++k) {
        r.run(k);
        r.run(k);  // captured
        r.run(1);  // shape 1 is used after every capture: it stays
    }
    MS_CHECK_EQ(r.cache.size(), Cache::kGraphs);
    MS_CHECK(r.run(1) == Plan::Replay);
    MS_CHECK(r.run(n) == Plan::Replay);
    // Shapes 2 and 3 were the least recently used: dropped, each graph destroyed once.
    MS_CHECK_EQ(r.destroyed.size(), size_t(2));
    for (const auto& [handle, times] : r.destroyed) {
        MS_CHECK(handle / 10 == 2 || handle / 10 == 3);
        MS_CHECK_EQ(times, 1);
    }
    // A dropped shape starts over: it has to be seen twice again.
    MS_CHECK(r.run(2) == Plan::Launch);
    MS_CHECK(r.run(2) == Plan::Capture);
}

MS_TEST(clearing_destroys_every_kept_graph) {
    std::vector<int> destroyed;
    {
        Cache c([&](int h) { destroyed.push_back(h); });
        for (uint64_t k = 1; k <= 3; ++k) {
            c.plan(k);
            MS_CHECK(c.plan(k) == Plan::Capture);
            c.add(k, int(k));
        }
    }  // the destructor clears
    MS_CHECK_EQ(destroyed.size(), size_t(3));
}

MS_TEST(the_shapes_launched_once_are_remembered_within_a_bound) {
    Runner r;
    r.run(7);
    for (uint64_t k = 100; k < 100 + Cache::kSeen; ++k) r.run(k);  // 7 is now the oldest of kSeen + 1
    MS_CHECK(r.run(7) == Plan::Launch);                            // forgotten: first sight again
    MS_CHECK(r.run(100 + Cache::kSeen - 1) == Plan::Capture);      // the newest is remembered
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

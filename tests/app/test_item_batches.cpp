// plan_batches / joins_batch: items of many lengths in batches that run with little padding, within
// the session's streams and rows, each batch of one number of chunks; every item exactly once.
#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include "app/item_batches.h"
#include "tests/common/harness.h"

using namespace ms;

namespace {

// What every plan must be: each item once, each batch within the limits, sorted by length.
void check_plan(const std::vector<int64_t>& lengths, const BatchLimits& lim,
                const std::vector<std::vector<size_t>>& plan) {
    std::vector<size_t> seen;
    int64_t last = 0;
    for (const auto& batch : plan) {
        MS_CHECK(!batch.empty());
        MS_CHECK(int64_t(batch.size()) <= int64_t(lim.max_items));
        int64_t longest = 0, shortest = INT64_MAX;
        for (size_t i : batch) {
            longest = std::max(longest, lengths[i]);
            shortest = std::min(shortest, lengths[i]);
            MS_CHECK(lengths[i] >= last);  // batches run in order of length
            seen.push_back(i);
        }
        last = longest;
        const int64_t chunks = (longest + lim.chunk - 1) / lim.chunk;
        MS_CHECK_EQ((shortest + lim.chunk - 1) / lim.chunk, chunks);
        MS_CHECK(int64_t(batch.size()) * std::min(longest, lim.chunk) <= lim.rows);
        if (batch.size() > 1) MS_CHECK(int64_t(batch.size()) * std::min(longest, lim.chunk) <= lim.batch_positions());
    }
    std::sort(seen.begin(), seen.end());
    std::vector<size_t> all(lengths.size());
    std::iota(all.begin(), all.end(), size_t(0));
    MS_CHECK(seen == all);
}

}  // namespace

MS_TEST(lengths_in_turn_become_one_batch_a_length) {
    const BatchLimits lim{8, 1000, 1000};
    const std::vector<int64_t> lengths = {10, 90, 10, 90, 10, 90, 10, 90};
    const auto plan = plan_batches(lengths, lim);
    check_plan(lengths, lim, plan);
    MS_CHECK_EQ(plan.size(), size_t(2));
    MS_CHECK((plan[0] == std::vector<size_t>{0, 2, 4, 6}));  // ties keep the input's order
    MS_CHECK((plan[1] == std::vector<size_t>{1, 3, 5, 7}));
}

MS_TEST(batches_end_at_the_streams_and_the_rows) {
    // 5 streams at most: 12 items of 10 bases → 5, 5, 2.
    const std::vector<int64_t> twelve(12, 10);
    auto plan = plan_batches(twelve, BatchLimits{5, 1000, 1000});
    MS_CHECK_EQ(plan.size(), size_t(3));
    MS_CHECK_EQ(plan[2].size(), size_t(2));
    // 100 rows: 10 items of 10 bases fill them, the 11th starts a batch.
    plan = plan_batches(std::vector<int64_t>(11, 10), BatchLimits{64, 100, 100});
    MS_CHECK_EQ(plan.size(), size_t(2));
    MS_CHECK_EQ(plan[0].size(), size_t(10));
    // An item as long as the rows runs alone.
    plan = plan_batches({100, 5, 100}, BatchLimits{64, 100, 100});
    MS_CHECK_EQ(plan.size(), size_t(3));
}

MS_TEST(items_of_more_chunks_run_with_their_own) {
    // Chunks of 100 positions, 400 rows: items of 1 chunk, of 2 and of 3 never share a batch, and
    // those of several chunks fit the rows a chunk at a time (4 streams of 100 positions).
    const BatchLimits lim{16, 400, 100};
    const std::vector<int64_t> lengths = {250, 60, 150, 299, 190, 80, 120, 201, 101, 260, 170, 199};
    const auto plan = plan_batches(lengths, lim);
    check_plan(lengths, lim, plan);
    for (const auto& batch : plan) MS_CHECK(batch.size() <= size_t(4));
    MS_CHECK_EQ(plan.size(), size_t(4));            // {60, 80}, {101, 120, 150, 170}, {190, 199}, {201, 250, 260, 299}
    MS_CHECK(!joins_batch(lim, 1, 100, 100, 101));  // 2 chunks against 1
    MS_CHECK(joins_batch(lim, 0, 0, 0, 5000));      // a first item always joins
}

MS_TEST(padding_never_doubles_a_batch) {
    // Without the rule, one batch of 10 × 1000 positions for 9 × 10 + 1000 bases.
    const std::vector<int64_t> lengths = {10, 10, 10, 10, 10, 10, 10, 10, 10, 1000};
    const auto plan = plan_batches(lengths, BatchLimits{64, 100000, 100000});
    MS_CHECK_EQ(plan.size(), size_t(2));
    MS_CHECK((plan[1] == std::vector<size_t>{9}));
    MS_CHECK(joins_batch(BatchLimits{64, 100000, 100000}, 3, 100, 300, 100));
    MS_CHECK(!joins_batch(BatchLimits{64, 100000, 100000}, 9, 10, 90, 1000));  // 10 × 1000 > 2 × 1090
}

// A runner that runs a batch's call at its longest rounded up (the CUDA runner's captured lengths):
// batches are filled by the rounded length, so that they fit the rows at it.
MS_TEST(batches_fit_the_rows_at_the_length_the_call_runs) {
    BatchLimits lim{64, 300, 300, {}};
    const std::vector<int64_t> lengths(6, 100);
    MS_CHECK_EQ(plan_batches(lengths, lim).size(), size_t(2));  // 3 × 100 rows
    lim.call_length = [](int64_t n) { return (n + 63) / 64 * 64; };
    const auto plan = plan_batches(lengths, lim);
    MS_CHECK_EQ(plan.size(), size_t(3));  // 2 × 128 rows
    for (const auto& batch : plan) MS_CHECK(int64_t(batch.size()) * 128 <= lim.rows);
    // Never below the length itself, and the chunk bounds an item longer than it.
    lim.call_length = [](int64_t) { return int64_t(1); };
    MS_CHECK_EQ(plan_batches(lengths, lim).size(), size_t(2));
}

// On the CPU a batch is filled to ~2,000 positions (BatchLimits::fill) while the rows hold a long
// item's chunk: 150-base reads 13 a batch, a read longer than the fill alone.
MS_TEST(batches_stop_at_the_fill_below_the_rows) {
    BatchLimits lim{256, 65536, 65536, {}, 2048};
    MS_CHECK_EQ(lim.batch_positions(), int64_t(2048));
    std::vector<int64_t> lengths(40, 150);
    lengths.push_back(5000);
    const auto plan = plan_batches(lengths, lim);
    MS_CHECK_EQ(plan.size(), size_t(5));  // 13, 13, 13, 1 reads of 150; the long one
    MS_CHECK_EQ(plan[0].size(), size_t(13));
    MS_CHECK((plan.back() == std::vector<size_t>{40}));
    lim.fill = 0;
    MS_CHECK_EQ(plan_batches(lengths, lim).size(), size_t(2));  // all 40 in one batch, then the long one
}

MS_TEST(random_lengths_keep_every_limit) {
    std::mt19937 rng(5);
    std::lognormal_distribution<double> len(6.0, 1.5);
    for (int round = 0; round < 20; ++round) {
        std::vector<int64_t> lengths(size_t(1 + rng() % 3000));
        for (int64_t& l : lengths) l = std::max<int64_t>(1, int64_t(len(rng)));
        const BatchLimits lim{int(1 + rng() % 256), int64_t(2000 + rng() % 70000), int64_t(500 + rng() % 4000)};
        BatchLimits fixed = lim;
        fixed.rows = std::max(lim.rows, lim.chunk);
        if (round % 2) fixed.fill = int64_t(500 + rng() % 4000);
        const auto plan = plan_batches(lengths, fixed);
        check_plan(lengths, fixed, plan);
        int64_t bases = 0, positions = 0;
        for (const auto& batch : plan) {
            int64_t longest = 0;
            for (size_t i : batch) longest = std::max(longest, lengths[i]), bases += lengths[i];
            positions += int64_t(batch.size()) * longest;
        }
        MS_CHECK(positions <= 2 * bases);
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

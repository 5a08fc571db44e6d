#include "app/item_batches.h"

#include <algorithm>
#include <numeric>

namespace ms {

namespace {

int64_t chunks_of(int64_t length, int64_t chunk) { return chunk > 0 ? (length + chunk - 1) / chunk : 1; }

}  // namespace

bool joins_batch(const BatchLimits& lim, int64_t items, int64_t longest, int64_t bases, int64_t length) {
    if (items == 0) return true;
    const int64_t n = items + 1, L = std::max(longest, length);
    int64_t per_call = lim.chunk > 0 ? std::min(L, lim.chunk) : L;
    if (lim.call_length) per_call = std::max(per_call, lim.call_length(per_call));
    return n <= lim.max_items && n * per_call <= lim.batch_positions() &&
           chunks_of(length, lim.chunk) == chunks_of(longest, lim.chunk) && n * L <= 2 * (bases + length);
}

std::vector<std::vector<size_t>> plan_batches(const std::vector<int64_t>& lengths, const BatchLimits& lim) {
    std::vector<size_t> order(lengths.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const int64_t ca = chunks_of(lengths[a], lim.chunk), cb = chunks_of(lengths[b], lim.chunk);
        return ca != cb ? ca < cb : lengths[a] < lengths[b];
    });
    std::vector<std::vector<size_t>> batches;
    int64_t longest = 0, bases = 0;
    for (size_t i : order) {
        const int64_t len = lengths[i];
        if (batches.empty() || !joins_batch(lim, int64_t(batches.back().size()), longest, bases, len)) {
            batches.emplace_back();
            longest = bases = 0;
        }
        batches.back().push_back(i);
        longest = std::max(longest, len);
        bases += len;
    }
    return batches;
}

}  // namespace ms

// How items of different lengths share the engine's calls: side by side, each batch runs padded to
// its longest item (Session::pool_items, Session::start_items), so items wait in a window and run
// sorted by length. Shared by `score` (short records) and `classify`/`embed` (reads, records).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace ms {

struct BatchLimits {
    int max_items = 1;  // streams side by side (SessionOptions::batch)
    int64_t rows = 0;   // positions of one call over all its streams (Session::rows)
    int64_t chunk = 0;  // positions of one stream in one call (SessionOptions::chunk)
    // The positions a call runs for a batch whose longest item gives it this many (at most the
    // chunk): a length a GPU runner keeps a captured graph for (Session::call_length). Batches
    // filled to the rows by their items' own lengths did not fit at the rounded one and ran at a
    // length of their own, launched kernel by kernel. Empty: the length itself.
    std::function<int64_t(int64_t)> call_length;
    // Positions a batch is filled to at most, below the rows (0: the rows): on the CPU a call of
    // ~2,000 positions runs fastest (kCpuChunk), while the rows hold a long item's chunk.
    int64_t fill = 0;
    // The positions a batch holds at most: the fill, within the rows.
    int64_t batch_positions() const { return fill > 0 ? std::min(fill, rows) : rows; }
};

// Items side by side: batches, items, their bases and the positions the batches held (each
// batch's items padded to its longest).
struct BatchStats {
    int64_t batches = 0, items = 0, bases = 0, positions = 0;
    BatchStats& operator+=(const BatchStats& o) {
        batches += o.batches, items += o.items, bases += o.bases, positions += o.positions;
        return *this;
    }
};

// Items wait in a window of the input's order, this many batches' worth (by positions and by
// items), and run sorted by length: taken in the input's order, records of 0.5–5 kbp ran ~40 %
// padding (docs/performance.md).
constexpr int64_t kWindowBatches = 16;

// Whether an item of `length` bases joins a batch of `items` items (0: none yet) whose longest has
// `longest` bases and which holds `bases` in all. It does not when the batch is full (streams, or
// streams · the positions a call gives each stream against batch_positions()), when it takes another number
// of chunks than the batch's items (a batch runs its chunks together), or when it would at least
// double the batch's work in padding.
bool joins_batch(const BatchLimits& lim, int64_t items, int64_t longest, int64_t bases, int64_t length);

// Items of these lengths in batches, each a list of indices into `lengths`: sorted by the chunks
// they take, then by length (ties in input order), and cut where joins_batch says.
std::vector<std::vector<size_t>> plan_batches(const std::vector<int64_t>& lengths, const BatchLimits& lim);

}  // namespace ms

// Which chunk shapes the CUDA runner replays from a captured graph, and the graphs it keeps.
//
// Why: a graph replays a chunk's 200-odd kernel and cuBLAS launches as one, but capturing and
// instantiating one costs ~1.5 ms (256 × 16 on an H200), as much as running a 4,096-position
// chunk. A single kept graph was recaptured whenever the chunk's length changed: every sequence's
// last chunk has a length of its own, so a record of 5,000 positions at 4,096-position chunks
// paid two captures and ran at a quarter of the steady rate (docs/performance.md). Here a shape
// is captured only when it comes a second time — one-off lengths (the variant walker's cuts)
// launch their kernels one by one — and the last kGraphs graphs are kept, so a sequence's tail no
// longer evicts the full chunks' graph. Sequences' last chunks run at a few lengths
// (CudaRunner::final_chunk_length), so those repeat too.
//
// Host-only logic with the graph handle as a template parameter, so it is tested without a GPU
// (tests/engine/test_graph_cache.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace ms {

template <typename Exec>
class GraphCache {
public:
    enum class Plan {
        Launch,   // first time this shape is seen: launch the kernels one by one
        Capture,  // seen before and not kept: capture a graph, add() it, replay it
        Replay,   // kept: replay exec()
    };
    // Graphs kept: a long sequence's chunks and the last-chunk lengths of sequences ending
    // anywhere (CudaRunner::final_chunk_length: eight an octave, ~50 between 1 kbp and 64 kbp).
    static constexpr size_t kGraphs = 64;
    static constexpr size_t kSeen = 128;  // shapes remembered as launched once

    explicit GraphCache(std::function<void(Exec)> destroy) : destroy_(std::move(destroy)) {}
    GraphCache(const GraphCache&) = delete;
    GraphCache& operator=(const GraphCache&) = delete;
    ~GraphCache() { clear(); }

    // What to do with a chunk of shape `key`; marks the key as used last.
    Plan plan(uint64_t key) {
        const auto g = std::find_if(graphs_.begin(), graphs_.end(), [&](const auto& e) { return e.first == key; });
        if (g != graphs_.end()) {
            std::rotate(graphs_.begin(), g, g + 1);  // most recently used first
            return Plan::Replay;
        }
        const auto s = std::find(seen_.begin(), seen_.end(), key);
        if (s != seen_.end()) {
            seen_.erase(s);
            return Plan::Capture;
        }
        seen_.push_front(key);
        if (seen_.size() > kSeen) seen_.pop_back();
        return Plan::Launch;
    }
    // The graph of the key plan() last answered Replay for.
    Exec exec() const { return graphs_.front().second; }
    // Keeps the graph captured for `key` (after plan() answered Capture), dropping the least
    // recently used one when full. The caller waits for its launches before it adds: a dropped
    // graph is never running.
    void add(uint64_t key, Exec e) {
        if (graphs_.size() == kGraphs) {
            destroy_(graphs_.back().second);
            graphs_.pop_back();
        }
        graphs_.emplace_front(key, e);
    }
    void clear() {
        for (auto& g : graphs_) destroy_(g.second);
        graphs_.clear();
        seen_.clear();
    }
    size_t size() const { return graphs_.size(); }

private:
    std::function<void(Exec)> destroy_;
    std::deque<std::pair<uint64_t, Exec>> graphs_;  // most recently used first
    std::deque<uint64_t> seen_;                     // launched once, newest first
};

}  // namespace ms

// Streaming one sequence of any length through a model chunk by chunk, with every layer's conv and
// SSM state carried across chunks: memory depends on the chunk, not on the sequence, and chunked
// output equals one-shot output.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bases.h"
#include "common/error.h"
#include "engine/backend.h"
#include "engine/backend_registry.h"
#include "engine/heads.h"
#include "engine/model.h"

namespace ms {

struct SessionOptions {
    int chunk = 4096;      // positions per forward call
    Precision precision = Precision::FP32;
    bool logits = false;   // hand out the raw logits [T, vocab]
    bool hidden = false;   // hand out the final hidden states [T, d_model]
    bool scores = true;    // hand out per-base probabilities, log2-likelihood and entropy
    // Mean of the final hidden states over windows of this many bases, in run_sequence (0: one
    // embedding for the whole record; -1: none); the last window may be shorter. The runner sums
    // each chunk's rows per window (ChunkView::row_sums), so the rows themselves never leave it.
    int64_t pool_window = -1;
    // Items Session::pool_items and run_items run side by side at most (sizes the runner: its
    // memory is `rows` positions).
    int batch = 1;
    // Positions of one runner call over all its streams (0: batch · chunk). Less lets a session
    // take one long sequence in chunks of `chunk` and short items side by side (run_items) in the
    // memory of one chunk.
    int64_t rows = 0;
};

// Whole-item pooled embeddings of a batch (Session::pool_items).
struct PooledItems {
    std::vector<float> embeddings;      // [items, d_model]: the mean of each item's final hidden states
    std::vector<size_t> unknown_bases;  // per item: bases that became [UNK]
};

// One chunk's outputs; pointers are valid during the sink call only.
struct ChunkView {
    int64_t start = 0;   // position of the chunk's first base in the sequence
    int T = 0;
    const int32_t* tokens = nullptr;
    const float* logits = nullptr;      // [T, vocab] or null
    const float* hidden = nullptr;      // [T, d_model] or null
    const BaseScores* scores = nullptr; // [T] or null
    // With SessionOptions::pool_window ≥ 0: the chunk's final hidden rows summed per pooling window
    // it touches [segments, d_model], the first being the window of position `start`.
    const float* row_sums = nullptr;
    int64_t segments = 0;
};

using ChunkSink = std::function<Result<void>(const ChunkView&)>;
// Item `item`'s outputs, all its positions in one view (Session::run_items).
using ItemChunkSink = std::function<Result<void>(size_t item, const ChunkView&)>;

class Session {
public:
    static Result<std::unique_ptr<Session>> create(const Model& model, Backend& backend, const SessionOptions& options);

    // Starts a new sequence (zero state).
    Result<void> reset();
    // Runs `n` tokens, continuing the current sequence; the sink sees each chunk in order. `ends`:
    // these are the sequence's last tokens, so its last chunk may run padded to the runner's
    // final_chunk_length() (the sink sees the real positions only); the session must then be
    // reset before it is fed again. After a failed feed (the runner's, or the sink's error) the
    // session must be reset too: chunks past the failure may have run.
    Result<void> feed(const int32_t* tokens, int64_t n, const ChunkSink& sink, bool ends = false);
    int64_t position() const { return position_; }
    // Items run side by side as a batch of streams (at most SessionOptions::batch), each from a zero
    // state: a GPU then sees items · length positions a call instead of one short item's (windows
    // of a few kbp), at the speed of long chunks. Items of different lengths (reads) run padded to
    // the longest and each is pooled over its own positions (ForwardOutputs::stream_rows); they
    // must take the same number of chunks, and items · the positions a chunk gives each (the
    // longest, at most the chunk) must fit the rows. The session must be reset before it is fed
    // again.
    Result<PooledItems> pool_items(const std::vector<std::string_view>& items);
    // Whole short items of any lengths side by side in one runner call, each from a zero state and
    // padded to the longest: at most SessionOptions::batch of them, none longer than the chunk,
    // items · the longest ≤ rows. The sink sees each item's outputs in item order, as feed() with
    // `ends` would give them for that item alone (scores, logits, hidden; with
    // SessionOptions::pool_window 0 the sum of the item's final hidden rows, ChunkView::row_sums,
    // one segment: what pool_items divides by its length). The session must be reset before it is
    // fed again.
    Result<void> run_items(const std::vector<std::string_view>& items, const ItemChunkSink& sink);
    // run_items with the device kept busy from one batch to the next: starts `items` behind the
    // batch the call before started, then hands that batch's outputs to its sink, so that the
    // caller's work on them runs while the device computes this batch. The last batch's outputs
    // come at finish_items(), which must be called before the session is used otherwise; `sink`
    // must stay callable until then (the items' bases need not). Where the runner cannot start
    // streams behind a chunk in flight (ModelRunner::starts_fresh_behind), this is run_items.
    // After an error every batch in flight is dropped.
    Result<void> start_items(const std::vector<std::string_view>& items, ItemChunkSink sink);
    Result<void> finish_items();
    // The positions a call of run_items/start_items runs for items of at most `longest` bases (≤ the
    // chunk): the runner's length for a last chunk (a captured graph's), where items · that fit the
    // rows; batches planned with it replay the runner's graphs (app/item_batches.h).
    int call_length(int longest) const;
    const SessionOptions& options() const { return options_; }
    // Positions of one runner call over all streams (SessionOptions::rows, or batch · chunk).
    int64_t rows() const;

private:
    // A batch of run_items/start_items: each item's tokens and the length all run at.
    struct ItemBatch {
        std::vector<std::vector<int32_t>> tokens;
        std::vector<int32_t> rows;  // each item's positions: its stream's rows when they are summed
        int run = 0;
        ItemChunkSink sink;  // start_items' batch in flight
    };
    Session(const Model& m, std::unique_ptr<ModelRunner> r, const SessionOptions& o);
    Result<ItemBatch> prepare_items(const std::vector<std::string_view>& items) const;
    // The runner's outputs for an item batch (row sums: each item's, with pool_window 0).
    ForwardOutputs item_outputs(const ItemBatch& b);
    // A finished batch's outputs (in the session's buffers) to `sink`, item after item.
    Result<void> hand_over(const ItemBatch& b, const ItemChunkSink& sink);
    // Finishes the oldest batch in flight and hands it over; on an error drops the rest.
    Result<void> finish_oldest(const ItemBatch& b);
    Result<void> no_items_in_flight() const;
    // After an error: the batch in flight finished into the buffers and dropped, unhanded.
    void drop_items_in_flight();
    // A new set of streams from zero state: position 0, nothing carried, no failure.
    void begin_streams();
    // reset() for `streams` streams side by side (pool_items, run_items): one runner reset, not two.
    Result<void> restart(int streams);
    // Positions [from, from + run) of each stream's tokens into padded_, stream after stream; a
    // stream shorter than that repeats its last token (outputs past it are dropped).
    void lay_streams(const std::vector<std::vector<int32_t>>& tokens, int64_t from, int run);
    // `outs`: what the chunks were started with, for finish().
    Result<void> pipeline(int64_t chunks, const ForwardOutputs& outs, const std::function<Result<void>(int64_t)>& start,
                          const std::function<Result<void>(int64_t)>& handle);
    const Model& model_;
    std::unique_ptr<ModelRunner> runner_;
    SessionOptions options_;
    int64_t position_ = 0;
    bool ended_ = false;  // fed with `ends`: the state may be a padded chunk's, not the sequence's
    bool failed_ = false;  // a feed failed: the runner's state may be past position_
    std::vector<int32_t> padded_;
    std::array<float, 4> carried_{};
    std::vector<float> logits_, hidden_, next_base_, row_sums_, pooled_;
    ForwardOutputs out_;  // the buffers above, as the runner's chunks write them
    std::vector<BaseScores> scores_;
    std::optional<ItemBatch> items_in_flight_;  // start_items' last batch, not yet handed over
};

enum class Strand { Forward, Reverse };

// Whole-record outputs in forward-strand coordinates (the `forward` command and tests).
struct SequenceOutputs {
    int64_t length = 0;
    size_t unknown_bases = 0;        // bases that became [UNK]
    std::vector<float> logits;       // [L, vocab] when asked for
    std::vector<float> hidden;       // [L, d_model] when asked for
    std::vector<BaseScores> scores;  // [L] when asked for
    std::vector<float> embeddings;   // [windows, d_model] when pool_window ≥ 0
    std::vector<int64_t> window_starts;   // first base of each embedding's window (forward strand)
};

// Runs a sequence through a session. Strand::Reverse runs the reverse complement and maps every
// output back to forward coordinates (base probabilities complemented: P(A) ← P(T) …); hidden rows
// are reordered only, logit rows reordered and their A↔T and C↔G columns swapped (forward-strand
// letters).
Result<SequenceOutputs> run_sequence(Session& session, const Model& model, std::string_view bases,
                                     const SessionOptions& options, Strand strand = Strand::Forward);

// A session on the chosen backend. When `device` is "auto" and the GPU it chose cannot run the
// model at this chunk size (out of memory, a kernel that fails), falls back to the CPU in fp32, as
// `auto` promises (options.precision then says fp32: what the job records), and says why in
// `*fallback` for the job to report (stderr in the CLI, the log in the GUI: printed here it never
// reached the GUI); an explicit device fails with the reason instead.
Result<std::unique_ptr<Session>> open_session(const Model& model, BackendChoice& choice, SessionOptions& options,
                                              const std::string& device, int threads, std::string* fallback = nullptr);

}  // namespace ms

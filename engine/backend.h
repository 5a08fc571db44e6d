// The contract between the engine and a compute backend (CPU always; CUDA as a run-time module).
// A backend says whether it can run a model (`supports`), then builds a ModelRunner that owns the
// weights in the backend's memory and the per-stream recurrent state (conv + SSM state of every
// layer), so a sequence of any length runs chunk after chunk with constant memory.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/model_config.h"
#include "engine/model_weights.h"
#include "kernels/mamba_ops.h"

namespace ms {

// Host buffers the runner fills for one chunk; null means "not wanted" (the runner may skip work).
struct ForwardOutputs {
    float* logits = nullptr;   // [batch, T, vocab_size]
    float* hidden = nullptr;   // [batch, T, d_model], last layer after the final norm
    // [batch, T, 4]: P(A), P(C), P(G), P(T) of the base after each position (the LM head's four
    // base logits, softmax over them). Needs RunnerLimits::acgt_ids; with no logits asked for, the
    // rest of the vocabulary is never computed.
    float* next_base = nullptr;
    // [batch, segment_count(segments), d_model]: each stream's final hidden rows (as `hidden`)
    // summed over the windows the chunk touches — pooled embeddings without every row leaving the
    // runner (on a GPU, 134 MB a 131K chunk of a 256-wide model). `segments` says where the rows
    // are cut and how many count (kernels/mamba_ops.h); finish() takes the chunk's from start().
    float* row_sums = nullptr;
    kernels::RowSegments segments;
    // [batch] or null: with row sums over one segment a chunk (window 0), stream b's sum covers its
    // first stream_rows[b] rows only (1 ≤ stream_rows[b] ≤ segments.rows) — items of different
    // lengths pooled side by side, each without the padding after its end. Null: segments.rows
    // for every stream. Read by start(); finish() takes the chunk's, as for `segments`.
    const int32_t* stream_rows = nullptr;
};

// out.segments (and out.stream_rows) against a chunk of `batch` streams of T positions, when row
// sums are asked for.
inline Result<void> check_segments(const ForwardOutputs& out, int batch, int T) {
    if (!out.row_sums) return {};
    const kernels::RowSegments& s = out.segments;
    if (s.rows < 1 || s.rows > T) return make_error("row sums over ", s.rows, " rows of a chunk of ", T);
    if (s.window < 0 || s.offset < 0 || (s.window > 0 ? s.offset >= s.window : s.offset != 0))
        return make_error("row sums cut every ", s.window, " rows from offset ", s.offset,
                          ": expected 0 ≤ offset < window");
    if (out.stream_rows) {
        if (s.window != 0) return make_error("row sums of each stream's own rows need one segment a chunk (window 0)");
        for (int b = 0; b < batch; ++b)
            if (out.stream_rows[b] < 1 || out.stream_rows[b] > s.rows)
                return make_error("row sums over ", out.stream_rows[b], " rows of stream ", b, ": expected 1 to ",
                                  s.rows);
    }
    return {};
}

// Stream b's row segments: out.segments with its own rows where out.stream_rows gives them.
inline kernels::RowSegments stream_segments(const ForwardOutputs& out, int b) {
    kernels::RowSegments s = out.segments;
    if (out.stream_rows) s.rows = out.stream_rows[b];
    return s;
}

// One stream's recurrent state copied out of a runner, so a shared prefix runs once and several
// continuations start from it (variant effects, in-silico mutagenesis). The layout is the same on
// every backend, so a state saved on one runner loads on any runner of the same model: every
// layer's conv state [d_conv − 1, d_inner] (oldest input first), then every layer's SSM state
// [d_inner, d_state], float32.
struct RunnerState {
    std::vector<float> values;
};

// Floats in one stream's RunnerState of this model.
inline size_t runner_state_floats(const ModelConfig& c) {
    return size_t(c.n_layer) * size_t(c.d_inner) * (size_t(c.d_conv - 1) + size_t(c.d_state));
}

// The checks every runner makes before save_state/load_state (`state` null for a save).
inline Result<void> check_state_access(const ModelConfig& c, int stream, int batch, const RunnerState* state) {
    if (batch == 0) return make_error("the runner was not reset before its state was accessed");
    if (stream < 0 || stream >= batch) return make_error("stream ", stream, " is outside 0..", batch - 1);
    if (state && state->values.size() != runner_state_floats(c))
        return make_error("a runner state of ", state->values.size(), " floats cannot be loaded into a model whose state has ",
                          runner_state_floats(c));
    return {};
}

class ModelRunner {
public:
    virtual ~ModelRunner() = default;
    // Starts `batch` independent streams with zero state (batch ≤ the max given at creation).
    virtual Result<void> reset(int batch) = 0;
    // Runs tokens [batch, T] (row-major) through the model, continuing from each stream's state.
    // T may be anything from 1 to the max chunk given at creation, batch · T up to its rows
    // (runner_rows).
    virtual Result<void> forward(const int32_t* tokens, int T, const ForwardOutputs& out) = 0;
    virtual int batch() const = 0;
    // Copies stream `stream`'s state (0 ≤ stream < batch()) out to the host.
    virtual Result<void> save_state(int stream, RunnerState& out) = 0;
    // Replaces stream `stream`'s state with `state` (of the same model): its next forward()
    // continues as if the tokens that produced `state` had just run on it. Other streams are
    // untouched; reset() zeroes every stream again.
    virtual Result<void> load_state(int stream, const RunnerState& state) = 0;
    // Bytes this runner holds in device memory (weights, activations of the largest chunk, state,
    // workspaces); 0 on the CPU. The CUDA context itself comes on top.
    virtual int64_t device_bytes() const { return 0; }
    // How many positions to run for a sequence's last chunk of T positions, when the state after it
    // is not needed: T, or more where running a few fixed lengths is cheaper than running every
    // length (the CUDA runner replays a captured graph per chunk length). The caller pads the
    // tokens to it and drops the padding's outputs: a position's outputs depend on the positions
    // before it only.
    virtual int final_chunk_length(int T) const { return T; }

    // The pipelined form of forward(): start() hands a chunk over and may return before it has run;
    // finish() waits for the oldest started chunk and writes its outputs. A caller starts chunk
    // k + 1 before it finishes chunk k, so that its own work on chunk k's outputs (scoring, the
    // sink) runs while the device computes chunk k + 1: the CUDA runner's is ~2–6 ms a 131K chunk
    // against ~18 ms of GPU work, which a synchronous loop adds on top (docs/performance.md).
    //  - `want`: which outputs the chunk makes (the non-null members), as the buffers finish() is
    //    normally given; start() writes nothing, but a runner that drains a chunk after an error
    //    may finish it into them. finish() must be given buffers for exactly those outputs.
    //  - At most kMaxInFlight chunks started and not finished; the state advances in start order.
    //  - A caller finishes every chunk it starts (Session does, on errors too) before reset(),
    //    save_state, load_state or forward(); the CUDA runner refuses those that would race.
    // The default runs the chunk inside finish(): on the CPU there is nothing to overlap with.
    static constexpr int kMaxInFlight = 2;
    virtual Result<void> start(const int32_t* tokens, int T, const ForwardOutputs& want) {
        // Behind a fresh start still deferred, the streams are the ones it begins.
        int streams = batch();
        for (const Deferred& e : deferred_)
            if (e.fresh_batch > 0) streams = e.fresh_batch;
        return defer(tokens, streams, T, want, 0);
    }
    virtual Result<void> finish(const ForwardOutputs& out) {
        if (deferred_.empty()) return make_error("finish(): no chunk was started");
        const Deferred d = std::move(deferred_.front());
        deferred_.pop_front();
        MS_TRY(check_finish(d.want, out));
        if (d.fresh_batch > 0) MS_TRY(reset(d.fresh_batch));
        ForwardOutputs o = out;
        o.segments = d.want.segments;
        o.stream_rows = d.stream_rows.empty() ? nullptr : d.stream_rows.data();
        return forward(d.tokens.data(), d.T, o);
    }
    virtual int in_flight() const { return int(deferred_.size()); }
    // start() of a chunk that begins `batch` streams from zero state, as reset(batch) and then
    // start() — except that where starts_fresh_behind(), chunks already started stay in flight and
    // finish as they would have: a caller hands over the next batch of short items before it takes
    // the last one's outputs, so that its work on them overlaps the device's on the next batch
    // (Session::start_items). The default (a chunk computed inside finish()) defers the reset
    // with its chunk; a runner with its own start() says whether it can (the CUDA runner zeroes
    // the state on its stream, behind the chunks in flight), and refuses while chunks are in
    // flight otherwise.
    virtual bool starts_fresh_behind() const { return false; }
    virtual Result<void> start_fresh(const int32_t* tokens, int batch, int T, const ForwardOutputs& want) {
        if (batch < 1) return make_error("start_fresh(): a batch of ", batch, " streams");
        if (in_flight() == 0) {
            MS_TRY(reset(batch));
            return start(tokens, T, want);
        }
        if (in_flight() > int(deferred_.size()))
            return make_error("start_fresh(): ", in_flight(), " started chunks are unfinished, and this runner cannot ",
                              "start new streams behind them");
        return defer(tokens, batch, T, want, batch);
    }

protected:
    // finish()'s buffers against start()'s `want`.
    static Result<void> check_finish(const ForwardOutputs& want, const ForwardOutputs& out) {
        if ((want.logits != nullptr) != (out.logits != nullptr) ||
            (want.hidden != nullptr) != (out.hidden != nullptr) ||
            (want.next_base != nullptr) != (out.next_base != nullptr) ||
            (want.row_sums != nullptr) != (out.row_sums != nullptr))
            return make_error("finish(): the outputs given differ from those the chunk was started with");
        return {};
    }

private:
    Result<void> defer(const int32_t* tokens, int streams, int T, const ForwardOutputs& want, int fresh_batch) {
        if (deferred_.size() >= size_t(kMaxInFlight))
            return make_error("start(): ", kMaxInFlight, " chunks are already started and not finished");
        if (T < 1) return make_error("start(): a chunk of ", T, " positions");
        MS_TRY(check_segments(want, streams, T));
        Deferred d;
        d.tokens.assign(tokens, tokens + size_t(streams) * size_t(T));
        d.T = T;
        d.want = want;
        if (want.row_sums && want.stream_rows) d.stream_rows.assign(want.stream_rows, want.stream_rows + streams);
        d.fresh_batch = fresh_batch;
        deferred_.push_back(std::move(d));
        return {};
    }
    struct Deferred {
        std::vector<int32_t> tokens;
        int T = 0;
        ForwardOutputs want;
        std::vector<int32_t> stream_rows;  // want.stream_rows' values: the caller's buffer may change
        int fresh_batch = 0;  // > 0: reset(fresh_batch) before it runs (start_fresh)
    };
    std::deque<Deferred> deferred_;
};

// Arithmetic of a runner: fp32 everywhere, or bf16 activations and matrix products (fp32
// accumulation, fp32 residual stream, state and scan arithmetic) on GPUs.
enum class Precision { FP32, BF16 };

inline const char* precision_name(Precision p) { return p == Precision::BF16 ? "bf16" : "fp32"; }

// The --precision word: "fp32", "bf16", or "auto" (nullopt), which each backend resolves to its
// own default (Backend::default_precision) once the device is known.
inline Result<std::optional<Precision>> parse_precision(const std::string& s) {
    if (s == "auto") return std::optional<Precision>{};
    if (s == "fp32") return std::optional<Precision>{Precision::FP32};
    if (s == "bf16") return std::optional<Precision>{Precision::BF16};
    return make_error("--precision '", s, "' is not one of auto, fp32, bf16");
}

struct RunnerLimits {
    int max_batch = 1;
    int max_chunk = 4096;
    Precision precision = Precision::FP32;
    // Token ids (= LM-head rows) of A, C, G, T, from the tokenizer; −1: next_base unavailable.
    std::array<int32_t, 4> acgt_ids{-1, -1, -1, -1};
    // Positions of all streams of one chunk (batch · T) at most, which sizes the activations; 0:
    // max_batch · max_chunk. Less lets one runner take a long stream's chunks of max_chunk and
    // many short streams side by side in the memory of one chunk (score's short records).
    int64_t max_rows = 0;
};

// The positions a chunk of the runner may hold over all its streams (RunnerLimits::max_rows).
inline int64_t runner_rows(const RunnerLimits& lim) {
    const int64_t all = int64_t(lim.max_batch) * int64_t(lim.max_chunk);
    return lim.max_rows > 0 ? std::min(lim.max_rows, all) : all;
}

// The checks every runner makes on a chunk's length before it runs it.
inline Result<void> check_chunk(const RunnerLimits& lim, int batch, int T) {
    if (T < 1 || T > lim.max_chunk) return make_error("chunk of ", T, " positions is outside 1..", lim.max_chunk);
    if (int64_t(batch) * T > runner_rows(lim))
        return make_error(batch, " streams of ", T, " positions are more than the ", runner_rows(lim),
                          " the runner was created for");
    return {};
}

// Whether `ids` are usable LM-head rows for ForwardOutputs::next_base.
inline bool valid_acgt_ids(const std::array<int32_t, 4>& ids, int vocab) {
    for (int32_t id : ids)
        if (id < 0 || id >= vocab) return false;
    return true;
}

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;          // "cpu", "cuda:0"
    // The CPU backend: the jobs give it its own chunk and batch sizes (app/job_common.h).
    bool on_cpu() const { return name() == "cpu"; }
    virtual std::string description() const = 0;   // one line for logs: library, threads, device
    // Ok, or why this backend cannot run the model (e.g. a d_state the kernels do not handle).
    virtual Result<void> supports(const ModelConfig& config) const = 0;
    // What --precision auto computes in here: fp32 on the CPU; bf16 on GPUs, where it is ~3× the
    // speed of fp32 (bf16 tensor-core products, half the activation traffic) within the
    // transformers fixtures' bf16 tolerance, as the reference Mamba kernels are run.
    virtual Precision default_precision() const { return Precision::FP32; }
    virtual Result<std::unique_ptr<ModelRunner>> create_runner(const ModelConfig& config,
                                                               const ModelWeights& weights,
                                                               const RunnerLimits& limits) = 0;
};

// --precision resolved on `backend`: what was asked, or the backend's default for auto.
inline Precision precision_for(std::optional<Precision> asked, const Backend& backend) {
    return asked ? *asked : backend.default_precision();
}

}  // namespace ms

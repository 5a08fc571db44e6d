#include "engine/session.h"

#include "engine/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ms {

Session::Session(const Model& m, std::unique_ptr<ModelRunner> r, const SessionOptions& o)
    : model_(m), runner_(std::move(r)), options_(o) {
    const size_t T = size_t(o.chunk);
    if (o.logits) logits_.resize(T * m.config.vocab_size);
    if (o.scores) next_base_.resize(T * 4);
    if (o.hidden) hidden_.resize(T * m.config.d_model);
    if (o.pool_window >= 0)
        row_sums_.resize(size_t(kernels::max_segment_count(o.pool_window, o.chunk)) * m.config.d_model);
    if (o.scores) scores_.resize(T);
    carried_.fill(std::numeric_limits<float>::quiet_NaN());
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, Backend& backend, const SessionOptions& options) {
    if (options.chunk < 1) return make_error("chunk size must be at least 1; got ", options.chunk);
    RunnerLimits lim{1, options.chunk, options.precision};
    lim.acgt_ids = model.tokenizer.acgt_ids();
    auto runner = backend.create_runner(model.config, model.weights, lim);
    if (!runner) return runner.error();
    return std::unique_ptr<Session>(new Session(model, std::move(*runner), options));
}

Result<void> Session::reset() {
    position_ = 0;
    ended_ = false;
    failed_ = false;
    carried_.fill(std::numeric_limits<float>::quiet_NaN());
    return runner_->reset(1);
}

Result<void> Session::feed(const int32_t* tokens, int64_t n, const ChunkSink& sink, bool ends) {
    if (failed_) return make_error("an earlier feed of this sequence failed; reset() starts the next one");
    if (ended_ && n > 0) return make_error("the session's sequence has ended; reset() starts the next one");
    ForwardOutputs out;
    out.logits = logits_.empty() ? nullptr : logits_.data();
    out.hidden = hidden_.empty() ? nullptr : hidden_.data();
    out.next_base = next_base_.empty() ? nullptr : next_base_.data();
    out.row_sums = row_sums_.empty() ? nullptr : row_sums_.data();
    const auto length = [&](int64_t at) { return int(std::min<int64_t>(options_.chunk, n - at)); };
    // The chunk at `at` cut at the pooling windows' edges (the stream's position counts, not the
    // feed's): pool_window 0 is one window, the whole sequence.
    const int64_t base = position_, window = std::max<int64_t>(options_.pool_window, 0);
    const auto segments_at = [&](int64_t at) {
        kernels::RowSegments seg;
        seg.window = window;
        seg.offset = window ? (base + at) % window : 0;
        seg.rows = length(at);
        return seg;
    };
    // Hands the chunk at `at` to the runner. The last one is padded with copies of the last token
    // where the runner asks for more positions (≤ the chunk, so the buffers above hold them);
    // start() copies the tokens, so padded_ is free again when it returns.
    const auto start = [&](int64_t at) -> Result<void> {
        const int T = length(at);
        out.segments = segments_at(at);
        const int run = ends && at + T == n ? std::min(runner_->final_chunk_length(T), options_.chunk) : T;
        if (run <= T) return runner_->start(tokens + at, T, out);
        padded_.assign(tokens + at, tokens + at + T);
        padded_.resize(size_t(run), tokens[at + T - 1]);
        return runner_->start(padded_.data(), run, out);
    };
    // Chunk k + 1 is started before chunk k is finished, scored and sunk: the device computes one
    // while this thread handles the other (ModelRunner::start).
    int started = 0;
    Result<void> r = n > 0 ? start(0) : Result<void>{};
    if (r && n > 0) started = 1;
    for (int64_t done = 0; r && done < n;) {
        const int T = length(done);
        if (done + T < n) {
            if (r = start(done + T); !r) break;
            ++started;
        }
        --started;
        if (r = runner_->finish(out); !r) break;
        ChunkView v;
        v.start = position_;
        v.T = T;
        v.tokens = tokens + done;
        v.logits = out.logits;
        v.hidden = out.hidden;
        v.row_sums = out.row_sums;
        v.segments = out.row_sums ? kernels::segment_count(segments_at(done)) : 0;
        if (options_.scores) {
            score_chunk(tokens + done, next_base_.data(), T, model_.tokenizer.acgt_ids(), carried_, scores_.data());
            v.scores = scores_.data();
        }
        if (r = sink(v); !r) break;
        position_ += T;
        done += T;
    }
    if (!r) {
        // The runner's state is past position_ now (a chunk ran but was not sunk, or the next one was
        // started): finish what is in flight and refuse to continue until reset().
        for (; started > 0; --started) (void)runner_->finish(out);
        failed_ = true;
        return r;
    }
    if (ends && n > 0) ended_ = true;  // padded or not, the contract is the same; only reset() clears it
    return {};
}

Result<SequenceOutputs> run_sequence(Session& session, const Model& model, std::string_view bases,
                                     const SessionOptions& options, Strand strand) {
    const std::string rc = strand == Strand::Reverse ? reverse_complement(bases) : std::string();
    const std::string_view seq = strand == Strand::Reverse ? std::string_view(rc) : bases;
    std::vector<int32_t> tokens;
    tokens.reserve(seq.size());
    SequenceOutputs o;
    o.length = int64_t(seq.size());
    o.unknown_bases = model.tokenizer.encode(seq, tokens);
    const int V = model.config.vocab_size, dm = model.config.d_model;
    if (options.logits) o.logits.resize(size_t(o.length) * V);
    if (options.hidden) o.hidden.resize(size_t(o.length) * dm);
    if (options.scores) o.scores.resize(size_t(o.length));
    // Windows are laid on the strand that runs, then reordered to forward coordinates below.
    const int64_t window = options.pool_window == 0 ? std::max<int64_t>(o.length, 1) : options.pool_window;
    const int64_t windows = options.pool_window < 0 ? 0 : (o.length + window - 1) / window;
    std::vector<double> sums(size_t(windows) * dm);
    MS_TRY(session.reset());
    MS_TRY(session.feed(
        tokens.data(), o.length,
        [&](const ChunkView& v) -> Result<void> {
            // The session may hand out hidden states only for pooling: copy what was asked for.
            if (v.logits && options.logits)
                std::memcpy(&o.logits[size_t(v.start) * V], v.logits, sizeof(float) * size_t(v.T) * V);
            if (v.hidden && options.hidden)
                std::memcpy(&o.hidden[size_t(v.start) * dm], v.hidden, sizeof(float) * size_t(v.T) * dm);
            if (v.scores) std::copy(v.scores, v.scores + v.T, o.scores.begin() + v.start);
            // The runner summed the chunk's rows per window (ChunkView::row_sums); the first is the
            // window of the chunk's first position.
            if (windows)
                for (int64_t k = 0; k < v.segments; ++k) {
                    double* into = &sums[size_t(v.start / window + k) * dm];
                    const float* from = v.row_sums + k * dm;
                    for (int i = 0; i < dm; ++i) into[i] += from[i];
                }
            return {};
        },
        /*ends=*/true));
    o.embeddings.resize(sums.size());
    for (int64_t w = 0; w < windows; ++w) {
        const int64_t n = std::min(o.length, (w + 1) * window) - w * window;
        for (int i = 0; i < dm; ++i) o.embeddings[size_t(w) * dm + i] = float(sums[size_t(w) * dm + i] / double(n));
        o.window_starts.push_back(w * window);
    }
    if (strand == Strand::Reverse) {
        const int64_t L = o.length;
        for (int64_t i = 0; i < L / 2; ++i) {
            const int64_t j = L - 1 - i;
            if (!o.logits.empty()) std::swap_ranges(&o.logits[i * V], &o.logits[i * V] + V, &o.logits[j * V]);
            if (!o.hidden.empty()) std::swap_ranges(&o.hidden[i * dm], &o.hidden[i * dm] + dm, &o.hidden[j * dm]);
            if (!o.scores.empty()) std::swap(o.scores[i], o.scores[j]);
        }
        for (BaseScores& s : o.scores) std::reverse(s.p.begin(), s.p.end());   // A C G T ← T G C A
        // Logits too in forward-strand letters: row i is the reverse strand's prediction of forward
        // base i − 1, its A and T (C and G) columns swapped (they were the reverse strand's).
        if (!o.logits.empty()) {
            const int32_t a = model.tokenizer.id_of('A'), c = model.tokenizer.id_of('C'),
                          g = model.tokenizer.id_of('G'), t = model.tokenizer.id_of('T');
            if (a >= 0 && c >= 0 && g >= 0 && t >= 0 && std::max({a, c, g, t}) < V)
                for (int64_t i = 0; i < L; ++i) {
                    std::swap(o.logits[size_t(i * V + a)], o.logits[size_t(i * V + t)]);
                    std::swap(o.logits[size_t(i * V + c)], o.logits[size_t(i * V + g)]);
                }
        }
        // Window w of the reverse strand covers forward bases [L - end, L - start).
        for (int64_t w = 0; w < windows; ++w) o.window_starts[size_t(w)] = L - std::min(L, (w + 1) * window);
        for (int64_t w = 0; w < windows / 2; ++w) {
            const int64_t x = windows - 1 - w;
            std::swap(o.window_starts[size_t(w)], o.window_starts[size_t(x)]);
            std::swap_ranges(&o.embeddings[size_t(w) * dm], &o.embeddings[size_t(w) * dm] + dm, &o.embeddings[size_t(x) * dm]);
        }
    }
    return o;
}

Result<std::unique_ptr<Session>> open_session(const Model& model, BackendChoice& choice, SessionOptions& options,
                                              const std::string& device, int threads, std::string* fallback) {
    auto session = Session::create(model, *choice.backend, options);
    if (session || device != "auto" || choice.backend->name() == "cpu") return session;
    const std::string why = cat("auto: ", choice.backend->name(), " cannot run this model: ", session.error().message,
                                "; using the CPU", options.precision != Precision::FP32 ? " (in fp32)" : "");
    if (fallback) *fallback = why;
    choice.backend = make_cpu_backend(threads);
    choice.note = why;
    options.precision = Precision::FP32;
    return Session::create(model, *choice.backend, options);
}

}  // namespace ms

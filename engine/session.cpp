#include "engine/session.h"

#include "engine/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ms {

namespace {

int64_t session_rows(const SessionOptions& o) {
    RunnerLimits lim{std::max(o.batch, 1), std::max(o.chunk, 1)};
    lim.max_rows = o.rows;
    return runner_rows(lim);
}

}  // namespace

Session::Session(const Model& m, std::unique_ptr<ModelRunner> r, const SessionOptions& o)
    : model_(m), runner_(std::move(r)), options_(o) {
    const size_t T = size_t(session_rows(o));  // a chunk of one stream, or items side by side
    if (o.logits) logits_.resize(T * m.config.vocab_size);
    if (o.scores) next_base_.resize(T * 4);
    if (o.hidden) hidden_.resize(T * m.config.d_model);
    if (o.pool_window >= 0)
        row_sums_.resize(size_t(kernels::max_segment_count(o.pool_window, o.chunk)) * m.config.d_model);
    if (o.scores) scores_.resize(T);
    pooled_.resize(size_t(std::max(o.batch, 1)) * m.config.d_model);
    out_.logits = logits_.empty() ? nullptr : logits_.data();
    out_.hidden = hidden_.empty() ? nullptr : hidden_.data();
    out_.next_base = next_base_.empty() ? nullptr : next_base_.data();
    out_.row_sums = row_sums_.empty() ? nullptr : row_sums_.data();
    carried_.fill(std::numeric_limits<float>::quiet_NaN());
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, Backend& backend, const SessionOptions& options) {
    if (options.chunk < 1) return make_error("chunk size must be at least 1; got ", options.chunk);
    if (options.batch < 1) return make_error("batch must be at least 1; got ", options.batch);
    if (options.rows < 0) return make_error("rows must not be negative; got ", options.rows);
    RunnerLimits lim{options.batch, options.chunk, options.precision};
    lim.max_rows = options.rows;
    lim.acgt_ids = model.tokenizer.acgt_ids();
    auto runner = backend.create_runner(model.config, model.weights, lim);
    if (!runner) return runner.error();
    return std::unique_ptr<Session>(new Session(model, std::move(*runner), options));
}

int64_t Session::rows() const { return session_rows(options_); }

int Session::call_length(int longest) const { return std::min(runner_->final_chunk_length(longest), options_.chunk); }

Result<void> Session::reset() { return restart(1); }

void Session::begin_streams() {
    position_ = 0;
    ended_ = false;
    failed_ = false;
    carried_.fill(std::numeric_limits<float>::quiet_NaN());
}

Result<void> Session::restart(int streams) {
    MS_TRY(no_items_in_flight());
    begin_streams();
    return runner_->reset(streams);
}

// Chunk k + 1 is started before chunk k is finished and handled: the device computes one while
// this thread works on the other (ModelRunner::start). On an error the chunk started ahead is
// finished too, and the session refuses to continue until reset(): its runner's state is past
// what was handled.
Result<void> Session::pipeline(int64_t chunks, const ForwardOutputs& outs,
                               const std::function<Result<void>(int64_t)>& start,
                               const std::function<Result<void>(int64_t)>& handle) {
    int started = 0;
    Result<void> r;
    for (int64_t k = 0; r && k < chunks; ++k) {
        if (k == 0) {
            if (r = start(0); !r) break;
            ++started;
        }
        if (k + 1 < chunks) {
            if (r = start(k + 1); !r) break;
            ++started;
        }
        --started;
        if (r = runner_->finish(outs); !r) break;
        r = handle(k);
    }
    if (!r) {
        for (; started > 0; --started) (void)runner_->finish(outs);
        failed_ = true;
    }
    return r;
}

Result<void> Session::feed(const int32_t* tokens, int64_t n, const ChunkSink& sink, bool ends) {
    MS_TRY(no_items_in_flight());
    if (failed_) return make_error("an earlier feed of this sequence failed; reset() starts the next one");
    if (ended_ && n > 0) return make_error("the session's sequence has ended; reset() starts the next one");
    const int C = options_.chunk;
    const auto at = [&](int64_t k) { return k * C; };
    const auto length = [&](int64_t k) { return int(std::min<int64_t>(C, n - at(k))); };
    // Chunk k cut at the pooling windows' edges (the stream's position counts, not the feed's):
    // pool_window 0 is one window, the whole sequence.
    const int64_t base = position_, window = std::max<int64_t>(options_.pool_window, 0);
    const auto segments_of = [&](int64_t k) {
        kernels::RowSegments seg;
        seg.window = window;
        seg.offset = window ? (base + at(k)) % window : 0;
        seg.rows = length(k);
        return seg;
    };
    // The last chunk is padded with copies of the last token where the runner asks for more
    // positions (≤ the chunk, so the buffers hold them); start() copies the tokens, so padded_ is
    // free again when it returns.
    const auto start = [&](int64_t k) -> Result<void> {
        const int T = length(k);
        out_.segments = segments_of(k);
        const int run = ends && at(k) + T == n ? std::min(runner_->final_chunk_length(T), C) : T;
        if (run <= T) return runner_->start(tokens + at(k), T, out_);
        padded_.assign(tokens + at(k), tokens + at(k) + T);
        padded_.resize(size_t(run), tokens[at(k) + T - 1]);
        return runner_->start(padded_.data(), run, out_);
    };
    const auto handle = [&](int64_t k) -> Result<void> {
        ChunkView v;
        v.start = position_;
        v.T = length(k);
        v.tokens = tokens + at(k);
        v.logits = out_.logits;
        v.hidden = out_.hidden;
        v.row_sums = out_.row_sums;
        v.segments = out_.row_sums ? kernels::segment_count(segments_of(k)) : 0;
        if (options_.scores) {
            score_chunk(v.tokens, next_base_.data(), v.T, model_.tokenizer.acgt_ids(), carried_, scores_.data());
            v.scores = scores_.data();
        }
        MS_TRY(sink(v));
        position_ += v.T;
        return {};
    };
    MS_TRY(pipeline((n + C - 1) / C, out_, start, handle));
    if (ends && n > 0) ended_ = true;  // padded or not, the contract is the same; only reset() clears it
    return {};
}

Result<PooledItems> Session::pool_items(const std::vector<std::string_view>& items) {
    PooledItems p;
    const int64_t n = int64_t(items.size());
    if (n == 0) return p;
    if (n > options_.batch)
        return make_error("pool_items: ", n, " items, but the session runs at most ", options_.batch, " side by side");
    const int dm = model_.config.d_model, C = options_.chunk;
    // Items of different lengths run padded to the longest, each pooled over its own positions; they
    // take the same number of chunks, so every stream has positions of its own in every chunk.
    int64_t L = 0;
    for (std::string_view it : items) L = std::max<int64_t>(L, int64_t(it.size()));
    for (std::string_view it : items) {
        if (it.empty()) return make_error("pool_items: an item without bases has nothing to pool");
        if ((int64_t(it.size()) + C - 1) / C != (L + C - 1) / C)
            return make_error("pool_items: items of ", it.size(), " and ", L, " bases take different numbers of ", C,
                              "-position chunks; a batch holds items of one number of chunks");
    }
    const int64_t session_limit = session_rows(options_);
    if (n * std::min<int64_t>(L, C) > session_limit)
        return make_error("pool_items: ", n, " items of up to ", L, " bases are more than the session's rows (",
                          session_limit, ") hold in a ", C, "-position chunk");
    std::vector<std::vector<int32_t>> tokens(items.size());
    for (size_t i = 0; i < items.size(); ++i) p.unknown_bases.push_back(model_.tokenizer.encode(items[i], tokens[i]));
    MS_TRY(restart(int(n)));
    ended_ = true;  // the runner holds n streams now: reset() before the next feed
    // Only the sums, each stream's own (its rows, set a chunk at a time).
    ForwardOutputs outs;
    outs.row_sums = pooled_.data();
    std::vector<double> sums(size_t(n) * size_t(dm), 0.0);
    const auto length = [&](int64_t k) { return int(std::min<int64_t>(C, L - k * C)); };
    std::vector<int32_t> rows(items.size());
    const auto start = [&](int64_t k) -> Result<void> {
        const int T = length(k);
        // The runner's length for the last chunk where the rows hold it (a captured graph's).
        int run = k * C + T == L ? call_length(T) : T;
        if (n * run > session_limit) run = T;
        lay_streams(tokens, k * C, run);
        outs.segments = kernels::RowSegments{0, 0, T};
        // Read by start(): the next chunk may overwrite them once it returns.
        for (size_t i = 0; i < items.size(); ++i)
            rows[i] = int32_t(std::min<int64_t>(T, int64_t(items[i].size()) - k * C));
        outs.stream_rows = rows.data();
        return runner_->start(padded_.data(), run, outs);
    };
    const auto handle = [&](int64_t) -> Result<void> {
        for (size_t i = 0; i < sums.size(); ++i) sums[i] += pooled_[i];
        return {};
    };
    MS_TRY(pipeline((L + C - 1) / C, outs, start, handle));
    p.embeddings.resize(sums.size());
    for (size_t i = 0; i < sums.size(); ++i) p.embeddings[i] = float(sums[i] / double(items[i / size_t(dm)].size()));
    return p;
}

Result<Session::ItemBatch> Session::prepare_items(const std::vector<std::string_view>& items) const {
    ItemBatch b;
    const int64_t n = int64_t(items.size());
    if (n == 0) return b;
    if (n > options_.batch)
        return make_error("run_items: ", n, " items, but the session runs at most ", options_.batch, " side by side");
    int64_t longest = 0;
    for (std::string_view it : items) {
        if (it.empty()) return make_error("run_items: an item without bases");
        longest = std::max<int64_t>(longest, int64_t(it.size()));
    }
    const int64_t rows = session_rows(options_);
    if (longest > options_.chunk || n * longest > rows)
        return make_error("run_items: ", n, " items of up to ", longest, " bases are more than the session's chunk (",
                          options_.chunk, ") or rows (", rows, ") hold");
    // The runner's length for the longest item where the rows hold it (a captured graph's), else
    // the item's own.
    const int L = int(longest);
    b.run = call_length(L);
    if (b.run < L || n * b.run > rows) b.run = L;
    b.tokens.resize(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        model_.tokenizer.encode(items[i], b.tokens[i]);
        b.rows.push_back(int32_t(b.tokens[i].size()));
    }
    return b;
}

ForwardOutputs Session::item_outputs(const ItemBatch& b) {
    ForwardOutputs o = out_;
    o.row_sums = nullptr;
    o.segments = kernels::RowSegments{};
    o.stream_rows = nullptr;
    // Whole-item embeddings: the runner sums each stream's own rows (its padding left out).
    if (options_.pool_window == 0) {
        o.row_sums = pooled_.data();
        o.segments = kernels::RowSegments{0, 0, b.run};
        o.stream_rows = b.rows.data();
    }
    return o;
}

Result<void> Session::hand_over(const ItemBatch& b, const ItemChunkSink& sink) {
    const ForwardOutputs o = item_outputs(b);
    const int V = model_.config.vocab_size, dm = model_.config.d_model;
    for (size_t i = 0; i < b.tokens.size(); ++i) {
        const size_t at = i * size_t(b.run);
        ChunkView v;
        v.T = int(b.tokens[i].size());
        v.tokens = b.tokens[i].data();
        if (o.logits) v.logits = o.logits + at * size_t(V);
        if (o.hidden) v.hidden = o.hidden + at * size_t(dm);
        if (o.row_sums) {
            v.row_sums = o.row_sums + i * size_t(dm);
            v.segments = 1;
        }
        if (options_.scores) {
            std::array<float, 4> none;
            none.fill(std::numeric_limits<float>::quiet_NaN());  // a zero state: no base before the first
            score_chunk(v.tokens, next_base_.data() + at * 4, v.T, model_.tokenizer.acgt_ids(), none,
                        scores_.data() + at);
            v.scores = scores_.data() + at;
        }
        MS_TRY(sink(i, v));
    }
    return {};
}

Result<void> Session::no_items_in_flight() const {
    if (items_in_flight_) return make_error("a batch of items is still in flight: finish_items() first");
    return {};
}

Result<void> Session::run_items(const std::vector<std::string_view>& items, const ItemChunkSink& sink) {
    MS_TRY(no_items_in_flight());
    ItemBatch b;
    MS_ASSIGN(b, prepare_items(items));
    if (b.tokens.empty()) return {};
    MS_TRY(restart(int(b.tokens.size())));
    ended_ = true;  // the runner holds n streams now: reset() before the next feed
    lay_streams(b.tokens, 0, b.run);
    const ForwardOutputs o = item_outputs(b);
    return pipeline(
        1, o, [&](int64_t) { return runner_->start(padded_.data(), b.run, o); },
        [&](int64_t) { return hand_over(b, sink); });
}

Result<void> Session::start_items(const std::vector<std::string_view>& items, ItemChunkSink sink) {
    if (!runner_->starts_fresh_behind()) return run_items(items, sink);
    ItemBatch b;
    MS_ASSIGN(b, prepare_items(items));
    if (b.tokens.empty()) return {};
    b.sink = std::move(sink);
    // restart()'s bookkeeping; the runner's reset goes with the chunk, behind the batch before.
    begin_streams();
    ended_ = true;
    lay_streams(b.tokens, 0, b.run);
    if (Result<void> r = runner_->start_fresh(padded_.data(), int(b.tokens.size()), b.run, item_outputs(b)); !r) {
        drop_items_in_flight();
        return r;
    }
    std::optional<ItemBatch> before = std::move(items_in_flight_);
    items_in_flight_ = std::move(b);
    return before ? finish_oldest(*before) : Result<void>{};
}

Result<void> Session::finish_items() {
    if (!items_in_flight_) return {};
    const ItemBatch b = std::move(*items_in_flight_);
    items_in_flight_.reset();
    return finish_oldest(b);
}

Result<void> Session::finish_oldest(const ItemBatch& b) {
    Result<void> r = runner_->finish(item_outputs(b));
    if (r) r = hand_over(b, b.sink);
    if (!r) drop_items_in_flight();
    return r;
}

void Session::drop_items_in_flight() {
    if (items_in_flight_)
        (void)runner_->finish(item_outputs(*items_in_flight_));  // the runner holds nothing after an error
    items_in_flight_.reset();
    failed_ = true;
}

void Session::lay_streams(const std::vector<std::vector<int32_t>>& tokens, int64_t from, int run) {
    padded_.resize(tokens.size() * size_t(run));
    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::vector<int32_t>& t = tokens[i];
        const int64_t T = std::min<int64_t>(run, int64_t(t.size()) - from);
        int32_t* to = padded_.data() + i * size_t(run);
        std::copy(t.begin() + from, t.begin() + from + T, to);
        std::fill(to + T, to + run, t[size_t(from + T - 1)]);
    }
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
    if (session || device != "auto" || choice.backend->on_cpu()) return session;
    const std::string why = cat("auto: ", choice.backend->name(), " cannot run this model: ", session.error().message,
                                "; using the CPU", options.precision != Precision::FP32 ? " (in fp32)" : "");
    std::string fewer;
    choice.backend = make_cpu_backend(threads, &fewer);
    choice.note = fewer.empty() ? why : cat(why, "; ", fewer);
    if (fallback) *fallback = choice.note;
    options.precision = Precision::FP32;
    return Session::create(model, *choice.backend, options);
}

}  // namespace ms

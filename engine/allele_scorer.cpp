#include "engine/allele_scorer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace ms {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// log2 P(token) from a next-base prediction P(A, C, G, T); 0 when the token is not one of the four
// bases or there is no prediction (the first base of a sequence).
double log2_of(const float* p, int32_t token, const std::array<int32_t, 4>& acgt) {
    for (int b = 0; b < 4; ++b)
        if (token == acgt[size_t(b)]) return std::isnan(p[b]) ? 0.0 : std::log2(double(p[b]));
    return 0.0;
}

}  // namespace

// One batch row: an allele's tokens continuing from a snapshot (or from zero state).
struct AlleleScorer::Row {
    std::shared_ptr<const RunnerState> state;              // null: zero state (the naive way)
    std::array<float, 4> carried{kNaN, kNaN, kNaN, kNaN};  // the prediction for tokens[0]
    std::vector<int32_t> tokens;
    size_t score_from = 0;  // tokens before this are context only
    size_t site = 0, allele = 0;
};

AlleleScorer::AlleleScorer(const Model& model, std::unique_ptr<ModelRunner> walker, std::unique_ptr<ModelRunner> rows,
                           const AlleleScorerOptions& options)
    : model_(model), walker_(std::move(walker)), rows_(std::move(rows)), options_(options) {}

AlleleScorer::~AlleleScorer() = default;

Result<std::unique_ptr<AlleleScorer>> AlleleScorer::create(const Model& model, Backend& backend,
                                                           const AlleleScorerOptions& options) {
    if (options.batch < 1 || options.chunk < 1)
        return make_error("allele scorer: batch (", options.batch, ") and chunk (", options.chunk,
                          ") must be positive");
    RunnerLimits lim{options.batch, options.chunk, options.precision};
    lim.acgt_ids = model.tokenizer.acgt_ids();
    auto rows = backend.create_runner(model.config, model.weights, lim);
    if (!rows) return rows.error();
    std::unique_ptr<ModelRunner> walker;
    if (options.reuse_prefix) {  // the prefix is one stream: a runner of batch 1 keeps its memory small
        lim.max_batch = 1;
        auto w = backend.create_runner(model.config, model.weights, lim);
        if (!w) return w.error();
        walker = std::move(*w);
    }
    return std::unique_ptr<AlleleScorer>(new AlleleScorer(model, std::move(walker), std::move(*rows), options));
}

Result<std::vector<std::vector<double>>> AlleleScorer::score(std::string_view reference,
                                                             std::span<const AlleleSite> sites) {
    std::vector<std::vector<double>> result(sites.size());
    for (size_t k = 0; k < sites.size(); ++k) {
        if (sites[k].offset < 0 || sites[k].offset > int64_t(reference.size()) ||
            (k && sites[k].offset < sites[k - 1].offset))
            return make_error("allele scorer: site ", k, " at offset ", sites[k].offset,
                              " is outside the reference or before the site preceding it");
        result[k].assign(sites[k].alleles.size(), 0.0);
    }
    const size_t batch = size_t(options_.batch);
    std::vector<Row> rows;
    auto add_row = [&](Row&& row) -> Result<void> {
        rows.push_back(std::move(row));
        if (rows.size() == batch) MS_TRY(run_rows(rows, result));
        return {};
    };

    if (!options_.reuse_prefix) {
        for (size_t k = 0; k < sites.size(); ++k) {
            const std::string_view upstream = reference.substr(0, size_t(sites[k].offset));
            for (size_t j = 0; j < sites[k].alleles.size(); ++j) {
                Row row;
                model_.tokenizer.encode(upstream, row.tokens);
                model_.tokenizer.encode(sites[k].alleles[j], row.tokens);
                model_.tokenizer.encode(sites[k].downstream, row.tokens);
                row.score_from = upstream.size();
                row.site = k;
                row.allele = j;
                MS_TRY(add_row(std::move(row)));
            }
        }
    } else {
        // The walker runs the reference up to each site and leaves a snapshot there.
        std::vector<int32_t> ref_tokens;
        model_.tokenizer.encode(reference.substr(0, sites.empty() ? 0 : size_t(sites.back().offset)), ref_tokens);
        MS_TRY(walker_->reset(1));
        std::vector<float> next(size_t(options_.chunk) * 4);
        std::array<float, 4> carried{kNaN, kNaN, kNaN, kNaN};
        std::shared_ptr<const RunnerState> snapshot;
        int64_t at = 0;
        for (size_t k = 0; k < sites.size(); ++k) {
            const bool moved = at < sites[k].offset;
            while (at < sites[k].offset) {
                const int T = int(std::min<int64_t>(options_.chunk, sites[k].offset - at));
                ForwardOutputs out;
                out.next_base = next.data();
                MS_TRY(walker_->forward(ref_tokens.data() + at, T, out));
                std::copy_n(&next[size_t(T - 1) * 4], 4, carried.begin());
                at += T;
                positions_run_ += T;
            }
            if (moved || !snapshot) {  // sites at one offset share a snapshot
                auto s = std::make_shared<RunnerState>();
                MS_TRY(walker_->save_state(0, *s));
                snapshot = std::move(s);
            }
            for (size_t j = 0; j < sites[k].alleles.size(); ++j) {
                Row row;
                row.state = snapshot;
                row.carried = carried;
                model_.tokenizer.encode(sites[k].alleles[j], row.tokens);
                model_.tokenizer.encode(sites[k].downstream, row.tokens);
                row.site = k;
                row.allele = j;
                MS_TRY(add_row(std::move(row)));
            }
        }
    }
    if (!rows.empty()) MS_TRY(run_rows(rows, result));
    return result;
}

// Runs the rows side by side from their start states and adds each row's log2-likelihoods to its
// result. A row's last token is never run: nothing after it is scored, so only tokens [0, n − 1)
// go through the model (their predictions score tokens 1..n − 1; token 0 uses `carried`). Shorter
// rows are padded at their end, which cannot change their earlier outputs (the model is causal).
Result<void> AlleleScorer::run_rows(std::vector<Row>& rows, std::vector<std::vector<double>>& result) {
    const std::array<int32_t, 4> acgt = model_.tokenizer.acgt_ids();
    const int n = int(rows.size());
    size_t longest = 0;
    for (const Row& r : rows) {
        if (r.score_from == 0 && !r.tokens.empty())
            result[r.site][r.allele] += log2_of(r.carried.data(), r.tokens[0], acgt);
        if (!r.tokens.empty()) longest = std::max(longest, r.tokens.size() - 1);
    }
    if (longest > 0) {
        MS_TRY(rows_->reset(n));
        for (int i = 0; i < n; ++i)
            if (rows[size_t(i)].state) MS_TRY(rows_->load_state(i, *rows[size_t(i)].state));
        std::vector<int32_t> tokens;
        std::vector<float> next;
        for (size_t t0 = 0; t0 < longest; t0 += size_t(options_.chunk)) {
            const size_t T = std::min(size_t(options_.chunk), longest - t0);
            // The last chunk at the runner's length for it (more padding): no state is kept after it.
            const size_t run =
                t0 + T == longest ? size_t(std::min(rows_->final_chunk_length(int(T)), options_.chunk)) : T;
            tokens.assign(size_t(n) * run, acgt[0]);  // padding: any valid token
            next.resize(size_t(n) * run * 4);
            for (int i = 0; i < n; ++i) {
                const std::vector<int32_t>& tk = rows[size_t(i)].tokens;
                for (size_t t = t0; t < std::min(t0 + T, tk.size() - 1); ++t)
                    tokens[size_t(i) * run + (t - t0)] = tk[t];
            }
            ForwardOutputs out;
            out.next_base = next.data();
            MS_TRY(rows_->forward(tokens.data(), int(run), out));  // [n, run] => next_base [n, run, 4]
            positions_run_ += int64_t(n) * int64_t(run);
            for (int i = 0; i < n; ++i) {
                const Row& r = rows[size_t(i)];
                // The prediction at position t scores token t + 1.
                for (size_t t = t0; t + 1 < r.tokens.size() && t < t0 + T; ++t)
                    if (t + 1 >= r.score_from)
                        result[r.site][r.allele] +=
                            log2_of(&next[(size_t(i) * run + (t - t0)) * 4], r.tokens[t + 1], acgt);
            }
        }
    }
    rows.clear();
    return {};
}

}  // namespace ms

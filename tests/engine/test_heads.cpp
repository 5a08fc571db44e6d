// engine/heads: score_chunk's per-base probabilities, log2-likelihood and entropy against the
// definitions in double precision, over random predictions and the edge values a model can give
// (a probability of exactly 0 or 1, subnormal ones, NaN at a sequence's start), and the prediction
// carried from one chunk to the next.
#include "engine/heads.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tests/common/harness.h"

using namespace ms;

namespace {

constexpr std::array<int32_t, 4> kIds{7, 8, 9, 10};

// The definitions, in double: what score_chunk must give base t from prediction p.
BaseScores expected(const std::array<float, 4>& p, int32_t token) {
    BaseScores s;
    s.p = p;
    double h = 0;
    for (float q : p)
        if (q > 0) h -= double(q) * std::log2(double(q));
    s.entropy = std::isnan(p[0]) ? NAN : float(h);
    s.log2_lik = NAN;
    for (int b = 0; b < 4; ++b)
        if (token == kIds[size_t(b)]) s.log2_lik = float(std::log2(double(p[size_t(b)])));
    return s;
}

bool close(float got, float want, double tol) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    return std::abs(double(got) - double(want)) <= tol * std::max(1.0, std::abs(double(want)));
}

}  // namespace

MS_TEST(scores_match_their_definitions) {
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const float sub = std::numeric_limits<float>::denorm_min() * 1000, tiny = 1e-30f;
    std::vector<std::array<float, 4>> preds;
    for (int i = 0; i < 5000; ++i) {  // random, some very peaked
        std::array<float, 4> p;
        float sum = 0;
        for (float& q : p) sum += q = std::pow(u(rng), i % 3 == 0 ? 12.0f : 1.0f);
        for (float& q : p) q /= sum;
        preds.push_back(p);
    }
    preds.push_back({1.0f, 0.0f, 0.0f, 0.0f});
    preds.push_back({0.5f, 0.5f - sub, sub, 0.0f});
    preds.push_back({tiny, 1.0f - tiny, 0.0f, 0.0f});
    preds.push_back({0.25f, 0.25f, 0.25f, 0.25f});
    const int T = int(preds.size());
    std::vector<int32_t> tokens(preds.size());
    for (int t = 0; t < T; ++t) tokens[size_t(t)] = t % 11 == 0 ? 4 /* N: not scored */ : 7 + int32_t(rng() % 4);
    // Chunk layout: base t's prediction is position t − 1's next-base row; base 0 the carried one.
    std::vector<float> next(size_t(T) * 4);
    for (int t = 0; t + 1 < T; ++t)
        for (int b = 0; b < 4; ++b) next[size_t(t) * 4 + size_t(b)] = preds[size_t(t + 1)][size_t(b)];
    std::array<float, 4> carried = preds[0];
    std::vector<BaseScores> out(preds.size());
    score_chunk(tokens.data(), next.data(), T, kIds, carried, out.data());
    int bad = 0;
    for (int t = 0; t < T; ++t) {
        const BaseScores want = expected(preds[size_t(t)], tokens[size_t(t)]), &got = out[size_t(t)];
        const bool ok =
            got.p == want.p && close(got.entropy, want.entropy, 1e-6) && close(got.log2_lik, want.log2_lik, 1e-6);
        if (!ok && ++bad <= 5)
            MS_CHECK_MSG(false, "base " << t << ": entropy " << got.entropy << " vs " << want.entropy << ", log2 lik "
                                        << got.log2_lik << " vs " << want.log2_lik);
    }
    MS_CHECK_EQ(bad, 0);
    // The next chunk's first base gets the last position's prediction.
    for (int b = 0; b < 4; ++b) MS_CHECK_EQ(carried[size_t(b)], next[size_t(T - 1) * 4 + size_t(b)]);
}

MS_TEST(a_sequence_start_has_no_scores) {
    std::array<float, 4> carried;
    carried.fill(std::numeric_limits<float>::quiet_NaN());
    const int32_t tokens[2] = {7, 9};
    const float next[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.25f, 0.25f, 0.25f, 0.25f};
    BaseScores out[2];
    score_chunk(tokens, next, 2, kIds, carried, out);
    MS_CHECK(std::isnan(out[0].entropy) && std::isnan(out[0].log2_lik) && std::isnan(out[0].p[0]));
    MS_CHECK(close(out[1].log2_lik, float(std::log2(0.3)), 1e-6));
    MS_CHECK(close(out[1].entropy, expected({0.1f, 0.2f, 0.3f, 0.4f}, 9).entropy, 1e-6));
    MS_CHECK_EQ(carried[0], 0.25f);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

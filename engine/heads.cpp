#include "engine/heads.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ms {

std::array<float, 4> acgt_probabilities(const float* logits, const std::array<int32_t, 4>& ids) {
    float m = logits[ids[0]];
    for (int b = 1; b < 4; ++b) m = std::max(m, logits[ids[b]]);
    std::array<double, 4> e{};
    double z = 0;
    for (int b = 0; b < 4; ++b) z += e[b] = std::exp(double(logits[ids[b]]) - m);
    std::array<float, 4> p{};
    for (int b = 0; b < 4; ++b) p[b] = float(e[b] / z);
    return p;
}

namespace {

// Four float log2s at once (GCC/Clang vector types), within ~1e-7 of libm's for normal positive
// x: x = m·2^e with m in [√½, √2), log2 m = 2·atanh((m − 1)/(m + 1))/ln 2 by its series to the
// 9th power (|t| ≤ 0.172: the next term is < 1e-9). score_chunk ran five double log2s a base,
// ~3 ms a 131,072-position chunk on the host while the GPU waited (~20 % of a GPU score job).
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

inline v4f select(v4i mask, v4f a, v4f b) {
    v4i ai, bi;
    std::memcpy(&ai, &a, 16);
    std::memcpy(&bi, &b, 16);
    const v4i r = (mask & ai) | (~mask & bi);
    v4f out;
    std::memcpy(&out, &r, 16);
    return out;
}

inline v4f log2_normal(v4f x) {
    v4i bits;
    std::memcpy(&bits, &x, 16);
    v4i e = ((bits >> 23) & 0xff) - 127;
    const v4i mbits = (bits & 0x7fffff) | 0x3f800000;  // m in [1, 2)
    v4f m;
    std::memcpy(&m, &mbits, 16);
    const v4i big = m > 1.41421356f;  // −1 where m > √2: halve it
    m = select(big, m * 0.5f, m);
    e -= big;
    const v4f t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    const v4f ln = t * (2.0f + t2 * (2.0f / 3 + t2 * (2.0f / 5 + t2 * (2.0f / 7 + t2 * (2.0f / 9)))));
    return __builtin_convertvector(e, v4f) + ln * 1.44269504088896341f;
}

}  // namespace

void score_chunk(const int32_t* tokens, const float* next_base, int T, const std::array<int32_t, 4>& ids,
                 std::array<float, 4>& carried, BaseScores* out) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int t = 0; t < T; ++t) {
        // Base t's prediction: the carried one, then position t − 1's.
        const float* p = t == 0 ? carried.data() : next_base + size_t(t - 1) * 4;
        BaseScores& s = out[t];
        std::memcpy(s.p.data(), p, 16);
        v4f pv;
        std::memcpy(&pv, p, 16);
        const v4i normal = pv >= std::numeric_limits<float>::min();  // false for 0, NaN, subnormals
        v4f l = log2_normal(select(normal, pv, v4f{1.0f, 1.0f, 1.0f, 1.0f}));
        for (int b = 0; b < 4; ++b)
            if (!normal[b]) l[b] = std::log2(p[b]);  // −inf for 0, NaN for NaN, subnormals exactly
        const v4f terms = select(pv > 0.0f, pv * l, v4f{});
        s.entropy = std::isnan(p[0]) ? nan : -(terms[0] + terms[1] + terms[2] + terms[3]);
        s.log2_lik = nan;
        for (int b = 0; b < 4; ++b)
            if (tokens[t] == ids[b]) s.log2_lik = l[b];
    }
    if (T > 0) std::memcpy(carried.data(), next_base + size_t(T - 1) * 4, 16);
}

std::vector<float> classify(const ClassifierWeights& head, const float* pooled, int d_model) {
    const size_t n = head.bias.size();
    std::vector<double> z(n);
    double m = -INFINITY;
    for (size_t k = 0; k < n; ++k) {
        double acc = head.bias[k];
        for (int i = 0; i < d_model; ++i) acc += double(head.weight[k * size_t(d_model) + size_t(i)]) * pooled[i];
        z[k] = acc;
        m = std::max(m, acc);
    }
    double sum = 0;
    for (double& v : z) sum += v = std::exp(v - m);
    std::vector<float> p(n);
    for (size_t k = 0; k < n; ++k) p[k] = float(z[k] / sum);
    return p;
}

}  // namespace ms

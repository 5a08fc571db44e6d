#include "engine/heads.h"

#include <algorithm>
#include <cmath>
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

void score_chunk(const int32_t* tokens, const float* next_base, int T, const std::array<int32_t, 4>& ids,
                 std::array<float, 4>& carried, BaseScores* out) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int t = 0; t < T; ++t) {
        const std::array<float, 4>& p = carried;
        BaseScores& s = out[t];
        s.p = p;
        s.log2_lik = nan;
        double h = 0;
        for (int b = 0; b < 4; ++b) {
            if (p[b] > 0) h -= double(p[b]) * std::log2(double(p[b]));
            if (tokens[t] == ids[b]) s.log2_lik = float(std::log2(double(p[b])));
        }
        s.entropy = std::isnan(p[0]) ? nan : float(h);
        for (int b = 0; b < 4; ++b) carried[b] = next_base[size_t(t) * 4 + b];
    }
}

void add_rows(const float* x, int64_t rows, int width, double* sum) {
    for (int64_t r = 0; r < rows; ++r)
        for (int i = 0; i < width; ++i) sum[i] += x[r * width + i];
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

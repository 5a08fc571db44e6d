// Plain-loop double-precision references of kernels/mamba_ops.h. Clarity over speed: these are
// what the fast paths are tested against.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/mamba_ops.h"

namespace ms::kernels {

double softplus_ref(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }

static double silu(double x) { return x / (1.0 + std::exp(-x)); }

void selective_scan_ref(const ScanArgs& a) {
    std::vector<double> h(size_t(a.d_state));
    for (int c = 0; c < a.d_inner; ++c) {
        for (int s = 0; s < a.d_state; ++s) h[s] = a.state[size_t(c) * a.d_state + s];
        for (int t = 0; t < a.T; ++t) {
            const double u = a.u[t * a.ld_u + c];
            const double d = softplus_ref(double(a.delta[t * a.ld_delta + c]) + (a.delta_bias ? a.delta_bias[c] : 0.0));
            double y = 0;
            for (int s = 0; s < a.d_state; ++s) {
                h[s] = std::exp(d * a.A[size_t(c) * a.d_state + s]) * h[s] + d * a.B[t * a.ld_B + s] * u;
                y += h[s] * a.C[t * a.ld_C + s];
            }
            if (a.D) y += a.D[c] * u;
            if (a.z) y *= silu(a.z[t * a.ld_z + c]);
            a.y[t * a.ld_y + c] = float(y);
        }
        for (int s = 0; s < a.d_state; ++s) a.state[size_t(c) * a.d_state + s] = float(h[s]);
    }
}

void causal_conv1d_ref(const ConvArgs& a) {
    const int K = a.d_conv, H = K - 1;
    // Input at position p (p < 0 reads the carried state: row H + p).
    auto input = [&](int p, int c) -> double {
        return p >= 0 ? a.x[p * a.ld_x + c] : a.conv_state[size_t(H + p) * a.d_inner + c];
    };
    std::vector<float> new_state(size_t(H) * a.d_inner);
    for (int r = 0; r < H; ++r)
        for (int c = 0; c < a.d_inner; ++c) new_state[size_t(r) * a.d_inner + c] = float(input(a.T - H + r, c));
    for (int t = 0; t < a.T; ++t) {
        for (int c = 0; c < a.d_inner; ++c) {
            double acc = a.bias ? a.bias[c] : 0.0;
            for (int k = 0; k < K; ++k) acc += double(a.w[size_t(c) * K + k]) * input(t + k - H, c);
            a.out[t * a.ld_out + c] = float(a.silu ? silu(acc) : acc);
        }
    }
    for (size_t i = 0; i < new_state.size(); ++i) a.conv_state[i] = new_state[i];
}

void rmsnorm_ref(const float* x, const float* weight, float* out, int rows, int n, float eps) {
    for (int r = 0; r < rows; ++r) {
        double ss = 0;
        for (int i = 0; i < n; ++i) ss += double(x[size_t(r) * n + i]) * x[size_t(r) * n + i];
        const double inv = 1.0 / std::sqrt(ss / n + eps);
        for (int i = 0; i < n; ++i) out[size_t(r) * n + i] = float(x[size_t(r) * n + i] * inv * weight[i]);
    }
}

void acgt_head_ref(const float* x, const float* norm_weight, float eps, const float* w4, float* probs, int rows, int n) {
    for (int r = 0; r < rows; ++r) {
        const float* row = x + size_t(r) * n;
        double ss = 0;
        for (int i = 0; i < n; ++i) ss += double(row[i]) * row[i];
        const double inv = 1.0 / std::sqrt(ss / n + eps);
        double logit[4], m = -INFINITY, z = 0;
        for (int b = 0; b < 4; ++b) {
            logit[b] = 0;
            for (int i = 0; i < n; ++i) logit[b] += double(w4[size_t(b) * n + i]) * (row[i] * inv * norm_weight[i]);
            m = std::max(m, logit[b]);
        }
        for (double& l : logit) z += l = std::exp(l - m);
        for (int b = 0; b < 4; ++b) probs[size_t(r) * 4 + b] = float(logit[b] / z);
    }
}

void segment_sums_ref(const float* x, int n, const RowSegments& s, float* sums) {
    const int64_t segments = segment_count(s);
    std::vector<double> acc(size_t(segments) * size_t(n), 0.0);
    for (int64_t i = 0; i < s.rows; ++i) {
        const int64_t j = s.window == 0 ? 0 : (s.offset + i) / s.window;
        for (int c = 0; c < n; ++c) acc[size_t(j) * size_t(n) + size_t(c)] += x[size_t(i) * size_t(n) + size_t(c)];
    }
    for (size_t k = 0; k < acc.size(); ++k) sums[k] = float(acc[k]);
}

}  // namespace ms::kernels

#include "engine/cpu_ops.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

// The hot loops get an AVX2+FMA clone picked at load time, so one binary runs on any x86-64 and
// still uses the wide units where they exist.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MS_HOT_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define MS_HOT_CLONES
#endif

namespace ms::cpu {

namespace {

// exp(x) for x ≤ 88, branch-free so loops over it vectorise: x = k·ln2 + r, |r| ≤ ln2/2,
// exp(r) by its degree-6 Taylor polynomial (relative error < 2e-7), 2^k built in the exponent bits.
inline float exp_fast(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float shifter = 12582912.0f;   // 1.5·2^23: adding it rounds to the nearest integer
    const float kf = (x * 1.44269504f + shifter) - shifter;
    const float r = (x - kf * 0.693145752f) - kf * 1.42860677e-6f;   // ln2 split hi + lo
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = (int32_t(kf) + 127) << 23;
    return p * std::bit_cast<float>(bits);
}

inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

// One block of W channels starting at c0: state and A held transposed ([state][lane]) so the
// inner loop runs across lanes.
template <int W>
inline void scan_block(const kernels::ScanArgs& a, int c0, int width) {
    const int S = a.d_state;
    alignas(64) float h[kMaxState][W];
    alignas(64) float A[kMaxState][W];
    for (int s = 0; s < S; ++s)
        for (int l = 0; l < W; ++l) {
            const bool live = l < width;
            h[s][l] = live ? a.state[size_t(c0 + l) * S + s] : 0.0f;
            A[s][l] = live ? a.A[size_t(c0 + l) * S + s] : 0.0f;
        }
    for (int t = 0; t < a.T; ++t) {
        alignas(64) float u[W], d[W], du[W], y[W];
        const float* ut = a.u + t * a.ld_u + c0;
        const float* dt = a.delta + t * a.ld_delta + c0;
        for (int l = 0; l < W; ++l) {
            const bool live = l < width;
            u[l] = live ? ut[l] : 0.0f;
            d[l] = live ? softplus(dt[l] + (a.delta_bias ? a.delta_bias[c0 + l] : 0.0f)) : 0.0f;
            du[l] = d[l] * u[l];
            y[l] = 0.0f;
        }
        const float* Bt = a.B + t * a.ld_B;
        const float* Ct = a.C + t * a.ld_C;
        for (int s = 0; s < S; ++s) {
            const float b = Bt[s], c = Ct[s];
            for (int l = 0; l < W; ++l) {
                h[s][l] = exp_fast(d[l] * A[s][l]) * h[s][l] + du[l] * b;
                y[l] += h[s][l] * c;
            }
        }
        float* yt = a.y + t * a.ld_y + c0;
        for (int l = 0; l < width; ++l) {
            float v = y[l];
            if (a.D) v += a.D[c0 + l] * u[l];
            if (a.z) v *= silu(a.z[t * a.ld_z + c0 + l]);
            yt[l] = v;
        }
    }
    for (int s = 0; s < S; ++s)
        for (int l = 0; l < width; ++l) a.state[size_t(c0 + l) * S + s] = h[s][l];
}

}  // namespace

MS_HOT_CLONES void selective_scan(const kernels::ScanArgs& a, int c_begin, int c_end) {
    for (int c = c_begin; c < c_end; c += kLanes) {
        const int width = c_end - c < kLanes ? c_end - c : kLanes;
        scan_block<kLanes>(a, c, width);
    }
}

MS_HOT_CLONES void causal_conv1d(const kernels::ConvArgs& a, int c_begin, int c_end) {
    const int K = a.d_conv, H = K - 1, n = c_end - c_begin;
    // Row p of the input for this channel range; p < 0 reads the carried state.
    auto row = [&](int p) -> const float* {
        return p >= 0 ? a.x + p * a.ld_x + c_begin : a.conv_state + size_t(H + p) * a.d_inner + c_begin;
    };
    for (int t = 0; t < a.T; ++t) {
        float* o = a.out + t * a.ld_out + c_begin;
        for (int c = 0; c < n; ++c) o[c] = a.bias ? a.bias[c_begin + c] : 0.0f;
        for (int k = 0; k < K; ++k) {
            const float* in = row(t + k - H);
            const float* w = a.w + size_t(c_begin) * K + k;
            for (int c = 0; c < n; ++c) o[c] += w[size_t(c) * K] * in[c];
        }
        if (a.silu)
            for (int c = 0; c < n; ++c) o[c] = silu(o[c]);
    }
    // Carry the last H inputs, shifting in place: row r takes input row T - H + r, which is x or a
    // later state row that is read before it is overwritten (T ≥ 1).
    for (int r = 0; r < H; ++r)
        std::memmove(a.conv_state + size_t(r) * a.d_inner + c_begin, row(a.T - H + r), sizeof(float) * size_t(n));
}

void rmsnorm(const float* x, const float* weight, float* out, int n, float eps, int r_begin, int r_end) {
    for (int r = r_begin; r < r_end; ++r) {
        const float* xr = x + size_t(r) * n;
        float* orow = out + size_t(r) * n;
        double ss = 0;
        for (int i = 0; i < n; ++i) ss += double(xr[i]) * xr[i];
        const float inv = float(1.0 / std::sqrt(ss / n + eps));
        for (int i = 0; i < n; ++i) orow[i] = xr[i] * inv * weight[i];
    }
}

}  // namespace ms::cpu

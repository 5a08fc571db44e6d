#include "engine/cpu_ops.h"

#include <cmath>
#include <cstdint>
#include <cstring>

// The hot loops get AVX-512 (x86-64-v4) and AVX2+FMA clones picked at load time, so one binary runs
// on any x86-64 and still uses the wide units where they exist: a 16-lane block is one AVX-512
// register, or two AVX2 ones.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MS_HOT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=haswell", "default")))
#else
#define MS_HOT_CLONES
#endif

// The 64-byte vector type never crosses a non-inlined call, so the ABI note GCC gives for
// passing it without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ms::cpu {

namespace {

// 16 lanes of float: GCC splits it into two AVX2 registers in the Haswell clone and four SSE
// registers in the default one. Lanes are channels, so nothing is reduced across lanes.
using vf = float __attribute__((vector_size(64)));
using vi = int32_t __attribute__((vector_size(64)));
static_assert(sizeof(vf) == sizeof(float) * kLanes);

__attribute__((always_inline)) inline vf splat(float x) { return vf{} + x; }

// 2^x for −126 ≤ x ≤ 0, branch-free: x = k + r, |r| ≤ 1/2, 2^r by a degree-5 Chebyshev fit
// (relative error 2.1e-7 in float32 Horner), and k added straight into the exponent bits. Adding
// 1.5·2^23 rounds x to the integer k and leaves k in the low mantissa bits, so a shift by 23 moves
// it into the exponent field (the shifter's own bits shift out).
__attribute__((always_inline)) inline vf exp2_in_range(vf x) {
    const vf shifter = splat(12582912.0f);
    const vf rounded = x + shifter;
    const vf r = x - (rounded - shifter);
    vf p = splat(1.3390863364533504e-3f);
    p = p * r + 9.676031918326564e-3f;
    p = p * r + 5.550357114219461e-2f;
    p = p * r + 2.4022107485308208e-1f;
    p = p * r + 6.931471880262287e-1f;
    p = p * r + 1.0000000754548972f;
    const vi k_bits = __builtin_bit_cast(vi, rounded) << 23;
    return __builtin_bit_cast(vf, __builtin_bit_cast(vi, p) + k_bits);
}

// 2^x for any x ≤ 0; below −126 it returns 2^−126 (≈1e-38), which is 0 for every use here.
__attribute__((always_inline)) inline vf exp2_neg(vf x) { return exp2_in_range(x < -126.0f ? splat(-126.0f) : x); }

// exp(x) for x ≤ 0.
__attribute__((always_inline)) inline vf exp_neg(vf x) { return exp2_neg(x * 1.44269504f); }

__attribute__((always_inline)) inline vf abs_v(vf x) { return x < 0.0f ? -x : x; }

// softplus(x) = max(x, 0) + log1p(exp(−|x|)), with log1p(y) = 2·atanh(y / (2 + y)) by its series
// (y ∈ (0, 1], so the ratio t ≤ 1/3 and terms to t^11 leave < 1e-7). Matches PyTorch's softplus,
// whose threshold-20 identity differs from this by < 3e-9.
__attribute__((always_inline)) inline vf softplus_v(vf x) {
    const vf y = exp_neg(-abs_v(x));
    const vf t = y / (2.0f + y), t2 = t * t;
    vf q = splat(1.0f / 11.0f);
    q = q * t2 + 1.0f / 9.0f;
    q = q * t2 + 1.0f / 7.0f;
    q = q * t2 + 1.0f / 5.0f;
    q = q * t2 + 1.0f / 3.0f;
    q = q * t2 + 1.0f;
    return (x > 0.0f ? x : splat(0.0f)) + 2.0f * t * q;
}

// silu(x) = x · sigmoid(x), written so the exponential's argument is never positive.
__attribute__((always_inline)) inline vf silu_v(vf x) {
    const vf e = exp_neg(-abs_v(x));                 // exp(−|x|)
    const vf sig = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    return x * sig;
}

// Lanes [0, width) of p; the others zero.
__attribute__((always_inline)) inline vf load_lanes(const float* p, int width) {
    vf v = {};
    if (width == kLanes) {
        std::memcpy(&v, p, sizeof v);
    } else {
        for (int l = 0; l < width; ++l) v[l] = p[l];
    }
    return v;
}

__attribute__((always_inline)) inline void store_lanes(float* p, vf v, int width) {
    if (width == kLanes) {
        std::memcpy(p, &v, sizeof v);
    } else {
        for (int l = 0; l < width; ++l) p[l] = v[l];
    }
}

// One block of kLanes channels starting at c0 (the last block may be narrower): state and A held
// as [state] × lanes, so every operation of the inner loop is one vector operation.
__attribute__((always_inline)) inline void scan_block(const kernels::ScanArgs& a, int c0, int width) {
    const int S = a.d_state;
    vf h[kMaxState], A2[kMaxState];   // A2 = A·log2(e): the decay is 2^(Δ·A2)
    vf A2_min = {};                     // the most negative A2 of each lane
    for (int s = 0; s < S; ++s) {
        vf hs = {}, as = {};
        for (int l = 0; l < width; ++l) {
            hs[l] = a.state[size_t(c0 + l) * S + s];
            as[l] = a.A[size_t(c0 + l) * S + s] * 1.44269504f;
        }
        h[s] = hs;
        A2[s] = as;
        A2_min = as < A2_min ? as : A2_min;
    }
    const vf bias = a.delta_bias ? load_lanes(a.delta_bias + c0, width) : vf{};
    const vf D = a.D ? load_lanes(a.D + c0, width) : vf{};
    for (int t = 0; t < a.T; ++t) {
        const vf u = load_lanes(a.u + t * a.ld_u + c0, width);
        const vf d = softplus_v(load_lanes(a.delta + t * a.ld_delta + c0, width) + bias);
        const vf du = d * u;
        vf y = {};
        const float* Bt = a.B + t * a.ld_B;
        const float* Ct = a.C + t * a.ld_C;
        // Δ·A2 ≥ −126 for every state of every lane (the usual case: Δ ≪ 1) lets the decay skip
        // the clamp; a lane with a huge step takes the clamped path for this position.
        const vi in_range = d * A2_min >= -126.0f;
        bool all_in_range = true;
        for (int l = 0; l < kLanes; ++l) all_in_range &= in_range[l] != 0;
        if (all_in_range) {
            for (int s = 0; s < S; ++s) {
                h[s] = exp2_in_range(d * A2[s]) * h[s] + du * Bt[s];
                y += h[s] * Ct[s];
            }
        } else {
            for (int s = 0; s < S; ++s) {
                h[s] = exp2_neg(d * A2[s]) * h[s] + du * Bt[s];
                y += h[s] * Ct[s];
            }
        }
        y += D * u;
        if (a.z) y *= silu_v(load_lanes(a.z + t * a.ld_z + c0, width));
        store_lanes(a.y + t * a.ld_y + c0, y, width);
    }
    for (int s = 0; s < S; ++s)
        for (int l = 0; l < width; ++l) a.state[size_t(c0 + l) * S + s] = h[s][l];
}

}  // namespace

MS_HOT_CLONES void selective_scan(const kernels::ScanArgs& a, int c_begin, int c_end) {
    for (int c = c_begin; c < c_end; c += kLanes) {
        const int width = c_end - c < kLanes ? c_end - c : kLanes;
        scan_block(a, c, width);
    }
}

MS_HOT_CLONES void causal_conv1d(const kernels::ConvArgs& a, const float* w_t, int c_begin, int c_end) {
    const int K = a.d_conv, H = K - 1, n = c_end - c_begin;
    // Row p of the input for this channel range; p < 0 reads the carried state.
    auto row = [&](int p) -> const float* {
        return p >= 0 ? a.x + p * a.ld_x + c_begin : a.conv_state + size_t(H + p) * a.d_inner + c_begin;
    };
    for (int t = 0; t < a.T; ++t) {
        float* o = a.out + t * a.ld_out + c_begin;
        if (a.bias) {
            std::memcpy(o, a.bias + c_begin, sizeof(float) * size_t(n));
        } else {
            std::memset(o, 0, sizeof(float) * size_t(n));
        }
        for (int k = 0; k < K; ++k) {
            const float* in = row(t + k - H);
            const float* w = w_t + size_t(k) * a.d_inner + c_begin;
            for (int c = 0; c < n; ++c) o[c] += w[c] * in[c];
        }
        if (a.silu)
            for (int c = 0; c < n; c += kLanes) {
                const int w = n - c < kLanes ? n - c : kLanes;
                store_lanes(o + c, silu_v(load_lanes(o + c, w)), w);
            }
    }
    // Carry the last H inputs, shifting in place: row r takes input row T - H + r, which is x or a
    // later state row that is read before it is overwritten (T ≥ 1).
    for (int r = 0; r < H; ++r)
        std::memmove(a.conv_state + size_t(r) * a.d_inner + c_begin, row(a.T - H + r), sizeof(float) * size_t(n));
}

std::vector<float> transpose(const std::vector<float>& x, int rows, int cols) {
    std::vector<float> t(x.size());
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) t[size_t(c) * rows + r] = x[size_t(r) * cols + c];
    return t;
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

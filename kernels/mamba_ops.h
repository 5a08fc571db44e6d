// The operations of a Mamba mixer that are not matrix products, as plain-loop CPU references in
// double precision: the ground truth that every fast implementation (the CPU backend's vectorised
// loops in engine/, the CUDA kernels in kernels/*.cu) is compared with.
//
// Shapes (one sequence of T positions; rows are positions, columns channels, row strides given):
//   selective scan:  u, delta, z [T, d_inner]; B, C [T, d_state]; A [d_inner, d_state];
//                    state [d_inner, d_state] (in: before the chunk, out: after it)
//       delta' = softplus(delta + delta_bias)            (per position and channel)
//       h      = exp(delta' * A) * h + delta' * B[t] * u  (per channel and state)
//       y      = (C[t] · h + D * u) * silu(z)
//   causal depthwise conv1d with carried state:
//       out[t, c] = bias[c] + Σ_k w[c, k] * x[t + k - (d_conv - 1), c]   (x before t = 0 from conv_state)
//       conv_state [d_conv - 1, d_inner] holds the last d_conv - 1 inputs, oldest first
//   RMSNorm:  out = x / sqrt(mean(x²) + eps) * weight
//   ACGT head: p[r, :] = softmax over the four bases of (w4 · rmsnorm(x[r]))   — the LM head's
//              next-base prediction renormalised over A/C/G/T, without the rest of the vocabulary
//   segment sums: sums[j, :] = Σ x[i, :] over a chunk's rows i in segment j (see RowSegments) —
//              pooled embeddings of windows without handing every row out
#pragma once

#include <cstddef>
#include <cstdint>

namespace ms::kernels {

struct ScanArgs {
    int T = 0, d_inner = 0, d_state = 0;
    const float* u = nullptr;          size_t ld_u = 0;
    const float* delta = nullptr;      size_t ld_delta = 0;   // before bias and softplus
    const float* delta_bias = nullptr;                        // [d_inner] or null
    const float* A = nullptr;                                 // [d_inner, d_state], already −exp(A_log)
    const float* B = nullptr;          size_t ld_B = 0;
    const float* C = nullptr;          size_t ld_C = 0;
    const float* D = nullptr;                                 // [d_inner] or null
    const float* z = nullptr;          size_t ld_z = 0;       // null: no gating
    float* state = nullptr;                                   // [d_inner, d_state], in/out
    float* y = nullptr;                size_t ld_y = 0;
};

struct ConvArgs {
    int T = 0, d_inner = 0, d_conv = 0;
    const float* x = nullptr;     size_t ld_x = 0;
    const float* w = nullptr;                  // [d_inner, d_conv]
    const float* bias = nullptr;               // [d_inner] or null
    float* conv_state = nullptr;               // [d_conv - 1, d_inner], in/out
    float* out = nullptr;         size_t ld_out = 0;
    bool silu = true;                          // apply SiLU to the output (the Mamba mixer does)
};

// softplus as PyTorch computes it (threshold 20: above it, the identity).
double softplus_ref(double x);

void selective_scan_ref(const ScanArgs& a);
void causal_conv1d_ref(const ConvArgs& a);
// x, out [rows, n]; weight [n].
void rmsnorm_ref(const float* x, const float* weight, float* out, int rows, int n, float eps);
// x [rows, n] (before the final norm); norm_weight [n]; w4 [4, n] (the LM head rows of A, C, G, T);
// probs [rows, 4].
void acgt_head_ref(const float* x, const float* norm_weight, float eps, const float* w4, float* probs, int rows, int n);

// A chunk's rows cut at a sequence's window edges: row i is position offset + i of its window
// sequence, so segment j holds the rows of the j-th window the chunk touches; only rows [0, rows)
// count (a padded chunk's padding does not). window 0: one segment of all rows (a whole record).
// offset < window.
struct RowSegments {
    int64_t window = 0;
    int64_t offset = 0;
    int64_t rows = 0;
};
inline int64_t segment_count(const RowSegments& s) {
    return s.rows <= 0 ? 0 : s.window == 0 ? 1 : (s.offset + s.rows + s.window - 1) / s.window;
}
// The most segments `rows` rows can touch at any offset.
inline int64_t max_segment_count(int64_t window, int64_t rows) {
    return rows <= 0 ? 0 : window == 0 ? 1 : (window - 1 + rows + window - 1) / window;
}
// sums [segment_count(s), n] of x [≥ s.rows, n], accumulated in double.
void segment_sums_ref(const float* x, int n, const RowSegments& s, float* sums);

}  // namespace ms::kernels

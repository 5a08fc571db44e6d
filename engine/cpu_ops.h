// The CPU backend's fast versions of kernels/mamba_ops.h: float32, vectorised across blocks of
// channels (lanes = channels, so no reductions need reassociation), called on channel ranges so
// the thread pool can split them. Compared with the double-precision references in tests/engine.
#pragma once

#include <vector>

#include "kernels/mamba_ops.h"

namespace ms::cpu {

inline constexpr int kMaxState = 256;   // the largest d_state these loops handle (stack buffers)
inline constexpr int kLanes = 16;       // channels per vector block

// Channels [c_begin, c_end) of the scan; c_begin is a multiple of kLanes unless it is the tail.
void selective_scan(const kernels::ScanArgs& a, int c_begin, int c_end);
// Channels [c_begin, c_end) of the conv (its state update too). `w_t` is a.w transposed to
// [d_conv, d_inner], so the loop over channels reads the weights contiguously (a.w is not read).
void causal_conv1d(const kernels::ConvArgs& a, const float* w_t, int c_begin, int c_end);

// [rows, cols] -> [cols, rows].
std::vector<float> transpose(const std::vector<float>& x, int rows, int cols);
// Rows [r_begin, r_end) of x [rows, n].
void rmsnorm(const float* x, const float* weight, float* out, int n, float eps, int r_begin, int r_end);

}  // namespace ms::cpu

// CUDA kernels for the non-scan parts of a Mamba layer, each the same function as its CPU reference
// in kernels/mamba_ops.h:
//   causal_conv1d: out[t, c] = silu(bias[c] + Σ_k w[c, k] · x[t + k − (d_conv − 1), c]), reading
//                  positions before the chunk from conv_state [batch, d_conv − 1, d_inner] and
//                  leaving the chunk's last d_conv − 1 inputs there; x and out position-major
//                  (channels contiguous) or channel-major (positions contiguous: the runner's
//                  layout for the channel-major scan);
//   rmsnorm_residual: residual += x (fp32), out = residual / sqrt(mean(residual²) + eps) · weight —
//                  the add of one layer's output and the next layer's norm in one pass.
// Activations fp32 or bf16 (ActType), weights and state fp32.
#pragma once

#include "kernels/selective_scan_cuda.h"

namespace ms::cuda {

struct ConvProblem {
    int batch = 1, T = 0, d_inner = 0, d_conv = 4;
    ActType act = ActType::F32;
    Act x;                            // [batch, T, d_inner] by its strides (e.g. row stride 2·d_inner: the x half of in_proj)
    void* out = nullptr;              // written: element (b, t, c) at b·out_batch_stride + t·out_row_stride + c·out_chan_stride
    int64_t out_batch_stride = 0, out_row_stride = 0, out_chan_stride = 1;   // out_row_stride 0 is refused
    // Channel-major (x and out with row stride 1) takes a kernel with threads along positions;
    // otherwise x and out must have channel stride 1.
    const float* w = nullptr;         // [d_inner, d_conv]
    const float* bias = nullptr;      // [d_inner] or null
    float* conv_state = nullptr;      // [batch, d_conv − 1, d_inner], in/out
    bool silu = true;
};

cudaError_t causal_conv1d(const ConvProblem& p, cudaStream_t stream);

// rows × n: residual (fp32, in/out) += x (act, may be null: the first layer), out (act) = norm.
cudaError_t rmsnorm_residual(int rows, int n, ActType act, const void* x, float* residual, const float* weight,
                             float eps, void* out, cudaStream_t stream);

// out[i, :] = table[ids[i], :] for rows i < n (fp32 [vocab, width] → fp32 [n, width]); ids are
// checked on the host before the copy.
cudaError_t embed_rows(int n, int width, const int32_t* ids, const float* table, float* out, cudaStream_t stream);

// data[r·row_ld + j·col_ld] += bias[j] for r < rows, j < n (data fp32 or bf16, bias fp32): col_ld 1
// for position-major rows, row_ld 1 for channel-major ones.
cudaError_t add_bias(int rows, int n, int64_t row_ld, int64_t col_ld, const float* bias, ActType act, void* data,
                     cudaStream_t stream);

}  // namespace ms::cuda

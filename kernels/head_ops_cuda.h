// The model's output head on the GPU, fused with the reductions a biologist's tracks need: the
// final RMSNorm, the four LM-head rows of A, C, G and T, and the softmax over them, eight lanes a
// position (a warp where rows are not 16-byte aligned). Only 16 bytes a position leave the GPU
// instead of the vocabulary's logits; the log-likelihood of the observed base and the entropy
// follow from these four numbers (engine/heads.h). Reference: acgt_head_ref in kernels/mamba_ops.h; test:
// tests/kernels/test_head_ops_cuda.
#pragma once

#include <cuda_runtime_api.h>

namespace ms::cuda {

// x [rows, n] fp32 (the residual stream after the last layer); norm_weight [n]; w4 [4, n];
// probs [rows, 4] fp32; hidden [rows, n] fp32 or null (the normalised rows, when wanted too).
cudaError_t acgt_head(int rows, int n, const float* x, const float* norm_weight, float eps, const float* w4,
                      float* probs, float* hidden, cudaStream_t stream);

}  // namespace ms::cuda

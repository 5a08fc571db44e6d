// The fused ACGT head; see kernels/head_ops_cuda.h.
#include "kernels/head_ops_cuda.h"

namespace ms::cuda {

namespace {

constexpr int kRowsPerBlock = 8;   // one warp a row

__global__ void acgt_head_kernel(int rows, int n, const float* __restrict__ x, const float* __restrict__ norm_weight,
                                 float eps, const float* __restrict__ w4, float* __restrict__ probs,
                                 float* __restrict__ hidden) {
    const int lane = threadIdx.x % 32;
    const int64_t row = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    if (row >= rows) return;   // whole warps leave together: rows are warp-uniform
    const float* xr = x + row * n;
    float ss = 0.0f;
    for (int i = lane; i < n; i += 32) ss = fmaf(xr[i], xr[i], ss);
    for (int off = 16; off > 0; off /= 2) ss += __shfl_xor_sync(0xffffffffu, ss, off);
    const float inv = rsqrtf(ss / float(n) + eps);
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = lane; i < n; i += 32) {   // the row is in L1 from the first loop
        const float v = xr[i] * inv * norm_weight[i];
        if (hidden) hidden[row * n + i] = v;
#pragma unroll
        for (int b = 0; b < 4; ++b) acc[b] = fmaf(w4[size_t(b) * n + i], v, acc[b]);
    }
#pragma unroll
    for (int b = 0; b < 4; ++b)
        for (int off = 16; off > 0; off /= 2) acc[b] += __shfl_xor_sync(0xffffffffu, acc[b], off);
    if (lane != 0) return;
    const float m = fmaxf(fmaxf(acc[0], acc[1]), fmaxf(acc[2], acc[3]));
    float e[4], z = 0.0f;
#pragma unroll
    for (int b = 0; b < 4; ++b) z += e[b] = expf(acc[b] - m);
    const float rz = 1.0f / z;
    reinterpret_cast<float4*>(probs)[row] = make_float4(e[0] * rz, e[1] * rz, e[2] * rz, e[3] * rz);
}

}  // namespace

cudaError_t acgt_head(int rows, int n, const float* x, const float* norm_weight, float eps, const float* w4,
                      float* probs, float* hidden, cudaStream_t stream) {
    if (rows < 0 || n <= 0 || !x || !norm_weight || !w4 || !probs) return cudaErrorInvalidValue;
    if (rows == 0) return cudaSuccess;
    const unsigned blocks = unsigned((int64_t(rows) + kRowsPerBlock - 1) / kRowsPerBlock);
    acgt_head_kernel<<<blocks, 32 * kRowsPerBlock, 0, stream>>>(rows, n, x, norm_weight, eps, w4, probs, hidden);
    return cudaGetLastError();
}

}  // namespace ms::cuda

// The fused ACGT head; see kernels/head_ops_cuda.h.
#include "kernels/head_ops_cuda.h"

#include "kernels/scan_device.cuh"   // aligned()

namespace ms::cuda {

namespace {

// V consecutive floats (V = 4: one 16-byte access).
template <int V>
__device__ __forceinline__ void load_v(const float* p, float (&o)[V]) {
    if constexpr (V == 4) {
        const float4 v = *reinterpret_cast<const float4*>(p);
        o[0] = v.x; o[1] = v.y; o[2] = v.z; o[3] = v.w;
    } else {
        o[0] = *p;
    }
}
template <int V>
__device__ __forceinline__ void store_v(float* p, const float (&o)[V]) {
    if constexpr (V == 4) *reinterpret_cast<float4*>(p) = make_float4(o[0], o[1], o[2], o[3]);
    else *p = o[0];
}

// V: floats a lane reads at a time; G: lanes a row (32 / G rows a warp). Rows whose floats are
// 16-byte aligned take V = 4, G = 8: version 1 read one float a lane with a whole warp a row and
// waited out a chain of shuffle reductions for each (86 µs for 131K rows of 256, ~2.6× the time
// of its 134 MB of reads); float4 reads alone made it 81.
template <int V, int G>
__global__ void acgt_head_kernel(int rows, int n, const float* __restrict__ x, const float* __restrict__ norm_weight,
                                 float eps, const float* __restrict__ w4, float* __restrict__ probs,
                                 float* __restrict__ hidden) {
    const int g = threadIdx.x % G;
    const int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / G;
    const bool valid = row < rows;   // lanes past the last row compute row 0 and store nothing: every lane takes the shuffles
    const float* xr = x + (valid ? row : 0) * n;
    float ss = 0.0f;
    for (int i = V * g; i < n; i += G * V) {
        float v[V];
        load_v(xr + i, v);
#pragma unroll
        for (int e = 0; e < V; ++e) ss = fmaf(v[e], v[e], ss);
    }
    for (int off = G / 2; off > 0; off /= 2) ss += __shfl_xor_sync(0xffffffffu, ss, off);
    const float inv = rsqrtf(ss / float(n) + eps);
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = V * g; i < n; i += G * V) {   // the row is in L1 from the first loop
        float v[V], gw[V];
        load_v(xr + i, v);
        load_v(norm_weight + i, gw);
#pragma unroll
        for (int e = 0; e < V; ++e) v[e] = v[e] * inv * gw[e];
        if (hidden && valid) store_v(hidden + row * n + i, v);
#pragma unroll
        for (int b = 0; b < 4; ++b) {
            float w[V];
            load_v(w4 + size_t(b) * n + i, w);
#pragma unroll
            for (int e = 0; e < V; ++e) acc[b] = fmaf(w[e], v[e], acc[b]);
        }
    }
#pragma unroll
    for (int b = 0; b < 4; ++b)
        for (int off = G / 2; off > 0; off /= 2) acc[b] += __shfl_xor_sync(0xffffffffu, acc[b], off);
    if (g != 0 || !valid) return;
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
    constexpr int kThreads = 256;
    if (aligned(x, {n}, 16, 4) && aligned(norm_weight, {}, 16, 4) && aligned(w4, {n}, 16, 4) &&
        (!hidden || aligned(hidden, {n}, 16, 4))) {
        constexpr int kG = 8;
        const unsigned blocks = unsigned((int64_t(rows) * kG + kThreads - 1) / kThreads);
        acgt_head_kernel<4, kG><<<blocks, kThreads, 0, stream>>>(rows, n, x, norm_weight, eps, w4, probs, hidden);
    } else {
        const unsigned blocks = unsigned((int64_t(rows) * 32 + kThreads - 1) / kThreads);
        acgt_head_kernel<1, 32><<<blocks, kThreads, 0, stream>>>(rows, n, x, norm_weight, eps, w4, probs, hidden);
    }
    return cudaGetLastError();
}

}  // namespace ms::cuda

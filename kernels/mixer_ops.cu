// Causal depthwise conv1d (+ bias, SiLU, carried state) and RMSNorm fused with the residual add;
// see kernels/mixer_ops_cuda.h. Test: tests/kernels/test_mixer_ops_cuda.
#include <cuda_bf16.h>

#include "kernels/mixer_ops_cuda.h"
#include "kernels/scan_device.cuh"   // aligned()

namespace ms::cuda {

namespace {

constexpr int kConvThreads = 128;   // channels per block
constexpr int kConvTile = 64;       // positions per block
constexpr int kMaxConv = 8;         // the largest d_conv handled (Mamba uses 4)

template <typename T> __device__ __forceinline__ float load(const T* p);
template <> __device__ __forceinline__ float load<float>(const float* p) { return *p; }
template <> __device__ __forceinline__ float load<__nv_bfloat16>(const __nv_bfloat16* p) { return __bfloat162float(*p); }
template <typename T> __device__ __forceinline__ void store(T* p, float v);
template <> __device__ __forceinline__ void store<float>(float* p, float v) { *p = v; }
template <> __device__ __forceinline__ void store<__nv_bfloat16>(__nv_bfloat16* p, float v) { *p = __float2bfloat16(v); }

// grid (⌈d_inner / 128⌉, ⌈T / 64⌉, batch): a thread slides a window of d_conv inputs of one channel
// over 64 positions; loads are coalesced across the warp's channels. K (d_conv) is a template
// argument so the window lives in registers: with a run-time K the arrays went to local memory and
// the kernel took 355 µs a layer at 131K × 512 (Nsight Compute), 4.6× its memory time.
template <typename T, int K>
__global__ void conv_kernel(ConvProblem p) {
    const int c = blockIdx.x * kConvThreads + threadIdx.x;
    if (c >= p.d_inner) return;
    const int b = blockIdx.z, t0 = blockIdx.y * kConvTile, t1 = min(p.T, t0 + kConvTile);
    constexpr int H = K - 1;
    const T* x = static_cast<const T*>(p.x.data) + b * p.x.batch_stride + c * p.x.chan_stride;
    const float* state = p.conv_state + size_t(b) * H * p.d_inner + c;
    auto input = [&](int t) -> float { return t >= 0 ? load(x + int64_t(t) * p.x.row_stride) : state[size_t(H + t) * p.d_inner]; };
    float w[K], win[K];
#pragma unroll
    for (int k = 0; k < K; ++k) w[k] = p.w[size_t(c) * K + k];
#pragma unroll
    for (int k = 0; k < H; ++k) win[k] = input(t0 - H + k);
    const float bias = p.bias ? p.bias[c] : 0.0f;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + c * p.out_chan_stride;
#pragma unroll 4
    for (int t = t0; t < t1; ++t) {
        win[H] = input(t);
        float acc = bias;
#pragma unroll
        for (int k = 0; k < K; ++k) acc = fmaf(w[k], win[k], acc);
        if (p.silu) acc = silu(acc);
        store(out + int64_t(t) * p.out_row_stride, acc);
#pragma unroll
        for (int k = 0; k < H; ++k) win[k] = win[k + 1];
    }
}

// After the conv: each (batch, channel) keeps its last H inputs, oldest first. Row r takes input
// T − H + r, which is x or a later state row read before it is overwritten.
template <typename T>
__global__ void conv_state_kernel(ConvProblem p) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= int64_t(p.batch) * p.d_inner) return;
    const int b = int(i / p.d_inner), c = int(i % p.d_inner), H = p.d_conv - 1;
    const T* x = static_cast<const T*>(p.x.data) + b * p.x.batch_stride + c * p.x.chan_stride;
    float* state = p.conv_state + size_t(b) * H * p.d_inner + c;
    for (int r = 0; r < H; ++r) {
        const int t = p.T - H + r;
        state[size_t(r) * p.d_inner] = t >= 0 ? load(x + int64_t(t) * p.x.row_stride) : state[size_t(H + t) * p.d_inner];
    }
}

// Channel-major x and out (positions contiguous): grid (⌈T / 2048⌉, d_inner, batch), a thread
// takes kConvRun consecutive positions of one channel, its window of d_conv − 1 earlier inputs
// and the run in registers; with kVec (rows aligned for it) the run moves in one vector load and
// store. The first form, a thread a position, took 388 µs a layer at 131K × 512 (Nsight Compute,
// 0.7 TB/s): 262,144 blocks of a few instructions, each waiting out one load latency.
constexpr int kConvRun = 8;
constexpr int kConvChanThreads = 256;

__device__ __forceinline__ void load8(const float* p, float v[8]) {
    const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
}
__device__ __forceinline__ void load8(const __nv_bfloat16* p, float v[8]) {
    const uint4 r = *reinterpret_cast<const uint4*>(p);
    const uint32_t w[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const float2 f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&w[i]));
        v[2 * i] = f.x; v[2 * i + 1] = f.y;
    }
}
__device__ __forceinline__ void store8(float* p, const float v[8]) {
    reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
}
__device__ __forceinline__ void store8(__nv_bfloat16* p, const float v[8]) {
    uint32_t w[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const __nv_bfloat162 h = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
        w[i] = *reinterpret_cast<const uint32_t*>(&h);
    }
    *reinterpret_cast<uint4*>(p) = make_uint4(w[0], w[1], w[2], w[3]);
}

template <typename T, int K, bool kVec>
__global__ void conv_chan_kernel(ConvProblem p) {
    constexpr int H = K - 1;
    const int t0 = (blockIdx.x * kConvChanThreads + threadIdx.x) * kConvRun, c = blockIdx.y, b = blockIdx.z;
    if (t0 >= p.T) return;
    const T* x = static_cast<const T*>(p.x.data) + b * p.x.batch_stride + c * p.x.chan_stride;
    const float* state = p.conv_state + size_t(b) * H * p.d_inner + c;
    const bool whole = t0 + kConvRun <= p.T;
    float win[H + kConvRun];
#pragma unroll
    for (int k = 0; k < H; ++k) {
        const int s = t0 - H + k;
        win[k] = s >= 0 ? load(x + s) : state[size_t(H + s) * p.d_inner];
    }
    if (kVec && whole) {
        load8(x + t0, &win[H]);
    } else {
#pragma unroll
        for (int e = 0; e < kConvRun; ++e) win[H + e] = t0 + e < p.T ? load(x + t0 + e) : 0.0f;
    }
    float w[K];
#pragma unroll
    for (int k = 0; k < K; ++k) w[k] = p.w[size_t(c) * K + k];
    const float bias = p.bias ? p.bias[c] : 0.0f;
    float out[kConvRun];
#pragma unroll
    for (int e = 0; e < kConvRun; ++e) {
        float acc = bias;
#pragma unroll
        for (int k = 0; k < K; ++k) acc = fmaf(w[k], win[e + k], acc);
        out[e] = p.silu ? silu(acc) : acc;
    }
    T* o = static_cast<T*>(p.out) + b * p.out_batch_stride + c * p.out_chan_stride + t0;
    if (kVec && whole) {
        store8(o, out);
    } else {
#pragma unroll
        for (int e = 0; e < kConvRun; ++e)
            if (t0 + e < p.T) store(o + e, out[e]);
    }
}

// A warp per row (8 rows a block): residual += x, the RMS over the row by shuffles, then
// out = residual · inv · weight; lanes take every 32nd element, so loads and stores coalesce.
// The first form (a block per row, two block-wide barriers, the residual written back even with
// no x) took 130 µs a layer at 131K × 256 against ~50 µs of memory time.
constexpr int kNormRows = 8;
template <typename T>
__global__ void rmsnorm_residual_kernel(int rows, int n, const T* x, float* residual, const float* weight, float eps,
                                        T* out) {
    const int lane = threadIdx.x % 32;
    const int64_t row = int64_t(blockIdx.x) * kNormRows + threadIdx.x / 32;
    if (row >= rows) return;
    float* res = residual + row * n;
    float ss = 0.0f;
    for (int i = lane; i < n; i += 32) {
        float v = res[i];
        if (x) {
            v += load(x + row * n + i);
            res[i] = v;
        }
        ss = fmaf(v, v, ss);
    }
#pragma unroll
    for (int off = 16; off > 0; off /= 2) ss += __shfl_xor_sync(0xffffffffu, ss, off);
    const float inv = rsqrtf(ss / float(n) + eps);
    for (int i = lane; i < n; i += 32) store(out + row * n + i, res[i] * inv * weight[i]);
}

template <typename T, int K>
void launch_conv(const ConvProblem& p, cudaStream_t stream) {
    if (p.x.row_stride == 1 && p.out_row_stride == 1) {
        const size_t v = kConvRun * sizeof(T);
        const bool many = p.batch > 1;   // a single sequence's batch stride is never used
        const bool vec = aligned(p.x.data, {p.x.chan_stride, many ? p.x.batch_stride : 0}, v, sizeof(T)) &&
                         aligned(p.out, {p.out_chan_stride, many ? p.out_batch_stride : 0}, v, sizeof(T));
        const dim3 grid(unsigned((p.T + kConvRun * kConvChanThreads - 1) / (kConvRun * kConvChanThreads)), p.d_inner, p.batch);
        if (vec) conv_chan_kernel<T, K, true><<<grid, kConvChanThreads, 0, stream>>>(p);
        else conv_chan_kernel<T, K, false><<<grid, kConvChanThreads, 0, stream>>>(p);
    } else {
        const dim3 grid((p.d_inner + kConvThreads - 1) / kConvThreads, (p.T + kConvTile - 1) / kConvTile, p.batch);
        conv_kernel<T, K><<<grid, kConvThreads, 0, stream>>>(p);
    }
}

template <typename T>
cudaError_t conv(const ConvProblem& p, cudaStream_t stream) {
    switch (p.d_conv) {   // 1..kMaxConv, checked by causal_conv1d
        case 1: launch_conv<T, 1>(p, stream); break;
        case 2: launch_conv<T, 2>(p, stream); break;
        case 3: launch_conv<T, 3>(p, stream); break;
        case 4: launch_conv<T, 4>(p, stream); break;
        case 5: launch_conv<T, 5>(p, stream); break;
        case 6: launch_conv<T, 6>(p, stream); break;
        case 7: launch_conv<T, 7>(p, stream); break;
        default: launch_conv<T, kMaxConv>(p, stream); break;
    }
    const int64_t n = int64_t(p.batch) * p.d_inner;
    conv_state_kernel<T><<<unsigned((n + 255) / 256), 256, 0, stream>>>(p);
    return cudaGetLastError();
}

// A warp a row, 16-byte pieces where the width allows (the table's rows stay in L2). Version 1 took
// a thread an element and divided its 64-bit index by the width: 120 µs for a 131K-row chunk of
// d_model 256, ~3.5× the time its 134 MB of writes need.
constexpr int kEmbedRows = 8;   // rows (warps) a block
template <bool kVec>
__global__ void embed_kernel(int n, int width, const int32_t* __restrict__ ids, const float* __restrict__ table,
                             float* __restrict__ out) {
    const int64_t row = int64_t(blockIdx.x) * kEmbedRows + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= n) return;
    const float* src = table + int64_t(ids[row]) * width;
    float* dst = out + row * width;
    if constexpr (kVec) {
        for (int c = 4 * lane; c < width; c += 128)
            *reinterpret_cast<float4*>(dst + c) = *reinterpret_cast<const float4*>(src + c);
    } else {
        for (int c = lane; c < width; c += 32) dst[c] = src[c];
    }
}

// Thread i takes element (i % rows, i / rows) when rows are contiguous (channel-major: row_ld 1),
// else (i / n, i % n): consecutive threads touch consecutive elements either way.
template <typename T>
__global__ void bias_kernel(int rows, int n, int64_t row_ld, int64_t col_ld, const float* bias, T* data) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= int64_t(rows) * n) return;
    const bool by_col = row_ld == 1;
    const int64_t r = by_col ? i % rows : i / n, j = by_col ? i / rows : i % n;
    T* p = data + r * row_ld + j * col_ld;
    store(p, load(p) + bias[j]);
}

}  // namespace

cudaError_t embed_rows(int n, int width, const int32_t* ids, const float* table, float* out, cudaStream_t stream) {
    const int64_t total = int64_t(n) * width;
    if (total == 0) return cudaSuccess;
    const unsigned blocks = unsigned((int64_t(n) + kEmbedRows - 1) / kEmbedRows);
    if (width % 4 == 0 && aligned(table, {}, 16, 4) && aligned(out, {}, 16, 4))
        embed_kernel<true><<<blocks, 32 * kEmbedRows, 0, stream>>>(n, width, ids, table, out);
    else
        embed_kernel<false><<<blocks, 32 * kEmbedRows, 0, stream>>>(n, width, ids, table, out);
    return cudaGetLastError();
}

cudaError_t add_bias(int rows, int n, int64_t row_ld, int64_t col_ld, const float* bias, ActType act, void* data,
                     cudaStream_t stream) {
    const int64_t total = int64_t(rows) * n;
    if (total == 0) return cudaSuccess;
    const unsigned blocks = unsigned((total + 255) / 256);
    switch (act) {
        case ActType::F32:
            bias_kernel<<<blocks, 256, 0, stream>>>(rows, n, row_ld, col_ld, bias, static_cast<float*>(data));
            break;
        case ActType::BF16:
            bias_kernel<<<blocks, 256, 0, stream>>>(rows, n, row_ld, col_ld, bias, static_cast<__nv_bfloat16*>(data));
            break;
        case ActType::F16: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

cudaError_t causal_conv1d(const ConvProblem& p, cudaStream_t stream) {
    const bool chan_major = p.x.row_stride == 1 && p.out_row_stride == 1;
    if (p.batch <= 0 || p.batch > 65535 /* grid.z */ || p.T < 0 || p.d_inner <= 0 || p.d_conv < 1 ||
        p.d_conv > kMaxConv || !p.w || !p.conv_state || !p.out || p.out_row_stride == 0 ||
        (chan_major && p.d_inner > 65535) /* grid.y of the channel-major kernel */)
        return cudaErrorInvalidValue;
    if (p.T == 0) return cudaSuccess;
    switch (p.act) {
        case ActType::F32: return conv<float>(p, stream);
        case ActType::BF16: return conv<__nv_bfloat16>(p, stream);
        case ActType::F16: break;
    }
    return cudaErrorInvalidValue;
}

cudaError_t rmsnorm_residual(int rows, int n, ActType act, const void* x, float* residual, const float* weight,
                             float eps, void* out, cudaStream_t stream) {
    if (rows < 0 || n <= 0 || !residual || !weight || !out) return cudaErrorInvalidValue;
    if (rows == 0) return cudaSuccess;
    const unsigned blocks = unsigned((int64_t(rows) + kNormRows - 1) / kNormRows);
    switch (act) {
        case ActType::F32:
            rmsnorm_residual_kernel<float><<<blocks, 32 * kNormRows, 0, stream>>>(
                rows, n, static_cast<const float*>(x), residual, weight, eps, static_cast<float*>(out));
            return cudaGetLastError();
        case ActType::BF16:
            rmsnorm_residual_kernel<__nv_bfloat16><<<blocks, 32 * kNormRows, 0, stream>>>(
                rows, n, static_cast<const __nv_bfloat16*>(x), residual, weight, eps, static_cast<__nv_bfloat16*>(out));
            return cudaGetLastError();
        case ActType::F16: break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace ms::cuda

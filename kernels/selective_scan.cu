// Selective scan forward on NVIDIA GPUs; see kernels/selective_scan_cuda.h for the maths and the
// three passes. Test: tests/kernels/test_selective_scan_cuda (against the double-precision CPU
// reference); timing: tests/kernels/bench_selective_scan.
//
// Thread mapping: a thread owns one channel and NS consecutive states of it (NS ≤ 8, held in
// registers); G = ⌈d_state / NS⌉ adjacent lanes share a channel and add their partial C·h with
// warp shuffles. Lanes of a warp take consecutive channels, so the loads of u, Δ, z and the store
// of y are coalesced; B and C rows are the same for the whole block (broadcast loads).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "kernels/selective_scan_cuda.h"

namespace ms::cuda {

namespace {

constexpr int kThreads = 128;
constexpr float kLog2e = 1.4426950408889634f;

template <typename T> __device__ __forceinline__ float to_f(T x);
template <> __device__ __forceinline__ float to_f<float>(float x) { return x; }
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }
template <> __device__ __forceinline__ float to_f<__half>(__half x) { return __half2float(x); }

template <typename T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ float from_f<float>(float x) { return x; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) { return __float2bfloat16(x); }
template <> __device__ __forceinline__ __half from_f<__half>(float x) { return __float2half(x); }

// 2^x on the special-function unit (relative error ~2^-22; flushes below 2^-126 to 0).
__device__ __forceinline__ float ex2_sfu(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PyTorch's softplus (threshold 20) from three special-function results instead of libm's
// log1pf/expf (~40 instructions, computed for every channel-position in both passes):
// log1p(e) = log(u) · e / (u − 1) with u = 1 + e is accurate to a few ulp because the rounding
// of u cancels in the ratio (Goldberg, "What every computer scientist should know…", thm. 4).
__device__ __forceinline__ float softplus(float x) {
    if (x > 20.0f) return x;
    const float e = ex2_sfu(x * kLog2e);
    const float u = 1.0f + e;
    return u == 1.0f ? e : __logf(u) * __fdividef(e, u - 1.0f);
}

struct Params {
    ScanProblem p;
    int nseg, seg_len;
    float* seg_local;   // pass 1 → 2: [batch, nseg - 1, d_inner, d_state] state of each segment from zero
    float* seg_dsum;    // pass 1 → 2: [batch, nseg - 1, d_inner] Σ Δ' over each segment
    float* seg_start;   // pass 2 → 3: [batch, nseg, d_inner, d_state] true starting state of each segment
};

enum class Pass { Local, Output };

constexpr int kTile = 16;   // positions staged in shared memory at a time

// grid: (⌈d_inner·G / kThreads⌉, segments, batch). The block stages kTile positions of its
// channels' Δ' = softplus(Δ + bias), Δ'·u, u and silu(z), and of B and C, in shared memory — every
// thread loads a share with coalesced reads and computes each softplus/SiLU once — then each thread
// runs its channel's recurrence over the tile from shared memory. Other resident blocks load while
// one computes, which hides the global-memory latency that bounded version 1.
template <typename T, int NS, int G, Pass kPass>
__global__ void __launch_bounds__(kThreads, 8) scan_kernel(Params prm) {
    constexpr int kChan = kThreads / G;   // channels per block
    constexpr int kS = NS * G;            // states covered by the block (≥ d_state)
    constexpr bool kOut = kPass == Pass::Output;
    __shared__ float s_dt[kTile][kChan], s_du[kTile][kChan];
    __shared__ float s_u[kOut ? kTile : 1][kChan], s_g[kOut ? kTile : 1][kChan];
    static_assert(NS % 4 == 0, "B and C are read from shared memory four states at a time");
    __shared__ __align__(16) float s_B[kTile][kS];
    __shared__ __align__(16) float s_C[kOut ? kTile : 1][kS];

    const ScanProblem& p = prm.p;
    const int S = p.d_state;
    const int seg = blockIdx.y, b = blockIdx.z;
    const int cb = blockIdx.x * kChan;                 // first channel of the block
    const int cc = threadIdx.x / G, lane_group = threadIdx.x % G;
    const int c = cb + cc;
    const bool active = c < p.d_inner;                 // inactive lanes still take part in the shuffles
    const int s0 = lane_group * NS;
    const int t0 = seg * prm.seg_len, t1 = min(p.T, t0 + prm.seg_len);

    float A2[NS], h[NS];
#pragma unroll
    for (int i = 0; i < NS; ++i) {
        const int s = s0 + i;
        const bool live = active && s < S;
        A2[i] = live ? p.A[size_t(c) * S + s] * kLog2e : 0.0f;
        float h0 = 0.0f;
        if (kOut && live) {
            h0 = prm.nseg == 1 ? p.state[(size_t(b) * p.d_inner + c) * S + s]
                               : prm.seg_start[((size_t(b) * prm.nseg + seg) * p.d_inner + c) * S + s];
        }
        h[i] = h0;
    }
    const float Dc = active && p.D ? p.D[c] : 0.0f;

    // The loading role: kThreads is a multiple of kChan, so each thread always loads the same channel.
    const int lc = threadIdx.x % kChan, lrow0 = threadIdx.x / kChan;
    constexpr int kRowsPerPass = kThreads / kChan;
    const int load_c = cb + lc;
    const bool load_live = load_c < p.d_inner;
    const float load_bias = load_live && p.delta_bias ? p.delta_bias[load_c] : 0.0f;
    const T* u = static_cast<const T*>(p.u.data) + b * p.u.batch_stride + load_c;
    const T* dl = static_cast<const T*>(p.delta.data) + b * p.delta.batch_stride + load_c;
    const T* z = p.z.data ? static_cast<const T*>(p.z.data) + b * p.z.batch_stride + load_c : nullptr;
    const T* Bm = static_cast<const T*>(p.B.data) + b * p.B.batch_stride;
    const T* Cm = static_cast<const T*>(p.C.data) + b * p.C.batch_stride;
    T* y = static_cast<T*>(p.y) + b * p.y_batch_stride + c;
    float dsum = 0.0f;

    for (int tile = t0; tile < t1; tile += kTile) {
        const int n = min(kTile, t1 - tile);
        for (int r = lrow0; r < kTile; r += kRowsPerPass) {
            const int t = tile + r;
            float dtv = 0.0f, uv = 0.0f, gv = 1.0f;
            if (r < n && load_live) {
                uv = to_f(u[int64_t(t) * p.u.row_stride]);
                dtv = softplus(to_f(dl[int64_t(t) * p.delta.row_stride]) + load_bias);
                if (kOut && z) {
                    const float zt = to_f(z[int64_t(t) * p.z.row_stride]);
                    gv = zt / (1.0f + __expf(-zt));
                }
            }
            s_dt[r][lc] = dtv;
            s_du[r][lc] = dtv * uv;
            if (kOut) {
                s_u[r][lc] = uv;
                s_g[r][lc] = gv;
            }
        }
        for (int i = threadIdx.x; i < kTile * kS; i += kThreads) {
            const int r = i / kS, s = i % kS;
            const bool live = r < n && s < S;
            s_B[r][s] = live ? to_f(Bm[int64_t(tile + r) * p.B.row_stride + s]) : 0.0f;
            if (kOut) s_C[r][s] = live ? to_f(Cm[int64_t(tile + r) * p.C.row_stride + s]) : 0.0f;
        }
        __syncthreads();
        for (int r = 0; r < n; ++r) {
            const float dt = s_dt[r][cc], du = s_du[r][cc];
            dsum += dt;
            float acc = 0.0f;
            // B and C four states per 16-byte shared load; every decay on the SFU (version 2's split
            // with an FMA polynomial cost more issue slots than the SFU time it saved).
#pragma unroll
            for (int q = 0; q < NS / 4; ++q) {
                const float4 Bq = *reinterpret_cast<const float4*>(&s_B[r][s0 + 4 * q]);
                float4 Cq = make_float4(0.f, 0.f, 0.f, 0.f);
                if (kOut) Cq = *reinterpret_cast<const float4*>(&s_C[r][s0 + 4 * q]);
                const float Bv[4] = {Bq.x, Bq.y, Bq.z, Bq.w}, Cv[4] = {Cq.x, Cq.y, Cq.z, Cq.w};
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    const int i = 4 * q + j;
                    h[i] = fmaf(ex2_sfu(dt * A2[i]), h[i], du * Bv[j]);
                    if (kOut) acc = fmaf(h[i], Cv[j], acc);
                }
            }
            if (kOut) {
#pragma unroll
                for (int off = G / 2; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off, G);
                if (active && lane_group == 0)
                    y[int64_t(tile + r) * p.y_row_stride] = from_f<T>((acc + Dc * s_u[r][cc]) * s_g[r][cc]);
            }
        }
        __syncthreads();
    }
    if (!active) return;
    if (kPass == Pass::Local) {
        const size_t slot = (size_t(b) * (prm.nseg - 1) + seg) * p.d_inner + c;
#pragma unroll
        for (int i = 0; i < NS; ++i)
            if (s0 + i < S) prm.seg_local[slot * S + s0 + i] = h[i];
        if (lane_group == 0) prm.seg_dsum[slot] = dsum;
    } else if (seg == prm.nseg - 1) {
#pragma unroll
        for (int i = 0; i < NS; ++i)
            if (s0 + i < S) p.state[(size_t(b) * p.d_inner + c) * S + s0 + i] = h[i];
    }
}

// Pass 2: per (batch, channel, state), walk the segments: start_k = decay_{k-1}·start_{k-1} + local_{k-1}.
__global__ void chain_kernel(Params prm) {
    const ScanProblem& p = prm.p;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const int64_t per_batch = int64_t(p.d_inner) * p.d_state;
    if (i >= per_batch * p.batch) return;
    const int b = int(i / per_batch);
    const int64_t cs = i % per_batch;
    const int c = int(cs / p.d_state);
    const float A2 = p.A[cs] * kLog2e;
    float h = p.state[i];
    // The loads of each step do not depend on h: unrolling lets several be in flight at once.
#pragma unroll 8
    for (int k = 0; k < prm.nseg; ++k) {
        prm.seg_start[(size_t(b) * prm.nseg + k) * per_batch + cs] = h;
        if (k + 1 < prm.nseg) {
            const size_t slot = (size_t(b) * (prm.nseg - 1) + k) * p.d_inner + c;
            h = exp2f(A2 * prm.seg_dsum[slot]) * h + prm.seg_local[slot * p.d_state + cs % p.d_state];
        }
    }
}

int multiprocessors() {
    int dev = 0, sms = 132;
    if (cudaGetDevice(&dev) == cudaSuccess) cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
    return sms;
}

// Lanes per channel. 8 states a lane normally; for d_state 9..16 on a problem too small to fill
// the GPU even with 256-position segments (short chunks, batch 1), 4 states a lane, so twice the
// threads hide each other's latency.
int groups(const ScanProblem& p) {
    const int S = p.d_state;
    if (S > 8 && S <= 16) {
        const int64_t most = int64_t(p.batch) * p.d_inner * 2 * ((p.T + 255) / 256);
        if (most < int64_t(multiprocessors()) * 2048) return 4;
    }
    return S <= 8 ? 1 : S <= 16 ? 2 : S <= 32 ? 4 : S <= 64 ? 8 : S <= 128 ? 16 : 32;
}

// Segments so that the launch has enough threads to fill the GPU, each at least 256 positions.
void plan(const ScanProblem& p, int G, int* nseg, int* seg_len) {
    const int64_t threads = int64_t(p.batch) * p.d_inner * G;
    const int64_t want = int64_t(multiprocessors()) * 2048;
    int n = int(std::min<int64_t>((want + threads - 1) / threads, (p.T + 255) / 256));
    n = std::max(n, 1);
    *seg_len = (p.T + n - 1) / n;
    *nseg = (p.T + *seg_len - 1) / *seg_len;
}

template <typename T, int NS, int G>
cudaError_t launch(const Params& prm, cudaStream_t stream) {
    const ScanProblem& p = prm.p;
    const dim3 block(kThreads);
    const unsigned cblocks = unsigned((int64_t(p.d_inner) * G + kThreads - 1) / kThreads);
    if (prm.nseg > 1) {
        scan_kernel<T, NS, G, Pass::Local><<<dim3(cblocks, prm.nseg - 1, p.batch), block, 0, stream>>>(prm);
        const int64_t n = int64_t(p.batch) * p.d_inner * p.d_state;
        chain_kernel<<<unsigned((n + 255) / 256), 256, 0, stream>>>(prm);
    }
    scan_kernel<T, NS, G, Pass::Output><<<dim3(cblocks, prm.nseg, p.batch), block, 0, stream>>>(prm);
    return cudaGetLastError();
}

template <typename T>
cudaError_t dispatch(const Params& prm, cudaStream_t stream) {
    const int S = prm.p.d_state;
    // At most 8 states a thread: with 8 blocks of 128 threads resident per SM (≤ 64 registers),
    // enough warps are eligible to keep the schedulers busy (16 states a thread needed 96
    // registers and left 40-49 % of cycles with no eligible warp).
    if (S <= 4) return launch<T, 4, 1>(prm, stream);
    if (S <= 8) return launch<T, 8, 1>(prm, stream);
    if (S <= 16) return groups(prm.p) == 4 ? launch<T, 4, 4>(prm, stream) : launch<T, 8, 2>(prm, stream);
    if (S <= 32) return launch<T, 8, 4>(prm, stream);
    if (S <= 64) return launch<T, 8, 8>(prm, stream);
    if (S <= 128) return launch<T, 8, 16>(prm, stream);
    return launch<T, 8, 32>(prm, stream);
}

}  // namespace

size_t selective_scan_workspace(const ScanProblem& p) {
    if (p.T <= 0 || p.d_inner <= 0 || p.d_state <= 0 || p.batch <= 0) return 0;
    int nseg = 1, seg_len = p.T;
    plan(p, groups(p), &nseg, &seg_len);
    if (nseg == 1) return 0;
    const size_t cs = size_t(p.d_inner) * p.d_state;
    return sizeof(float) * size_t(p.batch) * ((nseg - 1) * cs + (nseg - 1) * size_t(p.d_inner) + nseg * cs);
}

cudaError_t selective_scan(const ScanProblem& p, void* workspace, cudaStream_t stream) {
    if (p.batch <= 0 || p.T < 0 || p.d_inner <= 0 || p.d_state <= 0 || p.d_state > 256 || !p.A || !p.state)
        return cudaErrorInvalidValue;
    if (p.T == 0) return cudaSuccess;
    Params prm{};
    prm.p = p;
    plan(p, groups(p), &prm.nseg, &prm.seg_len);
    if (prm.nseg > 1) {
        if (!workspace) return cudaErrorInvalidValue;
        const size_t cs = size_t(p.d_inner) * p.d_state;
        float* w = static_cast<float*>(workspace);
        prm.seg_local = w;
        prm.seg_dsum = prm.seg_local + size_t(p.batch) * (prm.nseg - 1) * cs;
        prm.seg_start = prm.seg_dsum + size_t(p.batch) * (prm.nseg - 1) * p.d_inner;
    }
    switch (p.act) {
        case ActType::F32: return dispatch<float>(prm, stream);
        case ActType::BF16: return dispatch<__nv_bfloat16>(prm, stream);
        case ActType::F16: return dispatch<__half>(prm, stream);
    }
    return cudaErrorInvalidValue;
}

}  // namespace ms::cuda

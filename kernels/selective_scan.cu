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

#include "kernels/scan_device.cuh"
#include "kernels/selective_scan_chan.h"
#include "kernels/selective_scan_ring.h"
#include "kernels/selective_scan_cuda.h"

namespace ms::cuda {

namespace {

constexpr int kThreads = 128;

struct Params {
    ScanProblem p;
    bool async_ok;      // every activation row starts 4-byte aligned and holds whole 4-byte words
    int nseg, seg_len;
    float* seg_local;   // pass 1 → 2: [batch, nseg - 1, d_inner, d_state] state of each segment from zero
    float* seg_dsum;    // pass 1 → 2: [batch, nseg - 1, d_inner] Σ Δ' over each segment
    float* seg_start;   // pass 2 → 3: [batch, nseg, d_inner, d_state] true starting state of each segment
};

enum class Pass { Local, Output };

constexpr int kTile = 16;   // positions staged in shared memory at a time

// Shared memory of one block, fp32 staging arrays for the compute loop and, when kAsync, the raw
// activations of two tiles (the one being staged and the next, in flight).
template <typename T, int NS, int G, bool kOut, bool kAsync>
struct Smem {
    static constexpr int kChan = kThreads / G, kS = NS * G, kRaw = kAsync ? 2 : 1;
    float dt[kTile][kChan], du[kTile][kChan];
    float u[kOut ? kTile : 1][kChan], g[kOut ? kTile : 1][kChan];
    __align__(16) float B[kTile][kS];
    __align__(16) float C[kOut ? kTile : 1][kS];
    __align__(4) T raw_u[kRaw][kAsync ? kTile : 1][kChan], raw_dt[kRaw][kAsync ? kTile : 1][kChan];
    __align__(4) T raw_z[kRaw][kAsync && kOut ? kTile : 1][kChan];
    __align__(4) T raw_B[kRaw][kAsync ? kTile : 1][kS], raw_C[kRaw][kAsync && kOut ? kTile : 1][kS];
};

// Whether the async variant's shared memory fits the 48 KiB of a static allocation.
template <typename T, int NS, int G, bool kOut>
constexpr bool async_fits() { return sizeof(Smem<T, NS, G, kOut, true>) <= 46 * 1024; }

// grid: (⌈d_inner·G / kThreads⌉, segments, batch). The block stages kTile positions of its
// channels' Δ' = softplus(Δ + bias), Δ'·u, u and silu(z), and of B and C, in shared memory — every
// thread stages a share, computing each softplus/SiLU once — then each thread runs its channel's
// recurrence over the tile from shared memory. With kAsync the raw inputs of the next tile are
// copied asynchronously (cp.async) while the current one is computed.
template <typename T, int NS, int G, Pass kPass, bool kAsync>
__global__ void __launch_bounds__(kThreads, 8) scan_kernel(Params prm) {
    constexpr bool kOut = kPass == Pass::Output;
    using Sm = Smem<T, NS, G, kOut, kAsync>;
    constexpr int kChan = Sm::kChan, kS = Sm::kS;
    static_assert(NS % 4 == 0, "B and C are read from shared memory four states at a time");
    __shared__ Sm sm;

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

    // The staging role: kThreads is a multiple of kChan, so each thread always stages the same channel.
    const int lc = threadIdx.x % kChan, lrow0 = threadIdx.x / kChan;
    constexpr int kRowsPerPass = kThreads / kChan;
    const int load_c = cb + lc;
    const bool load_live = load_c < p.d_inner;
    const float load_bias = load_live && p.delta_bias ? p.delta_bias[load_c] : 0.0f;
    const T* ub = static_cast<const T*>(p.u.data) + b * p.u.batch_stride;
    const T* db = static_cast<const T*>(p.delta.data) + b * p.delta.batch_stride;
    const T* zb = p.z.data ? static_cast<const T*>(p.z.data) + b * p.z.batch_stride : nullptr;
    const T* Bm = static_cast<const T*>(p.B.data) + b * p.B.batch_stride;
    const T* Cm = static_cast<const T*>(p.C.data) + b * p.C.batch_stride;
    T* y = static_cast<T*>(p.y) + b * p.y_batch_stride + int64_t(c) * p.y_chan_stride;
    float dsum = 0.0f;

    // kAsync: issue the copies of tile [tile, tile + kTile) into raw buffer `buf`, as 4-byte words
    // (Params::async_ok guarantees alignment); rows past the segment and channels past d_inner are
    // not copied (the staging below masks them).
    constexpr int kPer = 4 / int(sizeof(T));           // elements a word
    auto issue = [&](int tile, int buf) {
        const int n = min(kTile, t1 - tile);
        constexpr int kWordsC = kChan / kPer, kWordsS = kS / kPer;
        for (int i = threadIdx.x; i < kTile * kWordsC; i += kThreads) {
            const int r = i / kWordsC, w = i % kWordsC, ch = cb + w * kPer;
            if (r >= n || ch >= p.d_inner) continue;
            const int64_t t = tile + r;
            cp_async4(&sm.raw_u[buf][r][w * kPer], ub + t * p.u.row_stride + ch);
            cp_async4(&sm.raw_dt[buf][r][w * kPer], db + t * p.delta.row_stride + ch);
            if (kOut && zb) cp_async4(&sm.raw_z[buf][kOut ? r : 0][w * kPer], zb + t * p.z.row_stride + ch);
        }
        for (int i = threadIdx.x; i < kTile * kWordsS; i += kThreads) {
            const int r = i / kWordsS, w = i % kWordsS, s = w * kPer;
            if (r >= n || s >= S) continue;
            const int64_t t = tile + r;
            cp_async4(&sm.raw_B[buf][r][s], Bm + t * p.B.row_stride + s);
            if (kOut) cp_async4(&sm.raw_C[buf][kOut ? r : 0][s], Cm + t * p.C.row_stride + s);
        }
        cp_async_commit();
    };
    // Stages tile values as the compute loop reads them: from the raw buffer (kAsync) or global memory.
    auto stage = [&](int tile, int buf) {
        const int n = min(kTile, t1 - tile);
        for (int r = lrow0; r < kTile; r += kRowsPerPass) {
            const int64_t t = tile + r;
            float dtv = 0.0f, uv = 0.0f, gv = 1.0f;
            if (r < n && load_live) {
                uv = to_f(kAsync ? sm.raw_u[buf][r][lc] : ub[t * p.u.row_stride + load_c * p.u.chan_stride]);
                dtv = softplus(to_f(kAsync ? sm.raw_dt[buf][r][lc] : db[t * p.delta.row_stride + load_c * p.delta.chan_stride]) + load_bias);
                if (kOut && zb) {
                    const float zt = to_f(kAsync ? sm.raw_z[buf][kOut ? r : 0][lc] : zb[t * p.z.row_stride + load_c * p.z.chan_stride]);
                    gv = silu(zt);
                }
            }
            sm.dt[r][lc] = dtv;
            sm.du[r][lc] = dtv * uv;
            if (kOut) {
                sm.u[kOut ? r : 0][lc] = uv;
                sm.g[kOut ? r : 0][lc] = gv;
            }
        }
        for (int i = threadIdx.x; i < kTile * kS; i += kThreads) {
            const int r = i / kS, s = i % kS;
            const bool live = r < n && s < S;
            const int64_t t = tile + r;
            sm.B[r][s] = live ? to_f(kAsync ? sm.raw_B[buf][r][s] : Bm[t * p.B.row_stride + s * p.B.chan_stride]) : 0.0f;
            if (kOut) sm.C[kOut ? r : 0][s] = live ? to_f(kAsync ? sm.raw_C[buf][kOut ? r : 0][s] : Cm[t * p.C.row_stride + s * p.C.chan_stride]) : 0.0f;
        }
    };

    if (kAsync && t0 < t1) issue(t0, 0);
    int k = 0;
    for (int tile = t0; tile < t1; tile += kTile, ++k) {
        const int n = min(kTile, t1 - tile);
        if (kAsync) {
            if (tile + kTile < t1) issue(tile + kTile, (k + 1) & 1);
            else cp_async_commit();   // an empty group keeps "all but the last" meaning this tile
            cp_async_wait_all_but_last();
        }
        __syncthreads();   // this tile's copies are visible; everyone is done computing the last tile
        stage(tile, k & 1);
        __syncthreads();
        // y's address advances by a row a position: a 64-bit multiply per store was ~12 instructions.
        T* yp = y + int64_t(tile) * p.y_row_stride;
        for (int r = 0; r < n; ++r, yp += p.y_row_stride) {
            const float dt = sm.dt[r][cc], du = sm.du[r][cc];
            dsum += dt;
            float acc = 0.0f;
            // B and C four states per 16-byte shared load; every decay on the SFU (version 2's split
            // with an FMA polynomial cost more issue slots than the SFU time it saved).
#pragma unroll
            for (int q = 0; q < NS / 4; ++q) {
                const float4 Bq = *reinterpret_cast<const float4*>(&sm.B[r][s0 + 4 * q]);
                float4 Cq = make_float4(0.f, 0.f, 0.f, 0.f);
                if (kOut) Cq = *reinterpret_cast<const float4*>(&sm.C[kOut ? r : 0][s0 + 4 * q]);
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
                    *yp = from_f<T>((acc + Dc * sm.u[kOut ? r : 0][cc]) * sm.g[kOut ? r : 0][cc]);
            }
        }
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

// Pass 2: one warp per (batch, channel, state). Lanes take 32 segments at a time; segment k maps a
// starting state h to decay_k·h + local_k, and a warp scan composes the maps, so the segments'
// starting states come out 32 at a time (version 6 walked them one by one, with every load
// waited for: 8 % of the scan's time at 1×512×131K).
__global__ void chain_kernel(Params prm) {
    const ScanProblem& p = prm.p;
    const int lane = threadIdx.x % 32;
    const int64_t i = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int64_t per_batch = int64_t(p.d_inner) * p.d_state;
    if (i >= per_batch * p.batch) return;   // whole warps
    const int b = int(i / per_batch);
    const int64_t cs = i % per_batch;
    const int c = int(cs / p.d_state), s = int(cs % p.d_state);
    const float A2 = p.A[cs] * kLog2e;
    float h = p.state[i];
    for (int k0 = 0; k0 < prm.nseg; k0 += 32) {
        const int k = k0 + lane;
        float a = 1.0f, l = 0.0f;   // identity for the last segment and lanes past the end
        if (k + 1 < prm.nseg) {
            const size_t slot = (size_t(b) * (prm.nseg - 1) + k) * p.d_inner + c;
            a = exp2f(A2 * prm.seg_dsum[slot]);
            l = prm.seg_local[slot * p.d_state + s];
        }
        // Inclusive scan: lane j holds the map of segments k0..k0+j (later maps applied last).
#pragma unroll
        for (int off = 1; off < 32; off *= 2) {
            const float pa = __shfl_up_sync(0xffffffffu, a, off), pl = __shfl_up_sync(0xffffffffu, l, off);
            if (lane >= off) {
                l = fmaf(a, pl, l);
                a *= pa;
            }
        }
        float ea = __shfl_up_sync(0xffffffffu, a, 1), el = __shfl_up_sync(0xffffffffu, l, 1);
        if (lane == 0) ea = 1.0f, el = 0.0f;
        if (k < prm.nseg) prm.seg_start[(size_t(b) * prm.nseg + k) * per_batch + cs] = fmaf(ea, h, el);
        h = fmaf(__shfl_sync(0xffffffffu, a, 31), h, __shfl_sync(0xffffffffu, l, 31));
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

template <typename T, int NS, int G, Pass kPass>
void launch_pass(const Params& prm, dim3 grid, cudaStream_t stream) {
    constexpr bool kFits = async_fits<T, NS, G, kPass == Pass::Output>();
    if (kFits && prm.async_ok)
        scan_kernel<T, NS, G, kPass, kFits><<<grid, kThreads, 0, stream>>>(prm);
    else
        scan_kernel<T, NS, G, kPass, false><<<grid, kThreads, 0, stream>>>(prm);
}

template <typename T, int NS, int G>
cudaError_t launch(const Params& prm, cudaStream_t stream) {
    const ScanProblem& p = prm.p;
    const unsigned cblocks = unsigned((int64_t(p.d_inner) * G + kThreads - 1) / kThreads);
    if (prm.nseg > 1) {
        launch_pass<T, NS, G, Pass::Local>(prm, dim3(cblocks, prm.nseg - 1, p.batch), stream);
        const int64_t warps = int64_t(p.batch) * p.d_inner * p.d_state;
        chain_kernel<<<unsigned((warps + 7) / 8), 256, 0, stream>>>(prm);
    }
    launch_pass<T, NS, G, Pass::Output>(prm, dim3(cblocks, prm.nseg, p.batch), stream);
    return cudaGetLastError();
}

// Whether every row the kernel copies is contiguous, starts on a 4-byte boundary and ends on one
// (cp.async copies 4-byte words): 2-byte activations need even strides, offsets, d_inner and d_state.
bool async_aligned(const ScanProblem& p, size_t esz) {
    auto ok = [&](const Act& a) {
        return !a.data || (a.chan_stride == 1 && reinterpret_cast<uintptr_t>(a.data) % 4 == 0 &&
                           (a.row_stride * esz) % 4 == 0 && (a.batch_stride * esz) % 4 == 0);
    };
    return ok(p.u) && ok(p.delta) && ok(p.z) && ok(p.B) && ok(p.C) && (size_t(p.d_inner) * esz) % 4 == 0 &&
           (size_t(p.d_state) * esz) % 4 == 0;
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

ScanKernel selective_scan_kernel(const ScanProblem& p) {
    if (detail::scan_ring_takes(p)) return ScanKernel::Ring;
    if (detail::scan_chan_takes(p)) return ScanKernel::OnePass;
    return ScanKernel::Segmented;
}

size_t selective_scan_workspace(const ScanProblem& p) {
    if (p.T <= 0 || p.d_inner <= 0 || p.d_state <= 0 || p.batch <= 0) return 0;
    if (detail::scan_ring_takes(p)) return detail::scan_ring_workspace(p);
    if (detail::scan_chan_takes(p)) return 0;
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
    if (detail::scan_ring_takes(p)) return detail::scan_ring(p, workspace, stream);
    if (detail::scan_chan_takes(p)) return detail::scan_chan(p, stream);
    Params prm{};
    prm.p = p;
    prm.async_ok = async_aligned(p, p.act == ActType::F32 ? 4 : 2);
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

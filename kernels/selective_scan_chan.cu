// One-pass selective scan over channel-major activations (version 9 in docs/performance.md).
//
// Why: the segmented kernel (selective_scan.cu) puts channels on lanes and walks positions one
// by one, so a batch-1 sequence gives too few threads unless it is cut into segments, and a
// segment's output needs its starting state, so every decay exp(Δ·A) is computed twice. Here
// positions go on lanes and each decay is computed once:
//
//  - A block owns kCH channels of one sequence and walks the sequence in tiles of TP positions.
//    Warp (cw, pw) takes channel cw and the pw-th slice of kJ·kK positions of the tile; its lane
//    (q, j) takes run j of kK consecutive positions and the four states 4q..4q+3 of each group of
//    sixteen. Channel rows are contiguous in positions, so a tile's u, Δ, z are whole rows.
//  - Phase 1, per lane: from a zero state the run gives local states H_i, the decay products
//    P_i = Π a (a = exp(Δ'·A)), the output C·H_i, and E_i = C_i·P_i, kept in registers.
//  - A scan over the eight runs of a warp (shuffles) and over the slices of the block (shared
//    memory, with the state carried from the previous tile) gives each run its true starting
//    state h0; then y_i += Σ_s E_i,s·h0_s — the true state is H_i + P_i·h0, so no decay is
//    recomputed.
//  - The four state lanes' partial outputs are summed with a transposing butterfly that leaves
//    each lane four whole positions to finish (D skip, SiLU(z) gate) and store.
//
// Tiles are copied into shared memory with 16-byte cp.async one tile ahead (synchronous element
// copies when rows are not 16-byte aligned); softplus(Δ + bias) and Δ'·u are computed once per
// channel-position into fp32 staging rows shared by all states (SiLU(z) once, at the output). B and C stay in their
// position-major layout, padded every 16 positions so the lanes' 8- or 16-byte loads hit distinct
// banks. Test: tests/kernels/test_selective_scan_cuda; timing: tests/kernels/bench_selective_scan.
#include "kernels/scan_device.cuh"
#include "kernels/selective_scan_chan.h"

namespace ms::cuda {

namespace {

#ifndef MS_SCAN_CHAN_K
#define MS_SCAN_CHAN_K 16
#endif
constexpr int kK = MS_SCAN_CHAN_K;   // positions a lane walks (a multiple of 4)
constexpr int kOut = kK / 4;         // positions a lane finishes after the butterfly
constexpr int kJ = 8;     // position runs (lanes) a warp
constexpr int kCH = 4;    // channels a block
constexpr unsigned kFull = 0xffffffffu;

template <typename T, int NSG, int PW>
struct Shape {
    static constexpr int kThreads = 32 * kCH * PW;
    static constexpr int TP = PW * kJ * kK;                       // positions a tile
    static constexpr int S16 = 16 * NSG;                          // states, whole groups of 16
    static constexpr int TPP = TP + TP / 16 * 4;                  // fp32 staging row: 4 floats of padding every 16 positions
    static constexpr int kE = int(sizeof(T));
    static constexpr int kChanRow = TP * kE;                      // raw u, Δ or z row of a channel, bytes
    static constexpr int kBCRows = TP * S16 * kE + TP / 16 * 16;  // raw B (or C) rows: 16 bytes of padding every 16 positions
    static constexpr int kRaw = 3 * kCH * kChanRow + 2 * kBCRows; // one raw tile: u, Δ, z rows, then B, C
    static constexpr int kStage = 2 * kCH * TPP * 4 + 16 * 4;     // fp32 Δ', Δ'·u rows; the channels' Δ biases
    static constexpr int kScan = (2 * NSG * PW * kCH * 16 + 2 * kCH * S16) * 4;
    static constexpr int kYs = kThreads * kK * 4;                 // each lane's partial outputs (kept out of registers)
    static constexpr int kSmem = 2 * kRaw + kStage + kScan + kYs;
    static_assert(kChanRow % 16 == 0 && kBCRows % 16 == 0, "raw sections stay 16-byte aligned");

    __device__ static int bc_row(int t) { return t * S16 * kE + (t >> 4) * 16; }   // byte offset of position t's B row
    __device__ static int stage_at(int t) { return t + (t >> 4) * 4; }
};

struct Aligned {
    bool chan, bc;   // 16-byte cp.async possible for the channel rows / the B and C rows
    bool y;          // y rows start 16-byte aligned: four outputs go out in one store
};

// Copies `bytes` (0..16) of a 16-byte chunk, zero-filling the rest: asynchronously when the rows
// are 16-byte aligned, else element by element (already complete when this returns).
template <typename T>
__device__ __forceinline__ void copy_chunk(uint8_t* dst, const T* src, int bytes, bool async_ok) {
    if (async_ok) {
        cp_async16(dst, src, bytes);
        return;
    }
    T* d = reinterpret_cast<T*>(dst);
    constexpr int n = 16 / int(sizeof(T));
#pragma unroll
    for (int e = 0; e < n; ++e) d[e] = e * int(sizeof(T)) < bytes ? src[e] : from_f<T>(0.0f);
}

template <typename T, int NSG, int PW>
__global__ void __launch_bounds__(Shape<T, NSG, PW>::kThreads, 1) scan_chan_kernel(ScanProblem p, Aligned al) {
    using Sh = Shape<T, NSG, PW>;
    constexpr int TP = Sh::TP, S16 = Sh::S16, TPP = Sh::TPP, kE = Sh::kE, kThreads = Sh::kThreads;
    extern __shared__ __align__(16) uint8_t smem[];
    uint8_t* raw0 = smem;
    float* st = reinterpret_cast<float*>(smem + 2 * Sh::kRaw);
    float* s_dt = st;
    float* s_du = st + kCH * TPP;
    float* s_bias = st + 2 * kCH * TPP;              // [kCH] (16 floats reserved)
    float* agg_p = s_bias + 16;                      // [NSG][PW][kCH][16]
    float* agg_h = agg_p + NSG * PW * kCH * 16;
    float* carry = agg_h + NSG * PW * kCH * 16;       // [2][kCH][S16]

    const int S = p.d_state, b = blockIdx.y, cb = blockIdx.x * kCH;
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int cw = warp % kCH, pw = warp / kCH, j = lane % kJ, q = lane / kJ;
    const int c = cb + cw;
    const bool live_c = c < p.d_inner;
    float4* ys = reinterpret_cast<float4*>(smem + Sh::kSmem - Sh::kYs) + warp * (kK / 4) * 32 + lane;   // [kK / 4] a lane, 32 apart

    const T* ub = static_cast<const T*>(p.u.data) + b * p.u.batch_stride;
    const T* db = static_cast<const T*>(p.delta.data) + b * p.delta.batch_stride;
    const T* zb = p.z.data ? static_cast<const T*>(p.z.data) + b * p.z.batch_stride : nullptr;
    const T* Bb = static_cast<const T*>(p.B.data) + b * p.B.batch_stride;
    const T* Cb = static_cast<const T*>(p.C.data) + b * p.C.batch_stride;

    // Raw copies of tile [t0, t0 + TP) into buffer `buf`, 16-byte chunks spread over the block.
    auto issue = [&](int t0, int buf) {
        uint8_t* raw = raw0 + buf * Sh::kRaw;
        const int n = min(TP, p.T - t0);
        constexpr int kPerRow = TP * kE / 16, kPerChunk = 16 / kE;
        for (int i = tid; i < 3 * kCH * kPerRow; i += kThreads) {
            const int row = i / kPerRow, m = i % kPerRow, arr = row / kCH, ch = cb + row % kCH;
            const T* base = arr == 0 ? ub : arr == 1 ? db : zb;
            const int64_t cs = arr == 0 ? p.u.chan_stride : arr == 1 ? p.delta.chan_stride : p.z.chan_stride;
            const int valid = (base && ch < p.d_inner) ? max(0, min(kPerChunk, n - m * kPerChunk)) : 0;
            const T* src = valid ? base + ch * cs + t0 + m * kPerChunk : ub;
            copy_chunk(raw + row * Sh::kChanRow + m * 16, src, valid * kE, al.chan);
        }
        constexpr int kPerPos = S16 * kE / 16;
        for (int i = tid; i < 2 * TP * kPerPos; i += kThreads) {
            const int which = i / (TP * kPerPos), r = (i / kPerPos) % TP, w = i % kPerPos;
            const T* base = which == 0 ? Bb : Cb;
            const int64_t rs = which == 0 ? p.B.row_stride : p.C.row_stride;
            const int valid = r < n ? max(0, min(kPerChunk, S - w * kPerChunk)) : 0;
            const T* src = valid ? base + (t0 + r) * rs + w * kPerChunk : Bb;
            copy_chunk(raw + 3 * kCH * Sh::kChanRow + which * Sh::kBCRows + Sh::bc_row(r) + w * 16, src, valid * kE, al.bc);
        }
        cp_async_commit();
    };

    // The per-lane constants: A·log2(e) of the lane's states (0 past d_state: such states stay 0,
    // their B and C rows are zero-filled), and the initial carried state.
    float A2[NSG][4];
#pragma unroll
    for (int g = 0; g < NSG; ++g)
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const int s = g * 16 + 4 * q + k;
            A2[g][k] = live_c && s < S ? p.A[size_t(c) * S + s] * kLog2e : 0.0f;
        }
    for (int i = tid; i < kCH * S16; i += kThreads) {
        const int ch = cb + i / S16, s = i % S16;
        carry[i] = ch < p.d_inner && s < S ? p.state[(size_t(b) * p.d_inner + ch) * S + s] : 0.0f;
    }
    if (tid < kCH) s_bias[tid] = cb + tid < p.d_inner && p.delta_bias ? p.delta_bias[cb + tid] : 0.0f;
    const float Dc = live_c && p.D ? p.D[c] : 0.0f;
    T* yb = static_cast<T*>(p.y) + b * p.y_batch_stride + int64_t(c) * p.y_chan_stride;

    const int tl0 = pw * kJ * kK + j * kK;   // the lane's first position in a tile
    int par = 0;
    issue(0, 0);
    for (int t0 = 0, k = 0; t0 < p.T; t0 += TP, ++k, par ^= 1) {
        __syncthreads();   // everyone is done with the previous tile (its raw buffer, staging, partials)
        if (t0 + TP < p.T) issue(t0 + TP, (k + 1) & 1);
        else cp_async_commit();
        cp_async_wait_all_but_last();
        __syncthreads();   // this tile's raw copies are visible
        const uint8_t* raw = raw0 + (k & 1) * Sh::kRaw;
        const int n = min(TP, p.T - t0);
        // Δ' = softplus(Δ + bias) and Δ'·u, four positions a thread (zero past the end of the
        // sequence: the state passes through unchanged).
        for (int i = tid; i < kCH * TP / 4; i += kThreads) {
            const int row = i / (TP / 4), r = (i % (TP / 4)) * 4;
            float uv[4], dv[4], dt4[4], du4[4];
            load4(reinterpret_cast<const T*>(raw + row * Sh::kChanRow) + r, uv);
            load4(reinterpret_cast<const T*>(raw + (kCH + row) * Sh::kChanRow) + r, dv);
            const bool live = cb + row < p.d_inner;
            const float bias = s_bias[row];
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                dt4[e] = live && r + e < n ? softplus(dv[e] + bias) : 0.0f;
                du4[e] = dt4[e] * uv[e];
            }
            const int at = row * TPP + Sh::stage_at(r);
            *reinterpret_cast<float4*>(s_dt + at) = make_float4(dt4[0], dt4[1], dt4[2], dt4[3]);
            *reinterpret_cast<float4*>(s_du + at) = make_float4(du4[0], du4[1], du4[2], du4[3]);
        }
        __syncthreads();

        const T* rB = reinterpret_cast<const T*>(raw + 3 * kCH * Sh::kChanRow);
        const T* rC = reinterpret_cast<const T*>(raw + 3 * kCH * Sh::kChanRow + Sh::kBCRows);
        const float* ldt = s_dt + cw * TPP + Sh::stage_at(tl0);
        const float* ldu = s_du + cw * TPP + Sh::stage_at(tl0);
#pragma unroll
        for (int g = 0; g < NSG; ++g) {
            float H[4] = {0.f, 0.f, 0.f, 0.f}, P[4] = {1.f, 1.f, 1.f, 1.f}, E[kK][4];
#pragma unroll
            for (int i4 = 0; i4 < kK / 4; ++i4) {
                const float4 dt4 = *reinterpret_cast<const float4*>(ldt + 4 * i4);
                const float4 du4 = *reinterpret_cast<const float4*>(ldu + 4 * i4);
                const float dtv[4] = {dt4.x, dt4.y, dt4.z, dt4.w}, duv[4] = {du4.x, du4.y, du4.z, du4.w};
                float yl[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
                for (int ii = 0; ii < 4; ++ii) {
                    const int i = 4 * i4 + ii, off = Sh::bc_row(tl0 + i) / kE + g * 16 + 4 * q;
                    float Bv[4], Cv[4];
                    load4(rB + off, Bv);
                    load4(rC + off, Cv);
#pragma unroll
                    for (int s = 0; s < 4; ++s) {
                        const float a = ex2_sfu(dtv[ii] * A2[g][s]);
                        H[s] = fmaf(a, H[s], duv[ii] * Bv[s]);
                        P[s] *= a;
                        yl[ii] = fmaf(Cv[s], H[s], yl[ii]);
                        E[i][s] = Cv[s] * P[s];
                    }
                }
                // C·H of these four positions, summed over groups in shared memory: sixteen
                // output registers a lane pushed the kernel past 128 registers into spills.
                float4 acc = make_float4(yl[0], yl[1], yl[2], yl[3]);
                if (g > 0) {
                    const float4 prev = ys[i4 * 32];
                    acc.x += prev.x; acc.y += prev.y; acc.z += prev.z; acc.w += prev.w;
                }
                ys[i4 * 32] = acc;
            }
            // Inclusive scan over the warp's eight runs (lanes q·8 … q·8 + 7): run j's map
            // h ↦ P·h + H composed after those of runs 0 … j − 1.
#pragma unroll
            for (int off = 1; off < kJ; off *= 2)
#pragma unroll
                for (int s = 0; s < 4; ++s) {
                    const float pp = __shfl_up_sync(kFull, P[s], off, kJ), ph = __shfl_up_sync(kFull, H[s], off, kJ);
                    if (j >= off) {
                        H[s] = fmaf(P[s], ph, H[s]);
                        P[s] *= pp;
                    }
                }
            float eP[4], eH[4];
#pragma unroll
            for (int s = 0; s < 4; ++s) {
                eP[s] = __shfl_up_sync(kFull, P[s], 1, kJ);
                eH[s] = __shfl_up_sync(kFull, H[s], 1, kJ);
                if (j == 0) eP[s] = 1.0f, eH[s] = 0.0f;
            }
            float* ap = agg_p + ((g * PW + pw) * kCH + cw) * 16 + 4 * q;
            float* ah = agg_h + ((g * PW + pw) * kCH + cw) * 16 + 4 * q;
            if (j == kJ - 1)
#pragma unroll
                for (int s = 0; s < 4; ++s) ap[s] = P[s], ah[s] = H[s];
            __syncthreads();
            // The slice's starting state: the carried state through the earlier slices' maps.
            float hin[4];
#pragma unroll
            for (int s = 0; s < 4; ++s) hin[s] = carry[(par * kCH + cw) * S16 + g * 16 + 4 * q + s];
            for (int w = 0; w < pw; ++w) {
                const float* wp = agg_p + ((g * PW + w) * kCH + cw) * 16 + 4 * q;
                const float* wh = agg_h + ((g * PW + w) * kCH + cw) * 16 + 4 * q;
#pragma unroll
                for (int s = 0; s < 4; ++s) hin[s] = fmaf(wp[s], hin[s], wh[s]);
            }
            float h0[4];
#pragma unroll
            for (int s = 0; s < 4; ++s) h0[s] = fmaf(eP[s], hin[s], eH[s]);
#pragma unroll
            for (int i4 = 0; i4 < kK / 4; ++i4) {
                float4 acc = ys[i4 * 32];
                float* a = &acc.x;
#pragma unroll
                for (int ii = 0; ii < 4; ++ii)
#pragma unroll
                    for (int s = 0; s < 4; ++s) a[ii] = fmaf(E[4 * i4 + ii][s], h0[s], a[ii]);
                ys[i4 * 32] = acc;
            }
            if (pw == PW - 1 && j == kJ - 1)
#pragma unroll
                for (int s = 0; s < 4; ++s) carry[((par ^ 1) * kCH + cw) * S16 + g * 16 + 4 * q + s] = fmaf(P[s], hin[s], H[s]);
        }

        // Sum the four state lanes' outputs: after the xor-16 step a lane keeps half its run's
        // positions (the upper half when q & 2), after the xor-8 step a quarter (the upper one
        // when q & 1), so lane (q, j) ends with positions kOut·q … kOut·q + kOut − 1 of its run.
        const bool hi2 = q & 2, hi1 = q & 1;
        float y[kK], y8[kK / 2], y4[kOut];
#pragma unroll
        for (int i4 = 0; i4 < kK / 4; ++i4) {
            const float4 v = ys[i4 * 32];
            y[4 * i4] = v.x; y[4 * i4 + 1] = v.y; y[4 * i4 + 2] = v.z; y[4 * i4 + 3] = v.w;
        }
#pragma unroll
        for (int m = 0; m < kK / 2; ++m) {
            const float send = hi2 ? y[m] : y[m + kK / 2], keep = hi2 ? y[m + kK / 2] : y[m];
            y8[m] = keep + __shfl_xor_sync(kFull, send, 16);
        }
#pragma unroll
        for (int m = 0; m < kOut; ++m) {
            const float send = hi1 ? y8[m] : y8[m + kOut], keep = hi1 ? y8[m + kOut] : y8[m];
            y4[m] = keep + __shfl_xor_sync(kFull, send, 8);
        }
        // Finish and store the lane's positions: D skip and SiLU(z) gate, from the raw rows.
        if (live_c) {
            const int r = tl0 + kOut * q;
            const T* ru = reinterpret_cast<const T*>(raw + cw * Sh::kChanRow) + r;
            const T* rz = reinterpret_cast<const T*>(raw + (2 * kCH + cw) * Sh::kChanRow) + r;
            float out[kOut];
#pragma unroll
            for (int m = 0; m < kOut; ++m) {
                const float uv = to_f(ru[m]), zv = zb ? to_f(rz[m]) : 0.0f;
                const float g = zb ? silu(zv) : 1.0f;
                out[m] = (y4[m] + Dc * uv) * g;
            }
            if constexpr (kOut == 4) {
                if (al.y && r + 4 <= n) {
                    store4(yb + t0 + r, out);
                    continue;
                }
            }
#pragma unroll
            for (int m = 0; m < kOut; ++m)
                if (r + m < n) yb[t0 + r + m] = from_f<T>(out[m]);
        }
    }
    __syncthreads();   // the last tile's carried state is written
    for (int i = tid; i < kCH * S; i += kThreads) {
        const int ch = cb + i / S, s = i % S;
        if (ch < p.d_inner) p.state[(size_t(b) * p.d_inner + ch) * S + s] = carry[(par * kCH + i / S) * S16 + s];
    }
}

template <typename T, int NSG, int PW>
cudaError_t launch(const ScanProblem& p, Aligned al, cudaStream_t stream) {
    using Sh = Shape<T, NSG, PW>;
    if (const cudaError_t e = allow_smem<&scan_chan_kernel<T, NSG, PW>>(Sh::kSmem); e != cudaSuccess) return e;
    const dim3 grid(unsigned((p.d_inner + kCH - 1) / kCH), unsigned(p.batch));
    scan_chan_kernel<T, NSG, PW><<<grid, Sh::kThreads, Sh::kSmem, stream>>>(p, al);
    return cudaGetLastError();
}

// The longest tile the device's shared memory allows (Hopper: 4 warps of positions a channel for
// up to 16 states, 1 block of 16 warps an SM; parts with less shared memory get shorter tiles).
// With run false only says whether one fits (cudaErrorNotSupported when none does).
constexpr int kSmemCap = 227 * 1024;   // the most any current part gives a block

template <typename T, int NSG, int PW>
cudaError_t pick(const ScanProblem& p, Aligned al, int limit, bool run, cudaStream_t stream) {
    if constexpr (Shape<T, NSG, PW>::kSmem <= kSmemCap) {
        if (Shape<T, NSG, PW>::kSmem <= limit) return run ? launch<T, NSG, PW>(p, al, stream) : cudaSuccess;
    }
    if constexpr (PW > 1) return pick<T, NSG, PW / 2>(p, al, limit, run, stream);
    return cudaErrorNotSupported;
}

template <typename T>
cudaError_t dispatch(const ScanProblem& p, Aligned al, int limit, bool run, cudaStream_t stream) {
    if (p.d_state <= 16) return pick<T, 1, 4>(p, al, limit, run, stream);
    if (p.d_state <= 32) return pick<T, 2, 4>(p, al, limit, run, stream);
    return pick<T, 4, 2>(p, al, limit, run, stream);
}

cudaError_t select(const ScanProblem& p, bool run, cudaStream_t stream) {
    const int limit = smem_optin_limit();
    if (limit == 0) return cudaErrorNotSupported;
    const size_t esz = p.act == ActType::F32 ? 4 : 2;
    Aligned al;
    al.chan = uz_rows_aligned(p, 16, esz);
    al.bc = aligned(p.B.data, {p.B.row_stride, p.B.batch_stride}, 16, esz) &&
            aligned(p.C.data, {p.C.row_stride, p.C.batch_stride}, 16, esz);
    al.y = y_rows_aligned(p, 16, esz);
    switch (p.act) {
        case ActType::F32: return dispatch<float>(p, al, limit, run, stream);
        case ActType::BF16: return dispatch<__nv_bfloat16>(p, al, limit, run, stream);
        case ActType::F16: return dispatch<__half>(p, al, limit, run, stream);
    }
    return cudaErrorInvalidValue;
}

}  // namespace

namespace detail {

bool scan_chan_takes(const ScanProblem& p) {
    return p.d_state <= 64 && p.u.row_stride == 1 && p.delta.row_stride == 1 && (!p.z.data || p.z.row_stride == 1) &&
           p.y_row_stride == 1 && p.B.chan_stride == 1 && p.C.chan_stride == 1 && select(p, false, nullptr) == cudaSuccess;
}

cudaError_t scan_chan(const ScanProblem& p, cudaStream_t stream) { return select(p, true, stream); }

}  // namespace detail

}  // namespace ms::cuda

// Ring selective scan over channel-major activations, d_state ≤ 16 (versions 11 and 12 in
// docs/performance.md).
//
// Why: the one-pass kernel (selective_scan_chan.cu) computes each decay once, but its warps meet
// at block-wide barriers three times a tile (staging, the scan over position slices, the next
// tile), so the exponential/FMA phases of its sixteen warps never overlap (66 % of issue slots
// used), and each of its four channel warps unpacks the same bf16 B and C values. Here:
//
//  - A block owns kCH = 4 channels of one sequence; the sequence is cut into tiles of 32
//    positions and warp w takes tiles w, w + kW, w + 2 kW, … for all four channels. Lane
//    (c, q, j) = (lane bits 4 and 0, 1-2, 3) walks run j (16 positions) of channel c for states
//    4q … 4q + 3, keeping E_i = C_i·Π a and the local output C·H in registers (as version 9).
//  - The lanes of a warp that read a position's B and C are the four channels' lanes of the same
//    (q, j), and B and C arrive as fp32 (converted once per sequence into the workspace by a small
//    kernel), so nothing is unpacked per state-step. Channel bit 0 is lane bit 0 because Hopper
//    serves a 16-byte shared load in two wavefronts instead of four when lanes n and n ^ 1 read
//    the same address: 1.2 % faster on the long rows than channel in lane bits 3-4 (the layout
//    until the fifteenth session, docs/performance.md).
//  - Each warp copies its own next tile (cp.async, a tile ahead) into its own buffers: no
//    block-wide barrier inside the loop. The only coupling between warps is the carried state,
//    passed through shared memory with mbarriers (see Chain): a warp publishes its tile's map,
//    takes its start state from the end state two tiles back through the previous tile's map,
//    publishes its end state, then does the output phase while the other warps compute.
//
// Test: tests/kernels/test_selective_scan_cuda; timing: tests/kernels/bench_selective_scan.
#include "kernels/scan_device.cuh"
#include "kernels/selective_scan_ring.h"
#ifndef MS_RING_WARPS
#define MS_RING_WARPS 12
#endif
#ifndef MS_RING_PDL
#define MS_RING_PDL 1
#endif
#ifndef MS_RING_LOOKBACK
#define MS_RING_LOOKBACK 2
#endif

namespace ms::cuda {

namespace {

// Warps a block, the ring over a sequence's tiles (a template argument of the kernel, kW in it):
// 12 for long sequences (16 left 128 registers and the addresses were rematerialised, 8 hid too
// little latency); 4 for many short ones side by side (reads), where a block of 12 warps had only
// a few tiles to share and its shared memory held an SM to one block: 256 streams of 152
// positions took 27 ns a position against 4.9 for one long stream (docs/performance.md,
// twenty-fourth session). Registers are budgeted alike (__launch_bounds__).
constexpr int kLongWarps = MS_RING_WARPS;
constexpr int kShortWarps = 4;
constexpr int kCH = 4;                 // channels a block
constexpr int kK = 16;                 // positions a lane walks (one run)
constexpr int kTP = 2 * kK;            // positions a tile: two runs
constexpr int kBCRow = 32;             // floats a position in the workspace and in shared memory: B[16], C[16]
constexpr int kRunFloats = kK * kBCRow + 16;   // a run of B/C rows plus 16 floats of padding (the two runs' lanes hit different banks)
constexpr int kStageRow =
    kTP + 16;  // floats of a staged Δ' or Δ'·u row (padding: a quarter-warp's two channels' rows hit different banks)
constexpr unsigned kFull = 0xffffffffu;
constexpr int kLB = MS_RING_LOOKBACK;  // tile k starts from tile k − kLB's end state (see Chain)
constexpr int kEnds = 2 * kLB;         // end-state slots
static_assert(kLB >= 2, "the chain's hops advance kLB tiles");

template <typename T>
struct WarpTiles {
    float bc[2][2 * kRunFloats];       // B and C of the current and the next tile
    T raw[2][3][kCH][kTP];             // u, Δ, z of the current and the next tile
    float dt[kCH][kStageRow];          // Δ' = softplus(Δ + bias)
    float du[kCH][kStageRow];          // Δ'·u
};

// The carried state between the warps. Tile k's end state needs tile k − 1's; waiting for it
// directly made every tile one hop of the chain (~440 cycles a hop measured, against ~280 cycles
// of arithmetic an SM per tile). Instead each warp publishes its tile's map (P, H) as soon as
// phase 1 ends — that needs no other warp — and tile k starts from tile k − kLB's end state
// mapped through the maps of tiles k − kLB + 1 … k − 1: kLB interleaved chains, each hop
// advancing kLB tiles.
template <int kW>
struct RingChain {
    static constexpr int kMaps = 3 * kW;  // slots of published tile maps
    static_assert(kW % kEnds == 0, "tile k's end slot k % kEnds is then the warp's constant");
    static_assert(kW % kLB == 0 && kMaps >= 2 * kW + kLB + 2, "no barrier completes twice under a waiting warp");
    float init[kCH][16];               // the initial state: tiles 0 … kLB − 1 start from it
    float end[kEnds][kCH][16];         // tile k's end state in end[k % kEnds], read only by tile k + kLB;
                                       // tile k + kEnds (same chain) writes the slot after tile k + kLB
                                       // read it. The initial state has its own slot (kept in an end
                                       // slot, a later tile could overwrite it before a stalled tile 0
                                       // read it — found in review).
    float map[kMaps][2][kCH][16];      // tile k's (P, H) in map[k % kMaps]
    // mbarriers. A phase parity tells only two phases apart, so there are enough of them that no
    // barrier can complete a phase twice while a warp still waits for the first (a first version
    // with two barriers let warps take stale states). While warp k waits, it has not published
    // end(k) and its next tile k + kW has no map, so no end state past k + kW exists (every later
    // one needs map(k + kW); those of k's own chain need end(k)), and no map past k + 2 kW (a map
    // needs its warp's previous tile done):
    //  - ended: the next phase of the barrier warp k waits on is end(k − kLB + kW), in k's own
    //    chain when kW is a multiple of kLB, so it needs end(k) and cannot come first;
    //  - mapped: the oldest map warp k reads is tile k − kLB + 1's; its slot's next phase is tile
    //    k − kLB + 1 + kMaps's, beyond that reach when kMaps > 2 kW + kLB − 1.
    uint64_t ended[kW];                // tile k's end state is written: phase k / kW of ended[k % kW]
    uint64_t mapped[kMaps];            // tile k's map is written: phase k / kMaps of mapped[k % kMaps]
};

template <typename T, int kW>
constexpr size_t smem_bytes() {
    return sizeof(RingChain<kW>) + kW * sizeof(WarpTiles<T>);
}

// The chain's signals are mbarriers rather than a counter with release/acquire: a release store
// compiled to MEMBAR.ALL.CTA, which also waits for the warp's outstanding copies of its next tile
// (a first version spent ~880 cycles a hop, the ring's whole budget). Arrive has release and the
// wait acquire semantics at block scope; the wait suspends the warp instead of spinning.
__device__ __forceinline__ unsigned smem_addr(const void* p) { return unsigned(__cvta_generic_to_shared(p)); }
__device__ __forceinline__ void mbar_init(uint64_t* bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_addr(bar)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_addr(bar)) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint64_t* bar, unsigned parity) {
#if __CUDA_ARCH__ >= 900
    asm volatile(
        "{\n .reg .pred done;\n wait:\n"
        " mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        " @!done bra wait;\n}" ::"r"(smem_addr(bar)), "r"(parity) : "memory");
#else
    asm volatile(
        "{\n .reg .pred done;\n wait:\n"
        " mbarrier.test_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        " @!done bra wait;\n}" ::"r"(smem_addr(bar)), "r"(parity) : "memory");
#endif
}
// Keeps the compiler from moving arithmetic on v above the preceding volatile asm (the chain's
// arrive): the output phase must not delay the next warp's start state.
__device__ __forceinline__ void after_previous_asm(float& v) { asm volatile("" : "+f"(v)); }

// Four elements of a channel row starting at position t (0 … 3 of them valid) into shared memory:
// one asynchronous copy where the rows allow it (kAsync), else element by element. A template
// argument, not a run-time flag: the compiler kept both forms in the loop, the unused one as ~20
// predicated-off instructions a tile that still take issue slots.
template <bool kAsync, typename T>
__device__ __forceinline__ void copy4(T* dst, const T* src, int valid) {
    if constexpr (kAsync) {
        if constexpr (sizeof(T) == 4) cp_async16(dst, src, valid * 4);
        else cp_async8(dst, src, valid * 2);
    } else {
#pragma unroll
        for (int e = 0; e < 4; ++e) dst[e] = e < valid ? src[e] : from_f<T>(0.0f);
    }
}

// kAsync: every u, Δ, z row keeps a lane's four positions aligned for one copy; vec_y: the same
// for y's four-output stores.
template <typename T, bool kAsync, int kW>
__global__ void __launch_bounds__(32 * kW, kLongWarps / kW)
    scan_ring_kernel(ScanProblem p, const float* __restrict__ bcw, bool vec_y) {
    using Chain = RingChain<kW>;
    constexpr int kThreads = 32 * kW, kMaps = Chain::kMaps;
    extern __shared__ __align__(16) uint8_t smem[];
    Chain& chain = *reinterpret_cast<Chain*>(smem);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    WarpTiles<T>& wt = reinterpret_cast<WarpTiles<T>*>(smem + sizeof(Chain))[warp];
    // Opaque, as the offsets below (kept in registers, not rebuilt from threadIdx in the loop).
    int j = (lane >> 3) & 1, q = (lane >> 1) & 3, c = (lane & 1) | ((lane >> 3) & 2);
    asm volatile("" : "+r"(j), "+r"(q), "+r"(c));
    const int b = blockIdx.y, c0 = blockIdx.x * kCH, ch = c0 + c, S = p.d_state;
    const bool live = ch < p.d_inner;
    const int nt = int((int64_t(p.T) + kTP - 1) / kTP);

    for (int i = threadIdx.x; i < kCH * 16; i += kThreads) {
        const int cc = c0 + i / 16, s = i % 16;
        chain.init[i / 16][s] = cc < p.d_inner && s < S ? p.state[(size_t(b) * p.d_inner + cc) * S + s] : 0.0f;
    }
    if (threadIdx.x < kW) mbar_init(&chain.ended[threadIdx.x], 32);
    if (threadIdx.x < kMaps) mbar_init(&chain.mapped[threadIdx.x], 32);
    float A2[4];
#pragma unroll
    for (int s = 0; s < 4; ++s) A2[s] = live && 4 * q + s < S ? p.A[size_t(ch) * S + 4 * q + s] * kLog2e : 0.0f;
    const float bias = live && p.delta_bias ? p.delta_bias[ch] : 0.0f;
    const float Dc = live && p.D ? p.D[ch] : 0.0f;
    const bool gated = p.z.data != nullptr;

    // This lane's rows: channel ch of u, Δ, z (a dead channel reads channel 0, zero-filled).
    const int cr = live ? ch : 0;
    const T* rows[3] = {static_cast<const T*>(p.u.data) + b * p.u.batch_stride + cr * p.u.chan_stride,
                        static_cast<const T*>(p.delta.data) + b * p.delta.batch_stride + cr * p.delta.chan_stride,
                        gated ? static_cast<const T*>(p.z.data) + b * p.z.batch_stride + cr * p.z.chan_stride
                              : static_cast<const T*>(p.u.data)};
    const float* bcb = bcw + size_t(b) * p.T * kBCRow;
    const int r0 = kK * j + 4 * q;   // the four positions this lane copies, stages and finishes

    // The lane's shared-memory places as byte offsets from `smem`, computed once and made opaque:
    // at 151 registers the compiler otherwise rebuilt them from threadIdx twice a tile, 948
    // instructions a warp-tile against 902 now, 4 % faster (docs/performance.md, sixteenth session).
    using WT = WarpTiles<T>;
    const unsigned wbase = unsigned(sizeof(Chain) + warp * sizeof(WT));
    unsigned o_raw = wbase + unsigned(offsetof(WT, raw) + (c * kTP + r0) * sizeof(T));
    unsigned o_stage = wbase + unsigned(offsetof(WT, dt) + (c * kStageRow + r0) * 4);
    unsigned o_run = wbase + unsigned(offsetof(WT, dt) + (c * kStageRow + kK * j) * 4);
    unsigned o_bc = wbase + unsigned(offsetof(WT, bc) + (j * kRunFloats + 4 * q) * 4);
    unsigned o_bcdst = wbase + unsigned(offsetof(WT, bc) + ((lane >> 3) * kBCRow + 4 * (lane & 7)) * 4);
    unsigned o_cq = unsigned((c * 16 + 4 * q) * 4);  // [c][4q] in Chain's init, end and map rows
    asm volatile("" : "+r"(o_raw), "+r"(o_stage), "+r"(o_run), "+r"(o_bc), "+r"(o_bcdst), "+r"(o_cq));
    constexpr unsigned kRawBuf = unsigned(sizeof(T) * 3 * kCH * kTP), kRawRow = unsigned(sizeof(T) * kCH * kTP);
    constexpr unsigned kBcBuf = unsigned(2 * kRunFloats * 4), kDuFromDt = unsigned(offsetof(WT, du) - offsetof(WT, dt));
    auto sm = [&](unsigned off) { return smem + off; };

    // Tile k's rows into buffer `buf`: the lane's four positions of u, Δ, z, and eight 16-byte
    // pieces of the tile's B/C rows (lanes 0 … 7 cover one position, so a warp copies 512
    // contiguous bytes an instruction). Piece e of lane l is position r = l / 8 + 4e, floats
    // 4 (l % 8) … of its row: in the workspace 4l + 128e floats past the tile's first row, in
    // shared memory run e / 4, row l / 8 + 4 (e % 4).
    //
    // Every tile but a sequence's last is full and takes the short form: whole copies (a dead
    // channel's lanes copy channel 0's rows and their results are never stored), sources from
    // pointers carried from tile to tile. Version 11 computed the clamped general form from the
    // problem's strides every tile, and the compiler rematerialised the 64-bit products: a few
    // hundred integer instructions a tile a lane.
    //
    // `uvz` and `bc` pick the parts: the first tile's u, Δ, z go before the wait for the B/C
    // conversion (they are not its output), its B/C after.
    auto issue_full = [&](int buf, const T* const* src, const float* bsrc, bool uvz, bool bc) {
        const unsigned bc_dst = o_bcdst + unsigned(buf) * kBcBuf;
#pragma unroll
        for (int e = 0; e < 8; ++e)
            if (bc)
                cp_async16(sm(bc_dst + unsigned(((e >> 2) * kRunFloats + (e & 3) * 4 * kBCRow) * 4)),
                           bsrc + 4 * kBCRow * e, 16);
#pragma unroll
        for (int a = 0; a < 3; ++a)
            if (uvz && (a < 2 || gated))
                copy4<kAsync>(reinterpret_cast<T*>(sm(o_raw + unsigned(buf) * kRawBuf + unsigned(a) * kRawRow)), src[a], 4);
    };
    auto issue_tail = [&](int k, int buf, bool uvz, bool bc) {
        const int t0 = k * kTP, n = p.T - t0;
        const int valid = live ? max(0, min(4, n - r0)) : 0;
#pragma unroll
        for (int a = 0; a < 3; ++a)
            if (uvz)
                copy4<kAsync>(&wt.raw[buf][a][c][r0], valid ? rows[a] + t0 + r0 : rows[a],
                              a == 2 && !gated ? 0 : valid);
#pragma unroll
        for (int e = 0; e < 8; ++e) {
            const int m = lane + 32 * e, r = m >> 3, w = m & 7;
            if (bc)
                cp_async16(&wt.bc[buf][(r >> 4) * kRunFloats + (r & 15) * kBCRow + 4 * w],
                           bcb + size_t(t0 + min(r, n - 1)) * kBCRow + 4 * w, r < n ? 16 : 0);
        }
    };
    // The next tile's sources (tile k + kW while tile k runs), advanced a ring turn an iteration.
    constexpr int kTurn = kW * kTP;
    const T* next[3];
#pragma unroll
    for (int a = 0; a < 3; ++a) next[a] = rows[a] + int64_t(warp) * kTP + r0;
    const float* next_bc = bcb + (int64_t(warp) * kTP) * kBCRow + 4 * lane;
    auto issue = [&](int k, int buf, bool uvz = true, bool bc = true) {
        if (p.T - k * kTP >= kTP)
            issue_full(buf, next, next_bc, uvz, bc);
        else
            issue_tail(k, buf, uvz, bc);
        if (uvz)
#pragma unroll
            for (int a = 0; a < 3; ++a) next[a] += kTurn;
        if (bc) next_bc += int64_t(kTurn) * kBCRow;
    };

    __syncthreads();   // the chain's start
    if (warp < nt) issue(warp, 0, true, false);
    pdl_wait_for_previous();  // bcw is bc_to_f32_kernel's output (run() starts this kernel before that ends)
    if (warp < nt) issue(warp, 0, false, true);
    cp_async_commit();
    T* yo = static_cast<T*>(p.y) + b * p.y_batch_stride + int64_t(cr) * p.y_chan_stride + int64_t(warp) * kTP + r0;
    int it = 0;
    int mk = warp;       // k % kMaps, carried (a division by kMaps every tile otherwise)
    unsigned mph = 0;    // (k / kMaps) & 1
    for (int k = warp; k < nt; k += kW, ++it) {
        const int buf = it & 1, t0 = k * kTP, n = min(kTP, p.T - t0);
        __syncwarp();   // every lane is done with the other buffer (tile k − kW)
        if (k + kW < nt) issue(k + kW, buf ^ 1);
        cp_async_commit();
        cp_async_wait_all_but_last();
        __syncwarp();   // every lane's copies of tile k are visible

        // Δ' and Δ'·u of the lane's four positions, for the four state lanes of its run.
        {
            float uv[4], dv[4], dt4[4], du4[4];
            const T* raw = reinterpret_cast<const T*>(sm(o_raw + unsigned(buf) * kRawBuf));
            load4(raw, uv);
            load4(raw + kCH * kTP, dv);
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const float sp = softplus(dv[e] + bias);   // zero-filled past the end: finite
                dt4[e] = r0 + e < n ? sp : 0.0f;           // past the end: the state passes through
                du4[e] = dt4[e] * uv[e];
            }
            *reinterpret_cast<float4*>(sm(o_stage)) = make_float4(dt4[0], dt4[1], dt4[2], dt4[3]);
            *reinterpret_cast<float4*>(sm(o_stage + kDuFromDt)) = make_float4(du4[0], du4[1], du4[2], du4[3]);
        }
        __syncwarp();

        // Phase 1: the run from a zero state.
        float H[4] = {0.f, 0.f, 0.f, 0.f}, P[4] = {1.f, 1.f, 1.f, 1.f}, E[kK][4], yl[kK];
        const float* bc = reinterpret_cast<const float*>(sm(o_bc + unsigned(buf) * kBcBuf));
        const float* dtr = reinterpret_cast<const float*>(sm(o_run));
#pragma unroll
        for (int i4 = 0; i4 < kK / 4; ++i4) {
            const float4 dt4 = *reinterpret_cast<const float4*>(dtr + 4 * i4);
            const float4 du4 = *reinterpret_cast<const float4*>(dtr + kDuFromDt / 4 + 4 * i4);
            const float dtv[4] = {dt4.x, dt4.y, dt4.z, dt4.w}, duv[4] = {du4.x, du4.y, du4.z, du4.w};
#pragma unroll
            for (int ii = 0; ii < 4; ++ii) {
                const int i = 4 * i4 + ii;
                const float4 B4 = *reinterpret_cast<const float4*>(bc + i * kBCRow);
                const float4 C4 = *reinterpret_cast<const float4*>(bc + i * kBCRow + 16);
                const float Bv[4] = {B4.x, B4.y, B4.z, B4.w}, Cv[4] = {C4.x, C4.y, C4.z, C4.w};
                float acc = 0.0f;
#pragma unroll
                for (int s = 0; s < 4; ++s) {
                    const float a = ex2_sfu(dtv[ii] * A2[s]);
                    H[s] = fmaf(a, H[s], duv[ii] * Bv[s]);
                    P[s] *= a;
                    acc = fmaf(Cv[s], H[s], acc);
                    E[i][s] = Cv[s] * P[s];
                }
                yl[i] = acc;
            }
        }

        // The two runs of the tile: run 1 starts from run 0's end; the tile's map (lane j = 1)
        // is h ↦ P1·P0·h + P1·H0 + H1.
        float eP[4], eH[4], tP[4], tH[4];
#pragma unroll
        for (int s = 0; s < 4; ++s) {
            const float pP = __shfl_xor_sync(kFull, P[s], 8), pH = __shfl_xor_sync(kFull, H[s], 8);
            eP[s] = j ? pP : 1.0f;
            eH[s] = j ? pH : 0.0f;
            tP[s] = P[s] * pP;
            tH[s] = fmaf(P[s], pH, H[s]);
        }
        // The carried state (every lane arrives on a barrier: each releases its own writes).
        // Publish this tile's map; take tile k − kLB's end state through the maps since; publish
        // this tile's end state.
        if (j) {
            float* m = reinterpret_cast<float*>(sm(unsigned(offsetof(Chain, map) + mk * sizeof(chain.map[0])) + o_cq));
            *reinterpret_cast<float4*>(m) = make_float4(tP[0], tP[1], tP[2], tP[3]);
            *reinterpret_cast<float4*>(m + kCH * 16) = make_float4(tH[0], tH[1], tH[2], tH[3]);
        }
        mbar_arrive(&chain.mapped[mk]);
        float hin[4];
        {
            // Tile k − kLB's end state (tiles before kLB: the initial state), through the maps of
            // tiles k − kLB + 1 … k − 1. k ≡ warp (mod kW), so its slots are the warp's constants.
            if (k >= kLB) mbar_wait(&chain.ended[(warp + kW - kLB) % kW], unsigned(it - (warp < kLB)) & 1);
            const float4 h2 = *reinterpret_cast<const float4*>(
                sm((k < kLB ? unsigned(offsetof(Chain, init))
                            : unsigned(offsetof(Chain, end) + ((warp + kEnds - kLB) % kEnds) * sizeof(chain.end[0]))) +
                   o_cq));
            hin[0] = h2.x; hin[1] = h2.y; hin[2] = h2.z; hin[3] = h2.w;
#pragma unroll
            for (int d = kLB - 1; d >= 1; --d) {
                if (k < d) continue;
                const int m1 = mk - d < 0 ? mk - d + kMaps : mk - d;   // (k − d) % kMaps, and its phase:
                mbar_wait(&chain.mapped[m1], mk - d < 0 ? mph ^ 1u : mph);
                const float* m = reinterpret_cast<const float*>(
                    sm(unsigned(offsetof(Chain, map) + m1 * sizeof(chain.map[0])) + o_cq));
                const float4 p1 = *reinterpret_cast<const float4*>(m);
                const float4 q1 = *reinterpret_cast<const float4*>(m + kCH * 16);
                hin[0] = fmaf(p1.x, hin[0], q1.x); hin[1] = fmaf(p1.y, hin[1], q1.y);
                hin[2] = fmaf(p1.z, hin[2], q1.z); hin[3] = fmaf(p1.w, hin[3], q1.w);
            }
        }
        if (j)
            *reinterpret_cast<float4*>(sm(unsigned(offsetof(Chain, end) + (warp % kEnds) * sizeof(chain.end[0])) + o_cq)) =
                make_float4(fmaf(tP[0], hin[0], tH[0]), fmaf(tP[1], hin[1], tH[1]), fmaf(tP[2], hin[2], tH[2]),
                            fmaf(tP[3], hin[3], tH[3]));
        mbar_arrive(&chain.ended[warp]);

        // Phase 2: the true state is H + P·h0, so y_i += Σ_s E_i,s·h0_s.
        float h0[4];
#pragma unroll
        for (int s = 0; s < 4; ++s) {
            h0[s] = fmaf(eP[s], hin[s], eH[s]);
            after_previous_asm(h0[s]);
        }
#pragma unroll
        for (int i = 0; i < kK; ++i)
#pragma unroll
            for (int s = 0; s < 4; ++s) yl[i] = fmaf(E[i][s], h0[s], yl[i]);

        // Sum the four state lanes' outputs (lane bits 1-2): after the xor-4 step a lane keeps half
        // its run's positions (the upper half when q & 2), after the xor-2 step a quarter (the
        // upper one when q & 1), ending with positions 4q … 4q + 3 of its run: the ones it copied.
        const bool hi2 = q & 2, hi1 = q & 1;
        float y8[kK / 2], y4[4];
#pragma unroll
        for (int m = 0; m < kK / 2; ++m) {
            const float send = hi2 ? yl[m] : yl[m + kK / 2], keep = hi2 ? yl[m + kK / 2] : yl[m];
            y8[m] = keep + __shfl_xor_sync(kFull, send, 4);
        }
#pragma unroll
        for (int m = 0; m < 4; ++m) {
            const float send = hi1 ? y8[m] : y8[m + 4], keep = hi1 ? y8[m + 4] : y8[m];
            y4[m] = keep + __shfl_xor_sync(kFull, send, 2);
        }
        {
            float uv[4], zv[4] = {0.f, 0.f, 0.f, 0.f}, out[4];
            const T* raw = reinterpret_cast<const T*>(sm(o_raw + unsigned(buf) * kRawBuf));
            load4(raw, uv);
            if (gated) load4(raw + 2 * kCH * kTP, zv);
#pragma unroll
            for (int m = 0; m < 4; ++m) {
                const float y = fmaf(Dc, uv[m], y4[m]);
                out[m] = gated ? y * silu(zv[m]) : y;
            }
            if (vec_y && r0 + 4 <= n) {
                if (live) store4(yo, out);
            } else {
#pragma unroll
                for (int m = 0; m < 4; ++m)
                    if (live && r0 + m < n) yo[m] = from_f<T>(out[m]);
            }
            yo += kTurn;
        }
        mk += kW;
        if (mk >= kMaps) mk -= kMaps, mph ^= 1u;
    }
    __syncthreads();   // the last tile's end state is written
    for (int i = threadIdx.x; i < kCH * S; i += kThreads) {
        const int cc = c0 + i / S, s = i % S;
        if (cc < p.d_inner) p.state[(size_t(b) * p.d_inner + cc) * S + s] = chain.end[(nt - 1) % kEnds][i / S][s];
    }
}

// B and C of every position as fp32, 32 floats a position (states past d_state are zero): a warp
// takes kBCRun positions (lane l: B's state l, or C's state l − 16, its loads all in flight), the
// block kBCWarps warps, sequence blockIdx.y. Version 12 took a thread an element of the flat array
// and paid two 64-bit divisions by T for each (~18 µs a 131K-position call, against ~5 µs of
// memory time); a warp a position still waited out one load at a time (15 µs).
//
// Four warps a block: with 28 registers a thread, a block then fits in the 4,096 registers an SM
// has left beside a scan block (160 × 384), so the scan's blocks can start beside the conversion's
// (see run()).
constexpr int kBCWarps = 4, kBCRun = 4;
template <typename T>
__global__ void bc_to_f32_kernel(ScanProblem p, float* __restrict__ w) {
    pdl_let_next_start();
    const int t0 = (blockIdx.x * kBCWarps + threadIdx.x / 32) * kBCRun, lane = threadIdx.x % 32, b = blockIdx.y;
    const int s = lane & 15;
    const Act& a = lane < 16 ? p.B : p.C;
    const T* src = static_cast<const T*>(a.data) + b * a.batch_stride + s * a.chan_stride;
    float v[kBCRun];
#pragma unroll
    for (int k = 0; k < kBCRun; ++k) v[k] = s < p.d_state && t0 + k < p.T ? to_f(src[int64_t(t0 + k) * a.row_stride]) : 0.0f;
#pragma unroll
    for (int k = 0; k < kBCRun; ++k)
        if (t0 + k < p.T) w[(int64_t(b) * p.T + t0 + k) * kBCRow + lane] = v[k];
}

// The host's work first, then the two launches back to back: a single call at L = 4,096 (GPU idle
// before it) otherwise left the GPU waiting between the conversion and the scan while the host
// checked alignment and set the kernel's shared-memory limit.
template <typename T, int kW>
cudaError_t run(const ScanProblem& p, float* w, cudaStream_t stream) {
    const size_t v = 4 * sizeof(T);   // a lane's four positions
    const bool chan = uz_rows_aligned(p, v, sizeof(T)), vec_y = y_rows_aligned(p, v, sizeof(T));
    auto* kernel = chan ? &scan_ring_kernel<T, true, kW> : &scan_ring_kernel<T, false, kW>;
    constexpr int smem = int(smem_bytes<T, kW>());
    const cudaError_t e =
        chan ? allow_smem<&scan_ring_kernel<T, true, kW>>(smem) : allow_smem<&scan_ring_kernel<T, false, kW>>(smem);
    if (e != cudaSuccess) return e;
    constexpr int per_block = kBCWarps * kBCRun;
    bc_to_f32_kernel<T><<<dim3(unsigned((p.T + per_block - 1) / per_block), unsigned(p.batch)), 32 * kBCWarps, 0, stream>>>(p, w);
    if (const cudaError_t le = cudaGetLastError(); le != cudaSuccess) return le;
    // The scan starts while the conversion runs (programmatic dependent launch, where the device
    // has it): its set-up — the initial state, A, the chain's barriers — overlaps the conversion,
    // and the gap between two launches goes. It waits for the conversion's output before its
    // first B/C copy (docs/performance.md, seventeenth session).
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(unsigned((p.d_inner + kCH - 1) / kCH), unsigned(p.batch));
    cfg.blockDim = dim3(32 * kW);
    cfg.dynamicSmemBytes = size_t(smem);
    cfg.stream = stream;
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = attr;
    cfg.numAttrs = MS_RING_PDL && pdl_supported() ? 1 : 0;
    return cudaLaunchKernelEx(&cfg, kernel, p, static_cast<const float*>(w), vec_y);
}

template <int kW>
cudaError_t run_as(const ScanProblem& p, float* w, cudaStream_t stream) {
    switch (p.act) {
        case ActType::F32:
            return run<float, kW>(p, w, stream);
        case ActType::BF16:
            return run<__nv_bfloat16, kW>(p, w, stream);
        case ActType::F16:
            return run<__half, kW>(p, w, stream);
    }
    return cudaErrorInvalidValue;
}

// The long form's: a device that gives a block that much runs either form.
size_t smem_needed(ActType t) {
    return t == ActType::F32 ? smem_bytes<float, kLongWarps>() : smem_bytes<__half, kLongWarps>();
}

// Streams this long at most, when there are enough of them, run on the short form (see kShortWarps):
// 16 streams of 4,096 positions took 5.18 ns a position on it against 5.64 on the long form, of
// 16,384 positions 5.00 against 4.93 (H200, bench_selective_scan).
constexpr int64_t kShortStreamPositions = 8192;

}  // namespace

namespace detail {

bool scan_ring_takes(const ScanProblem& p) {
    if (p.d_state > 16 || p.batch > 65535 /* grid.y */ || p.u.row_stride != 1 || p.delta.row_stride != 1 || (p.z.data && p.z.row_stride != 1) ||
        p.y_row_stride != 1)
        return false;
    return smem_needed(p.act) <= size_t(smem_optin_limit());
}

int scan_ring_warps(const ScanProblem& p) {
    // Enough blocks of the short form for four on every SM (its shared memory allows four).
    const int64_t blocks = int64_t((p.d_inner + kCH - 1) / kCH) * p.batch;
    const int sms = cached_device_attribute<cudaDevAttrMultiProcessorCount>();
    return p.T <= kShortStreamPositions && sms > 0 && blocks >= 4 * int64_t(sms) ? kShortWarps : kLongWarps;
}

size_t scan_ring_workspace(const ScanProblem& p) { return sizeof(float) * kBCRow * size_t(p.batch) * size_t(p.T); }

cudaError_t scan_ring(const ScanProblem& p, void* workspace, cudaStream_t stream, int warps) {
    if (p.T == 0) return cudaSuccess;
    if (!workspace || reinterpret_cast<uintptr_t>(workspace) % 16 != 0) return cudaErrorInvalidValue;   // 16-byte copies
    float* w = static_cast<float*>(workspace);
    if (warps == kShortWarps) return run_as<kShortWarps>(p, w, stream);
    if (warps == kLongWarps) return run_as<kLongWarps>(p, w, stream);
    return cudaErrorInvalidValue;
}

cudaError_t scan_ring(const ScanProblem& p, void* workspace, cudaStream_t stream) {
    return scan_ring(p, workspace, stream, scan_ring_warps(p));
}

}  // namespace detail

}  // namespace ms::cuda

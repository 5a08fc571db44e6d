// The CUDA selective scan against the double-precision CPU reference: fp32 and bf16 activations,
// L = 1, lengths that are not block or segment multiples, L ≥ 1M, batch > 1, d_state 4/16/64/256,
// with and without gating, and chunks that chain through the returned state — in both layouts:
// position-major rows (the segmented kernel) and channel-major u, Δ, z, y (the ring kernel for
// d_state ≤ 16, the one-pass kernel above that and, called directly, for any d_state on parts
// without the ring's shared memory; chunk offsets and odd strides that break alignment take the
// element-copy paths).
// NaN/Inf first, then relative error: ≤ 1e-5 in fp32, ≤ 1e-2 in bf16. Skips (77) without a GPU.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>

#include "common/error.h"

#include "kernels/mamba_ops.h"
#include "kernels/selective_scan_chan.h"
#include "kernels/selective_scan_cuda.h"
#include "kernels/selective_scan_ring.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

struct Case {
    int batch, T, d_inner, d_state;
    bool bf16, gate;
    int chunks;   // the sequence runs as this many calls, state carried between them
    bool chan_major = false;   // u, Δ, z, y as [d_inner, batch · T] (B, C stay [batch · T, d_state])
    bool one_pass = false;     // channel-major through the one-pass kernel even where the ring takes it
    bool padded = false;       // channel-major rows batch · T rounded up to 8 elements long, as the
                               // CUDA runner lays them out; the padding holds NaN and must stay unwritten
    int ring_warps = 0;        // channel-major through the ring kernel with this many warps a block (4, 12)
};

std::string name(const Case& c) {
    return cat("batch ", c.batch, " T ", c.T, " d_inner ", c.d_inner, " d_state ", c.d_state,
               c.bf16 ? " bf16" : " fp32", c.gate ? " gated" : "", " chunks ", c.chunks,
               c.chan_major ? " channel-major" : "", c.one_pass ? " one-pass" : "", c.padded ? " padded rows" : "",
               c.ring_warps ? cat(" ring ", c.ring_warps, " warps") : std::string());
}

void run_case(const Case& k, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0, 1);
    std::uniform_real_distribution<float> ua(0.1f, 8.0f);
    const size_t act = size_t(k.batch) * k.T * k.d_inner, bc = size_t(k.batch) * k.T * k.d_state;
    const size_t cs = size_t(k.d_inner) * k.d_state;
    // Inputs; bf16 cases round them first, so the reference sees exactly what the GPU sees.
    auto draw = [&](size_t n, float mean, float sd) {
        std::vector<float> v(n);
        for (float& x : v) {
            x = mean + sd * nd(rng);
            if (k.bf16) x = test::bf16_to_f32(test::f32_to_bf16(x));
        }
        return v;
    };
    const auto u = draw(act, 0, 1), delta = draw(act, -2, 1), z = draw(act, 0, 1), B = draw(bc, 0, 1), C = draw(bc, 0, 1);
    std::vector<float> A(cs), D(size_t(k.d_inner)), bias(size_t(k.d_inner)), state0(size_t(k.batch) * cs);
    for (float& a : A) a = -ua(rng);
    for (float& d : D) d = nd(rng);
    for (float& b : bias) b = 0.5f * nd(rng);
    for (float& s : state0) s = nd(rng);

    // Reference, per sequence.
    std::vector<float> y_ref(act), state_ref = state0;
    for (int b = 0; b < k.batch; ++b) {
        const size_t ao = size_t(b) * k.T * k.d_inner, bo = size_t(b) * k.T * k.d_state;
        kernels::ScanArgs a;
        a.T = k.T; a.d_inner = k.d_inner; a.d_state = k.d_state;
        a.u = &u[ao]; a.ld_u = size_t(k.d_inner); a.delta = &delta[ao]; a.ld_delta = size_t(k.d_inner);
        a.delta_bias = bias.data(); a.A = A.data(); a.B = &B[bo]; a.ld_B = size_t(k.d_state);
        a.C = &C[bo]; a.ld_C = size_t(k.d_state); a.D = D.data();
        a.z = k.gate ? &z[ao] : nullptr; a.ld_z = size_t(k.d_inner);
        a.state = &state_ref[size_t(b) * cs]; a.y = &y_ref[ao]; a.ld_y = size_t(k.d_inner);
        kernels::selective_scan_ref(a);
    }

    // Device.
    const size_t esz = k.bf16 ? 2 : 4;
    // Channel-major order of a [batch, T, d_inner] array: element (b, t, c) at c·pitch + b·T + t,
    // the pitch batch·T or (padded) that rounded up to 8.
    const size_t BT = size_t(k.batch) * k.T, pitch = k.padded ? (BT + 7) / 8 * 8 : BT;
    const size_t stored = k.chan_major ? size_t(k.d_inner) * pitch : act;  // elements of u, Δ, z, y
    auto cm_index = [&](size_t i) {
        const size_t row = i / k.d_inner, c = i % k.d_inner;
        return c * pitch + row;
    };
    auto upload = [&](const std::vector<float>& vin, bool chan) {
        std::vector<float> v = vin;
        if (chan && k.chan_major) {
            v.assign(stored, std::numeric_limits<float>::quiet_NaN());  // the padding: NaN
            for (size_t i = 0; i < vin.size(); ++i) v[cm_index(i)] = vin[i];
        }
        auto* buf = new test::DeviceBuffer<uint8_t>(v.size() * esz);
        std::vector<uint8_t> bytes(v.size() * esz);
        for (size_t i = 0; i < v.size(); ++i) {
            if (k.bf16) {
                const uint16_t h = test::f32_to_bf16(v[i]);
                std::memcpy(&bytes[i * 2], &h, 2);
            } else {
                std::memcpy(&bytes[i * 4], &v[i], 4);
            }
        }
        buf->upload(bytes);
        return std::unique_ptr<test::DeviceBuffer<uint8_t>>(buf);
    };
    auto du = upload(u, true), ddelta = upload(delta, true), dz = upload(z, true), dB = upload(B, false), dC = upload(C, false);
    test::DeviceBuffer<uint8_t> dy(stored * esz);
    MS_CUDA_CHECK(cudaMemset(dy.ptr, 0xff, stored * esz));  // poison: every element must be written
    test::DeviceBuffer<float> dA(cs), dD(size_t(k.d_inner)), dbias(size_t(k.d_inner)), dstate(state0.size());
    dA.upload(A); dD.upload(D); dbias.upload(bias); dstate.upload(state0);

    const int per = (k.T + k.chunks - 1) / k.chunks;
    for (int t0 = 0; t0 < k.T; t0 += per) {
        const int T = std::min(per, k.T - t0);
        cuda::ScanProblem p;
        p.batch = k.batch; p.T = T; p.d_inner = k.d_inner; p.d_state = k.d_state;
        p.act = k.bf16 ? cuda::ActType::BF16 : cuda::ActType::F32;
        const int64_t abs = int64_t(k.T) * k.d_inner, bbs = int64_t(k.T) * k.d_state;
        auto at = [&](const test::DeviceBuffer<uint8_t>& d, int64_t bs, int64_t rs) {
            return cuda::Act{d.ptr + size_t(t0) * rs * esz, bs, rs};
        };
        auto chan = [&](const test::DeviceBuffer<uint8_t>& d) {  // channel-major: positions contiguous
            return cuda::Act{d.ptr + size_t(t0) * esz, k.T, 1, int64_t(pitch)};
        };
        if (k.chan_major) {
            p.u = chan(*du); p.delta = chan(*ddelta); p.z = k.gate ? chan(*dz) : cuda::Act{};
            p.y = dy.ptr + size_t(t0) * esz;
            p.y_batch_stride = k.T;
            p.y_row_stride = 1;
            p.y_chan_stride = int64_t(pitch);
        } else {
            p.u = at(*du, abs, k.d_inner); p.delta = at(*ddelta, abs, k.d_inner);
            p.z = k.gate ? at(*dz, abs, k.d_inner) : cuda::Act{};
            p.y = dy.ptr + size_t(t0) * k.d_inner * esz; p.y_batch_stride = abs; p.y_row_stride = k.d_inner;
        }
        p.B = at(*dB, bbs, k.d_state); p.C = at(*dC, bbs, k.d_state);
        p.delta_bias = dbias.ptr; p.A = dA.ptr; p.D = dD.ptr; p.state = dstate.ptr;
        test::DeviceBuffer<uint8_t> ws(cuda::selective_scan_workspace(p));
        if (k.one_pass) {
            MS_CHECK(cuda::detail::scan_chan_takes(p));
            MS_CUDA_CHECK(cuda::detail::scan_chan(p, nullptr));
        } else if (k.ring_warps) {
            MS_CHECK(cuda::detail::scan_ring_takes(p));
            MS_CUDA_CHECK(cuda::detail::scan_ring(p, ws.ptr, nullptr, k.ring_warps));
        } else {
            MS_CUDA_CHECK(cuda::selective_scan(p, ws.ptr, nullptr));
        }
        MS_CUDA_CHECK(cudaDeviceSynchronize());
    }
    const std::vector<uint8_t> ybytes = dy.download();
    std::vector<float> y(act);
    for (size_t i = 0; i < act; ++i) {
        const size_t from = k.chan_major ? cm_index(i) : i;
        if (k.bf16) {
            uint16_t h;
            std::memcpy(&h, &ybytes[from * 2], 2);
            y[i] = test::bf16_to_f32(h);
        } else {
            std::memcpy(&y[i], &ybytes[from * 4], 4);
        }
        MS_CHECK_MSG(std::isfinite(y[i]), name(k) << ": y[" << i << "] is not finite (unwritten or overflow)");
    }
    for (size_t c = 0; k.chan_major && c < size_t(k.d_inner); ++c)
        for (size_t e = (c * pitch + BT) * esz; e < (c + 1) * pitch * esz; ++e)
            MS_CHECK_MSG(ybytes[e] == 0xff, name(k) << ": channel " << c << "'s padding was written");
    const std::vector<float> state = dstate.download();
    const double ey = test::rel_error(y.data(), y_ref.data(), act);
    const double es = test::rel_error(state.data(), state_ref.data(), state.size());
    // fp32: float arithmetic over the recurrence vs double. bf16: the output is rounded to bf16
    // (relative step 2^-8 ≈ 4e-3); the state stays fp32, so it is held to the fp32 bound × 10.
    const double tol_y = k.bf16 ? 1e-2 : 1e-5, tol_s = k.bf16 ? 1e-4 : 1e-5;
    std::printf("  %-60s y %.2e  state %.2e\n", name(k).c_str(), ey, es);
    MS_CHECK_MSG(ey <= tol_y && es <= tol_s, name(k) << ": rel error y " << ey << " (≤ " << tol_y << "), state " << es);
}

}  // namespace

MS_TEST(scan_matches_reference_fp32) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    uint32_t seed = 1;
    for (const Case& c : {Case{1, 1, 7, 16, false, true, 1}, Case{1, 37, 33, 4, false, true, 1},
                          Case{2, 1000, 64, 16, false, true, 1}, Case{3, 5000, 40, 16, false, false, 1},
                          Case{1, 3001, 24, 64, false, true, 1}, Case{1, 700, 16, 256, false, true, 1},
                          Case{2, 777, 20, 8, false, true, 1}, Case{1, 9000, 48, 16, false, true, 3}})
        run_case(c, seed++);
}

MS_TEST(scan_matches_reference_bf16) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    uint32_t seed = 100;
    for (const Case& c : {Case{1, 513, 96, 16, true, true, 1}, Case{4, 2049, 64, 16, true, true, 2},
                          Case{1, 4096, 32, 64, true, true, 1}})
        run_case(c, seed++);
}

MS_TEST(scan_long_sequence_segments_chain) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    // L ≥ 1M over few channels: hundreds of segments, chained by pass 2.
    run_case(Case{1, 1 << 20, 4, 16, false, true, 1}, 7);
    run_case(Case{1, (1 << 20) + 3, 2, 16, false, true, 2}, 8);
}

// The channel-major kernels (the ring for d_state ≤ 16, the one-pass kernel above): tails shorter
// than a tile, more tiles than the ring has warps, every state-group count (4 … 64 states,
// including counts that leave lanes of a group empty), channel counts that leave a block's lanes
// without a channel, batch > 1 with odd lengths (element copies), chunks chaining through the
// state, fp32 and bf16, gated or not.
MS_TEST(scan_channel_major_matches_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    uint32_t seed = 200;
    for (const Case& c : {Case{1, 1, 7, 16, false, true, 1, true}, Case{1, 37, 33, 4, false, true, 1, true},
                          Case{2, 1000, 64, 16, false, true, 1, true}, Case{3, 5000, 40, 16, false, false, 1, true},
                          Case{1, 3001, 24, 64, false, true, 1, true}, Case{2, 777, 20, 8, false, true, 1, true},
                          Case{1, 9000, 48, 16, false, true, 3, true}, Case{1, 4096, 16, 32, false, true, 1, true},
                          Case{2, 2048, 12, 24, false, true, 2, true}, Case{1, 4096, 9, 48, false, true, 1, true},
                          Case{1, 513, 96, 16, true, true, 1, true}, Case{4, 2049, 64, 16, true, true, 2, true},
                          Case{1, 4096, 32, 64, true, true, 1, true}, Case{2, 8192, 32, 16, true, true, 4, true},
                          // Rows padded to 8 elements (the runner's layout): T not a multiple of 4 now takes the
                          // aligned copies, up to the sequence's last, partial, tile.
                          Case{1, 4095, 64, 16, true, true, 1, true, false, true},
                          Case{1, 1001, 16, 16, false, true, 1, true, false, true},
                          Case{1, 9005, 32, 16, true, true, 3, true, false, true},
                          Case{1, 3, 8, 16, true, false, 1, true, false, true}})
        run_case(c, seed++);
    run_case(Case{1, (1 << 20) + 5, 4, 16, false, true, 2, true}, 300);
}

// The one-pass kernel on the shapes the ring kernel takes where the device allows it (on parts
// with less shared memory it is the one that runs them).
MS_TEST(scan_one_pass_matches_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    uint32_t seed = 400;
    for (const Case& c :
         {Case{1, 37, 33, 4, false, true, 1, true, true}, Case{2, 1000, 64, 16, false, true, 1, true, true},
          Case{3, 5000, 40, 16, false, false, 1, true, true}, Case{1, 9000, 48, 16, false, true, 3, true, true},
          Case{1, 513, 96, 16, true, true, 1, true, true}, Case{4, 2049, 64, 16, true, true, 2, true, true},
          Case{1, 1001, 33, 4, false, true, 1, true, true, true},
          Case{1, 4095, 64, 16, true, true, 2, true, true, true}})
        run_case(c, seed++);
}

// The ring's two forms, each forced on the same shapes: 4 warps a block (many short streams side by
// side, a batch of reads) and 12 (long streams). Many streams of a few tiles, fewer positions than
// a tile, more tiles than either form has warps, chunks chaining through the state, padded rows,
// fp32 and bf16. selective_scan() picks the short form for a batch of reads and the long one for a
// long sequence; a warp count other than the two is refused.
MS_TEST(scan_ring_forms_match_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    cuda::ScanProblem p;
    p.batch = 256;
    p.T = 152;
    p.d_inner = 512;
    p.d_state = 16;
    p.act = cuda::ActType::BF16;
    p.u = p.delta = p.z = cuda::Act{nullptr, 152, 1, 256 * 152};
    p.y_batch_stride = 152;
    p.y_row_stride = 1;
    p.y_chan_stride = 256 * 152;
    p.B = p.C = cuda::Act{nullptr, 152 * 16, 16};
    if (!cuda::detail::scan_ring_takes(p))
        MS_SKIP("the ring kernel needs more shared memory than this GPU gives a block");
    int sms = 0;
    MS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    if (sms <= 128 * 256 / 4) MS_CHECK_EQ(cuda::detail::scan_ring_warps(p), 4);
    p.batch = 1;
    p.T = 131072;
    MS_CHECK_EQ(cuda::detail::scan_ring_warps(p), 12);
    p.batch = 256;
    p.T = 20000;
    MS_CHECK_EQ(cuda::detail::scan_ring_warps(p), 12);
    MS_CHECK(cuda::detail::scan_ring(p, reinterpret_cast<void*>(uintptr_t(256)), nullptr, 8) == cudaErrorInvalidValue);
    uint32_t seed = 500;
    for (int warps : {4, 12})
        for (Case c :
             {Case{64, 152, 64, 16, true, true, 1, true}, Case{33, 37, 20, 16, false, true, 1, true},
              Case{8, 1, 8, 16, false, true, 1, true}, Case{5, 300, 24, 8, true, true, 2, true, false, true},
              Case{3, 1000, 40, 16, false, false, 3, true}, Case{2, 4099, 16, 4, true, true, 1, true, false, true}}) {
            c.ring_warps = warps;
            run_case(c, seed++);
        }
}

// selective_scan() picks the ring kernel for channel-major d_state ≤ 16 on a part with the shared
// memory (Hopper: 227 KiB a block) and asks for its workspace; a wrong dispatch would leave the
// ring untested.
MS_TEST(scan_ring_dispatch) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    int dev = 0, smem = 0;
    MS_CUDA_CHECK(cudaGetDevice(&dev));
    MS_CUDA_CHECK(cudaDeviceGetAttribute(&smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    cuda::ScanProblem p;
    p.batch = 2; p.T = 1000; p.d_inner = 64; p.d_state = 16; p.act = cuda::ActType::BF16;
    p.u = p.delta = p.z = cuda::Act{nullptr, 1000, 1, 2000};
    p.y_batch_stride = 1000; p.y_row_stride = 1; p.y_chan_stride = 2000;
    p.B = p.C = cuda::Act{nullptr, 16000, 16};
    const bool ring = cuda::detail::scan_ring_takes(p);
    if (smem >= 227 * 1024) MS_CHECK_MSG(ring, "ring kernel not taken with " << smem << " bytes of shared memory a block");
    // It needs ~150 KiB for bf16 (12 warps' tiles and the chain): not on parts with less.
    if (smem < 150 * 1024) MS_CHECK_MSG(!ring, "ring kernel taken with only " << smem << " bytes of shared memory a block");
    if (ring) MS_CHECK(cuda::selective_scan_workspace(p) == size_t(2) * 1000 * 32 * 4);
    p.d_state = 17;
    MS_CHECK(!cuda::detail::scan_ring_takes(p));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

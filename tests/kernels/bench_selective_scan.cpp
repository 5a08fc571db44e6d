// Benchmark of the CUDA selective scan on the shapes of the scan table in shared/PERFORMANCE.md
// (bf16 activations, fp32 A/D/bias/state, z gating, D skip, Δ bias + softplus), printing time,
// effective GB/s and the speed-up over the reference kernel (state-spaces/mamba selective_scan_fwd,
// measured on one H200 on 2026-11-28). Median of 10 CUDA-event-timed runs after 3 warm-ups, inputs
// random (never zeros). The three kernels are timed on the same buffers: the ring kernel (what
// selective_scan() runs for channel-major u, Δ, z, y — the reference kernel's [batch, d_inner, L]
// layout — with d_state ≤ 16; its time includes converting B and C to fp32) and the one-pass
// kernel on that layout, the segmented kernel on position-major rows. Before timing, each kernel
// is checked against the CPU reference on one shape. `ms` is one call on an idle GPU (its launch
// latency included, as a caller without CUDA graphs sees it); `b2b ms` is the ring kernel's time a
// call over queues of 20 calls (fewer for calls over 2.5 ms) back to back (launches hidden behind
// the previous call, as in the runner's graph replay, inputs warm in L2); `cold ms` is timed as
// METHOD.md and triton.testing.do_bench time a kernel: each call between its own pair of events,
// behind a 256 MiB write that evicts L2 (so the inputs come from HBM) and keeps the GPU busy while
// the host queues the call (so launch latency stays out), median of 20.
//   bench_selective_scan            the table
//   bench_selective_scan --fp32     the same shapes with fp32 activations (no reference figures)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/mamba_ops.h"
#include "kernels/selective_scan_chan.h"
#include "kernels/selective_scan_cuda.h"
#include "kernels/selective_scan_ring.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

struct Row {
    int batch, d_inner, d_state, L;
    double ref_ms;   // reference kernel, shared/PERFORMANCE.md
};

const Row kRows[] = {{1, 512, 16, 4096, 0.058},     {1, 512, 16, 131072, 1.54},  {1, 512, 16, 1048576, 11.3},
                     {16, 512, 16, 131072, 24.2},   {1, 1536, 16, 131072, 4.43}, {1, 1536, 16, 1048576, 34.7},
                     {8, 1536, 16, 131072, 33.3}};

#define CHECK_CUDA(x)                                                                                   \
    do {                                                                                                \
        cudaError_t e_ = (x);                                                                           \
        if (e_ != cudaSuccess) {                                                                        \
            std::fprintf(stderr, "%s failed: %s\n", #x, cudaGetErrorString(e_));                        \
            std::exit(1);                                                                               \
        }                                                                                               \
    } while (0)

struct Inputs {
    size_t esz;
    void *u, *dt, *z, *B, *C, *y, *ws;
    float *A, *D, *bias, *state;
    cuda::ScanProblem p;     // position-major rows: the segmented kernel
    cuda::ScanProblem pc;    // channel-major u, Δ, z, y over the same buffers: the one-pass kernel
};

Inputs make(const Row& r, bool fp32, std::mt19937& rng) {
    Inputs in{};
    in.esz = fp32 ? 4 : 2;
    const size_t act = size_t(r.batch) * r.L * r.d_inner, bc = size_t(r.batch) * r.L * r.d_state;
    std::normal_distribution<float> nd(0, 1);
    // Random values (never zeros) drawn for a 4M-element block on the host and tiled over the
    // buffer on the device: drawing billions of normals on the host took minutes.
    auto fill = [&](size_t n, float mean) {
        void* d = nullptr;
        CHECK_CUDA(cudaMalloc(&d, n * in.esz));
        const size_t block = std::min<size_t>(n, size_t(1) << 22);
        std::vector<uint8_t> host(block * in.esz);
        for (size_t i = 0; i < block; ++i) {
            const float x = mean + nd(rng);
            if (fp32) std::memcpy(&host[i * 4], &x, 4);
            else { const uint16_t h = test::f32_to_bf16(x); std::memcpy(&host[i * 2], &h, 2); }
        }
        for (size_t at = 0; at < n; at += block) {
            const size_t m = std::min(block, n - at);
            CHECK_CUDA(cudaMemcpy(static_cast<uint8_t*>(d) + at * in.esz, host.data(), m * in.esz, cudaMemcpyHostToDevice));
        }
        return d;
    };
    in.u = fill(act, 0); in.dt = fill(act, -2); in.z = fill(act, 0); in.B = fill(bc, 0); in.C = fill(bc, 0);
    CHECK_CUDA(cudaMalloc(&in.y, act * in.esz));
    auto fillf = [&](size_t n, bool negative) {
        std::vector<float> h(n);
        std::uniform_real_distribution<float> ua(0.1f, 8.0f);
        for (float& x : h) x = negative ? -ua(rng) : nd(rng);
        float* d = nullptr;
        CHECK_CUDA(cudaMalloc(reinterpret_cast<void**>(&d), n * 4));
        CHECK_CUDA(cudaMemcpy(d, h.data(), n * 4, cudaMemcpyHostToDevice));
        return d;
    };
    in.A = fillf(size_t(r.d_inner) * r.d_state, true);
    in.D = fillf(size_t(r.d_inner), false);
    in.bias = fillf(size_t(r.d_inner), false);
    in.state = fillf(size_t(r.batch) * r.d_inner * r.d_state, false);
    cuda::ScanProblem& p = in.p;
    p.batch = r.batch; p.T = r.L; p.d_inner = r.d_inner; p.d_state = r.d_state;
    p.act = fp32 ? cuda::ActType::F32 : cuda::ActType::BF16;
    const int64_t abs = int64_t(r.L) * r.d_inner, bbs = int64_t(r.L) * r.d_state;
    p.u = {in.u, abs, r.d_inner}; p.delta = {in.dt, abs, r.d_inner}; p.z = {in.z, abs, r.d_inner};
    p.B = {in.B, bbs, r.d_state}; p.C = {in.C, bbs, r.d_state};
    p.y = in.y; p.y_batch_stride = abs; p.y_row_stride = r.d_inner;
    p.delta_bias = in.bias; p.A = in.A; p.D = in.D; p.state = in.state;
    cuda::ScanProblem& pc = in.pc;
    pc = p;
    const int64_t cs = int64_t(r.batch) * r.L;
    pc.u = {in.u, r.L, 1, cs}; pc.delta = {in.dt, r.L, 1, cs}; pc.z = {in.z, r.L, 1, cs};
    pc.y_batch_stride = r.L; pc.y_row_stride = 1; pc.y_chan_stride = cs;
    CHECK_CUDA(cudaMalloc(&in.ws, std::max<size_t>({1, cuda::selective_scan_workspace(p), cuda::selective_scan_workspace(pc)})));
    return in;
}

void release(Inputs& in) {
    for (void* p : {in.u, in.dt, in.z, in.B, in.C, in.y, in.ws}) cudaFree(p);
    for (float* p : {in.A, in.D, in.bias, in.state}) cudaFree(p);
}

enum class Kernel { Ring, OnePass, Segmented, Ring4, Ring12 };
const char* kKernelNames[] = {"ring, channel-major", "one-pass, channel-major", "segmented, position-major",
                              "ring of 4 warps", "ring of 12 warps"};

cudaError_t scan(const Inputs& in, Kernel k) {
    switch (k) {
        case Kernel::Ring: return cuda::selective_scan(in.pc, in.ws, nullptr);
        case Kernel::OnePass: return cuda::detail::scan_chan(in.pc, nullptr);
        case Kernel::Segmented: return cuda::selective_scan(in.p, in.ws, nullptr);
        case Kernel::Ring4:
            return cuda::detail::scan_ring(in.pc, in.ws, nullptr, 4);
        case Kernel::Ring12:
            return cuda::detail::scan_ring(in.pc, in.ws, nullptr, 12);
    }
    return cudaErrorInvalidValue;
}

// The first row checked against the double-precision reference (bf16 output: ≤ 1e-2), in either
// layout: the reference gets the device's values gathered into position-major rows.
bool check_first_row(bool fp32, Kernel k) {
    const bool chan = k != Kernel::Segmented;
    std::mt19937 rng(42);
    const Row r{1, 512, 16, 4096, 0};
    Inputs in = make(r, fp32, rng);
    const size_t act = size_t(r.L) * r.d_inner, bc = size_t(r.L) * r.d_state;
    auto down = [&](void* d, size_t n) {
        std::vector<uint8_t> b(n * in.esz);
        cudaMemcpy(b.data(), d, b.size(), cudaMemcpyDeviceToHost);
        std::vector<float> f(n);
        for (size_t i = 0; i < n; ++i) {
            if (fp32) std::memcpy(&f[i], &b[i * 4], 4);
            else { uint16_t h; std::memcpy(&h, &b[i * 2], 2); f[i] = test::bf16_to_f32(h); }
        }
        return f;
    };
    auto downf = [&](float* d, size_t n) { std::vector<float> f(n); cudaMemcpy(f.data(), d, n * 4, cudaMemcpyDeviceToHost); return f; };
    // Position-major view of a channel-major buffer: (t, c) from c·L + t.
    auto rows = [&](std::vector<float> v) {
        if (!chan) return v;
        std::vector<float> o(v.size());
        for (size_t t = 0; t < size_t(r.L); ++t)
            for (size_t c = 0; c < size_t(r.d_inner); ++c) o[t * r.d_inner + c] = v[c * r.L + t];
        return o;
    };
    const auto u = rows(down(in.u, act)), dt = rows(down(in.dt, act)), z = rows(down(in.z, act));
    const auto B = down(in.B, bc), C = down(in.C, bc);
    const auto A = downf(in.A, size_t(r.d_inner) * r.d_state), D = downf(in.D, r.d_inner), bias = downf(in.bias, r.d_inner);
    auto state = downf(in.state, size_t(r.d_inner) * r.d_state);
    CHECK_CUDA(scan(in, k));
    CHECK_CUDA(cudaDeviceSynchronize());
    const auto y = rows(down(in.y, act));
    std::vector<float> y_ref(act);
    kernels::ScanArgs a;
    a.T = r.L; a.d_inner = r.d_inner; a.d_state = r.d_state; a.u = u.data(); a.ld_u = r.d_inner;
    a.delta = dt.data(); a.ld_delta = r.d_inner; a.delta_bias = bias.data(); a.A = A.data(); a.B = B.data();
    a.ld_B = r.d_state; a.C = C.data(); a.ld_C = r.d_state; a.D = D.data(); a.z = z.data(); a.ld_z = r.d_inner;
    a.state = state.data(); a.y = y_ref.data(); a.ld_y = r.d_inner;
    kernels::selective_scan_ref(a);
    const double e = test::rel_error(y.data(), y_ref.data(), act);
    std::printf("# check 1x512x16x4096 (%s) against the CPU reference: rel error %.2e\n",
                kKernelNames[int(k)], e);
    release(in);
    return e <= (fp32 ? 1e-5 : 1e-2);
}

}  // namespace

int main(int argc, char** argv) {
    const bool fp32 = argc > 1 && std::strcmp(argv[1], "--fp32") == 0;
    if (!test::cuda_available()) return 77;
    cudaDeviceProp prop{};
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::printf("# selective scan forward, %s activations, %s\n", fp32 ? "fp32" : "bf16", prop.name);
    bool checked = true;
    for (int k = 0; k < 5; ++k) checked = check_first_row(fp32, Kernel(k)) && checked;
    if (!checked) {
        std::printf("# FAILED the reference check: not timing a wrong kernel\n");
        return 1;
    }
    std::printf("%6s %8s %8s %10s %10s %10s %10s %10s %12s %13s %10s %9s %9s %9s\n", "batch", "d_inner", "d_state", "L",
                "ms", "GB/s", "b2b ms", "cold ms", "one-pass ms", "segmented ms", "ref ms", "speed-up", "b2b s-up",
                "cold s-up");
    std::mt19937 rng(1);
    cudaEvent_t e0, e1;
    CHECK_CUDA(cudaEventCreate(&e0));
    CHECK_CUDA(cudaEventCreate(&e1));
    auto median_ms = [&](const Inputs& in, Kernel k) {
        for (int i = 0; i < 3; ++i) CHECK_CUDA(scan(in, k));
        std::vector<float> times;
        for (int i = 0; i < 10; ++i) {
            CHECK_CUDA(cudaEventRecord(e0));
            CHECK_CUDA(scan(in, k));
            CHECK_CUDA(cudaEventRecord(e1));
            CHECK_CUDA(cudaEventSynchronize(e1));
            float ms = 0;
            CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
            times.push_back(ms);
        }
        std::sort(times.begin(), times.end());
        return (times[4] + times[5]) / 2.0;
    };
    // Queues of up to 20 calls, fewer for long calls (~50 ms a queue): 1.5 s of sustained load on
    // the 15 ms rows lowered the clocks for the column timed after it.
    auto back_to_back_ms = [&](const Inputs& in, Kernel k, double lone_ms) {
        const int kCalls = std::clamp(int(50.0 / lone_ms), 2, 20);
        std::vector<float> times;
        for (int i = 0; i < 5; ++i) {
            CHECK_CUDA(cudaEventRecord(e0));
            for (int c = 0; c < kCalls; ++c) CHECK_CUDA(scan(in, k));
            CHECK_CUDA(cudaEventRecord(e1));
            CHECK_CUDA(cudaEventSynchronize(e1));
            float ms = 0;
            CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
            times.push_back(ms / kCalls);
        }
        std::sort(times.begin(), times.end());
        return double(times[2]);
    };
    // METHOD.md's way (triton.testing.do_bench's): per-call events behind an L2-evicting write.
    constexpr size_t kFlushBytes = size_t(256) << 20;
    void* flush = nullptr;
    CHECK_CUDA(cudaMalloc(&flush, kFlushBytes));
    auto cold_ms = [&](const Inputs& in, Kernel k) {
        constexpr int kReps = 20;
        std::vector<cudaEvent_t> ev(2 * kReps);
        for (cudaEvent_t& e : ev) CHECK_CUDA(cudaEventCreate(&e));
        for (int i = 0; i < 3; ++i) CHECK_CUDA(scan(in, k));
        for (int i = 0; i < kReps; ++i) {
            CHECK_CUDA(cudaMemsetAsync(flush, i & 0xff, kFlushBytes));
            CHECK_CUDA(cudaEventRecord(ev[2 * i]));
            CHECK_CUDA(scan(in, k));
            CHECK_CUDA(cudaEventRecord(ev[2 * i + 1]));
        }
        CHECK_CUDA(cudaDeviceSynchronize());
        std::vector<float> times(kReps);
        for (int i = 0; i < kReps; ++i) CHECK_CUDA(cudaEventElapsedTime(&times[i], ev[2 * i], ev[2 * i + 1]));
        for (cudaEvent_t e : ev) cudaEventDestroy(e);
        std::sort(times.begin(), times.end());
        return (times[kReps / 2 - 1] + times[kReps / 2]) / 2.0;
    };
    for (const Row& r : kRows) {
        Inputs in = make(r, fp32, rng);
        const double ms = median_ms(in, Kernel::Ring), b2b = back_to_back_ms(in, Kernel::Ring, ms),
                     cold = cold_ms(in, Kernel::Ring), one_ms = median_ms(in, Kernel::OnePass),
                     seg_ms = median_ms(in, Kernel::Segmented);
        const double bytes = double(r.batch) * r.L * (4.0 * r.d_inner + 2.0 * r.d_state) * double(in.esz);
        std::printf("%6d %8d %8d %10d %10.3f %10.1f %10.3f %10.3f %12.3f %13.3f %10.3f %8.2fx %8.2fx %8.2fx\n", r.batch,
                    r.d_inner, r.d_state, r.L, ms, bytes / ms / 1e6, b2b, cold, one_ms, seg_ms, r.ref_ms,
                    fp32 ? 0.0 : r.ref_ms / ms, fp32 ? 0.0 : r.ref_ms / b2b, fp32 ? 0.0 : r.ref_ms / cold);
        std::fflush(stdout);
        release(in);
    }
    // Many short streams side by side (reads, short records: classify/embed and score run up to 256
    // of them in one call), against fewer, longer streams: each kernel's time a call back to back,
    // in ns a position, so a kernel whose cost rises with the streams shows. The ring in both its
    // forms; `ring` is the one selective_scan() picks.
    std::printf("\n# streams side by side: ns a position, calls back to back\n");
    std::printf("%6s %8s %8s %10s %10s %10s %10s %10s %10s\n", "batch", "d_inner", "d_state", "L", "ring", "4 warps",
                "12 warps", "one-pass", "segmented");
    const Row kStreams[] = {{256, 512, 16, 152, 0}, {128, 512, 16, 304, 0},  {64, 512, 16, 608, 0},
                            {32, 512, 16, 2048, 0}, {16, 512, 16, 4096, 0},  {8, 512, 16, 4096, 0},
                            {4, 512, 16, 4096, 0},  {16, 512, 16, 16384, 0}, {4, 512, 16, 16384, 0},
                            {1, 512, 16, 38912, 0}, {256, 1536, 16, 152, 0}, {2, 1536, 16, 4096, 0},
                            {1, 1536, 16, 38912, 0}};
    for (const Row& r : kStreams) {
        Inputs in = make(r, fp32, rng);
        const double n = double(r.batch) * r.L / 1e6;  // ms → ns a position
        double t[5];
        for (int k = 0; k < 5; ++k) t[k] = back_to_back_ms(in, Kernel(k), median_ms(in, Kernel(k))) / n;
        std::printf("%6d %8d %8d %10d %10.3f %10.3f %10.3f %10.3f %10.3f\n", r.batch, r.d_inner, r.d_state, r.L,
                    t[int(Kernel::Ring)], t[int(Kernel::Ring4)], t[int(Kernel::Ring12)], t[int(Kernel::OnePass)],
                    t[int(Kernel::Segmented)]);
        std::fflush(stdout);
        release(in);
    }
    cudaFree(flush);
    return 0;
}

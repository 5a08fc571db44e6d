// Device helpers shared by the selective-scan kernels (kernels/selective_scan*.cu): conversions,
// special-function math, softplus and SiLU, asynchronous global → shared copies, and on the host
// side the row-alignment checks (also used by kernels/mixer_ops.cu) and the shared-memory opt-in.
// Included only by .cu files.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>

#include "kernels/selective_scan_cuda.h"

namespace ms::cuda {
namespace {

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

// 1/x and log2(x) on the special-function unit, flushing subnormals: __fdividef and __logf add a
// compare and two scalings a call for subnormal operands, which the callers below never pass
// (u − 1 is 0 or ≥ 2^-24; u ≥ 1).
__device__ __forceinline__ float rcp_sfu(float x) {
    float y;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
__device__ __forceinline__ float lg2_sfu(float x) {
    float y;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PyTorch's softplus (threshold 20) from three special-function results instead of libm's
// log1pf/expf (~40 instructions, computed for every channel-position in both passes):
// log1p(e) = log(u) · e / (u − 1) with u = 1 + e is accurate to a few ulp because the rounding
// of u cancels in the ratio (Goldberg, "What every computer scientist should know…", thm. 4).
// Written with selects, not early returns: branches around the special-function calls cost a
// few instructions each (BSSY/BSYNC, the compare-and-branch), more than the unneeded results
// (for x > 20 the ratio is inf/inf, never selected).
__device__ __forceinline__ float softplus(float x) {
    constexpr float kLn2 = 0.6931471805599453f;
    const float e = ex2_sfu(x * kLog2e);
    const float u = 1.0f + e;
    const float l = lg2_sfu(u) * kLn2 * (e * rcp_sfu(u - 1.0f));
    return x > 20.0f ? x : (u == 1.0f ? e : l);
}

// x · sigmoid(x) (SiLU), the gate (an IEEE division would cost ~10 instructions): for x → −∞ the
// denominator is +inf and the result −0.
__device__ __forceinline__ float silu(float x) { return x * rcp_sfu(1.0f + ex2_sfu(-x * kLog2e)); }

// Host side: whether `ptr` and every stride (in elements of `esz` bytes) keep `bytes`-byte
// alignment, i.e. whether a kernel may move rows of this tensor in `bytes`-wide pieces.
inline bool aligned(const void* ptr, std::initializer_list<int64_t> strides, size_t bytes, size_t esz) {
    if (reinterpret_cast<uintptr_t>(ptr) % bytes != 0) return false;
    for (int64_t s : strides)
        if ((s * int64_t(esz)) % int64_t(bytes) != 0) return false;
    return true;
}
// The channel rows of u, Δ and z (z where given), and those of y, by the same test. A batch
// stride counts only when there is a second sequence: one sequence of T positions whose rows are
// padded (the CUDA runner's layout) moves in pieces whatever T is.
inline bool uz_rows_aligned(const ScanProblem& p, size_t bytes, size_t esz) {
    const auto bs = [&](int64_t s) { return p.batch > 1 ? s : 0; };
    return aligned(p.u.data, {p.u.chan_stride, bs(p.u.batch_stride)}, bytes, esz) &&
           aligned(p.delta.data, {p.delta.chan_stride, bs(p.delta.batch_stride)}, bytes, esz) &&
           (!p.z.data || aligned(p.z.data, {p.z.chan_stride, bs(p.z.batch_stride)}, bytes, esz));
}
inline bool y_rows_aligned(const ScanProblem& p, size_t bytes, size_t esz) {
    return aligned(p.y, {p.y_chan_stride, p.batch > 1 ? p.y_batch_stride : 0}, bytes, esz);
}

// Host side: an attribute of the current device, asked of the driver once per device: the scan
// consults these on every call, and a driver call each time was measurable at L = 4,096. 0 when
// the device cannot be asked.
template <cudaDeviceAttr Attr>
inline int cached_device_attribute() {
    constexpr int kDevs = 64;
    static std::atomic<int> known[kDevs];  // value + 1; 0 not yet asked
    int dev = 0, value = 0;
    if (cudaGetDevice(&dev) != cudaSuccess) return 0;
    if (dev < kDevs && (value = known[dev].load(std::memory_order_relaxed)) != 0) return value - 1;
    if (cudaDeviceGetAttribute(&value, Attr, dev) != cudaSuccess) return 0;
    if (dev < kDevs) known[dev].store(value + 1, std::memory_order_relaxed);
    return value;
}

// Host side: whether the current device can start a kernel while the one before it in the stream
// still runs (programmatic dependent launch, compute capability 9.0+).
inline bool pdl_supported() { return cached_device_attribute<cudaDevAttrComputeCapabilityMajor>() >= 9; }

// Programmatic dependent launch, device side (no-ops below sm_90 and for a kernel launched the
// ordinary way): the earlier kernel lets the next one start (its blocks become resident beside its
// own and run their set-up), and the later one waits, before it reads the earlier one's output,
// until that grid has finished and its writes are visible. Everything before the earlier kernel in
// the stream has finished by then, since that kernel itself started the ordinary way.
__device__ __forceinline__ void pdl_let_next_start() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
__device__ __forceinline__ void pdl_wait_for_previous() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Host side: the largest dynamic shared memory a block of the current device may opt in to (0 when
// the device cannot be asked) — selective_scan() consults it on every call.
inline int smem_optin_limit() { return cached_device_attribute<cudaDevAttrMaxSharedMemoryPerBlockOptin>(); }

// Host side: lets `Kernel` take `bytes` of dynamic shared memory (above 48 KiB a kernel must opt
// in), once per device: cudaFuncSetAttribute is a driver call that every lone short call otherwise
// paid while the GPU waited. (A cudaDeviceReset would drop the setting behind this flag; nothing in
// MambaScope resets a device.)
template <auto Kernel>
cudaError_t allow_smem(int bytes) {
    static std::atomic<uint64_t> done{0};
    int dev = 0;
    cudaError_t e = cudaGetDevice(&dev);
    if (e != cudaSuccess) return e;
    const uint64_t bit = dev < 64 ? uint64_t(1) << dev : 0;
    if (done.load(std::memory_order_acquire) & bit) return cudaSuccess;
    e = cudaFuncSetAttribute(Kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (e == cudaSuccess) done.fetch_or(bit, std::memory_order_release);
    return e;
}

// Four consecutive elements (states of a B or C row, positions of a channel row) as floats.
__device__ __forceinline__ void load4(const float* p, float out[4]) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    out[0] = v.x; out[1] = v.y; out[2] = v.z; out[3] = v.w;
}
__device__ __forceinline__ void load4(const __nv_bfloat16* p, float out[4]) {
    const uint2 v = *reinterpret_cast<const uint2*>(p);
    const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&v.x));
    const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&v.y));
    out[0] = a.x; out[1] = a.y; out[2] = b.x; out[3] = b.y;
}
__device__ __forceinline__ void load4(const __half* p, float out[4]) {
    const uint2 v = *reinterpret_cast<const uint2*>(p);
    const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&v.x));
    const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&v.y));
    out[0] = a.x; out[1] = a.y; out[2] = b.x; out[3] = b.y;
}

// Four consecutive outputs in one 8- or 16-byte store.
__device__ __forceinline__ void store4(float* p, const float v[4]) { *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]); }
__device__ __forceinline__ void store4(__nv_bfloat16* p, const float v[4]) {
    const __nv_bfloat162 a = __floats2bfloat162_rn(v[0], v[1]), b = __floats2bfloat162_rn(v[2], v[3]);
    *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const uint32_t*>(&a), *reinterpret_cast<const uint32_t*>(&b));
}
__device__ __forceinline__ void store4(__half* p, const float v[4]) {
    const __half2 a = __floats2half2_rn(v[0], v[1]), b = __floats2half2_rn(v[2], v[3]);
    *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const uint32_t*>(&a), *reinterpret_cast<const uint32_t*>(&b));
}

// Asynchronous 4-byte global → shared copies (sm_80+): the next tile's inputs are in flight while
// the current tile is computed. Version 6 issued the loads just before their use and Nsight
// Compute showed warps stalled on them ("long scoreboard") for ~45 % of their cycles.
__device__ __forceinline__ void cp_async4(void* smem, const void* gmem) {
#if __CUDA_ARCH__ >= 800
    const unsigned s = unsigned(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(s), "l"(gmem));
#else
    *static_cast<uint32_t*>(smem) = *static_cast<const uint32_t*>(gmem);
#endif
}
// 16-byte copy of which only the first `bytes` (0..16) are read; the rest of the destination is
// zero-filled. Both addresses 16-byte aligned.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int bytes) {
#if __CUDA_ARCH__ >= 800
    const unsigned s = unsigned(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
#else
    const uint8_t* g = static_cast<const uint8_t*>(gmem);
    uint8_t* d = static_cast<uint8_t*>(smem);
    for (int i = 0; i < 16; ++i) d[i] = i < bytes ? g[i] : 0;
#endif
}
// 8-byte copy of which only the first `bytes` (0..8) are read, the rest zero-filled; both addresses
// 8-byte aligned (cp.async.cg takes only 16-byte copies, .ca 4, 8 or 16).
__device__ __forceinline__ void cp_async8(void* smem, const void* gmem, int bytes) {
#if __CUDA_ARCH__ >= 800
    const unsigned s = unsigned(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
#else
    const uint8_t* g = static_cast<const uint8_t*>(gmem);
    uint8_t* d = static_cast<uint8_t*>(smem);
    for (int i = 0; i < 8; ++i) d[i] = i < bytes ? g[i] : 0;
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n");
#endif
}
__device__ __forceinline__ void cp_async_wait_all_but_last() {
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group 1;\n");
#endif
}

}  // namespace
}  // namespace ms::cuda

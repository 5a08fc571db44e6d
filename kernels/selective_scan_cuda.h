// The fused selective scan on NVIDIA GPUs (kernels/selective_scan.cu): the same function as
// kernels/mamba_ops.h's selective_scan_ref — Δ' = softplus(Δ + bias), h = exp(Δ'·A)·h + Δ'·B·u,
// y = (C·h + D·u)·silu(z) — for a batch of sequences, starting from a given state and returning the
// final state so chunks chain. Activations (u, Δ, z, B, C, y) are fp32, bf16 or fp16; A, D, the
// bias, the state and all arithmetic are fp32. d_state ≤ 256.
//
// Three kernels, picked by the layout and the device:
// - channel-major u, Δ, z, y (positions contiguous: t stride 1), d_state ≤ 16, on parts that give
//   a block ~200 KiB of shared memory (Hopper): the ring kernel (kernels/selective_scan_ring.cu).
//   Each warp walks its own 32-position tiles of four channels, every decay computed once; the
//   carried state passes between warps through shared memory. B and C (any layout) are first
//   converted to fp32 into the workspace.
// - channel-major with d_state ≤ 64 otherwise (B, C position-major: states contiguous): the
//   one-pass kernel (kernels/selective_scan_chan.cu). Lanes walk runs of positions, a warp scan
//   over lanes and a block scan over warps give each run its starting state.
// - any other strides: the segmented kernel (kernels/selective_scan.cu). Long sequences are split
//   into segments that run in parallel: pass 1 computes each segment's state from zero and its
//   total decay, pass 2 chains the segments' starting states, pass 3 reruns every segment from its
//   true start and writes y. It computes every decay twice; fast only for channel-contiguous rows.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ms::cuda {

enum class ActType { F32, BF16, F16 };

// A [batch, positions, channels] activation: element (b, t, i) at
// data[b * batch_stride + t * row_stride + i * chan_stride] (for B and C, i is the state).
struct Act {
    const void* data = nullptr;
    int64_t batch_stride = 0, row_stride = 0, chan_stride = 1;
};

struct ScanProblem {
    int batch = 1, T = 0, d_inner = 0, d_state = 0;
    ActType act = ActType::F32;
    Act u, delta, z, B, C;       // z.data may be null (no gating)
    void* y = nullptr;           // same layout rules as Act, written
    int64_t y_batch_stride = 0, y_row_stride = 0, y_chan_stride = 1;
    const float* delta_bias = nullptr;   // [d_inner] or null
    const float* A = nullptr;            // [d_inner, d_state], already −exp(A_log)
    const float* D = nullptr;            // [d_inner] or null
    float* state = nullptr;              // [batch, d_inner, d_state], in/out
};

// Bytes of device workspace selective_scan needs for this problem (0 for the one-pass kernel and
// unsegmented problems); a workspace must be 16-byte aligned (cudaMalloc's is).
size_t selective_scan_workspace(const ScanProblem& p);

// The kernel selective_scan runs for this problem on the current device (see the list above). A
// caller that owns its activations' layout (the CUDA runner) asks it which layout gets the ring
// kernel.
enum class ScanKernel { Ring, OnePass, Segmented };
ScanKernel selective_scan_kernel(const ScanProblem& p);

// cudaErrorInvalidValue for shapes it does not handle (d_state > 256, non-positive sizes).
cudaError_t selective_scan(const ScanProblem& p, void* workspace, cudaStream_t stream);

}  // namespace ms::cuda

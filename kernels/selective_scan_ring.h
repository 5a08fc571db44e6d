// The ring selective scan for channel-major activations and d_state ≤ 16
// (kernels/selective_scan_ring.cu), used by selective_scan() ahead of the other two kernels when
// the layout and the device allow it; see kernels/selective_scan_cuda.h.
#pragma once

#include "kernels/selective_scan_cuda.h"

namespace ms::cuda::detail {

// Whether the ring kernel takes this problem: u, Δ, z and y with positions contiguous
// (row_stride 1), d_state ≤ 16, and the device gives a block the shared memory it needs
// (Hopper-class parts; others fall back to the one-pass kernel).
bool scan_ring_takes(const ScanProblem& p);

// Workspace bytes: B and C as fp32, 32 floats a position (B's states, then C's, zero-padded).
size_t scan_ring_workspace(const ScanProblem& p);

// Warps a block of the ring takes for this problem: 12 for long sequences, 4 where many short ones
// run side by side (enough blocks to fill every SM several times over, sequences of at most
// 8,192 positions).
int scan_ring_warps(const ScanProblem& p);

// The scan with the warp count scan_ring_warps() picks.
cudaError_t scan_ring(const ScanProblem& p, void* workspace, cudaStream_t stream);
// The scan with `warps` a block (4 or 12; anything else is refused): tests and the benchmark.
cudaError_t scan_ring(const ScanProblem& p, void* workspace, cudaStream_t stream, int warps);

}  // namespace ms::cuda::detail

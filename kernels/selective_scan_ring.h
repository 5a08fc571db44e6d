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

cudaError_t scan_ring(const ScanProblem& p, void* workspace, cudaStream_t stream);

}  // namespace ms::cuda::detail

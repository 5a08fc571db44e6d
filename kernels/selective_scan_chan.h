// The one-pass selective scan for channel-major activations (kernels/selective_scan_chan.cu),
// used by selective_scan() when the layout allows it; see kernels/selective_scan_cuda.h.
#pragma once

#include "kernels/selective_scan_cuda.h"

namespace ms::cuda::detail {

// Whether the one-pass kernel takes this problem: u, Δ, z and y with positions contiguous
// (row_stride 1), B and C with states contiguous (chan_stride 1), d_state ≤ 64, and a tile that
// fits the current device's shared memory.
bool scan_chan_takes(const ScanProblem& p);

// The scan of a problem scan_chan_takes() accepted; no workspace.
cudaError_t scan_chan(const ScanProblem& p, cudaStream_t stream);

}  // namespace ms::cuda::detail

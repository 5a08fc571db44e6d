// Sums of the final hidden rows over the windows a chunk touches (kernels/mamba_ops.h
// RowSegments): the pooled embeddings of `classify` and `embed` leave the GPU as one row of
// d_model floats a window instead of every position's row. Without it a 131,072-position chunk of
// a 256-wide model copied 134 MB out and summed it on the host, ~2× the chunk's GPU time
// (docs/performance.md). Reference: segment_sums_ref; test: tests/kernels/test_pool_ops_cuda.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/mamba_ops.h"

namespace ms::cuda {

// Floats of workspace segment_sums needs for `batch` streams of up to T rows, n wide, with at most
// max_segments segments each.
size_t segment_sums_workspace(int batch, int T, int n, int64_t max_segments);

// x [batch, T, n] fp32 (stream b's rows at b·T); seg: `batch` RowSegments in device memory, stream
// b's in seg[b] (one window, offset and segment count for all: only their rows may differ, as for
// items of different lengths), read when the kernels run — so a captured graph serves every offset
// and row count — with rows ≤ T and segment_count ≤ max_segments; sums [batch, segment_count, n]. Each segment's rows
// are summed in blocks of 64 in fp32, the blocks in a fixed order in double: the same bits on
// every run.
cudaError_t segment_sums(int batch, int T, int n, const float* x, const kernels::RowSegments* seg, int64_t max_segments,
                         float* workspace, float* sums, cudaStream_t stream);

}  // namespace ms::cuda

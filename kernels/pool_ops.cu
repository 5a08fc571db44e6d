// Segment sums of rows; see kernels/pool_ops_cuda.h.
#include "kernels/pool_ops_cuda.h"

namespace ms::cuda {

namespace {

constexpr int kRows = 64;      // rows a block of the first pass sums
constexpr int kThreads = 128;  // columns in flight a block (a warp reads 128 contiguous bytes of a row)

int64_t row_blocks(int T) { return (int64_t(T) + kRows - 1) / kRows; }

// Pass 1: block (k, b) sums rows [64k, 64k + 64) of stream b, cut at the segment edges inside
// them, into workspace slot k + j for each segment j it touches. k + j never repeats: a later
// block's segments start no earlier than this block's last (docs: the slots of segment j are the
// contiguous k + j over its blocks), so every (block, segment) part has its own slot.
__global__ void segment_partials_kernel(int T, int n, const float* __restrict__ x, const kernels::RowSegments* seg,
                                        int64_t slots, float* __restrict__ part) {
    const int64_t k = blockIdx.x, b = blockIdx.y, r0 = k * kRows;
    const kernels::RowSegments s = seg[b];
    if (r0 >= s.rows) return;
    const int64_t r1 = min(r0 + kRows, s.rows);
    const int64_t j0 = s.window ? (s.offset + r0) / s.window : 0;
    const float* xb = x + b * int64_t(T) * n;
    float* pb = part + b * slots * n;
    for (int c = threadIdx.x; c < n; c += blockDim.x) {
        int64_t j = j0;
        int64_t edge = s.window ? (j0 + 1) * s.window - s.offset : r1;  // the row where segment j + 1 starts
        float acc = 0.0f;
        for (int64_t i = r0; i < r1; ++i) {
            if (i == edge) {
                pb[(k + j) * n + c] = acc;
                acc = 0.0f;
                ++j;
                edge += s.window;
            }
            acc += xb[i * n + c];
        }
        pb[(k + j) * n + c] = acc;
    }
}

// Pass 2: block (j, b) adds segment j's parts, in block order, in double.
__global__ void segment_totals_kernel(int n, const kernels::RowSegments* seg, int64_t slots,
                                      const float* __restrict__ part, float* __restrict__ sums) {
    const int64_t j = blockIdx.x, b = blockIdx.y;
    const kernels::RowSegments s = seg[b];
    const int64_t segments = s.rows <= 0 ? 0 : s.window == 0 ? 1 : (s.offset + s.rows + s.window - 1) / s.window;
    if (j >= segments) return;
    const int64_t first = j == 0 ? 0 : j * s.window - s.offset;
    const int64_t end = s.window ? min(s.rows, (j + 1) * s.window - s.offset) : s.rows;
    const int64_t k0 = first / kRows, k1 = (end - 1) / kRows;
    const float* pb = part + b * slots * n;
    for (int c = threadIdx.x; c < n; c += blockDim.x) {
        double acc = 0.0;
        for (int64_t k = k0; k <= k1; ++k) acc += pb[(k + j) * n + c];
        sums[(b * segments + j) * n + c] = float(acc);
    }
}

}  // namespace

size_t segment_sums_workspace(int batch, int T, int n, int64_t max_segments) {
    return size_t(batch) * size_t(row_blocks(T) + max_segments) * size_t(n);
}

cudaError_t segment_sums(int batch, int T, int n, const float* x, const kernels::RowSegments* seg, int64_t max_segments,
                         float* workspace, float* sums, cudaStream_t stream) {
    if (batch < 1 || T < 1 || n < 1 || max_segments < 1 || max_segments > 0x7fffffff || !x || !seg || !workspace ||
        !sums)
        return cudaErrorInvalidValue;
    const int64_t slots = row_blocks(T) + max_segments;
    segment_partials_kernel<<<dim3(unsigned(row_blocks(T)), unsigned(batch)), kThreads, 0, stream>>>(T, n, x, seg,
                                                                                                     slots, workspace);
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    segment_totals_kernel<<<dim3(unsigned(max_segments), unsigned(batch)), kThreads, 0, stream>>>(n, seg, slots,
                                                                                                  workspace, sums);
    return cudaGetLastError();
}

}  // namespace ms::cuda

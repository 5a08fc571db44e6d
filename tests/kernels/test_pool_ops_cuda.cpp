// Segment sums of rows (pooled embeddings on the GPU) against the double-precision reference:
// whole-chunk segments, windows of 1 row, windows that start before the chunk (offsets), windows
// longer than the chunk, edges on and off the kernel's 64-row blocks, padding rows left out,
// widths that are not warp multiples, batches, streams of their own row counts. Outputs are poisoned first (an
// unwritten segment fails as NaN), and a second run must give the same bits. Skips (77) without a GPU.
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/mamba_ops.h"
#include "kernels/pool_ops_cuda.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

// `rows`: each stream's own row count (items of different lengths), else seg.rows for all.
void check_sums(int batch, int T, int n, kernels::RowSegments seg, uint32_t seed, std::vector<int64_t> rows = {}) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0, 1);
    std::vector<float> x(size_t(batch) * T * n);
    for (float& v : x) v = nd(rng);
    const int64_t segments = kernels::segment_count(seg), bound = kernels::max_segment_count(seg.window, T);
    MS_CHECK(segments >= 1 && segments <= bound);
    std::vector<kernels::RowSegments> segs(size_t(batch), seg);
    for (size_t b = 0; b < rows.size(); ++b) segs[b].rows = rows[b];
    std::vector<float> ref(size_t(batch) * segments * n);
    for (int b = 0; b < batch; ++b)
        kernels::segment_sums_ref(&x[size_t(b) * T * n], n, segs[size_t(b)], &ref[size_t(b) * segments * n]);
    test::DeviceBuffer<float> dx(x.size()), ds(ref.size()), dw(cuda::segment_sums_workspace(batch, T, n, bound));
    test::DeviceBuffer<kernels::RowSegments> dseg(segs.size());
    dx.upload(x);
    MS_CUDA_CHECK(
        cudaMemcpy(dseg.ptr, segs.data(), sizeof(kernels::RowSegments) * segs.size(), cudaMemcpyHostToDevice));
    std::vector<float> runs[2];
    for (auto& out : runs) {
        MS_CUDA_CHECK(cudaMemset(ds.ptr, 0xff, ds.n * sizeof(float)));
        MS_CUDA_CHECK(cuda::segment_sums(batch, T, n, dx.ptr, dseg.ptr, bound, dw.ptr, ds.ptr, nullptr));
        MS_CUDA_CHECK(cudaDeviceSynchronize());
        out = ds.download();
    }
    for (float v : runs[0]) MS_CHECK_MSG(std::isfinite(v), "segment sum not finite (unwritten segment?)");
    const double e = test::rel_error(runs[0].data(), ref.data(), ref.size());
    MS_CHECK_MSG(e < 1e-6, "batch " << batch << " T " << T << " n " << n << " window " << seg.window << " offset "
                                    << seg.offset << " rows " << seg.rows << ": rel error " << e);
    MS_CHECK_MSG(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * sizeof(float)) == 0,
                 "two runs gave different bits");
}

kernels::RowSegments seg(int64_t window, int64_t offset, int64_t rows) {
    kernels::RowSegments s;
    s.window = window;
    s.offset = offset;
    s.rows = rows;
    return s;
}

}  // namespace

MS_TEST(segment_sums_match_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    check_sums(1, 1, 256, seg(0, 0, 1), 1);                  // one row
    check_sums(1, 5000, 256, seg(0, 0, 5000), 2);            // a whole record's chunk
    check_sums(1, 5000, 256, seg(0, 0, 4321), 3);            // padded: the last 679 rows left out
    check_sums(1, 300, 100, seg(1, 0, 300), 4);              // a window a row; n not a warp multiple
    check_sums(1, 1000, 64, seg(64, 0, 1000), 5);            // edges on the 64-row blocks
    check_sums(1, 1000, 64, seg(64, 63, 1000), 6);           // ... and one row past them
    check_sums(1, 4096, 256, seg(1000, 999, 4096), 7);       // the first segment one row long
    check_sums(1, 4096, 256, seg(7, 3, 4000), 8);            // short windows, padding
    check_sums(1, 2000, 256, seg(100000, 98000, 2000), 9);   // the chunk inside one long window
    check_sums(1, 2000, 256, seg(100000, 99000, 2000), 10);  // ... across its end
    check_sums(3, 777, 33, seg(250, 17, 700), 11);           // a batch of streams
    check_sums(2, 65536, 256, seg(20000, 12345, 65536), 12);
    // Each stream its own rows (items of different lengths): on and off the 64-row blocks, one row.
    check_sums(4, 5000, 256, seg(0, 0, 5000), 13, {5000, 1, 4321, 64});
    check_sums(3, 130, 33, seg(0, 0, 129), 14, {65, 129, 63});
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

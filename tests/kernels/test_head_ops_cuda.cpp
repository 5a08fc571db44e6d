// The fused ACGT head (final RMSNorm, four LM-head rows, softmax) against the double-precision
// reference: widths that are and are not warp multiples, row counts that are not block multiples,
// with and without the normalised rows written too. Outputs are poisoned first, so an unwritten row
// fails as NaN. Skips (77) without a GPU.
#include <cmath>
#include <random>

#include "common/error.h"
#include "kernels/head_ops_cuda.h"
#include "kernels/mamba_ops.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

void check_head(int rows, int n, bool with_hidden, float scale, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0, 1);
    std::vector<float> x(size_t(rows) * n), w(static_cast<size_t>(n)), w4(size_t(4) * n);
    for (float& v : x) v = nd(rng) * scale;
    for (float& v : w) v = 1.0f + 0.1f * nd(rng);
    for (float& v : w4) v = nd(rng);
    std::vector<float> ref(size_t(rows) * 4), hidden_ref(x.size());
    kernels::acgt_head_ref(x.data(), w.data(), 1e-5f, w4.data(), ref.data(), rows, n);
    kernels::rmsnorm_ref(x.data(), w.data(), hidden_ref.data(), rows, n, 1e-5f);
    test::DeviceBuffer<float> dx(x.size()), dw(w.size()), dw4(w4.size()), dp(ref.size()), dh(x.size());
    dx.upload(x); dw.upload(w); dw4.upload(w4);
    MS_CUDA_CHECK(cudaMemset(dp.ptr, 0xff, dp.n * sizeof(float)));
    MS_CUDA_CHECK(cudaMemset(dh.ptr, 0xff, dh.n * sizeof(float)));
    MS_CUDA_CHECK(cuda::acgt_head(rows, n, dx.ptr, dw.ptr, 1e-5f, dw4.ptr, dp.ptr, with_hidden ? dh.ptr : nullptr, nullptr));
    MS_CUDA_CHECK(cudaDeviceSynchronize());
    const auto p = dp.download();
    for (float v : p) MS_CHECK_MSG(std::isfinite(v), "head output not finite (unwritten row?)");
    for (int r = 0; r < rows; ++r) {
        const float s = p[size_t(r) * 4] + p[size_t(r) * 4 + 1] + p[size_t(r) * 4 + 2] + p[size_t(r) * 4 + 3];
        MS_CHECK_MSG(std::fabs(s - 1.0f) < 1e-5f, "row " << r << " probabilities sum to " << s);
    }
    const double e = test::rel_error(p.data(), ref.data(), p.size());
    MS_CHECK_MSG(e <= 1e-5, "acgt head rows " << rows << " n " << n << ": rel error " << e);
    if (with_hidden) {
        const auto h = dh.download();
        const double eh = test::rel_error(h.data(), hidden_ref.data(), h.size());
        MS_CHECK_MSG(eh <= 1e-6, "acgt head hidden rows " << rows << " n " << n << ": rel error " << eh);
    }
}

}  // namespace

MS_TEST(acgt_head_matches_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    check_head(1, 32, false, 1.0f, 1);
    check_head(13, 40, true, 1.0f, 2);      // width not a warp multiple, rows not a block multiple
    check_head(1000, 256, false, 3.0f, 3);
    check_head(257, 768, true, 0.01f, 4);   // small activations: the eps term matters
    check_head(50, 37, true, 1.0f, 5);      // a width that is not a multiple of 4: the one-float reads
}

MS_TEST(acgt_head_rejects_bad_arguments) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    MS_CHECK(cuda::acgt_head(4, 0, nullptr, nullptr, 1e-5f, nullptr, nullptr, nullptr, nullptr) == cudaErrorInvalidValue);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

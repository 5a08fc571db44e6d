// The CUDA conv1d, bias, embedding and RMSNorm+residual kernels against the CPU references: fp32 and bf16, chunks
// that chain through the conv state (including chunks shorter than the state), x read with the
// in_proj row stride. NaN/Inf first (outputs are poisoned before each run). Skips (77) without a GPU.
#include <cmath>
#include <random>
#include <stdexcept>

#include "common/error.h"
#include "kernels/mamba_ops.h"
#include "kernels/mixer_ops_cuda.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

std::vector<float> randn(std::mt19937& rng, size_t n, bool bf16) {
    std::normal_distribution<float> nd(0, 1);
    std::vector<float> v(n);
    for (float& x : v) x = bf16 ? test::bf16_to_f32(test::f32_to_bf16(nd(rng))) : nd(rng);
    return v;
}

// Host floats to device activations of the given type, and back.
std::vector<uint8_t> to_act(const std::vector<float>& v, bool bf16) {
    std::vector<uint8_t> b(v.size() * (bf16 ? 2 : 4));
    for (size_t i = 0; i < v.size(); ++i) {
        if (bf16) { const uint16_t h = test::f32_to_bf16(v[i]); std::memcpy(&b[i * 2], &h, 2); }
        else std::memcpy(&b[i * 4], &v[i], 4);
    }
    return b;
}
std::vector<float> from_act(const std::vector<uint8_t>& b, bool bf16) {
    std::vector<float> v(b.size() / (bf16 ? 2 : 4));
    for (size_t i = 0; i < v.size(); ++i) {
        if (bf16) { uint16_t h; std::memcpy(&h, &b[i * 2], 2); v[i] = test::bf16_to_f32(h); }
        else std::memcpy(&v[i], &b[i * 4], 4);
    }
    return v;
}

// chan_major: x as the first d_inner rows of a [2·d_inner, batch·T] buffer and out as
// [d_inner, batch·len] per chunk (the runner's layout), instead of position-major rows.
void check_conv(int batch, int T, int di, int K, bool bf16, std::vector<int> chunks, uint32_t seed, bool chan_major = false) {
    std::mt19937 rng(seed);
    const int H = K - 1;
    const auto x = randn(rng, size_t(batch) * T * 2 * di, bf16);   // x half of in_proj output: row stride 2·d_inner
    const auto w = randn(rng, size_t(di) * K, false), bias = randn(rng, size_t(di), false);
    const auto state0 = randn(rng, size_t(batch) * H * di, false);
    std::vector<float> out_ref(size_t(batch) * T * di), state_ref = state0;
    for (int b = 0; b < batch; ++b) {
        kernels::ConvArgs a;
        a.T = T; a.d_inner = di; a.d_conv = K; a.x = &x[size_t(b) * T * 2 * di]; a.ld_x = size_t(2) * di;
        a.w = w.data(); a.bias = bias.data(); a.conv_state = &state_ref[size_t(b) * H * di];
        a.out = &out_ref[size_t(b) * T * di]; a.ld_out = size_t(di);
        kernels::causal_conv1d_ref(a);
    }
    const size_t esz = bf16 ? 2 : 4;
    test::DeviceBuffer<uint8_t> dx(x.size() * esz), dout(out_ref.size() * esz);
    if (chan_major) {   // the same values, transposed: element (b, t, c) at c·batch·T + b·T + t
        std::vector<float> xt(x.size());
        for (int b = 0; b < batch; ++b)
            for (int t = 0; t < T; ++t)
                for (int c = 0; c < 2 * di; ++c)
                    xt[size_t(c) * batch * T + size_t(b) * T + t] = x[(size_t(b) * T + t) * 2 * di + c];
        dx.upload(to_act(xt, bf16));
    } else {
        dx.upload(to_act(x, bf16));
    }
    MS_CUDA_CHECK(cudaMemset(dout.ptr, 0xff, dout.n));
    test::DeviceBuffer<float> dw(w.size()), dbias(bias.size()), dstate(state0.size());
    dw.upload(w); dbias.upload(bias); dstate.upload(state0);
    // Chunks: each call sees its slice of every sequence; out rows are written per chunk.
    std::vector<float> out(out_ref.size());
    int t0 = 0;
    for (int len : chunks) {
        test::DeviceBuffer<uint8_t> chunk_out(size_t(batch) * len * di * esz);
        cuda::ConvProblem p;
        p.batch = batch; p.T = len; p.d_inner = di; p.d_conv = K; p.act = bf16 ? cuda::ActType::BF16 : cuda::ActType::F32;
        if (chan_major) {
            p.x = {dx.ptr + size_t(t0) * esz, T, 1, int64_t(batch) * T};
            p.out_batch_stride = len; p.out_row_stride = 1; p.out_chan_stride = int64_t(batch) * len;
        } else {
            p.x = {dx.ptr + size_t(t0) * 2 * di * esz, int64_t(T) * 2 * di, 2 * di};
            p.out_batch_stride = int64_t(len) * di; p.out_row_stride = di;
        }
        p.out = chunk_out.ptr; p.w = dw.ptr; p.bias = dbias.ptr; p.conv_state = dstate.ptr;
        MS_CUDA_CHECK(cuda::causal_conv1d(p, nullptr));
        MS_CUDA_CHECK(cudaDeviceSynchronize());
        const auto got = from_act(chunk_out.download(), bf16);
        for (int b = 0; b < batch; ++b)
            for (int t = 0; t < len; ++t)
                for (int c = 0; c < di; ++c)
                    out[(size_t(b) * T + t0 + t) * di + c] =
                        got[chan_major ? size_t(c) * batch * len + size_t(b) * len + t : (size_t(b) * len + t) * di + c];
        t0 += len;
    }
    for (float v : out) MS_CHECK_MSG(std::isfinite(v), "conv output not finite (unwritten?)");
    const double e = test::rel_error(out.data(), out_ref.data(), out.size());
    const auto st = dstate.download();
    const double es = test::rel_error(st.data(), state_ref.data(), st.size());
    // fp32: four products in another order (≤ 1e-6). bf16: the output is rounded to bf16 (≤ 4e-3).
    MS_CHECK_MSG(e <= (bf16 ? 1e-2 : 1e-6) && es <= 1e-6,
                 "conv batch " << batch << " T " << T << " d_inner " << di << " K " << K << (bf16 ? " bf16" : " fp32")
                               << (chan_major ? " channel-major" : "")
                               << ": out " << e << ", state " << es);
}

void check_rmsnorm(int rows, int n, bool bf16, bool with_x, uint32_t seed) {
    std::mt19937 rng(seed);
    const auto x = randn(rng, size_t(rows) * n, bf16), res0 = randn(rng, size_t(rows) * n, false);
    const auto w = randn(rng, size_t(n), false);
    std::vector<float> res_ref = res0, out_ref(res0.size());
    if (with_x)
        for (size_t i = 0; i < res_ref.size(); ++i) res_ref[i] += x[i];
    kernels::rmsnorm_ref(res_ref.data(), w.data(), out_ref.data(), rows, n, 1e-5f);
    const size_t esz = bf16 ? 2 : 4;
    test::DeviceBuffer<uint8_t> dx(x.size() * esz), dout(x.size() * esz);
    dx.upload(to_act(x, bf16));
    MS_CUDA_CHECK(cudaMemset(dout.ptr, 0xff, dout.n));
    test::DeviceBuffer<float> dres(res0.size()), dw(w.size());
    dres.upload(res0); dw.upload(w);
    MS_CUDA_CHECK(cuda::rmsnorm_residual(rows, n, bf16 ? cuda::ActType::BF16 : cuda::ActType::F32, with_x ? dx.ptr : nullptr,
                                         dres.ptr, dw.ptr, 1e-5f, dout.ptr, nullptr));
    MS_CUDA_CHECK(cudaDeviceSynchronize());
    const auto out = from_act(dout.download(), bf16);
    const auto res = dres.download();
    for (float v : out) MS_CHECK_MSG(std::isfinite(v), "rmsnorm output not finite (unwritten?)");
    const double e = test::rel_error(out.data(), out_ref.data(), out.size());
    const double er = test::rel_error(res.data(), res_ref.data(), res.size());
    MS_CHECK_MSG(e <= (bf16 ? 1e-2 : 1e-6) && er <= 1e-7,
                 "rmsnorm rows " << rows << " n " << n << (bf16 ? " bf16" : " fp32") << ": out " << e << ", residual " << er);
}

}  // namespace

MS_TEST(conv1d_matches_reference_and_chains_state) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    check_conv(1, 1, 5, 4, false, {1}, 1);
    check_conv(2, 300, 130, 4, false, {300}, 2);
    check_conv(2, 300, 130, 4, false, {2, 1, 97, 200}, 3);   // chunks shorter than the state
    check_conv(1, 1000, 64, 3, false, {500, 500}, 4);
    check_conv(3, 257, 256, 4, true, {100, 157}, 5);
    // Channel-major (the runner's layout): the kernel with threads along positions.
    check_conv(1, 1, 5, 4, false, {1}, 6, true);
    check_conv(2, 300, 130, 4, false, {2, 1, 97, 200}, 7, true);
    check_conv(1, 1000, 64, 3, false, {500, 500}, 8, true);
    check_conv(3, 257, 256, 4, true, {100, 157}, 9, true);
    // Rows aligned for eight-position vector loads and stores (the runner's usual case).
    check_conv(2, 4096, 64, 4, true, {2048, 2048}, 10, true);
    check_conv(1, 1024, 40, 3, false, {8, 1016}, 11, true);
}

// The runner's bias adds: along contiguous rows (position-major) and along strided columns
// (channel-major), fp32 and bf16.
MS_TEST(add_bias_both_layouts) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    std::mt19937 rng(11);
    const int rows = 300, n = 37;
    for (bool chan : {false, true})
        for (bool bf16 : {false, true}) {
            const auto data = randn(rng, size_t(rows) * n, bf16), bias = randn(rng, size_t(n), false);
            const int64_t row_ld = chan ? 1 : n, col_ld = chan ? rows : 1;
            std::vector<float> want(data.size());
            for (int r = 0; r < rows; ++r)
                for (int j = 0; j < n; ++j) want[r * row_ld + j * col_ld] = data[r * row_ld + j * col_ld] + bias[j];
            test::DeviceBuffer<uint8_t> d(data.size() * (bf16 ? 2 : 4));
            d.upload(to_act(data, bf16));
            test::DeviceBuffer<float> db(bias.size());
            db.upload(bias);
            MS_CUDA_CHECK(cuda::add_bias(rows, n, row_ld, col_ld, db.ptr, bf16 ? cuda::ActType::BF16 : cuda::ActType::F32,
                                         d.ptr, nullptr));
            MS_CUDA_CHECK(cudaDeviceSynchronize());
            const auto got = from_act(d.download(), bf16);
            const double e = test::rel_error(got.data(), want.data(), want.size());
            MS_CHECK_MSG(e <= (bf16 ? 1e-2 : 1e-7), "add_bias" << (chan ? " channel-major" : "") << (bf16 ? " bf16" : " fp32")
                                                              << ": rel error " << e);
        }
}

// Token embedding: each output row is the table's row of its id, exactly — widths that take the
// 16-byte copies (256) and ones that do not (7, 130), a row count that leaves a block part-empty.
MS_TEST(embed_rows_copies_table_rows) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    std::mt19937 rng(12);
    for (int width : {256, 7, 130}) {
        const int vocab = 12, n = 1001;
        const auto table = randn(rng, size_t(vocab) * width, false);
        std::vector<int32_t> ids(n);
        for (int32_t& id : ids) id = int32_t(rng() % vocab);
        test::DeviceBuffer<float> dt(table.size()), dout(size_t(n) * width);
        test::DeviceBuffer<int32_t> dids(ids.size());
        dt.upload(table);
        dids.upload(ids);
        MS_CUDA_CHECK(cudaMemset(dout.ptr, 0xff, size_t(n) * width * 4));   // NaN poison: every element must be written
        MS_CUDA_CHECK(cuda::embed_rows(n, width, dids.ptr, dt.ptr, dout.ptr, nullptr));
        MS_CUDA_CHECK(cudaDeviceSynchronize());
        const std::vector<float> got = dout.download();
        size_t wrong = 0;
        for (int r = 0; r < n; ++r)
            for (int c = 0; c < width; ++c)
                if (!(got[size_t(r) * width + c] == table[size_t(ids[r]) * width + c])) ++wrong;
        MS_CHECK_MSG(wrong == 0, "embed_rows width " << width << ": " << wrong << " elements differ from the table");
    }
}

MS_TEST(rmsnorm_residual_matches_reference) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    check_rmsnorm(37, 96, false, true, 1);
    check_rmsnorm(5, 1536, false, true, 2);
    check_rmsnorm(8, 256, false, false, 3);
    check_rmsnorm(64, 768, true, true, 4);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

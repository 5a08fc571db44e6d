// The runner's bf16 products through cuBLASLt (engine/cuda/lt_gemm): every algorithm on offer for
// the runner's shapes gives the same bits as the heuristic's first (so tuning changes only the
// speed; tuning's own bit check agrees), the first is right against a float64 product on sampled
// entries, a tuned shape runs its choice, and a shape cuBLASLt refuses is unavailable, an error
// naming it when run anyway, and leaves the tuner usable.
// Skips (77) without a GPU.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "engine/cuda/lt_gemm.h"
#include "tests/common/harness.h"
#include "tests/kernels/cuda_test_util.h"

using namespace ms;

namespace {

// A product with its operands on the device: C (m × n) = op(A) · op(B) + beta·C0.
struct Case {
    const char* name;
    cublasOperation_t opa, opb;
    int m, n, k, lda, ldb, ldc;
    bool c_fp32;
    float beta;
};

// Element (r, c) of op(X) for a column-major stored X with leading dimension ld.
float op_at(const std::vector<float>& x, cublasOperation_t op, int ld, int r, int c) {
    return op == CUBLAS_OP_N ? x[size_t(c) * ld + r] : x[size_t(r) * ld + c];
}

void check_case(LtGemm& lt, cudaStream_t stream, const Case& cs, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0, 1);
    const bool ta = cs.opa != CUBLAS_OP_N, tb = cs.opb != CUBLAS_OP_N;
    const size_t a_n = size_t(cs.lda) * (ta ? cs.m : cs.k), b_n = size_t(cs.ldb) * (tb ? cs.k : cs.n);
    const size_t c_n = size_t(cs.ldc) * cs.n, esz = cs.c_fp32 ? 4 : 2;
    std::vector<float> a(a_n), b(b_n), c0(c_n);
    std::vector<uint16_t> a16(a_n), b16(b_n);
    for (size_t i = 0; i < a_n; ++i) a16[i] = test::f32_to_bf16(nd(rng)), a[i] = test::bf16_to_f32(a16[i]);
    for (size_t i = 0; i < b_n; ++i) b16[i] = test::f32_to_bf16(nd(rng)), b[i] = test::bf16_to_f32(b16[i]);
    std::vector<uint8_t> c0_bytes(c_n * esz);
    for (size_t i = 0; i < c_n; ++i) {
        const float v = nd(rng);
        if (cs.c_fp32) {
            c0[i] = v;
            std::memcpy(&c0_bytes[i * 4], &v, 4);
        } else {
            const uint16_t h = test::f32_to_bf16(v);
            c0[i] = test::bf16_to_f32(h);
            std::memcpy(&c0_bytes[i * 2], &h, 2);
        }
    }
    test::DeviceBuffer<uint16_t> A(a_n), B(b_n);
    test::DeviceBuffer<uint8_t> C(c_n * esz);
    A.upload(a16);
    B.upload(b16);
    GemmOp op;
    op.opa = cs.opa;
    op.opb = cs.opb;
    op.m = cs.m;
    op.n = cs.n;
    op.k = cs.k;
    op.A = A.ptr;
    op.lda = cs.lda;
    op.B = B.ptr;
    op.ldb = cs.ldb;
    op.ab = CUDA_R_16BF;
    op.C = C.ptr;
    op.ldc = cs.ldc;
    op.c = cs.c_fp32 ? CUDA_R_32F : CUDA_R_16BF;
    op.beta = cs.beta;
    auto through = [&](int algo) {
        C.upload(c0_bytes);
        const Result<void> r = algo < 0 ? lt.run(op) : lt.run_with(op, algo);
        if (!r) throw test::Failure{cat(cs.name, ": ", r.error().message)};
        MS_CUDA_CHECK(cudaStreamSynchronize(stream));
        MS_CUDA_CHECK(cudaGetLastError());
        return C.download();
    };
    const int n_algos = lt.candidates(op);
    MS_CHECK_MSG(n_algos >= 1, cs.name << ": cuBLASLt offers no algorithm");
    const std::vector<uint8_t> first = through(0);
    // The first algorithm against float64 on sampled entries (the bf16 operands are exact in fp32,
    // so only the accumulation order and a bf16 output's rounding separate them).
    std::uniform_int_distribution<int> rm(0, cs.m - 1), rn(0, cs.n - 1);
    double num = 0, den = 0;
    for (int s = 0; s < 2000; ++s) {
        const int r = rm(rng), c = rn(rng);
        double want = double(cs.beta) * c0[size_t(c) * cs.ldc + r];
        for (int kk = 0; kk < cs.k; ++kk)
            want += double(op_at(a, cs.opa, cs.lda, r, kk)) * op_at(b, cs.opb, cs.ldb, kk, c);
        float got;
        const size_t at = size_t(c) * cs.ldc + r;
        if (cs.c_fp32) {
            std::memcpy(&got, &first[at * 4], 4);
        } else {
            uint16_t h;
            std::memcpy(&h, &first[at * 2], 2);
            got = test::bf16_to_f32(h);
        }
        MS_CHECK_MSG(std::isfinite(got), cs.name << ": entry (" << r << ", " << c << ") not finite");
        num += (got - want) * (got - want);
        den += want * want;
    }
    const double err = std::sqrt(num / den), bound = cs.c_fp32 ? 1e-5 : 4e-3;
    MS_CHECK_MSG(err <= bound, cs.name << ": relative error " << err << " against float64 (bound " << bound << ")");
    for (int i = 1; i < n_algos; ++i)
        MS_CHECK_MSG(through(i) == first,
                     cs.name << ": algorithm " << i << " of " << n_algos << " gives other bits than the first");
    // Tuned: its own bit check agrees (none left out), and the kept choice runs with the same bits.
    MS_CHECK(!lt.tuned(op));
    C.upload(c0_bytes);
    const Result<GemmTuning> tuned = lt.tune(op);
    MS_CHECK_MSG(tuned.ok(), tuned.error().message);
    MS_CHECK(lt.tuned(op));
    MS_CHECK_EQ(tuned->candidates, n_algos);
    MS_CHECK_EQ(tuned->other_bits, 0);
    MS_CHECK(tuned->chosen >= 0 && tuned->chosen < n_algos && tuned->chosen_us > 0 && tuned->first_us > 0);
    MS_CHECK_MSG(through(-1) == first, cs.name << ": the tuned algorithm gives other bits than the first");
    std::printf("%-28s %d algorithm(s), same bits; float64 error %.2g; tuned: #%d, %.1f us (first %.1f us)\n", cs.name,
                n_algos, err, tuned->chosen, tuned->chosen_us, tuned->first_us);
}

// A stream, a workspace and an LtGemm on them, released in that order's reverse on every path out.
struct Tuner {
    struct Stream {
        cudaStream_t s = nullptr;
        ~Stream() {
            if (s) cudaStreamDestroy(s);
        }
    } stream;
    test::DeviceBuffer<uint8_t> ws;
    LtGemm lt;
    explicit Tuner(size_t ws_bytes) : ws(ws_bytes) {
        MS_CUDA_CHECK(cudaStreamCreate(&stream.s));
        MS_CHECK(lt.init(stream.s, ws.ptr, ws_bytes).ok());
    }
};

}  // namespace

// The runner's four products for d_model 256, d_inner 512, d_state 16, dt_rank 16 over 16,384 and
// 131,072 positions (channel-major, as the ring scan wants them), and in_proj position-major. The
// heuristic offers other algorithms at other sizes (at 131,072 the tuning keeps another in_proj).
MS_TEST(every_offered_algorithm_gives_the_same_bits) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    Tuner t(size_t(32) << 20);
    {
        LtGemm& lt = t.lt;
        const cudaStream_t stream = t.stream.s;
        const int dm = 256, di = 512, R = 48, dtr = 16;
        uint32_t seed = 1;
        for (const int N : {16384, 131072}) {
            const Case cases[] = {
                {"in_proj channel-major", CUBLAS_OP_T, CUBLAS_OP_N, N, 2 * di, dm, dm, dm, N, false, 0.0f},
                {"in_proj position-major", CUBLAS_OP_T, CUBLAS_OP_N, 2 * di, N, dm, dm, dm, 2 * di, false, 0.0f},
                {"x_proj", CUBLAS_OP_T, CUBLAS_OP_T, R, N, di, di, N, R, false, 0.0f},
                {"dt_proj", CUBLAS_OP_T, CUBLAS_OP_N, N, di, dtr, R, dtr, N, false, 0.0f},
                {"out_proj + residual", CUBLAS_OP_T, CUBLAS_OP_T, dm, N, di, di, N, dm, true, 1.0f},
            };
            for (const Case& c : cases) {
                std::printf("N = %d: ", N);
                check_case(lt, stream, c, seed++);
            }
        }
    }
}

// A shape cuBLASLt cannot take (a leading dimension shorter than the stored rows) is unavailable
// (the runner then uses cublasGemmEx), and running it anyway is an error that names the product;
// the tuner goes on serving other shapes.
MS_TEST(refused_shape_is_named_and_leaves_the_tuner_usable) {
    if (!test::cuda_available()) MS_SKIP("no GPU");
    Tuner t(size_t(4) << 20);
    {
        LtGemm& lt = t.lt;
        const cudaStream_t stream = t.stream.s;
        test::DeviceBuffer<uint16_t> A(64 * 64), B(64 * 64), C(64 * 64);
        GemmOp bad;
        bad.opa = bad.opb = CUBLAS_OP_N;
        bad.m = bad.n = bad.k = 64;
        bad.A = A.ptr;
        bad.B = B.ptr;
        bad.C = C.ptr;
        bad.lda = 32;  // < m rows
        bad.ldb = bad.ldc = 64;
        for (int attempt = 0; attempt < 2; ++attempt) {  // the second asks the same plan
            const Result<void> r = lt.run(bad);
            MS_CHECK(!r.ok());
            MS_CHECK_MSG(r.error().message.find("64 x 64 x 64") != std::string::npos, r.error().message);
        }
        MS_CHECK(!lt.tune(bad).ok());
        MS_CHECK(!lt.available(bad));
        GemmOp good = bad;
        good.lda = 64;
        MS_CHECK(lt.available(good));
        const Result<void> r = lt.run(good);
        MS_CHECK_MSG(r.ok(), r.error().message);
        MS_CUDA_CHECK(cudaStreamSynchronize(stream));
        MS_CHECK(!lt.run_with(good, 99).ok());
        // The shape of the untied_bias_k3_s4 fixture's position-major dt_proj at 64-position chunks
        // (d_inner 96, dt_rank 5, x_dbl rows of 13; inside that runner cuBLASLt once offered
        // nothing for it, which the runner's fallback covers): it runs where offered, and is an
        // error naming it where not.
        test::DeviceBuffer<uint16_t> C96(96 * 64);
        GemmOp rows5 = good;
        rows5.opa = CUBLAS_OP_T;
        rows5.opb = CUBLAS_OP_N;
        rows5.m = 96;
        rows5.k = 5;
        rows5.lda = 5;
        rows5.ldb = 13;
        rows5.C = C96.ptr;
        rows5.ldc = 96;
        const bool has5 = lt.available(rows5);
        std::printf("the 96 x 64 x 5 product on x_dbl rows of 13 through cuBLASLt: %s\n",
                    has5 ? "available" : "not available");
        const Result<void> r5 = lt.run(rows5);
        if (has5)
            MS_CHECK_MSG(r5.ok(), r5.error().message);
        else
            MS_CHECK(!r5.ok() && r5.error().message.find("96 x 64 x 5") != std::string::npos);
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

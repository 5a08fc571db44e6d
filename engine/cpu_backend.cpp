#include "engine/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "engine/cpu_ops.h"
#include "engine/heads.h"
#include "engine/thread_budget.h"
#include "engine/thread_pool.h"

namespace ms {

namespace {

// OpenBLAS computes a product's last rows, those past a multiple of its kernel's unroll (12 rows
// with the Haswell kernels), with edge kernels that round otherwise, so a row's bits depended on
// where its call ended: the last rows of a sequence's last chunk, or of a thread's share, differed
// from the same rows inside a longer call, and a segment scored after a warm-up from its
// sequence's start was not the whole run's bit for bit (docs/cluster.md). Every call's rows are
// a multiple of this (of the unrolls OpenBLAS's sgemm kernels have here: 4, 6, 8, 12, 16, 24), the
// rest run through a block of that many rows, so that every row takes the kernels' main path.
constexpr int kGemmRowBlock = 48;

// Rows [r0, r1) of C = A · Bᵀ + beta · C (see gemm_nt): the whole blocks in place, the rest copied
// into `scratch` (kGemmRowBlock rows of A, then of C), zero-padded, and back.
void gemm_rows(int r0, int r1, int N, int K, const float* A, int lda, const float* B, float* C, int ldc, float beta,
               float* scratch) {
    const int whole = (r1 - r0) / kGemmRowBlock * kGemmRowBlock, rest = r1 - r0 - whole;
    if (whole > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, whole, N, K, 1.0f, A + size_t(r0) * lda, lda, B, K, beta,
                    C + size_t(r0) * ldc, ldc);
    if (rest == 0) return;
    float* a = scratch;
    float* c = scratch + size_t(kGemmRowBlock) * K;
    std::fill_n(a, size_t(kGemmRowBlock) * K, 0.0f);
    std::fill_n(c, size_t(kGemmRowBlock) * N, 0.0f);
    const int t0 = r0 + whole;
    for (int r = 0; r < rest; ++r) {
        std::memcpy(a + size_t(r) * K, A + size_t(t0 + r) * lda, sizeof(float) * K);
        if (beta != 0.0f) std::memcpy(c + size_t(r) * N, C + size_t(t0 + r) * ldc, sizeof(float) * N);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kGemmRowBlock, N, K, 1.0f, a, K, B, K, beta, c, N);
    for (int r = 0; r < rest; ++r) std::memcpy(C + size_t(t0 + r) * ldc, c + size_t(r) * N, sizeof(float) * N);
}

// C[M, N] = A[M, K] · B[N, K]ᵀ + beta · C — every projection of the model has this shape (PyTorch
// Linear weights are [out, in]). The rows are split over the pool and each thread runs a
// single-threaded OpenBLAS call: one set of threads for the whole forward, instead of OpenBLAS's
// own threads spinning (sched_yield) while the pool runs the scan, which cost ~8% of the time.
// Shares are whole row blocks but the last, so a row's bits depend neither on the thread count nor
// on the rows after it, and only the last share uses `scratch` (the runner's, allocated with it:
// no allocation in the pool's threads or per call).
void gemm_nt(ThreadPool& pool, int M, int N, int K, const float* A, int lda, const float* B, float* C, int ldc,
             std::vector<float>& scratch, float beta = 0.0f) {
    pool.parallel_for(M, kGemmRowBlock, [&](int r0, int r1) {
        // Shares start at multiples of the grain: only the last one has rows past a whole block.
        gemm_rows(r0, r1, N, K, A, lda, B, C, ldc, beta, r1 == M ? scratch.data() : nullptr);
    });
}

void add_bias(float* x, const std::vector<float>& bias, int rows, int ld) {
    if (bias.empty()) return;
    for (int r = 0; r < rows; ++r)
        for (size_t i = 0; i < bias.size(); ++i) x[size_t(r) * ld + i] += bias[i];
}

class CpuRunner final : public ModelRunner {
public:
    CpuRunner(const ModelConfig& cfg, const ModelWeights& w, const RunnerLimits& lim, ThreadPool& pool)
        : c_(cfg), w_(w), lim_(lim), pool_(pool) {
        const size_t N = size_t(runner_rows(lim));
        const int R = c_.dt_rank + 2 * c_.d_state;
        h_.resize(N * c_.d_model);
        xn_.resize(N * c_.d_model);
        xz_.resize(N * 2 * c_.d_inner);
        u_.resize(N * c_.d_inner);
        xdbl_.resize(N * R);
        dt_.resize(N * c_.d_inner);
        y_.resize(N * c_.d_inner);
        // The products' padded row block (gemm_rows): rows of the widest A and C of the model's products.
        const int widest = std::max({c_.d_model, 2 * c_.d_inner, c_.dt_rank, R, c_.vocab_size});
        scratch_.resize(size_t(kGemmRowBlock) * size_t(2 * widest));
        for (const LayerWeights& L : w_.layers) conv_w_t_.push_back(cpu::transpose(L.conv_w, c_.d_inner, c_.d_conv));
        // The LM head's rows of A, C, G, T: the per-base outputs need only these four.
        if (valid_acgt_ids(lim.acgt_ids, c_.vocab_size)) {
            w4_.resize(size_t(4) * c_.d_model);
            for (int b = 0; b < 4; ++b)
                std::memcpy(&w4_[size_t(b) * c_.d_model], &w_.lm_head[size_t(lim.acgt_ids[b]) * c_.d_model],
                            sizeof(float) * c_.d_model);
            logit4_.resize(N * 4);
        }
    }

    Result<void> reset(int batch) override {
        if (batch < 1 || batch > lim_.max_batch)
            return make_error("batch ", batch, " is outside 1..", lim_.max_batch, " set when the runner was created");
        batch_ = batch;
        conv_state_.assign(size_t(batch) * c_.n_layer * (c_.d_conv - 1) * c_.d_inner, 0.0f);
        ssm_state_.assign(size_t(batch) * c_.n_layer * c_.d_inner * c_.d_state, 0.0f);
        return {};
    }

    int batch() const override { return batch_; }
    // Its chunks run inside finish(), the reset before them (ModelRunner::start_fresh): the same
    // order as on a GPU, for the tests of Session::start_items, with nothing to overlap here.
    bool starts_fresh_behind() const override { return true; }

    Result<void> save_state(int stream, RunnerState& out) override {
        MS_TRY(check_state_access(c_, stream, batch_, nullptr));
        out.values.resize(runner_state_floats(c_));
        float* blob = out.values.data();
        for (int l = 0; l < c_.n_layer; ++l) blob = std::copy_n(conv_state(stream, l), conv_floats(), blob);
        for (int l = 0; l < c_.n_layer; ++l) blob = std::copy_n(ssm_state(stream, l), ssm_floats(), blob);
        return {};
    }

    Result<void> load_state(int stream, const RunnerState& state) override {
        MS_TRY(check_state_access(c_, stream, batch_, &state));
        const float* blob = state.values.data();
        for (int l = 0; l < c_.n_layer; ++l, blob += conv_floats()) std::copy_n(blob, conv_floats(), conv_state(stream, l));
        for (int l = 0; l < c_.n_layer; ++l, blob += ssm_floats()) std::copy_n(blob, ssm_floats(), ssm_state(stream, l));
        return {};
    }

    Result<void> forward(const int32_t* tokens, int T, const ForwardOutputs& out) override {
        if (batch_ == 0) return make_error("the runner was not reset before forward()");
        MS_TRY(check_chunk(lim_, batch_, T));
        MS_TRY(check_segments(out, batch_, T));
        const int N = batch_ * T, dm = c_.d_model, di = c_.d_inner, S = c_.d_state, R = c_.dt_rank + 2 * S;
        for (int i = 0; i < N; ++i) {
            if (tokens[i] < 0 || tokens[i] >= c_.vocab_size)
                return make_error("token id ", tokens[i], " at position ", i, " is outside the vocabulary (", c_.vocab_size, ")");
            std::memcpy(&h_[size_t(i) * dm], &w_.embedding[size_t(tokens[i]) * dm], sizeof(float) * dm);
        }
        for (int l = 0; l < c_.n_layer; ++l) run_layer(l, T, N, dm, di, S, R);
        // The final norm, then the heads.   [N, d_model]
        pool_.parallel_for(N, 16, [&](int b, int e) { cpu::rmsnorm(h_.data(), w_.norm_f.data(), xn_.data(), dm, c_.norm_eps, b, e); });
        if (out.hidden) std::memcpy(out.hidden, xn_.data(), sizeof(float) * size_t(N) * dm);
        if (out.row_sums) {
            const size_t per = size_t(kernels::segment_count(out.segments)) * size_t(dm);
            for (int b = 0; b < batch_; ++b)
                kernels::segment_sums_ref(&xn_[size_t(b) * size_t(T) * dm], dm, stream_segments(out, b),
                                          out.row_sums + size_t(b) * per);
        }
        // [N, d_model] x [d_model, vocab] => [N, vocab]
        if (out.logits)
            gemm_nt(pool_, N, c_.vocab_size, dm, xn_.data(), dm, w_.lm_head.data(), out.logits, c_.vocab_size,
                    scratch_);
        if (out.next_base) {
            if (w4_.empty()) return make_error("next-base probabilities asked for without the A/C/G/T token ids");
            // [N, d_model] x [d_model, 4] => [N, 4], unless the full logits are there already.
            const float* rows = out.logits;
            int ld = c_.vocab_size;
            std::array<int32_t, 4> ids = lim_.acgt_ids;
            if (!rows) {
                gemm_nt(pool_, N, 4, dm, xn_.data(), dm, w4_.data(), logit4_.data(), 4, scratch_);
                rows = logit4_.data();
                ld = 4;
                ids = {0, 1, 2, 3};
            }
            for (int i = 0; i < N; ++i) {
                const std::array<float, 4> p = acgt_probabilities(rows + size_t(i) * ld, ids);
                std::memcpy(out.next_base + size_t(i) * 4, p.data(), sizeof(p));
            }
        }
        return {};
    }

private:
    void run_layer(int l, int T, int N, int dm, int di, int S, int R) {
        const LayerWeights& L = w_.layers[size_t(l)];
        pool_.parallel_for(N, 16, [&](int b, int e) { cpu::rmsnorm(h_.data(), L.norm.data(), xn_.data(), dm, c_.norm_eps, b, e); });
        // [N, d_model] x [d_model, 2·d_inner] => [N, 2·d_inner]   (x | z)
        gemm_nt(pool_, N, 2 * di, dm, xn_.data(), dm, L.in_proj.data(), xz_.data(), 2 * di, scratch_);
        add_bias(xz_.data(), L.in_proj_b, N, 2 * di);
        // Causal depthwise conv + SiLU over x, per stream with its carried state; channels split
        // over the pool in wide ranges (the loop is cheap per channel, so narrow ranges cost more
        // in set-up than in work).   [N, d_inner]
        pool_.parallel_for(di, cpu::kLanes, [&](int c0, int c1) {
            for (int s = 0; s < batch_; ++s) {
                kernels::ConvArgs a;
                a.T = T; a.d_inner = di; a.d_conv = c_.d_conv;
                a.x = &xz_[size_t(s) * T * 2 * di]; a.ld_x = size_t(2) * di;
                a.w = L.conv_w.data(); a.bias = L.conv_b.empty() ? nullptr : L.conv_b.data();
                a.conv_state = conv_state(s, l);
                a.out = &u_[size_t(s) * T * di]; a.ld_out = size_t(di);
                cpu::causal_conv1d(a, conv_w_t_[size_t(l)].data(), c0, c1);
            }
        });
        const int blocks = (di + cpu::kLanes - 1) / cpu::kLanes;
        // [N, d_inner] x [d_inner, dt_rank + 2·d_state] => [N, dt_rank + 2·d_state]   (dt | B | C)
        gemm_nt(pool_, N, R, di, u_.data(), di, L.x_proj.data(), xdbl_.data(), R, scratch_);
        // [N, dt_rank] x [dt_rank, d_inner] => [N, d_inner]   (bias + softplus happen in the scan)
        gemm_nt(pool_, N, di, c_.dt_rank, xdbl_.data(), R, L.dt_proj.data(), dt_.data(), di, scratch_);
        pool_.parallel_for(batch_ * blocks, 1, [&](int b, int e) {
            for (int i = b; i < e; ++i) {
                const int s = i / blocks, c0 = (i % blocks) * cpu::kLanes, c1 = std::min(di, c0 + cpu::kLanes);
                const size_t row0 = size_t(s) * T;
                kernels::ScanArgs a;
                a.T = T; a.d_inner = di; a.d_state = S;
                a.u = &u_[row0 * di]; a.ld_u = size_t(di);
                a.delta = &dt_[row0 * di]; a.ld_delta = size_t(di);
                a.delta_bias = L.dt_proj_b.data();
                a.A = L.A.data();
                a.B = &xdbl_[row0 * R + c_.dt_rank]; a.ld_B = size_t(R);
                a.C = &xdbl_[row0 * R + c_.dt_rank + S]; a.ld_C = size_t(R);
                a.D = L.D.data();
                a.z = &xz_[row0 * 2 * di + di]; a.ld_z = size_t(2) * di;
                a.state = ssm_state(s, l);
                a.y = &y_[row0 * di]; a.ld_y = size_t(di);
                cpu::selective_scan(a, c0, c1);
            }
        });
        // Residual: h += y · out_projᵀ.   [N, d_inner] x [d_inner, d_model] => [N, d_model]
        gemm_nt(pool_, N, dm, di, y_.data(), di, L.out_proj.data(), h_.data(), dm, scratch_, 1.0f);
        add_bias(h_.data(), L.out_proj_b, N, dm);
    }

    size_t conv_floats() const { return size_t(c_.d_conv - 1) * c_.d_inner; }
    size_t ssm_floats() const { return size_t(c_.d_inner) * c_.d_state; }
    float* conv_state(int s, int l) { return &conv_state_[(size_t(s) * c_.n_layer + l) * (c_.d_conv - 1) * c_.d_inner]; }
    float* ssm_state(int s, int l) { return &ssm_state_[(size_t(s) * c_.n_layer + l) * c_.d_inner * c_.d_state]; }

    const ModelConfig c_;
    const ModelWeights& w_;
    const RunnerLimits lim_;
    ThreadPool& pool_;
    int batch_ = 0;
    std::vector<float> h_, xn_, xz_, u_, xdbl_, dt_, y_;
    std::vector<float> scratch_;  // the products' padded row block (gemm_nt)
    std::vector<float> conv_state_, ssm_state_;
    std::vector<std::vector<float>> conv_w_t_;   // per layer [d_conv, d_inner]
    std::vector<float> w4_, logit4_;             // LM-head rows of A, C, G, T [4, d_model]; their logits [N, 4]
};

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads) : grant_(threads), pool_(grant_.threads()) { openblas_set_num_threads(1); }
    std::string name() const override { return "cpu"; }
    std::string description() const override {
        return cat("CPU, ", pool_.size(), " threads",
                   grant_.shortfall().empty() ? "" : cat(" (", grant_.shortfall(), ")"), ", ", blas_description());
    }
    const std::string& fewer_threads() const { return grant_.shortfall(); }
    Result<void> supports(const ModelConfig& config) const override {
        if (config.d_state > cpu::kMaxState)
            return make_error("the CPU backend handles d_state up to ", cpu::kMaxState, "; the model has ", config.d_state);
        return {};
    }
    Result<std::unique_ptr<ModelRunner>> create_runner(const ModelConfig& config, const ModelWeights& weights,
                                                       const RunnerLimits& limits) override {
        MS_TRY(supports(config));
        if (limits.max_batch < 1 || limits.max_chunk < 1 || limits.max_rows < 0)
            return make_error("runner limits must be positive");
        if (limits.precision != Precision::FP32)
            return make_error("the CPU backend computes in fp32 only; --precision bf16 needs a CUDA GPU");
        std::unique_ptr<ModelRunner> r = std::make_unique<CpuRunner>(config, weights, limits, pool_);
        MS_TRY(r->reset(1));
        return r;
    }

private:
    CpuThreadGrant grant_;  // before pool_, which it sizes
    mutable ThreadPool pool_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, std::string* fewer_threads) {
    auto b = std::make_unique<CpuBackend>(threads);
    if (fewer_threads) *fewer_threads = b->fewer_threads();
    return b;
}

std::string blas_description() {
    std::string cfg = openblas_get_config();
    while (!cfg.empty() && cfg.back() == ' ') cfg.pop_back();
    return cat(cfg, ", core ", openblas_get_corename());
}

}  // namespace ms

// CudaRunner: one forward pass of a chunk on the GPU, in the order of the CPU backend
// (engine/cpu_backend.cpp). The residual stream is position-major as there; the mixer's activations
// are channel-major where the device runs the ring scan kernel (the default on Hopper) and
// position-major otherwise (see Layout below). fp32 mode is held to the
// CPU's and the reference's numbers; bf16 mode stores activations and the projection weights in
// bf16 and runs the products on the tensor cores (fp32 accumulation), while the residual stream,
// the recurrent state, the scan arithmetic, the final norm and the LM head stay fp32.
#include "engine/cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "engine/cuda/cuda_check.h"
#include "engine/cuda/device_memory.h"
#include "engine/cuda/graph_cache.h"
#include "engine/cuda/lt_gemm.h"
#include "kernels/head_ops_cuda.h"
#include "kernels/mixer_ops_cuda.h"
#include "kernels/pool_ops_cuda.h"
#include "kernels/selective_scan_cuda.h"

namespace ms {

namespace {

// Round-to-nearest-even float → bf16 bits (NaN kept).
uint16_t to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}

// A projection weight [out, in] in the runner's matrix type.
struct Matrix {
    DeviceArray<uint8_t> data;
    Result<void> upload(const std::vector<float>& w, bool bf16) {
        std::vector<uint8_t> bytes(w.size() * (bf16 ? 2 : 4));
        for (size_t i = 0; i < w.size(); ++i) {
            if (bf16) {
                const uint16_t h = to_bf16(w[i]);
                std::memcpy(&bytes[i * 2], &h, 2);
            } else {
                std::memcpy(&bytes[i * 4], &w[i], 4);
            }
        }
        return data.upload(bytes);
    }
};

struct LayerOnDevice {
    DeviceArray<float> norm, in_proj_b, conv_w, conv_b, dt_proj_b, A, D, out_proj_b;
    Matrix in_proj, x_proj, dt_proj, out_proj;
    size_t bytes() const {
        return norm.bytes() + in_proj_b.bytes() + conv_w.bytes() + conv_b.bytes() + dt_proj_b.bytes() + A.bytes() +
               D.bytes() + out_proj_b.bytes() + in_proj.data.bytes() + x_proj.data.bytes() + dt_proj.data.bytes() +
               out_proj.data.bytes();
    }
};

constexpr size_t kCublasWorkspace = size_t(32) << 20;   // cuBLAS's own, fixed so graphs can capture it
// Chunks (batch · positions) under this keep the heuristic's first algorithm for each product:
// timing a product of ~15 us alone does not predict it inside the chunk's graph (tuning 4,096-
// position chunks made them slower, docs/performance.md). -D for measuring.
#ifndef MS_TUNE_MIN_POSITIONS
#define MS_TUNE_MIN_POSITIONS 16384
#endif
constexpr int kTuneMinPositions = MS_TUNE_MIN_POSITIONS;
// Tuning costs ~20 ms a chunk size; callers that vary the chunk (the variant walker cuts at each
// site) would pay it again and again, so only the first few sizes are tuned. A long sequence's
// chunks are all one size but the last.
constexpr size_t kMaxTunedSizes = 4;

// Fills a device buffer with bf16 values in [-1, 1) repeating every MiB, so that products are tuned
// on data like the real one, never on zeros (which can run faster). Returns when the copies are done.
Result<void> fill_for_timing(uint8_t* p, size_t bytes, cudaStream_t stream) {
    if (!p || bytes == 0) return {};
    std::vector<uint16_t> block(std::min(bytes, size_t(1) << 20) / 2);
    uint32_t x = 12345;
    for (uint16_t& v : block) {
        x = x * 1664525u + 1013904223u;
        v = to_bf16(float(x >> 8) / float(1u << 23) - 1.0f);
    }
    const size_t first = block.size() * 2;
    MS_CU(cudaMemcpyAsync(p, block.data(), first, cudaMemcpyHostToDevice, stream));
    for (size_t done = first; done < bytes; done *= 2)
        MS_CU(cudaMemcpyAsync(p + done, p, std::min(done, bytes - done), cudaMemcpyDeviceToDevice, stream));
    MS_CU(cudaStreamSynchronize(stream));  // `block` goes out of scope; the first chunk follows
    return {};
}

class CudaRunner final : public ModelRunner {
public:
    CudaRunner(const ModelConfig& c, const RunnerLimits& lim, int device)
        : c_(c), lim_(lim), device_(device), bf16_(lim.precision == Precision::BF16),
          act_(bf16_ ? cuda::ActType::BF16 : cuda::ActType::F32), esz_(bf16_ ? 2 : 4) {
        const char* g = std::getenv("MAMBASCOPE_CUDA_GRAPHS");   // 0: launch kernel by kernel (for measuring)
        graphs_ = !(g && std::strcmp(g, "0") == 0);
        // position | channel: force the mixer's activation layout (for measuring and for testing
        // both on one GPU); otherwise init picks the one the device's fastest scan kernel wants.
        const char* lay = std::getenv("MAMBASCOPE_CUDA_LAYOUT");
        if (lay && std::strcmp(lay, "position") == 0) layout_ = Layout::Position;
        if (lay && std::strcmp(lay, "channel") == 0) layout_ = Layout::Channel;
        if (const char* gemm = std::getenv("MAMBASCOPE_CUDA_GEMM")) gemm_mode_ = gemm;
    }
    ~CudaRunner() override {
        if (stream_) cudaStreamSynchronize(stream_);   // nothing in flight when the buffers go
        for (Slot& s : slots_)
            if (s.done) cudaEventDestroy(s.done);
        graphs_kept_.clear();
        if (blas_) cublasDestroy(blas_);
        if (stream_) cudaStreamDestroy(stream_);
    }

    Result<void> init(const ModelWeights& w) {
        MS_CU(cudaSetDevice(device_));
        MS_CU(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        MS_CUBLAS(cublasCreate(&blas_));
        MS_CUBLAS(cublasSetStream(blas_, stream_));
        MS_TRY(blas_ws_.allocate(kCublasWorkspace));   // after SetStream, which resets the workspace
        MS_CUBLAS(cublasSetWorkspace(blas_, blas_ws_.get(), kCublasWorkspace));
        // Full fp32 products (no TF32), so the GPU is held to the CPU's tolerances.
        MS_CUBLAS(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH));
        // How bf16 products pick their algorithm (for measuring and tests): tuned (the default),
        // verbose (tuned, each tuning printed to stderr), first or last (cuBLASLt's first or last
        // candidate, untuned), gemmex (cublasGemmEx, cuBLAS's own choice, as before cuBLASLt).
        const std::string& how = gemm_mode_;
        if (!how.empty() && how != "tuned" && how != "verbose" && how != "first" && how != "last" && how != "gemmex")
            return make_error("MAMBASCOPE_CUDA_GEMM='", how, "': expected tuned, verbose, first, last or gemmex");
        tune_ = how.empty() || how == "tuned" || how == "verbose";
        tune_verbose_ = how == "verbose";
        lt_products_ = bf16_ && how != "gemmex";
        if (lt_products_)  // on the runner's stream, so one workspace serves both libraries
            MS_TRY(lt_.init(stream_, blas_ws_.get(), kCublasWorkspace, how == "last"));
        MS_TRY(embedding_.upload(w.embedding));
        MS_TRY(norm_f_.upload(w.norm_f));
        MS_TRY(lm_head_.upload(w.lm_head));
        if (valid_acgt_ids(lim_.acgt_ids, c_.vocab_size)) {   // the LM head's rows of A, C, G, T
            std::vector<float> w4(size_t(4) * c_.d_model);
            for (int b = 0; b < 4; ++b)
                std::memcpy(&w4[size_t(b) * c_.d_model], &w.lm_head[size_t(lim_.acgt_ids[b]) * c_.d_model],
                            sizeof(float) * c_.d_model);
            MS_TRY(w4_.upload(w4));
        }
        layers_ = std::vector<LayerOnDevice>(w.layers.size());
        for (size_t l = 0; l < w.layers.size(); ++l) {
            const LayerWeights& s = w.layers[l];
            LayerOnDevice& d = layers_[l];
            MS_TRY(d.norm.upload(s.norm));
            MS_TRY(d.in_proj.upload(s.in_proj, bf16_));
            MS_TRY(d.in_proj_b.upload(s.in_proj_b));
            MS_TRY(d.conv_w.upload(s.conv_w));
            MS_TRY(d.conv_b.upload(s.conv_b));
            MS_TRY(d.x_proj.upload(s.x_proj, bf16_));
            MS_TRY(d.dt_proj.upload(s.dt_proj, bf16_));
            MS_TRY(d.dt_proj_b.upload(s.dt_proj_b));
            MS_TRY(d.A.upload(s.A));
            MS_TRY(d.D.upload(s.D));
            MS_TRY(d.out_proj.upload(s.out_proj, bf16_));
            MS_TRY(d.out_proj_b.upload(s.out_proj_b));
        }
        // Activations of the largest chunk: memory is set by the chunk, never by the sequence. The
        // mixer's rows are pitch(N) long in the channel-major layout, and the products run over
        // pitch(N) rows of xn, x_dbl and h (see products()).
        const size_t N = size_t(runner_rows(lim_)), NP = size_t(pitch(int64_t(N)));
        const int R = c_.dt_rank + 2 * c_.d_state;
        MS_TRY(tokens_.allocate(N));
        MS_TRY(next_.allocate(N * 4));
        MS_TRY(h_.allocate(NP * c_.d_model));
        MS_TRY(final_.allocate(N * c_.d_model));
        MS_TRY(xn_.allocate(NP * c_.d_model * esz_));
        MS_TRY(xz_.allocate(NP * 2 * c_.d_inner * esz_));
        MS_TRY(u_.allocate(NP * c_.d_inner * esz_));
        MS_TRY(xdbl_.allocate(NP * R * esz_));
        MS_TRY(dt_.allocate(NP * c_.d_inner * esz_));
        MS_TRY(y_.allocate(NP * c_.d_inner * esz_));
        MS_TRY(logits_.allocate(N * c_.vocab_size));
        // Zeros first: the rows past a chunk's positions are read by the products (see products())
        // and never written by the kernels between them, so they would hold whatever the memory held.
        for (const DeviceArray<uint8_t>* b : {&xn_, &xz_, &u_, &xdbl_, &dt_, &y_})
            MS_CU(cudaMemsetAsync(b->get(), 0, b->bytes(), stream_));
        MS_CU(cudaMemsetAsync(h_.get(), 0, h_.bytes(), stream_));
        if (lt_products_ && tune_) {  // the products' inputs, and out_proj's output it accumulates into
            for (const DeviceArray<uint8_t>* b : {&xn_, &xz_, &u_, &xdbl_, &y_})
                MS_TRY(fill_for_timing(b->get(), b->bytes(), stream_));
            MS_TRY(fill_for_timing(reinterpret_cast<uint8_t*>(h_.get()), h_.bytes(), stream_));
        }
        if (layout_ == Layout::Auto) {   // channel-major only where it gets the ring kernel
            layout_ = Layout::Channel;   // the layout scan_problem describes
            if (cuda::selective_scan_kernel(scan_problem(0, lim_.max_batch, lim_.max_chunk)) != cuda::ScanKernel::Ring)
                layout_ = Layout::Position;
        }
        // The scan's workspace for the largest chunk of any batch the rows allow.
        size_t scan_ws = 0;
        for_each_shape(
            [&](int b, int T) { scan_ws = std::max(scan_ws, cuda::selective_scan_workspace(scan_problem(0, b, T))); });
        MS_TRY(scan_ws_.allocate(scan_ws / sizeof(float) + 1));
        // State for the largest batch, allocated once: a captured graph keeps these addresses.
        MS_TRY(conv_state_.allocate(size_t(lim_.max_batch) * c_.n_layer * (c_.d_conv - 1) * c_.d_inner));
        MS_TRY(ssm_state_.allocate(size_t(lim_.max_batch) * c_.n_layer * c_.d_inner * c_.d_state));
        return reset(1);
    }

    Result<void> reset(int batch) override {
        MS_CU(cudaSetDevice(device_));   // callers may be on any thread (cuda:all runs one per GPU)
        MS_TRY(check_batch(batch));
        // Chunks a caller started and never finished are dropped: their copies out are waited for,
        // so that no later chunk's slot is written under them.
        if (!in_flight_.empty()) MS_CU(cudaStreamSynchronize(stream_));
        in_flight_.clear();
        return zero_state(batch);
    }

    // The state is zeroed on the runner's stream, so behind the chunks in flight, whose slots hold
    // their own sizes: they finish as they would have (Session::start_items).
    bool starts_fresh_behind() const override { return true; }
    Result<void> start_fresh(const int32_t* tokens, int batch, int T, const ForwardOutputs& want) override {
        MS_CU(cudaSetDevice(device_));
        MS_TRY(check_batch(batch));
        MS_TRY(check_chunk(lim_, batch, T));
        if (in_flight_.size() >= size_t(kMaxInFlight))
            return make_error("start(): ", kMaxInFlight, " chunks are already started and not finished");
        MS_TRY(zero_state(batch));
        return start(tokens, T, want);
    }

    int batch() const override { return batch_; }

    // A sequence's last chunk runs at one of eight lengths an octave (multiples of a power of two
    // ≥ 8, at most 1/8 more than T), so that sequences ending anywhere — reads, records, the
    // windows' tails — share a few captured graphs instead of launching every kernel from the host
    // (~1.5–2 ms a chunk, docs/performance.md). Without graphs there is nothing to share.
    int final_chunk_length(int T) const override {
        if (!graphs_ || T >= lim_.max_chunk) return T;
        int step = 8;
        while (step * 16 <= T) step *= 2;
        return std::min((T + step - 1) / step * step, lim_.max_chunk);
    }

    // A stream's state is one row per layer in each state buffer (layer l's block holds the
    // current batch's streams side by side), so a pitched 2D copy moves all layers at once:
    // width = one stream's state of one layer, source pitch = one layer's block, height = n_layer.
    // The copies go on the runner's stream, after any reset or forward still in flight.
    Result<void> save_state(int stream, RunnerState& out) override {
        if (!in_flight_.empty())
            return make_error("the runner's state was accessed while ", in_flight_.size(),
                              " started chunks are unfinished");
        MS_TRY(check_state_access(c_, stream, batch_, nullptr));
        MS_CU(cudaSetDevice(device_));
        out.values.resize(runner_state_floats(c_));
        const size_t conv = conv_floats(), ssm = ssm_floats(), layers = size_t(c_.n_layer);
        if (conv)
            MS_CU(cudaMemcpy2DAsync(out.values.data(), conv * sizeof(float), conv_state_.get() + size_t(stream) * conv,
                                    size_t(batch_) * conv * sizeof(float), conv * sizeof(float), layers,
                                    cudaMemcpyDeviceToHost, stream_));
        MS_CU(cudaMemcpy2DAsync(out.values.data() + layers * conv, ssm * sizeof(float), ssm_state_.get() + size_t(stream) * ssm,
                                size_t(batch_) * ssm * sizeof(float), ssm * sizeof(float), layers, cudaMemcpyDeviceToHost,
                                stream_));
        MS_CU(cudaStreamSynchronize(stream_));
        return {};
    }

    Result<void> load_state(int stream, const RunnerState& state) override {
        if (!in_flight_.empty())
            return make_error("the runner's state was accessed while ", in_flight_.size(),
                              " started chunks are unfinished");
        MS_TRY(check_state_access(c_, stream, batch_, &state));
        MS_CU(cudaSetDevice(device_));
        const size_t conv = conv_floats(), ssm = ssm_floats(), layers = size_t(c_.n_layer);
        if (conv)
            MS_CU(cudaMemcpy2DAsync(conv_state_.get() + size_t(stream) * conv, size_t(batch_) * conv * sizeof(float),
                                    state.values.data(), conv * sizeof(float), conv * sizeof(float), layers,
                                    cudaMemcpyHostToDevice, stream_));
        MS_CU(cudaMemcpy2DAsync(ssm_state_.get() + size_t(stream) * ssm, size_t(batch_) * ssm * sizeof(float),
                                state.values.data() + layers * conv, ssm * sizeof(float), ssm * sizeof(float), layers,
                                cudaMemcpyHostToDevice, stream_));
        // `state` may be freed as soon as this returns.
        MS_CU(cudaStreamSynchronize(stream_));
        return {};
    }

    int64_t device_bytes() const override {
        size_t n = embedding_.bytes() + norm_f_.bytes() + lm_head_.bytes() + w4_.bytes() + tokens_.bytes() +
                   next_.bytes() + h_.bytes() + final_.bytes() + logits_.bytes() + scan_ws_.bytes() +
                   conv_state_.bytes() + ssm_state_.bytes() + sums_.bytes() + sums_ws_.bytes() + xn_.bytes() +
                   xz_.bytes() + u_.bytes() + xdbl_.bytes() + dt_.bytes() + y_.bytes() + blas_ws_.bytes();
        for (const LayerOnDevice& L : layers_) n += L.bytes();
        return int64_t(n);
    }

    Result<void> forward(const int32_t* tokens, int T, const ForwardOutputs& out) override {
        if (!in_flight_.empty())
            return make_error("forward() while ", in_flight_.size(), " started chunks are unfinished");
        MS_TRY(start(tokens, T, out));
        return finish(out);
    }

    // A chunk runs from its own host slot (tokens in, outputs out, an event behind them), so the
    // host can fill one slot and read the other while the GPU works (ModelRunner::start). The GPU
    // work itself is stream-ordered: chunk k + 1's kernels reuse the device buffers after chunk
    // k's copies out.
    Result<void> start(const int32_t* tokens, int T, const ForwardOutputs& want_out) override {
        MS_TRY(check_chunk(lim_, batch_, T));
        if (in_flight_.size() >= size_t(kMaxInFlight))
            return make_error("start(): ", kMaxInFlight, " chunks are already started and not finished");
        const int N = batch_ * T, dm = c_.d_model, V = c_.vocab_size;
        for (int i = 0; i < N; ++i)
            if (tokens[i] < 0 || tokens[i] >= V)
                return make_error("token id ", tokens[i], " at position ", i, " is outside the vocabulary (", V, ")");
        MS_CU(cudaSetDevice(device_));
        if (want_out.next_base && !w4_.get())
            return make_error("next-base probabilities asked for without the A/C/G/T token ids");
        MS_TRY(check_segments(want_out, batch_, T));
        const Wanted want{want_out.logits != nullptr, want_out.hidden != nullptr, want_out.next_base != nullptr,
                          want_out.row_sums != nullptr};
        if (want.row_sums) MS_TRY(prepare_row_sums(want_out.segments.window));
        const int64_t segments = want.row_sums ? kernels::segment_count(want_out.segments) : 0;
        // The slot not in flight; its page-locked buffers are allocated the first time they are
        // needed, so a caller that never pipelines pins one set only.
        const int si = in_flight_.empty() || in_flight_.front() != 0 ? 0 : 1;
        Slot& slot = slots_[size_t(si)];
        const size_t rows = size_t(runner_rows(lim_));
        if (!slot.done) MS_CU(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming));
        if (!slot.tokens.get()) MS_TRY(slot.tokens.allocate(rows));
        if (want.next_base && !slot.next.get()) MS_TRY(slot.next.allocate(rows * 4));
        if (want.hidden && !slot.hidden.get()) MS_TRY(slot.hidden.allocate(rows * dm));
        if (want.logits && !slot.logits.get()) MS_TRY(slot.logits.allocate(rows * V));
        if (want.row_sums && !slot.segments.get()) MS_TRY(slot.segments.allocate(size_t(lim_.max_batch)));
        const size_t sums = size_t(batch_) * size_t(segments) * size_t(dm);
        if (sums > slot.sums_capacity) {
            MS_TRY(slot.sums.allocate(sums));
            slot.sums_capacity = sums;
        }
        std::memcpy(slot.tokens.get(), tokens, sizeof(int32_t) * size_t(N));
        MS_CU(cudaMemcpyAsync(tokens_.get(), slot.tokens.get(), sizeof(int32_t) * size_t(N), cudaMemcpyHostToDevice,
                              stream_));
        if (want.row_sums) {  // read by the kernels, so one graph serves every offset and row count
            for (int b = 0; b < batch_; ++b) slot.segments.get()[b] = stream_segments(want_out, b);
            MS_CU(cudaMemcpyAsync(segments_.get(), slot.segments.get(), sizeof(kernels::RowSegments) * size_t(batch_),
                                  cudaMemcpyHostToDevice, stream_));
        }
        // A chunk shape seen before is worth tuning and capturing: it is a sequence's full chunk,
        // not one sequence's tail (engine/cuda/graph_cache.h).
        const uint64_t key = uint64_t(T) | uint64_t(batch_) << 24 | uint64_t(want.logits) << 56 |
                             uint64_t(want.hidden) << 57 | uint64_t(want.next_base) << 58 |
                             uint64_t(want.row_sums) << 59;
        const auto plan = graphs_kept_.plan(key);
        if (plan != GraphCache<cudaGraphExec_t>::Plan::Launch && lt_products_ && tune_ && N >= kTuneMinPositions &&
            tuned_sizes_.size() < kMaxTunedSizes && tuned_sizes_.insert(N).second)
            tune_products(N);
        if (graphs_ && plan == GraphCache<cudaGraphExec_t>::Plan::Capture) MS_TRY(capture(T, want, key));
        if (graphs_ && plan != GraphCache<cudaGraphExec_t>::Plan::Launch)
            MS_CU(cudaGraphLaunch(graphs_kept_.exec(), stream_));
        else
            MS_TRY(enqueue(T, want));
        if (want.next_base)
            MS_CU(cudaMemcpyAsync(slot.next.get(), next_.get(), sizeof(float) * size_t(N) * 4, cudaMemcpyDeviceToHost,
                                  stream_));
        if (want.hidden)
            MS_CU(cudaMemcpyAsync(slot.hidden.get(), final_.get(), sizeof(float) * size_t(N) * dm,
                                  cudaMemcpyDeviceToHost, stream_));
        if (want.logits)
            MS_CU(cudaMemcpyAsync(slot.logits.get(), logits_.get(), sizeof(float) * size_t(N) * V,
                                  cudaMemcpyDeviceToHost, stream_));
        if (want.row_sums)
            MS_CU(cudaMemcpyAsync(slot.sums.get(), sums_.get(), sizeof(float) * sums, cudaMemcpyDeviceToHost, stream_));
        MS_CU(cudaEventRecord(slot.done, stream_));
        slot.N = N;
        slot.sums_floats = sums;
        slot.want = want_out;
        in_flight_.push_back(si);
        return {};
    }

    Result<void> finish(const ForwardOutputs& out) override {
        if (in_flight_.empty()) return make_error("finish(): no chunk was started");
        Slot& slot = slots_[size_t(in_flight_.front())];
        in_flight_.pop_front();
        // Waited for before anything is refused: the slot is free for the next start() after this.
        MS_CU(cudaSetDevice(device_));
        MS_CU(cudaEventSynchronize(slot.done));
        MS_TRY(check_finish(slot.want, out));
        const size_t N = size_t(slot.N);
        if (out.next_base) std::memcpy(out.next_base, slot.next.get(), sizeof(float) * N * 4);
        if (out.hidden) std::memcpy(out.hidden, slot.hidden.get(), sizeof(float) * N * size_t(c_.d_model));
        if (out.logits) std::memcpy(out.logits, slot.logits.get(), sizeof(float) * N * size_t(c_.vocab_size));
        if (out.row_sums) std::memcpy(out.row_sums, slot.sums.get(), sizeof(float) * slot.sums_floats);
        return {};
    }

    int in_flight() const override { return int(in_flight_.size()); }

private:
    Result<void> check_batch(int batch) const {
        if (batch < 1 || batch > lim_.max_batch)
            return make_error("batch ", batch, " is outside 1..", lim_.max_batch, " set when the runner was created");
        return {};
    }
    Result<void> zero_state(int batch) {
        batch_ = batch;
        if (conv_state_.size())
            MS_CU(cudaMemsetAsync(conv_state_.get(), 0, conv_state_.size() * sizeof(float), stream_));
        MS_CU(cudaMemsetAsync(ssm_state_.get(), 0, ssm_state_.size() * sizeof(float), stream_));
        return {};
    }

    // Calls f(b, T) for every batch b the runner takes and its longest chunk T at b: a workspace
    // sized for the largest of these holds any chunk (RunnerLimits::max_rows).
    template <typename F>
    void for_each_shape(F&& f) const {
        const int64_t rows = runner_rows(lim_);
        for (int b = 1; b <= lim_.max_batch && b <= rows; ++b) f(b, int(std::min<int64_t>(lim_.max_chunk, rows / b)));
    }

    // cuBLAS's column-major C = op(A) · op(B) + beta·C. bf16 operands go through cuBLASLt with the
    // shape's tuned algorithm (tensor cores, fp32 accumulation) where it has one, else through
    // cublasGemmEx; fp32 operands through cublasGemmEx with the pedantic fp32 compute type (no TF32).
    Result<void> gemm_cm(const GemmOp& g) {
        if (g.ab == CUDA_R_16BF && lt_products_ && lt_.available(g)) return lt_.run(g);
        const float alpha = 1.0f;
        const cublasComputeType_t compute = g.ab == CUDA_R_32F ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
        MS_CUBLAS(cublasGemmEx(blas_, g.opa, g.opb, g.m, g.n, g.k, &alpha, g.A, g.ab, g.lda, g.B, g.ab, g.ldb, &g.beta,
                               g.C, g.c, g.ldc, compute, CUBLAS_GEMM_DEFAULT));
        return {};
    }
    static GemmOp gemm_op(cublasOperation_t opa, cublasOperation_t opb, int m, int n, int k, const void* A, int lda,
                          const void* B, int ldb, cudaDataType ab, void* C, int ldc, cudaDataType ct, float beta) {
        GemmOp g;
        g.opa = opa;
        g.opb = opb;
        g.m = m;
        g.n = n;
        g.k = k;
        g.A = A;
        g.lda = lda;
        g.B = B;
        g.ldb = ldb;
        g.ab = ab;
        g.C = C;
        g.ldc = ldc;
        g.c = ct;
        g.beta = beta;
        return g;
    }

    // Times each product of a layer at N rows and keeps its fastest algorithm (all layers share
    // the shapes). Between chunks only: it overwrites the activations and the residual, which every
    // chunk writes afresh, and never touches the carried state. Tuning only makes products faster,
    // so a product it fails on keeps its first algorithm and the chunk goes on; a real fault of
    // the GPU shows in the chunk itself.
    void tune_products(int N) {
        for (const GemmOp& g : products(0, N)) {
            if (!lt_.available(g) || lt_.tuned(g)) continue;
            const Result<GemmTuning> t = lt_.tune(g);
            if (!tune_verbose_) continue;
            if (!t)
                std::fprintf(stderr, "cuda:%d: tuning failed, first algorithm kept: %s\n", device_,
                             t.error().message.c_str());
            else
                std::fprintf(stderr,
                             "cuda:%d product %s: algorithm %d of %d (%d with other bits left out), %.1f us "
                             "(heuristic's first %.1f us)\n",
                             device_, t->shape.c_str(), t->chosen, t->candidates, t->other_bits, t->chosen_us,
                             t->first_us);
        }
    }

    struct Wanted {
        bool logits, hidden, next_base, row_sums;
    };

    // Row sums' device buffers for windows of `window` rows (0: one segment a chunk), sized for the
    // largest chunk. The segment count a graph's kernels are launched for depends on the window,
    // so a new window drops the kept graphs (a job keeps one window: this happens once).
    Result<void> prepare_row_sums(int64_t window) {
        if (window == sums_window_) return {};
        if (!in_flight_.empty()) MS_CU(cudaStreamSynchronize(stream_));  // started chunks use the buffers
        graphs_kept_.clear();
        const int64_t bound = kernels::max_segment_count(window, lim_.max_chunk);
        const size_t B = size_t(lim_.max_batch), dm = size_t(c_.d_model);
        if (!segments_.get()) MS_TRY(segments_.allocate(B));
        MS_TRY(sums_.allocate(B * size_t(bound) * dm));
        size_t ws = 0;
        for_each_shape([&](int b, int T) { ws = std::max(ws, cuda::segment_sums_workspace(b, T, c_.d_model, bound)); });
        MS_TRY(sums_ws_.allocate(ws));
        sums_window_ = window;
        return {};
    }

    // Records the chunk's GPU work (enqueue) as a graph and keeps it for replay.
    Result<void> capture(int T, const Wanted& want, uint64_t key) {
        MS_CU(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
        const Result<void> r = enqueue(T, want);
        cudaGraph_t g = nullptr;
        const cudaError_t e = cudaStreamEndCapture(stream_, &g);
        if (!r) {
            if (g) cudaGraphDestroy(g);
            return r;
        }
        if (e != cudaSuccess) return cuda_error("cudaStreamEndCapture", e);
        cudaGraphExec_t exec = nullptr;
        const cudaError_t ei = cudaGraphInstantiate(&exec, g, 0);
        cudaGraphDestroy(g);
        if (ei != cudaSuccess) return cuda_error("cudaGraphInstantiate", ei);
        graphs_kept_.add(key, exec);
        return {};
    }

    // Everything one chunk does on the GPU between its copies (start() makes those, outside the
    // captured graph, from and to the chunk's own host slot): embedding, layers, heads.
    Result<void> enqueue(int T, const Wanted& want) {
        const int N = batch_ * T, dm = c_.d_model, V = c_.vocab_size;
        MS_CU(cuda::embed_rows(N, dm, tokens_.get(), embedding_.get(), h_.get(), stream_));
        for (int l = 0; l < c_.n_layer; ++l) MS_TRY(layer(l, T, N));
        // The final norm and the heads in fp32 in both modes: they are a sliver of the work. The
        // ACGT head normalises its rows itself; the normalised rows are stored only when needed.
        const bool need_final = want.hidden || want.logits || want.row_sums;
        if (want.next_base) {
            MS_CU(cuda::acgt_head(N, dm, h_.get(), norm_f_.get(), c_.norm_eps, w4_.get(), next_.get(),
                                  need_final ? final_.get() : nullptr, stream_));
        } else if (need_final) {
            MS_CU(cuda::rmsnorm_residual(N, dm, cuda::ActType::F32, nullptr, h_.get(), norm_f_.get(), c_.norm_eps,
                                         final_.get(), stream_));
        }
        if (want.logits)  // [N, d_model] x [d_model, vocab] => [N, vocab]
            MS_TRY(gemm_cm(gemm_op(CUBLAS_OP_T, CUBLAS_OP_N, V, N, dm, lm_head_.get(), dm, final_.get(), dm, CUDA_R_32F,
                                   logits_.get(), V, CUDA_R_32F, 0.0f)));
        if (want.row_sums)
            MS_CU(cuda::segment_sums(batch_, T, dm, final_.get(), segments_.get(),
                                     kernels::max_segment_count(sums_window_, T), sums_ws_.get(), sums_.get(),
                                     stream_));
        return {};
    }

    cudaDataType act_type() const { return bf16_ ? CUDA_R_16BF : CUDA_R_32F; }
    // Element `i` of an activation buffer, in bytes.
    uint8_t* at(const DeviceArray<uint8_t>& buf, size_t i) const { return buf.get() ? buf.get() + i * esz_ : nullptr; }

    // The mixer's activations (xz, u, Δ, y) in one of two layouts, picked once in init:
    // - position-major: token n = b·T + t is a row, channels contiguous ([N, width]);
    // - channel-major: channel c is a row, positions contiguous ([width, pitch(N)], N = batch·T) —
    //   what the ring scan kernel reads; cuBLAS writes the transposed products through its operand
    //   flags.
    // x_dbl (dt | B | C) is position-major [N, dt_rank + 2·d_state] in both.
    enum class Layout { Auto, Position, Channel };
    bool chan() const { return layout_ == Layout::Channel; }
    // A channel-major row's length: N rounded up to 8 elements, so that every row starts on 16
    // bytes. With rows of N elements an N that was not a multiple of 8 (a sequence's last chunk,
    // most reads) put the four products on cuBLAS's unaligned kernels, 4–9× slower, and the scan on
    // its element-by-element copies (docs/performance.md). The products run over the padding too
    // (see products()); the conv and the scan never touch it.
    static int64_t pitch(int64_t N) { return (N + 7) / 8 * 8; }
    // Channels [first, first + ·) of a buffer `width` channels wide, as the kernels' strided view.
    cuda::Act view(const DeviceArray<uint8_t>& buf, int first, int width, int T, int64_t N) const {
        if (chan()) return {at(buf, size_t(first) * size_t(pitch(N))), T, 1, pitch(N)};
        return {at(buf, size_t(first)), int64_t(T) * width, width};
    }

    cuda::ScanProblem scan_problem(int l, int batch, int T) {
        const int di = c_.d_inner, S = c_.d_state, R = c_.dt_rank + 2 * S;
        const int64_t N = int64_t(batch) * T;
        cuda::ScanProblem p;
        p.batch = batch; p.T = T; p.d_inner = di; p.d_state = S; p.act = act_;
        p.u = view(u_, 0, di, T, N);
        p.delta = view(dt_, 0, di, T, N);
        p.z = view(xz_, di, 2 * di, T, N);
        p.B = {at(xdbl_, size_t(c_.dt_rank)), int64_t(T) * R, R};
        p.C = {at(xdbl_, size_t(c_.dt_rank + S)), int64_t(T) * R, R};
        const cuda::Act y = view(y_, 0, di, T, N);
        p.y = y_.get(); p.y_batch_stride = y.batch_stride; p.y_row_stride = y.row_stride; p.y_chan_stride = y.chan_stride;
        if (!layers_.empty()) {
            const LayerOnDevice& L = layers_[size_t(l)];
            p.delta_bias = L.dt_proj_b.get(); p.A = L.A.get(); p.D = L.D.get();
        }
        p.state = ssm_state_.get() ? ssm_state_.get() + size_t(l) * batch * di * S : nullptr;
        return p;
    }

    // A layer's four products, in the order layer() runs them. Weights are PyTorch's [out, in]
    // row-major, i.e. column-major in × out with ld in; each product is written as cuBLAS sees it
    // (column-major), for both layouts.
    enum { kInProj, kXProj, kDtProj, kOutProj };
    std::array<GemmOp, 4> products(int l, int N) const {
        const LayerOnDevice& L = layers_[size_t(l)];
        const int dm = c_.d_model, di = c_.d_inner, S = c_.d_state, R = c_.dt_rank + 2 * S, dtr = c_.dt_rank;
        const cudaDataType t = act_type();
        const cublasOperation_t OP_N = CUBLAS_OP_N, OP_T = CUBLAS_OP_T;
        const bool cm = chan();
        // Channel-major, every product runs over the P = pitch(N) positions of a row: cuBLAS takes
        // its unaligned kernels (align1, 4–9× slower) when the positions' extent is not a multiple
        // of 8, even with aligned rows. The rows past N (padding, and rows of xn, x_dbl and h past
        // N, allocated for them) compute values that nothing reads; each row of a product depends
        // on its own inputs only, so the first N are unchanged.
        const int P = int(pitch(N)), M = cm ? P : N;
        std::array<GemmOp, 4> g;
        // xz = xn [N, d_model] · in_projᵀ (x | z). Position-major: column-major 2·d_inner × N =
        // in_proj · xnᵀ; channel-major: column-major N × 2·d_inner = xn · in_projᵀ.
        g[kInProj] =
            cm ? gemm_op(OP_T, OP_N, P, 2 * di, dm, xn_.get(), dm, L.in_proj.data.get(), dm, t, xz_.get(), P, t, 0.0f)
               : gemm_op(OP_T, OP_N, 2 * di, N, dm, L.in_proj.data.get(), dm, xn_.get(), dm, t, xz_.get(), 2 * di, t,
                         0.0f);
        // x_dbl [N, R] (dt | B | C) = u · x_projᵀ: column-major R × N = x_proj · uᵀ, u read as stored.
        g[kXProj] = gemm_op(OP_T, cm ? OP_T : OP_N, R, M, di, L.x_proj.data.get(), di, u_.get(), cm ? P : di, t,
                            xdbl_.get(), R, t, 0.0f);
        // Δ = x_dbl[:, :dt_rank] · dt_projᵀ (bias + softplus happen in the scan).
        g[kDtProj] =
            cm ? gemm_op(OP_T, OP_N, P, di, dtr, xdbl_.get(), R, L.dt_proj.data.get(), dtr, t, dt_.get(), P, t, 0.0f)
               : gemm_op(OP_T, OP_N, di, N, dtr, L.dt_proj.data.get(), dtr, xdbl_.get(), R, t, dt_.get(), di, t, 0.0f);
        // Residual (position-major, fp32: bf16 operands, fp32 output): h [N, d_model] += y · out_projᵀ,
        // column-major d_model × N += out_proj · yᵀ, y read as stored.
        g[kOutProj] = gemm_op(OP_T, cm ? OP_T : OP_N, dm, M, di, L.out_proj.data.get(), di, y_.get(), cm ? P : di, t,
                              h_.get(), dm, CUDA_R_32F, 1.0f);
        return g;
    }

    Result<void> layer(int l, int T, int N) {
        const LayerOnDevice& L = layers_[size_t(l)];
        const int dm = c_.d_model, di = c_.d_inner;
        const bool cm = chan();
        const std::array<GemmOp, 4> g = products(l, N);
        MS_CU(cuda::rmsnorm_residual(N, dm, act_, nullptr, h_.get(), L.norm.get(), c_.norm_eps, xn_.get(), stream_));
        MS_TRY(gemm_cm(g[kInProj]));
        if (L.in_proj_b.size())
            MS_CU(cuda::add_bias(N, 2 * di, cm ? 1 : 2 * di, cm ? pitch(N) : 1, L.in_proj_b.get(), act_, xz_.get(),
                                 stream_));
        cuda::ConvProblem cp;
        cp.batch = batch_; cp.T = T; cp.d_inner = di; cp.d_conv = c_.d_conv; cp.act = act_;
        cp.x = view(xz_, 0, 2 * di, T, N);
        const cuda::Act u = view(u_, 0, di, T, N);
        cp.out = u_.get(); cp.out_batch_stride = u.batch_stride; cp.out_row_stride = u.row_stride; cp.out_chan_stride = u.chan_stride;
        cp.w = L.conv_w.get(); cp.bias = L.conv_b.size() ? L.conv_b.get() : nullptr;
        cp.conv_state = conv_state_.get() + size_t(l) * batch_ * (c_.d_conv - 1) * di;
        MS_CU(cuda::causal_conv1d(cp, stream_));
        MS_TRY(gemm_cm(g[kXProj]));
        MS_TRY(gemm_cm(g[kDtProj]));
        cuda::ScanProblem sp = scan_problem(l, batch_, T);
        MS_CU(cuda::selective_scan(sp, scan_ws_.get(), stream_));
        MS_TRY(gemm_cm(g[kOutProj]));
        if (L.out_proj_b.size()) MS_CU(cuda::add_bias(N, dm, dm, 1, L.out_proj_b.get(), cuda::ActType::F32, h_.get(), stream_));
        return {};
    }

    size_t conv_floats() const { return size_t(c_.d_conv - 1) * size_t(c_.d_inner); }   // one stream, one layer
    size_t ssm_floats() const { return size_t(c_.d_inner) * size_t(c_.d_state); }

    const ModelConfig c_;
    const RunnerLimits lim_;
    const int device_;
    const bool bf16_;
    const cuda::ActType act_;
    const size_t esz_;   // bytes per activation element
    int batch_ = 0;
    bool graphs_ = true;
    std::string gemm_mode_;  // MAMBASCOPE_CUDA_GEMM, checked in init
    bool tune_ = true, tune_verbose_ = false, lt_products_ = false;
    std::set<int> tuned_sizes_;  // chunk sizes (batch · positions) whose products are tuned
    Layout layout_ = Layout::Auto;
    // Cleared in ~CudaRunner, before the stream and the buffers its graphs use are released.
    GraphCache<cudaGraphExec_t> graphs_kept_{[](cudaGraphExec_t e) { cudaGraphExecDestroy(e); }};
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
    LtGemm lt_;  // the bf16 products: cuBLASLt handle, each shape's plan
    DeviceArray<float> embedding_, norm_f_, lm_head_, w4_;
    std::vector<LayerOnDevice> layers_;
    DeviceArray<int32_t> tokens_;
    DeviceArray<float> h_, final_, logits_, next_, scan_ws_, conv_state_, ssm_state_;   // fp32 in both modes
    DeviceArray<uint8_t> blas_ws_;
    // A chunk's host side (see start()): tokens in, the outputs it was started with, an event after
    // its copies out.
    struct Slot {
        PinnedArray<int32_t> tokens;
        PinnedArray<float> next, hidden, logits, sums;
        PinnedArray<kernels::RowSegments> segments;
        size_t sums_capacity = 0, sums_floats = 0;
        cudaEvent_t done = nullptr;
        int N = 0;
        ForwardOutputs want;
    };
    std::array<Slot, kMaxInFlight> slots_;
    std::deque<int> in_flight_;  // slots of started, unfinished chunks, oldest first
    DeviceArray<float> sums_, sums_ws_;           // row sums [batch, segments, d_model] and their partials
    DeviceArray<kernels::RowSegments> segments_;  // the running chunk's, one a stream, copied in before its kernels
    int64_t sums_window_ = -1;                    // the window sums_ and the kept graphs serve
    DeviceArray<uint8_t> xn_, xz_, u_, xdbl_, dt_, y_;                            // activations (fp32 or bf16)
};

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int device, std::string name) : device_(device), name_(std::move(name)) {}
    std::string name() const override { return cat("cuda:", device_); }
    std::string description() const override { return cat("CUDA device ", device_, " (", name_, "), cuBLAS"); }
    Result<void> supports(const ModelConfig& c) const override {
        if (c.d_state > 256) return make_error("the CUDA backend handles d_state up to 256; the model has ", c.d_state);
        if (c.d_conv > 8) return make_error("the CUDA backend handles d_conv up to 8; the model has ", c.d_conv);
        return {};
    }
    Precision default_precision() const override { return Precision::BF16; }
    Result<std::unique_ptr<ModelRunner>> create_runner(const ModelConfig& config, const ModelWeights& weights,
                                                       const RunnerLimits& limits) override {
        MS_TRY(supports(config));
        if (limits.max_batch < 1 || limits.max_chunk < 1 || limits.max_rows < 0)
            return make_error("runner limits must be positive");
        auto r = std::make_unique<CudaRunner>(config, limits, device_);
        MS_TRY(r->init(weights));
        return std::unique_ptr<ModelRunner>(std::move(r));
    }

private:
    int device_;
    std::string name_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_cuda_backend(int device) {
    cudaDeviceProp prop{};
    const cudaError_t e = cudaGetDeviceProperties(&prop, device);
    if (e != cudaSuccess) return cuda_error("cudaGetDeviceProperties", e);
    return std::unique_ptr<Backend>(new CudaBackend(device, prop.name));
}

}  // namespace ms

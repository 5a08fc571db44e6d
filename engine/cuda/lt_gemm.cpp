#include "engine/cuda/lt_gemm.h"

#include <algorithm>
#include <cstring>

#include "engine/cuda/cuda_check.h"

namespace ms {

namespace {

constexpr int kMaxAlgos = 8;  // the heuristic's first eight: the probe found the fastest among them
constexpr int kGroups = 3, kRunsPerGroup = 4;
constexpr float kKeepFirstWithin = 0.98f;
constexpr size_t kCompareBytes = size_t(1) << 20;  // compared at each end of C

const char* op_name(cublasOperation_t o) { return o == CUBLAS_OP_N ? "N" : "T"; }

// Events around a group of runs; destroyed on every path out.
struct EventPair {
    cudaEvent_t a = nullptr, b = nullptr;
    ~EventPair() {
        if (a) cudaEventDestroy(a);
        if (b) cudaEventDestroy(b);
    }
};

size_t element_bytes(cudaDataType t) { return t == CUDA_R_32F ? 4 : 2; }

}  // namespace

LtGemm::Plan::~Plan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (desc) cublasLtMatmulDescDestroy(desc);
}

LtGemm::~LtGemm() {
    plans_.clear();  // before the handle they were made with
    if (lt_) cublasLtDestroy(lt_);
}

Result<void> LtGemm::init(cudaStream_t stream, void* workspace, size_t workspace_bytes, bool untuned_last) {
    stream_ = stream;
    workspace_ = workspace;
    workspace_bytes_ = workspace_bytes;
    untuned_last_ = untuned_last;
    MS_CUBLAS(cublasLtCreate(&lt_));
    return {};
}

LtGemm::Key LtGemm::key(const GemmOp& op) {
    return {int(op.opa), int(op.opb), op.m, op.n, op.k, op.lda, op.ldb, op.ldc, int(op.ab), int(op.c)};
}

LtGemm::Plan& LtGemm::plan(const GemmOp& op) {
    const Key k = key(op);
    if (auto it = plans_.find(k); it != plans_.end()) return *it->second;
    auto p = std::make_unique<Plan>();
    p->shape = cat(op.m, " x ", op.n, " x ", op.k, ", ", op_name(op.opa), op_name(op.opb));
    if (const Result<void> r = make_plan(op, *p); !r) {
        p->algos.clear();
        p->why_none = r.error().message;
    } else if (p->algos.empty()) {
        p->why_none = "it offers no algorithm for this shape on this GPU";
    }
    p->chosen = untuned_last_ && !p->algos.empty() ? int(p->algos.size()) - 1 : 0;
    Plan& made = *p;
    plans_.emplace(k, std::move(p));
    return made;
}

Result<void> LtGemm::make_plan(const GemmOp& op, Plan& p) {
    if (!lt_) return make_error("cuBLASLt is not set up");
    MS_CUBLAS(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    MS_CUBLAS(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op.opa, sizeof(op.opa)));
    MS_CUBLAS(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op.opb, sizeof(op.opb)));
    // Stored shapes: op(A) is m × k, op(B) k × n.
    const bool ta = op.opa != CUBLAS_OP_N, tb = op.opb != CUBLAS_OP_N;
    MS_CUBLAS(cublasLtMatrixLayoutCreate(&p.a, op.ab, ta ? op.k : op.m, ta ? op.m : op.k, op.lda));
    MS_CUBLAS(cublasLtMatrixLayoutCreate(&p.b, op.ab, tb ? op.n : op.k, tb ? op.k : op.n, op.ldb));
    MS_CUBLAS(cublasLtMatrixLayoutCreate(&p.c, op.c, op.m, op.n, op.ldc));
    cublasLtMatmulPreference_t pref = nullptr;
    MS_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
    cublasLtMatmulHeuristicResult_t found[kMaxAlgos] = {};
    int n_found = 0;
    cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                            &workspace_bytes_, sizeof(workspace_bytes_));
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulAlgoGetHeuristic(lt_, p.desc, p.a, p.b, p.c, p.c, pref, kMaxAlgos, found, &n_found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (s != CUBLAS_STATUS_SUCCESS && s != CUBLAS_STATUS_NOT_SUPPORTED)
        return make_error("no algorithm chosen: ", cublasGetStatusString(s));
    for (int i = 0; i < n_found; ++i) {
        if (found[i].state != CUBLAS_STATUS_SUCCESS) continue;
        // Split-K algorithms add partial products in another order; one whose split cannot be
        // read is left out too.
        int split = 0;
        size_t written = 0;
        if (cublasLtMatmulAlgoConfigGetAttribute(&found[i].algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &split, sizeof(split),
                                                 &written) == CUBLAS_STATUS_SUCCESS &&
            written == sizeof(split) && split <= 1)
            p.algos.push_back(found[i].algo);
    }
    return {};
}

bool LtGemm::available(const GemmOp& op) { return !plan(op).algos.empty(); }

bool LtGemm::tuned(const GemmOp& op) { return plan(op).tuned; }

int LtGemm::candidates(const GemmOp& op) { return int(plan(op).algos.size()); }

Result<void> LtGemm::launch(const Plan& p, const GemmOp& op, int algo) {
    if (p.algos.empty()) return make_error("cannot run the ", p.shape, " product through cuBLASLt: ", p.why_none);
    const float alpha = 1.0f;
    const cublasStatus_t s = cublasLtMatmul(lt_, p.desc, &alpha, op.A, p.a, op.B, p.b, &op.beta, op.C, p.c, op.C, p.c,
                                            &p.algos[size_t(algo)], workspace_, workspace_bytes_, stream_);
    if (s != CUBLAS_STATUS_SUCCESS)
        return make_error("cuBLASLt failed on the ", p.shape, " product (algorithm ", algo,
                          "): ", cublasGetStatusString(s));
    return {};
}

Result<void> LtGemm::run(const GemmOp& op) {
    const Plan& p = plan(op);
    return launch(p, op, p.chosen);
}

Result<void> LtGemm::run_with(const GemmOp& op, int algo) {
    const Plan& p = plan(op);
    if (!p.algos.empty() && (algo < 0 || size_t(algo) >= p.algos.size()))
        return make_error("algorithm ", algo, " of the ", p.shape, " product is outside 0..", p.algos.size() - 1);
    return launch(p, op, algo);
}

Result<GemmTuning> LtGemm::tune(const GemmOp& op) {
    Plan& p = plan(op);
    p.tuned = true;  // whatever happens below: a shape is tuned once
    p.chosen = 0;
    if (p.algos.empty()) return launch(p, op, 0).error();  // the error naming the shape
    Result<GemmTuning> r = measure(p, op);
    if (!r) p.chosen = 0;
    return r;
}

Result<GemmTuning> LtGemm::measure(Plan& p, const GemmOp& op) {
    GemmTuning report;
    report.shape = p.shape;
    report.candidates = int(p.algos.size());
    // Same bits: each candidate's product (beta 0, so C's old contents play no part) at both ends
    // of C against the first candidate's. A different order of additions changes the rounding of
    // nearly every element, so two MiB tell.
    GemmOp fresh = op;
    fresh.beta = 0.0f;
    const size_t c_bytes = (size_t(op.ldc) * size_t(op.n - 1) + size_t(op.m)) * element_bytes(op.c);
    const size_t head = std::min(c_bytes, kCompareBytes), tail = std::min(c_bytes - head, kCompareBytes);
    std::vector<uint8_t> first(head + tail), cur(head + tail);
    std::vector<bool> same(p.algos.size(), true);
    for (size_t i = 0; i < p.algos.size(); ++i) {
        MS_TRY(launch(p, fresh, int(i)));
        std::vector<uint8_t>& dst = i == 0 ? first : cur;
        const uint8_t* c = static_cast<const uint8_t*>(op.C);
        MS_CU(cudaMemcpyAsync(dst.data(), c, head, cudaMemcpyDeviceToHost, stream_));
        if (tail) MS_CU(cudaMemcpyAsync(dst.data() + head, c + c_bytes - tail, tail, cudaMemcpyDeviceToHost, stream_));
        MS_CU(cudaStreamSynchronize(stream_));
        if (i > 0 && cur != first) {
            same[i] = false;
            ++report.other_bits;
        }
    }
    EventPair ev;
    MS_CU(cudaEventCreate(&ev.a));
    MS_CU(cudaEventCreate(&ev.b));
    std::vector<float> us(p.algos.size(), 0.0f);
    for (size_t i = 0; i < p.algos.size(); ++i) {
        if (!same[i]) continue;
        MS_TRY(launch(p, op, int(i)));  // warm-up
        float group[kGroups];
        for (float& ms : group) {
            MS_CU(cudaEventRecord(ev.a, stream_));
            for (int k = 0; k < kRunsPerGroup; ++k) MS_TRY(launch(p, op, int(i)));
            MS_CU(cudaEventRecord(ev.b, stream_));
            MS_CU(cudaEventSynchronize(ev.b));
            MS_CU(cudaEventElapsedTime(&ms, ev.a, ev.b));
        }
        std::sort(group, group + kGroups);
        us[i] = group[kGroups / 2] * 1000.0f / kRunsPerGroup;
    }
    size_t best = 0;
    for (size_t i = 1; i < p.algos.size(); ++i)
        if (same[i] && us[i] < us[best]) best = i;
    p.chosen = us[best] < kKeepFirstWithin * us[0] ? int(best) : 0;
    report.chosen = p.chosen;
    report.first_us = us[0];
    report.chosen_us = us[size_t(p.chosen)];
    return report;
}

}  // namespace ms

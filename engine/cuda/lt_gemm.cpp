#include "engine/cuda/lt_gemm.h"

#include <algorithm>

#include "engine/cuda/cuda_check.h"

namespace ms {

namespace {

constexpr int kMaxAlgos = 8;        // the heuristic's first eight: the probe found the fastest among them
constexpr int kTimedRuns = 5;
constexpr float kKeepFirstWithin = 0.98f;

const char* op_name(cublasOperation_t o) { return o == CUBLAS_OP_N ? "N" : "T"; }

// Events around each run; destroyed on every path out.
struct EventPair {
    cudaEvent_t a = nullptr, b = nullptr;
    ~EventPair() {
        if (a) cudaEventDestroy(a);
        if (b) cudaEventDestroy(b);
    }
};

}  // namespace

LtGemm::Plan::~Plan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (desc) cublasLtMatmulDescDestroy(desc);
}

LtGemm::~LtGemm() {
    plans_.clear();   // before the handle they were made with
    if (lt_) cublasLtDestroy(lt_);
}

Result<void> LtGemm::init(cudaStream_t stream, void* workspace, size_t workspace_bytes) {
    stream_ = stream;
    workspace_ = workspace;
    workspace_bytes_ = workspace_bytes;
    MS_CUBLAS(cublasLtCreate(&lt_));
    return {};
}

LtGemm::Key LtGemm::key(const GemmOp& op) {
    return {int(op.opa), int(op.opb), op.m, op.n, op.k, op.lda, op.ldb, op.ldc, int(op.ab), int(op.c)};
}

bool LtGemm::tuned(const GemmOp& op) const {
    const auto it = plans_.find(key(op));
    return it != plans_.end() && it->second->tuned;
}

std::vector<GemmTuning> LtGemm::tunings() const {
    std::vector<GemmTuning> out;
    for (const auto& [k, p] : plans_)
        if (p->tuned) out.push_back(p->report);
    return out;
}

Result<LtGemm::Plan*> LtGemm::plan(const GemmOp& op) {
    const Key k = key(op);
    if (auto it = plans_.find(k); it != plans_.end()) return it->second.get();
    auto p = std::make_unique<Plan>();
    p->report.shape = cat(op.m, " x ", op.n, " x ", op.k, ", ", op_name(op.opa), op_name(op.opb));
    if (const Result<void> r = make_plan(op, *p); !r)
        return make_error("cannot run the ", p->report.shape, " product through cuBLASLt: ", r.error().message);
    Plan* made = p.get();
    plans_.emplace(k, std::move(p));
    return made;
}

Result<void> LtGemm::make_plan(const GemmOp& op, Plan& p) {
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
        // Split-K algorithms add partial products in another order: leave them out (see the header).
        int split = 1;
        size_t written = 0;
        cublasLtMatmulAlgoConfigGetAttribute(&found[i].algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &split, sizeof(split),
                                             &written);
        if (split <= 1) p.algos.push_back(found[i].algo);
    }
    return {};
}

Result<bool> LtGemm::available(const GemmOp& op) {
    Plan* p = nullptr;
    MS_ASSIGN(p, plan(op));
    return !p->algos.empty();
}

Result<void> LtGemm::launch(const Plan& p, const GemmOp& op, int algo) {
    if (p.algos.empty()) return make_error("cuBLASLt offers no algorithm for the ", p.report.shape, " product on this GPU");
    const float alpha = 1.0f;
    MS_CUBLAS(cublasLtMatmul(lt_, p.desc, &alpha, op.A, p.a, op.B, p.b, &op.beta, op.C, p.c, op.C, p.c,
                             &p.algos[size_t(algo)], workspace_, workspace_bytes_, stream_));
    return {};
}

Result<void> LtGemm::run(const GemmOp& op) {
    Plan* p = nullptr;
    MS_ASSIGN(p, plan(op));
    return launch(*p, op, p->chosen);
}

Result<int> LtGemm::candidates(const GemmOp& op) {
    Plan* p = nullptr;
    MS_ASSIGN(p, plan(op));
    return int(p->algos.size());
}

Result<void> LtGemm::run_with(const GemmOp& op, int algo) {
    Plan* p = nullptr;
    MS_ASSIGN(p, plan(op));
    if (algo < 0 || (!p->algos.empty() && size_t(algo) >= p->algos.size()))
        return make_error("algorithm ", algo, " of the ", p->report.shape, " product is outside 0..", p->algos.size() - 1);
    return launch(*p, op, algo);
}

Result<void> LtGemm::tune(const GemmOp& op) {
    Plan* p = nullptr;
    MS_ASSIGN(p, plan(op));
    if (p->algos.empty()) return launch(*p, op, 0);   // the error naming the shape
    EventPair ev;
    MS_CU(cudaEventCreate(&ev.a));
    MS_CU(cudaEventCreate(&ev.b));
    std::vector<float> median(p->algos.size());
    for (size_t i = 0; i < p->algos.size(); ++i) {
        MS_TRY(launch(*p, op, int(i)));   // warm-up
        float t[kTimedRuns];
        for (float& ms : t) {
            MS_CU(cudaEventRecord(ev.a, stream_));
            MS_TRY(launch(*p, op, int(i)));
            MS_CU(cudaEventRecord(ev.b, stream_));
            MS_CU(cudaEventSynchronize(ev.b));
            MS_CU(cudaEventElapsedTime(&ms, ev.a, ev.b));
        }
        std::sort(t, t + kTimedRuns);
        median[i] = t[kTimedRuns / 2];
    }
    const size_t best = size_t(std::min_element(median.begin(), median.end()) - median.begin());
    p->chosen = median[best] < kKeepFirstWithin * median[0] ? int(best) : 0;
    p->tuned = true;
    p->report.candidates = int(p->algos.size());
    p->report.chosen = p->chosen;
    p->report.first_us = median[0] * 1000.0f;
    p->report.chosen_us = median[size_t(p->chosen)] * 1000.0f;
    return {};
}

}  // namespace ms

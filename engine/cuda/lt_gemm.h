// The runner's bf16 matrix products through cuBLASLt, each shape with its own algorithm.
//
// Why not cublasGemmEx alone: for the runner's shapes (a 131K-position chunk against 256-to-1024
// wide weights) the algorithm cuBLAS's heuristic puts first is up to 1.2x slower than another it
// also offers (in_proj of 256 x 16: 142 against 118 us on an H200, docs/performance.md). So a shape
// can be tuned: each algorithm the heuristic offers is timed on the real operands and the fastest
// kept. A result must not depend on that choice (two runs, or two GPUs of cuda:all, may time them
// differently), so tuning first runs every candidate on the same operands and keeps only those
// whose output is bit for bit the first one's; split-K algorithms, which add partial products in
// another order, are not offered at all.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.h"

namespace ms {

// cuBLAS's column-major C (m × n, ld ldc) = op(A) · op(B) + beta·C, fp32 accumulation. Operands are
// assumed 256-byte aligned (cudaMalloc bases), as the heuristic assumes by default.
struct GemmOp {
    cublasOperation_t opa = CUBLAS_OP_N, opb = CUBLAS_OP_N;
    int m = 0, n = 0, k = 0;
    const void* A = nullptr;
    int lda = 0;
    const void* B = nullptr;
    int ldb = 0;
    cudaDataType ab = CUDA_R_16BF;  // A and B
    void* C = nullptr;
    int ldc = 0;
    cudaDataType c = CUDA_R_16BF;
    float beta = 0.0f;
};

// What tuning found for one shape (for reports).
struct GemmTuning {
    std::string shape;   // "m x n x k, opA opB"
    int candidates = 0;  // algorithms offered (split-K left out)
    int other_bits = 0;  // of those, left out because their output differed from the first's
    int chosen = 0;      // index among the candidates, in the heuristic's order; 0 = its first choice
    float first_us = 0, chosen_us = 0;
};

class LtGemm {
public:
    LtGemm() = default;
    LtGemm(const LtGemm&) = delete;
    LtGemm& operator=(const LtGemm&) = delete;
    ~LtGemm();

    // Products run on `stream` with `workspace` (kept by the caller, fixed so graphs can capture it).
    // untuned_last: a shape not tuned runs the last algorithm on offer instead of the first (for
    // tests, which hold a product off the heuristic's first choice to the same bits).
    Result<void> init(cudaStream_t stream, void* workspace, size_t workspace_bytes, bool untuned_last = false);
    // Whether cuBLASLt has an algorithm for op's shape. It has none, e.g., for bf16 rows whose
    // leading dimension is not a multiple of 8 elements, and where it could not be asked; the
    // caller then uses cublasGemmEx.
    bool available(const GemmOp& op);
    // Enqueues op with its shape's algorithm: the tuned one, or (untuned) the heuristic's first.
    // Capturable into a CUDA graph. An error names the shape.
    Result<void> run(const GemmOp& op);
    // Runs every candidate once on op's operands with beta = 0 and keeps those whose output (its
    // first and last MiB) is bit for bit the first candidate's; times those (a warm-up, then three
    // groups of four back-to-back runs, the median group) and keeps the fastest, unless it wins by
    // less than 2 %, so timing noise does not flip the choice. Synchronous, so never while the
    // stream is being captured; writes op.C. On an error the shape keeps the first algorithm.
    Result<GemmTuning> tune(const GemmOp& op);
    bool tuned(const GemmOp& op);
    // The candidates for op's shape, and op through the i-th of them (for tests).
    int candidates(const GemmOp& op);
    Result<void> run_with(const GemmOp& op, int algo);

private:
    using Key = std::tuple<int, int, int, int, int, int, int, int, int, int>;
    // A shape's descriptors (owned) and candidate algorithms.
    struct Plan {
        Plan() = default;
        Plan(const Plan&) = delete;
        Plan& operator=(const Plan&) = delete;
        ~Plan();
        cublasLtMatmulDesc_t desc = nullptr;
        cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
        std::vector<cublasLtMatmulAlgo_t> algos;  // the heuristic's order; none: cuBLASLt cannot run it
        std::string why_none;                     // when none: what cuBLASLt said
        int chosen = 0;
        bool tuned = false;
        std::string shape;
    };
    static Key key(const GemmOp& op);
    // The shape's plan, made on first use; a shape cuBLASLt cannot take gets a plan with no
    // algorithms and the reason.
    Plan& plan(const GemmOp& op);
    Result<void> make_plan(const GemmOp& op, Plan& p);
    Result<void> launch(const Plan& p, const GemmOp& op, int algo);
    Result<GemmTuning> measure(Plan& p, const GemmOp& op);

    cudaStream_t stream_ = nullptr;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 0;
    bool untuned_last_ = false;
    cublasLtHandle_t lt_ = nullptr;
    std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace ms

// The runner's bf16 matrix products through cuBLASLt, each shape with its own algorithm.
//
// Why not cublasGemmEx alone: for the runner's shapes (a 131K-position chunk against 256-to-1024
// wide weights) the algorithm cuBLAS's heuristic puts first is up to 1.2x slower than another it
// also offers (in_proj of 256 x 16: 142 against 118 us on an H200, docs/performance.md). So a shape
// can be tuned: each algorithm the heuristic offers is timed on the real operands and the fastest
// kept. Only algorithms that do not split the inner dimension are offered, so every candidate adds
// the products in the same order and the choice changes the speed, never the bits of the result
// (tests/engine/test_cuda_conformance.cpp checks tuned against untuned).
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

// cuBLAS's column-major C (m × n, ld ldc) = op(A) · op(B) + beta·C, fp32 accumulation.
struct GemmOp {
    cublasOperation_t opa = CUBLAS_OP_N, opb = CUBLAS_OP_N;
    int m = 0, n = 0, k = 0;
    const void* A = nullptr;
    int lda = 0;
    const void* B = nullptr;
    int ldb = 0;
    cudaDataType ab = CUDA_R_16BF;   // A and B
    void* C = nullptr;
    int ldc = 0;
    cudaDataType c = CUDA_R_16BF;
    float beta = 0.0f;
};

// What tuning found for one shape (for reports).
struct GemmTuning {
    std::string shape;    // "m x n x k, opA opB"
    int candidates = 0;   // algorithms timed
    int chosen = 0;       // index in the heuristic's order; 0 = its first choice
    float first_us = 0, chosen_us = 0;
};

class LtGemm {
public:
    LtGemm() = default;
    LtGemm(const LtGemm&) = delete;
    LtGemm& operator=(const LtGemm&) = delete;
    ~LtGemm();

    // Products run on `stream` with `workspace` (kept by the caller, fixed so graphs can capture it).
    Result<void> init(cudaStream_t stream, void* workspace, size_t workspace_bytes);
    // Whether cuBLASLt has an algorithm for op's shape (it has none, e.g., for bf16 rows whose
    // leading dimension is not a multiple of 8 elements); the caller then uses cublasGemmEx.
    Result<bool> available(const GemmOp& op);
    // Enqueues op with its shape's algorithm: the tuned one, or the heuristic's first for a shape
    // not tuned. Capturable into a CUDA graph.
    Result<void> run(const GemmOp& op);
    // Times every offered algorithm on op's operands (a warm-up and five timed runs each, the
    // median) and keeps the fastest for op's shape; the heuristic's first stays unless another is
    // faster by more than 2 %, so timing noise does not flip the choice. Synchronous, so never
    // while the stream is being captured; writes op.C (several times when beta ≠ 0).
    Result<void> tune(const GemmOp& op);
    bool tuned(const GemmOp& op) const;
    std::vector<GemmTuning> tunings() const;
    // The algorithms on offer for op's shape, and op through the i-th of them (for tests, which
    // hold each to the same bits).
    Result<int> candidates(const GemmOp& op);
    Result<void> run_with(const GemmOp& op, int algo);

private:
    using Key = std::tuple<int, int, int, int, int, int, int, int, int, int>;
    // A shape's descriptors (owned) and algorithms.
    struct Plan {
        Plan() = default;
        Plan(const Plan&) = delete;
        Plan& operator=(const Plan&) = delete;
        ~Plan();
        cublasLtMatmulDesc_t desc = nullptr;
        cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
        std::vector<cublasLtMatmulAlgo_t> algos;   // the offered ones, the heuristic's order; may be none
        int chosen = 0;
        bool tuned = false;
        GemmTuning report;
    };
    static Key key(const GemmOp& op);
    // The shape's plan, made on first use (with no algorithms where cuBLASLt offers none); a
    // failure to make one leaves no plan behind.
    Result<Plan*> plan(const GemmOp& op);
    Result<void> make_plan(const GemmOp& op, Plan& p);
    Result<void> launch(const Plan& p, const GemmOp& op, int algo);

    cudaStream_t stream_ = nullptr;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 0;
    cublasLtHandle_t lt_ = nullptr;
    std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace ms

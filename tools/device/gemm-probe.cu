// Probe (GPU machine): the runner's four products for a chunk of 256 x 16 (channel-major, bf16, as
// engine/cuda/cuda_backend.cpp writes them), timed through cublasGemmEx's default and through every
// algorithm cuBLASLt's heuristic offers (median of 25 event-timed calls), each algorithm's output
// compared bit for bit with the first one's. Standalone on purpose: it measures cuBLAS, not us.
//   nvcc -O2 -arch=sm_90 gemm-probe.cu -lcublasLt -lcublas -o /tmp/gp && /tmp/gp [positions]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#define CK(x) do { auto e_ = (x); if (e_ != 0) { std::printf("%s:%d %s -> %d\n", __FILE__, __LINE__, #x, int(e_)); std::exit(1); } } while (0)

__global__ void fill(__nv_bfloat16* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
        unsigned h = unsigned(i) * 2654435761u ^ seed;
        h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
        p[i] = __float2bfloat16(float(h & 0xffff) / 32768.0f - 1.0f);
    }
}

struct Shape { const char* name; cublasOperation_t ta, tb; int m, n, k, lda, ldb, ldc; cudaDataType ct; float beta; };

template <class F> float median_ms(F f, int reps = 25) {
    cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
    for (int i = 0; i < 3; ++i) f();
    std::vector<float> t;
    for (int i = 0; i < reps; ++i) {
        cudaEventRecord(a); f(); cudaEventRecord(b); cudaEventSynchronize(b);
        float ms; cudaEventElapsedTime(&ms, a, b); t.push_back(ms);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int main(int argc, char** argv) {
    const int N = argc > 1 ? std::atoi(argv[1]) : 131072;
    const int dm = 256, di = 512, R = 48, dtr = 16;
    const Shape shapes[] = {
        {"in_proj", CUBLAS_OP_T, CUBLAS_OP_N, N, 2 * di, dm, dm, dm, N, CUDA_R_16BF, 0.f},
        {"x_proj", CUBLAS_OP_T, CUBLAS_OP_T, R, N, di, di, N, R, CUDA_R_16BF, 0.f},
        {"dt_proj", CUBLAS_OP_T, CUBLAS_OP_N, N, di, dtr, R, dtr, N, CUDA_R_16BF, 0.f},
        {"out_proj", CUBLAS_OP_T, CUBLAS_OP_T, dm, N, di, di, N, dm, CUDA_R_32F, 1.f},
    };
    cublasHandle_t h; CK(cublasCreate(&h));
    cublasLtHandle_t lt; CK(cublasLtCreate(&lt));
    const size_t ws_bytes = size_t(32) << 20;
    void* ws; CK(cudaMalloc(&ws, ws_bytes));
    CK(cublasSetWorkspace(h, ws, ws_bytes));
    std::printf("%-9s %10s %10s %10s %6s %s\n", "product", "GemmEx", "lt heur0", "lt best", "algos", "best/GemmEx");
    for (const Shape& s : shapes) {
        const size_t a_cols = s.ta == CUBLAS_OP_N ? s.k : s.m, b_cols = s.tb == CUBLAS_OP_N ? s.n : s.k;
        const size_t a_rows = s.ta == CUBLAS_OP_N ? s.m : s.k, b_rows = s.tb == CUBLAS_OP_N ? s.k : s.n;
        __nv_bfloat16 *A, *B; void* C;
        CK(cudaMalloc(&A, size_t(s.lda) * a_cols * 2)); CK(cudaMalloc(&B, size_t(s.ldb) * b_cols * 2));
        const size_t csz = s.ct == CUDA_R_32F ? 4 : 2;
        CK(cudaMalloc(&C, size_t(s.ldc) * s.n * csz));
        fill<<<1024, 256>>>(A, size_t(s.lda) * a_cols, 1); fill<<<1024, 256>>>(B, size_t(s.ldb) * b_cols, 2);
        CK(cudaMemset(C, 0, size_t(s.ldc) * s.n * csz));
        const float one = 1.f, beta = s.beta;
        const float t_ex = median_ms([&] {
            cublasGemmEx(h, s.ta, s.tb, s.m, s.n, s.k, &one, A, CUDA_R_16BF, s.lda, B, CUDA_R_16BF, s.ldb, &beta, C, s.ct,
                         s.ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        });
        cublasLtMatmulDesc_t op; CK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
        CK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &s.ta, sizeof(s.ta)));
        CK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &s.tb, sizeof(s.tb)));
        cublasLtMatrixLayout_t la, lb, lc;
        CK(cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, a_rows, a_cols, s.lda));
        CK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, b_rows, b_cols, s.ldb));
        CK(cublasLtMatrixLayoutCreate(&lc, s.ct, s.m, s.n, s.ldc));
        cublasLtMatmulPreference_t pref; CK(cublasLtMatmulPreferenceCreate(&pref));
        CK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof(ws_bytes)));
        cublasLtMatmulHeuristicResult_t res[64]; int got = 0;
        CK(cublasLtMatmulAlgoGetHeuristic(lt, op, la, lb, lc, lc, pref, 64, res, &got));
        float best = 1e30f, first = 0; int best_i = -1;
        const size_t cn = size_t(s.ldc) * s.n * csz;
        std::vector<unsigned char> ref(cn), cur(cn);
        for (int i = 0; i < got; ++i) {
            if (res[i].state != CUBLAS_STATUS_SUCCESS) continue;
            // The same inputs through this algorithm: bitwise the same as the heuristic's first?
            CK(cudaMemset(C, 0, cn));
            fill<<<1024, 256>>>(reinterpret_cast<__nv_bfloat16*>(C), cn / 2, 3);
            cublasLtMatmul(lt, op, &one, A, la, B, lb, &beta, C, lc, C, lc, &res[i].algo, ws, ws_bytes, 0);
            CK(cudaMemcpy(i == 0 ? ref.data() : cur.data(), C, cn, cudaMemcpyDeviceToHost));
            size_t diff = 0;
            if (i) for (size_t j = 0; j < cn; ++j) diff += ref[j] != cur[j];
            int tile = 0, stages = 0, splitk = 0, red = 0; size_t w = 0;
            cublasLtMatmulAlgoConfigGetAttribute(&res[i].algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof tile, &w);
            cublasLtMatmulAlgoConfigGetAttribute(&res[i].algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof stages, &w);
            cublasLtMatmulAlgoConfigGetAttribute(&res[i].algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk, sizeof splitk, &w);
            cublasLtMatmulAlgoConfigGetAttribute(&res[i].algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &red, sizeof red, &w);
            const float t = median_ms([&] {
                cublasLtMatmul(lt, op, &one, A, la, B, lb, &beta, C, lc, C, lc, &res[i].algo, ws, ws_bytes, 0);
            });
            std::printf("  %-9s #%d tile %d stages %d splitK %d red %d ws %zu: %.1f us, %zu bytes differ from #0\n", s.name, i,
                        tile, stages, splitk, red, res[i].workspaceSize, t * 1000, diff);
            if (cudaGetLastError() != cudaSuccess) continue;
            if (i == 0) first = t;
            if (t < best) { best = t; best_i = i; }
        }
        std::printf("%-9s %10.1f %10.1f %10.1f %6d  #%d %.2fx\n", s.name, t_ex * 1000, first * 1000, best * 1000, got, best_i,
                    t_ex / best);
        cudaFree(A); cudaFree(B); cudaFree(C);
    }
    return 0;
}

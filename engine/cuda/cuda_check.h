// Error returns for CUDA runtime and cuBLAS calls inside functions that return Result: a failed
// call becomes an Error naming the call and the library's own words for the failure.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "common/error.h"

namespace ms {

inline Error cuda_error(const char* what, cudaError_t e) {
    return make_error("CUDA error in ", what, ": ", cudaGetErrorString(e));
}

}  // namespace ms

#define MS_CU(expr)                                                            \
    do {                                                                       \
        const cudaError_t ms_cu_e_ = (expr);                                   \
        if (ms_cu_e_ != cudaSuccess) return ::ms::cuda_error(#expr, ms_cu_e_); \
    } while (0)

#define MS_CUBLAS(expr)                                                                                \
    do {                                                                                               \
        const cublasStatus_t ms_cb_s_ = (expr);                                                        \
        if (ms_cb_s_ != CUBLAS_STATUS_SUCCESS)                                                         \
            return ::ms::make_error("cuBLAS error in ", #expr, ": ", cublasGetStatusString(ms_cb_s_)); \
    } while (0)

// The CUDA backend: a ModelRunner that keeps the weights, the activations of one chunk and every
// stream's recurrent state on one GPU, running matrix products through cuBLAS and the rest through
// kernels/ (conv1d, selective scan, RMSNorm + residual). Built into libmambascope_cuda.so only.
#pragma once

#include <memory>
#include <string>

#include "engine/backend.h"

namespace ms {

// A backend on CUDA device `device`, or the reason it cannot be had.
Result<std::unique_ptr<Backend>> make_cuda_backend(int device);

}  // namespace ms

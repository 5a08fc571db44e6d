// The CPU backend: float32, matrix products through OpenBLAS, the scan, conv and norms vectorised
// and split over channels on a thread pool. Handles every model the loader accepts.
#pragma once

#include <memory>

#include "engine/backend.h"

namespace ms {

// threads ≤ 0: all hardware threads (OpenBLAS is told the same).
std::unique_ptr<Backend> make_cpu_backend(int threads = 0);

// The BLAS in use, e.g. "OpenBLAS 0.3.21 (pthreads, Haswell)", for --version and bench.
std::string blas_description();

}  // namespace ms

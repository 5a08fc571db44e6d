// The CPU backend: float32, matrix products through OpenBLAS (single-threaded calls, one per pool
// thread over its rows), the scan, conv and norms vectorised and split over channels on the same
// thread pool. Handles every model the loader accepts with d_state ≤ 256 (supports() says so for
// larger ones).
#pragma once

#include <memory>
#include <string>

#include "engine/backend.h"

namespace ms {

// threads ≤ 0: all hardware threads (OpenBLAS itself runs one thread per call); fewer under an
// address-space limit that cannot hold them (thread_budget.h), and then `fewer_threads` says why.
std::unique_ptr<Backend> make_cpu_backend(int threads = 0, std::string* fewer_threads = nullptr);

// The BLAS in use, e.g. "OpenBLAS 0.3.21 (pthreads, Haswell)", for --version and bench.
std::string blas_description();

}  // namespace ms

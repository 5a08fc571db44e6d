// Principal component analysis of embeddings down to two dimensions, for the embeddings plot.
// Plain C++ over Eigen (no Qt), so it runs on a worker thread and is tested on its own.
#pragma once

#include <cstdint>
#include <vector>

namespace ms::ui {

struct Projection2D {
    std::vector<float> x, y;      // one point per row, PC1 and PC2
    double explained[2] = {0, 0}; // fraction of the total variance along PC1 and PC2
};

// `data` is [n, d] row-major. The rows are centred, the covariance [d, d] decomposed, and each row
// projected on the two leading eigenvectors; each axis's sign is fixed so that its largest
// coefficient is positive (the same data always gives the same picture). n < 2 or d < 1 gives
// zeros; d == 1 gives y = 0.
Projection2D pca2d(const std::vector<float>& data, int64_t n, int d);

}  // namespace ms::ui

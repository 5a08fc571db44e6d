#include "ui/embedding_projection.h"

#include <Eigen/Dense>
#include <cassert>

namespace ms::ui {

Projection2D pca2d(const std::vector<float>& data, int64_t n, int d) {
    assert(int64_t(data.size()) == n * d);
    Projection2D p;
    p.x.assign(size_t(n), 0.0f);
    p.y.assign(size_t(n), 0.0f);
    if (n < 2 || d < 1) return p;
    // Double precision for the covariance: sums over many rows of float32 lose digits.
    using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> m(data.data(), n, d);
    Mat centred = m.cast<double>();
    centred.rowwise() -= centred.colwise().mean();
    // [d, n] x [n, d] => [d, d]
    const Eigen::MatrixXd cov = (centred.transpose() * centred) / double(n - 1);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    if (eig.info() != Eigen::Success) return p;
    // Eigenvalues ascending: the last two columns are PC1 and PC2.
    const double total = eig.eigenvalues().sum();
    const int axes = std::min(d, 2);
    for (int a = 0; a < axes; ++a) {
        Eigen::VectorXd v = eig.eigenvectors().col(d - 1 - a);
        Eigen::Index big = 0;
        v.cwiseAbs().maxCoeff(&big);
        if (v(big) < 0) v = -v;
        // [n, d] x [d] => [n]
        const Eigen::VectorXd proj = centred * v;
        std::vector<float>& out = a == 0 ? p.x : p.y;
        for (int64_t i = 0; i < n; ++i) out[size_t(i)] = float(proj(i));
        p.explained[a] = total > 0 ? std::max(0.0, eig.eigenvalues()(d - 1 - a)) / total : 0.0;
    }
    return p;
}

}  // namespace ms::ui

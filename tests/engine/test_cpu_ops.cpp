// The CPU backend's vectorised scan, conv and norm against the double-precision references, over
// shapes that hit the lane tails (d_inner not a multiple of 16), d_state 1…256, and chunks of 1.
#include <random>
#include <vector>

#include "engine/cpu_ops.h"
#include "tests/common/harness.h"

using namespace ms;

namespace {

std::vector<float> randn(std::mt19937& rng, size_t n, float sd = 1.0f, float mean = 0.0f) {
    std::normal_distribution<float> d(mean, sd);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

void check_scan(int T, int di, int S, bool gate, uint32_t seed, float delta_mean = -2.0f) {
    std::mt19937 rng(seed);
    auto u = randn(rng, size_t(T) * di), delta = randn(rng, size_t(T) * di, 1.0f, delta_mean), z = randn(rng, size_t(T) * di);
    auto B = randn(rng, size_t(T) * S), C = randn(rng, size_t(T) * S), D = randn(rng, size_t(di)), bias = randn(rng, size_t(di), 0.5f);
    std::vector<float> A(size_t(di) * S);
    std::uniform_real_distribution<float> ua(0.1f, 10.0f);
    for (float& a : A) a = -ua(rng);
    auto state0 = randn(rng, size_t(di) * S);
    std::vector<float> y_ref(size_t(T) * di, NAN), y(size_t(T) * di, NAN), s_ref = state0, s = state0;
    kernels::ScanArgs a;
    a.T = T; a.d_inner = di; a.d_state = S;
    a.u = u.data(); a.ld_u = size_t(di); a.delta = delta.data(); a.ld_delta = size_t(di); a.delta_bias = bias.data();
    a.A = A.data(); a.B = B.data(); a.ld_B = size_t(S); a.C = C.data(); a.ld_C = size_t(S); a.D = D.data();
    a.z = gate ? z.data() : nullptr; a.ld_z = size_t(di);
    a.state = s_ref.data(); a.y = y_ref.data(); a.ld_y = size_t(di);
    kernels::selective_scan_ref(a);
    a.state = s.data(); a.y = y.data();
    // Two calls over channel ranges, as the thread pool splits them.
    const int mid = (di / 2 / cpu::kLanes) * cpu::kLanes;
    cpu::selective_scan(a, 0, mid);
    cpu::selective_scan(a, mid, di);
    // float32 arithmetic over T steps vs double: well under 1e-5 for these decays.
    const double ey = test::rel_error(y.data(), y_ref.data(), y.size()), es = test::rel_error(s.data(), s_ref.data(), s.size());
    MS_CHECK_MSG(ey < 1e-5 && es < 1e-5, "T=" << T << " d_inner=" << di << " d_state=" << S << " gate=" << gate
                                              << ": rel error y " << ey << ", state " << es);
}

}  // namespace

MS_TEST(scan_matches_reference_over_shapes) {
    uint32_t seed = 1;
    for (int S : {1, 4, 16, 64, 256})
        for (int di : {1, 15, 16, 37, 64})
            for (int T : {1, 3, 50}) check_scan(T, di, S, true, seed++);
    check_scan(40, 33, 16, false, seed++);
    // Steps so large that Δ·A underflows: the clamped path of the decay.
    check_scan(20, 40, 16, true, seed++, 30.0f);
}

MS_TEST(conv_matches_reference_and_carries_state) {
    std::mt19937 rng(5);
    for (int K : {2, 3, 4})
        for (int di : {1, 17, 48})
            for (int T : {1, 2, 9}) {
                auto x = randn(rng, size_t(T) * 2 * di), w = randn(rng, size_t(di) * K), b = randn(rng, size_t(di));
                auto st0 = randn(rng, size_t(K - 1) * di);
                std::vector<float> out_ref(size_t(T) * di), out(size_t(T) * di), st_ref = st0, st = st0;
                kernels::ConvArgs a;
                a.T = T; a.d_inner = di; a.d_conv = K; a.x = x.data(); a.ld_x = size_t(2) * di;
                a.w = w.data(); a.bias = b.data(); a.conv_state = st_ref.data(); a.out = out_ref.data(); a.ld_out = size_t(di);
                kernels::causal_conv1d_ref(a);
                a.conv_state = st.data(); a.out = out.data();
                const std::vector<float> w_t = cpu::transpose(w, di, K);
                cpu::causal_conv1d(a, w_t.data(), 0, di);
                MS_CHECK_MSG(test::rel_error(out.data(), out_ref.data(), out.size()) < 1e-6, "K=" << K << " di=" << di << " T=" << T);
                MS_CHECK_MSG(st == st_ref, "state K=" << K << " di=" << di << " T=" << T);
            }
}

MS_TEST(rmsnorm_matches_reference) {
    std::mt19937 rng(9);
    auto x = randn(rng, 7 * 40, 3.0f), w = randn(rng, 40);
    std::vector<float> ref(x.size()), out(x.size());
    kernels::rmsnorm_ref(x.data(), w.data(), ref.data(), 7, 40, 1e-5f);
    cpu::rmsnorm(x.data(), w.data(), out.data(), 40, 1e-5f, 0, 7);
    MS_CHECK(test::rel_error(out.data(), ref.data(), out.size()) < 1e-6);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

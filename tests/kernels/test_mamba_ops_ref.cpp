// The references against cases worked out by hand: if these are wrong, every comparison is.
#include <cmath>
#include <vector>

#include "kernels/mamba_ops.h"
#include "tests/common/harness.h"

using namespace ms::kernels;

MS_TEST(softplus_matches_definition_and_threshold) {
    MS_CHECK(std::abs(softplus_ref(0.0) - std::log(2.0)) < 1e-15);
    MS_CHECK(std::abs(softplus_ref(-30.0) - std::exp(-30.0)) < 1e-20);
    MS_CHECK(softplus_ref(25.0) == 25.0);   // PyTorch's threshold 20
}

// d_state 1, one channel: h_t = exp(d a) h_{t-1} + d b u, y = c h + D u, gated by silu(z).
MS_TEST(scan_single_state_by_hand) {
    const int T = 3;
    std::vector<float> u = {1, 2, -1}, delta = {0.1f, 0.2f, 0.3f}, B = {1, 0.5f, 2}, C = {1, 2, 3}, z = {0, 1, -2};
    const float A = -1.5f, D = 0.25f, bias = 0.05f;
    float state = 0.5f;
    std::vector<float> y(T);
    ScanArgs a;
    a.T = T; a.d_inner = 1; a.d_state = 1;
    a.u = u.data(); a.ld_u = 1; a.delta = delta.data(); a.ld_delta = 1; a.delta_bias = &bias;
    a.A = &A; a.B = B.data(); a.ld_B = 1; a.C = C.data(); a.ld_C = 1; a.D = &D; a.z = z.data(); a.ld_z = 1;
    a.state = &state; a.y = y.data(); a.ld_y = 1;
    selective_scan_ref(a);
    double h = 0.5;
    for (int t = 0; t < T; ++t) {
        const double d = std::log1p(std::exp(double(delta[t]) + bias));
        h = std::exp(d * A) * h + d * B[t] * u[t];
        const double silu = z[t] / (1 + std::exp(-double(z[t])));
        const double expect = (C[t] * h + D * u[t]) * silu;
        MS_CHECK_MSG(std::abs(y[t] - expect) < 1e-6, "t=" << t << " y=" << y[t] << " expected " << expect);
    }
    MS_CHECK(std::abs(state - h) < 1e-6);
}

MS_TEST(conv_uses_carried_state_then_keeps_last_inputs) {
    // d_conv 3, one channel: out_t = w0 x_{t-2} + w1 x_{t-1} + w2 x_t + b (no SiLU).
    std::vector<float> x = {1, 2, 3, 4}, w = {0.5f, -1, 2}, state = {10, 20}, out(4);
    const float b = 0.25f;
    ConvArgs a;
    a.T = 4; a.d_inner = 1; a.d_conv = 3; a.x = x.data(); a.ld_x = 1; a.w = w.data(); a.bias = &b;
    a.conv_state = state.data(); a.out = out.data(); a.ld_out = 1; a.silu = false;
    causal_conv1d_ref(a);
    const float full[6] = {10, 20, 1, 2, 3, 4};
    for (int t = 0; t < 4; ++t) {
        const float expect = 0.5f * full[t] - full[t + 1] + 2 * full[t + 2] + b;
        MS_CHECK_MSG(std::abs(out[t] - expect) < 1e-6, "t=" << t);
    }
    MS_CHECK(state[0] == 3 && state[1] == 4);
    // A chunk shorter than the state: the state shifts by one.
    float one = 5, o1;
    a.T = 1; a.x = &one; a.out = &o1;
    causal_conv1d_ref(a);
    MS_CHECK(state[0] == 4 && state[1] == 5);
    MS_CHECK(std::abs(o1 - (0.5f * 3 - 4 + 2 * 5 + b)) < 1e-6);
}

MS_TEST(rmsnorm_by_hand) {
    const float x[2] = {3, 4}, w[2] = {1, 2};
    float out[2];
    rmsnorm_ref(x, w, out, 1, 2, 0.0f);
    const double r = std::sqrt((9 + 16) / 2.0);
    MS_CHECK(std::abs(out[0] - 3 / r) < 1e-6 && std::abs(out[1] - 8 / r) < 1e-6);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

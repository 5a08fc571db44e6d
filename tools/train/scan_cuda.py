"""The selective scan for training on an NVIDIA GPU: a forward and a backward CUDA kernel built at
run time with torch.utils.cpp_extension (nvcc and ninja are on the GPU machine).

The PyTorch-only parallel scan (mamba_torch.selective_scan) moves [batch, L, d_inner, d_state]
tensors through memory a few dozen times a layer and trains at ~10 kbases/s for the 7M model. Here
one thread owns one (sequence, channel) and walks the positions with its d_state states in
registers: the forward writes y and the states h (the backward needs h[t-1]); the backward walks
back carrying dL/dh, and sums dB, dC over the channels of a warp with a butterfly of shuffles
(32 values in 31 shuffles) before one atomic add per warp. d_state is 16 (both bundled models).
"""
import torch

_CUDA = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

constexpr int NS = 16;

__global__ void scan_fwd(const float* __restrict__ u, const float* __restrict__ dt, const float* __restrict__ A,
                         const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ Dv,
                         float* __restrict__ y, float* __restrict__ hs, int L, int Di) {
    const int d = blockIdx.x * blockDim.x + threadIdx.x;
    const int b = blockIdx.y;
    if (d >= Di) return;
    float a[NS], h[NS];
    for (int n = 0; n < NS; ++n) { a[n] = A[d * NS + n]; h[n] = 0.f; }
    const float Dd = Dv[d];
    const float* ub = u + (size_t)b * L * Di + d;
    const float* tb = dt + (size_t)b * L * Di + d;
    const float* Bb = Bm + (size_t)b * L * NS;
    const float* Cb = Cm + (size_t)b * L * NS;
    float* yb = y + (size_t)b * L * Di + d;
    float* hb = hs + ((size_t)b * Di + d) * (size_t)L * NS;
    for (int t = 0; t < L; ++t) {
        const float ut = ub[(size_t)t * Di], dtt = tb[(size_t)t * Di];
        const float4* B4 = reinterpret_cast<const float4*>(Bb + (size_t)t * NS);
        const float4* C4 = reinterpret_cast<const float4*>(Cb + (size_t)t * NS);
        float acc = Dd * ut;
        float4* h4 = reinterpret_cast<float4*>(hb + (size_t)t * NS);
#pragma unroll
        for (int q = 0; q < NS / 4; ++q) {
            const float4 bq = B4[q], cq = C4[q];
            const float bv[4] = {bq.x, bq.y, bq.z, bq.w}, cv[4] = {cq.x, cq.y, cq.z, cq.w};
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                const int n = 4 * q + k;
                h[n] = __expf(dtt * a[n]) * h[n] + dtt * bv[k] * ut;
                acc += cv[k] * h[n];
            }
            h4[q] = make_float4(h[4 * q], h[4 * q + 1], h[4 * q + 2], h[4 * q + 3]);
        }
        yb[(size_t)t * Di] = acc;
    }
}

// Sums v[0..31] over the 32 lanes of a warp; afterwards lane i holds the total of v[i] in v[0].
__device__ __forceinline__ float butterfly_sum(float (&v)[32], int lane) {
#pragma unroll
    for (int width = 16; width >= 1; width >>= 1) {
        const bool upper = lane & width;
#pragma unroll
        for (int j = 0; j < width; ++j) {
            const float send = upper ? v[j] : v[j + width];
            const float keep = upper ? v[j + width] : v[j];
            v[j] = keep + __shfl_xor_sync(0xffffffffu, send, width);
        }
    }
    return v[0];
}

__global__ void scan_bwd(const float* __restrict__ u, const float* __restrict__ dt, const float* __restrict__ A,
                         const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ Dv,
                         const float* __restrict__ hs, const float* __restrict__ dy,
                         float* __restrict__ du, float* __restrict__ ddt, float* __restrict__ dA,
                         float* __restrict__ dB, float* __restrict__ dC, float* __restrict__ dD, int L, int Di) {
    const int d = blockIdx.x * blockDim.x + threadIdx.x;   // Di is a multiple of 32: whole warps
    const int b = blockIdx.y;
    const int lane = threadIdx.x & 31;
    float a[NS], g[NS], dAacc[NS];
    for (int n = 0; n < NS; ++n) { a[n] = A[d * NS + n]; g[n] = 0.f; dAacc[n] = 0.f; }
    const float Dd = Dv[d];
    float dDacc = 0.f;
    const size_t row = (size_t)b * L * Di + d;
    const float* hb = hs + ((size_t)b * Di + d) * (size_t)L * NS;
    for (int t = L - 1; t >= 0; --t) {
        const float ut = u[row + (size_t)t * Di], dtt = dt[row + (size_t)t * Di], dyt = dy[row + (size_t)t * Di];
        const float* Bt = Bm + ((size_t)b * L + t) * NS;
        const float* Ct = Cm + ((size_t)b * L + t) * NS;
        float red[32];
        float dut = Dd * dyt, ddtt = 0.f;
        dDacc += ut * dyt;
#pragma unroll
        for (int n = 0; n < NS; ++n) {
            const float ht = hb[(size_t)t * NS + n];
            const float hp = t > 0 ? hb[(size_t)(t - 1) * NS + n] : 0.f;
            const float at = __expf(dtt * a[n]);
            g[n] += Ct[n] * dyt;                    // dL/dh[t], with what flowed back from t+1
            red[n] = ht * dyt;                      // dC[t][n], this channel's part
            red[NS + n] = g[n] * dtt * ut;          // dB[t][n]
            dut += g[n] * dtt * Bt[n];
            ddtt += g[n] * (a[n] * at * hp + Bt[n] * ut);
            dAacc[n] += g[n] * dtt * at * hp;
            g[n] *= at;                             // to h[t-1]
        }
        du[row + (size_t)t * Di] = dut;
        ddt[row + (size_t)t * Di] = ddtt;
        const float s = butterfly_sum(red, lane);
        if (lane < NS) atomicAdd(dC + ((size_t)b * L + t) * NS + lane, s);
        else atomicAdd(dB + ((size_t)b * L + t) * NS + (lane - NS), s);
    }
    for (int n = 0; n < NS; ++n) atomicAdd(dA + d * NS + n, dAacc[n]);
    atomicAdd(dD + d, dDacc);
}

std::vector<torch::Tensor> forward(torch::Tensor u, torch::Tensor dt, torch::Tensor A, torch::Tensor B, torch::Tensor C,
                                   torch::Tensor D) {
    const int Bsz = u.size(0), L = u.size(1), Di = u.size(2);
    auto y = torch::empty_like(u);
    auto hs = torch::empty({Bsz, Di, L, NS}, u.options());
    const dim3 block(128), grid((Di + 127) / 128, Bsz);
    scan_fwd<<<grid, block, 0, at::cuda::getCurrentCUDAStream()>>>(u.data_ptr<float>(), dt.data_ptr<float>(), A.data_ptr<float>(),
        B.data_ptr<float>(), C.data_ptr<float>(), D.data_ptr<float>(), y.data_ptr<float>(), hs.data_ptr<float>(), L, Di);
    return {y, hs};
}

std::vector<torch::Tensor> backward(torch::Tensor u, torch::Tensor dt, torch::Tensor A, torch::Tensor B, torch::Tensor C,
                                    torch::Tensor D, torch::Tensor hs, torch::Tensor dy) {
    const int Bsz = u.size(0), L = u.size(1), Di = u.size(2);
    auto du = torch::empty_like(u), ddt = torch::empty_like(u);
    auto dA = torch::zeros_like(A), dB = torch::zeros_like(B), dC = torch::zeros_like(C), dD = torch::zeros_like(D);
    const dim3 block(128), grid(Di / 128, Bsz);
    scan_bwd<<<grid, block, 0, at::cuda::getCurrentCUDAStream()>>>(u.data_ptr<float>(), dt.data_ptr<float>(), A.data_ptr<float>(),
        B.data_ptr<float>(), C.data_ptr<float>(), D.data_ptr<float>(), hs.data_ptr<float>(), dy.data_ptr<float>(),
        du.data_ptr<float>(), ddt.data_ptr<float>(), dA.data_ptr<float>(), dB.data_ptr<float>(), dC.data_ptr<float>(),
        dD.data_ptr<float>(), L, Di);
    return {du, ddt, dA, dB, dC, dD};
}
"""

_CPP = r"""
#include <torch/extension.h>
std::vector<torch::Tensor> forward(torch::Tensor u, torch::Tensor dt, torch::Tensor A, torch::Tensor B, torch::Tensor C,
                                   torch::Tensor D);
std::vector<torch::Tensor> backward(torch::Tensor u, torch::Tensor dt, torch::Tensor A, torch::Tensor B, torch::Tensor C,
                                    torch::Tensor D, torch::Tensor hs, torch::Tensor dy);
"""

_ext = None


def _module():
    global _ext
    if _ext is None:
        from torch.utils.cpp_extension import load_inline   # only where the kernels are used (GPU)
        src = _CUDA.replace("#include <cuda_runtime.h>", "#include <cuda_runtime.h>\n#include <ATen/cuda/CUDAContext.h>")
        _ext = load_inline("mambascope_train_scan", cpp_sources=_CPP, cuda_sources=src, functions=["forward", "backward"],
                           extra_cuda_cflags=["-O3", "--use_fast_math"], verbose=False)
    return _ext


class _Scan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u, delta, A, B, C, D):
        args = [t.contiguous().float() for t in (u, delta, A, B, C, D)]
        y, hs = _module().forward(*args)
        ctx.save_for_backward(*args, hs)
        return y

    @staticmethod
    def backward(ctx, dy):
        return tuple(_module().backward(*ctx.saved_tensors, dy.contiguous().float()))


def usable(u, d_state):
    return u.is_cuda and d_state == 16 and u.shape[-1] % 128 == 0


def selective_scan_cuda(u, delta, A, B, C, D):
    """y [B, L, Di] for u, delta [B, L, Di]; A [Di, 16]; B, C [B, L, 16]; D [Di] (zero start state)."""
    return _Scan.apply(u, delta, A, B, C, D)

// Entry point of the CUDA backend module: device discovery with a self-test kernel per device, so
// "a GPU is present" means "our kernels run on it" (a driver too old for this build's PTX or an
// architecture we did not compile for shows up here, not in the middle of a job).
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/plugin_abi.h"

namespace {

void put(char* dst, size_t n, const char* msg) {
    if (dst && n) std::snprintf(dst, n, "%s", msg);
}

__global__ void self_test_kernel(int* out, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = i * 3 + 1;
}

int device_count(char* err, size_t n) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        char msg[512];
        std::snprintf(msg, sizeof msg, "%s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        put(err, n, msg);
        cudaGetLastError();
        return -1;
    }
    return count;
}

int driver_version() {
    int v = 0;
    return cudaDriverGetVersion(&v) == cudaSuccess ? v : 0;
}

int runtime_version() {
    int v = 0;
    return cudaRuntimeGetVersion(&v) == cudaSuccess ? v : 0;
}

// Runs a 256-thread kernel and checks every output; returns the failing step or null.
const char* self_test(char* why, size_t n) {
    constexpr int kN = 256;
    int* d = nullptr;
    int h[kN];
    cudaError_t e = cudaMalloc(&d, sizeof h);
    if (e == cudaSuccess) {
        self_test_kernel<<<1, kN>>>(d, kN);
        e = cudaGetLastError();
        if (e == cudaSuccess) e = cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
        cudaFree(d);
    }
    if (e != cudaSuccess) {
        std::snprintf(why, n, "the self-test kernel failed: %s (is the driver older than this build's CUDA %d.%d?)",
                      cudaGetErrorString(e), CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
        cudaGetLastError();
        return why;
    }
    for (int i = 0; i < kN; ++i)
        if (h[i] != i * 3 + 1) {
            std::snprintf(why, n, "the self-test kernel gave a wrong result at element %d", i);
            return why;
        }
    return nullptr;
}

int device_info(int device, MsCudaDeviceInfo* out, char* err, size_t n) {
    std::memset(out, 0, sizeof *out);
    cudaDeviceProp p{};
    cudaError_t e = cudaGetDeviceProperties(&p, device);
    if (e == cudaSuccess) e = cudaSetDevice(device);
    if (e != cudaSuccess) {
        put(err, n, cudaGetErrorString(e));
        cudaGetLastError();
        return -1;
    }
    std::snprintf(out->name, sizeof out->name, "%s", p.name);
    out->major = p.major;
    out->minor = p.minor;
    out->total_memory = p.totalGlobalMem;
    out->multiprocessors = p.multiProcessorCount;
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) out->free_memory = free_b;
    out->kernels_run = self_test(out->problem, sizeof out->problem) == nullptr;
    return 0;
}

ms::Backend* create_backend(int device, char* err, size_t n) {
    auto b = ms::make_cuda_backend(device);
    if (!b) {
        put(err, n, b.error().message.c_str());
        return nullptr;
    }
    return b->release();
}

const MsCudaPlugin kPlugin = {
    kMsCudaPluginAbi,
    MAMBASCOPE_CUDA_BUILD_INFO,
    device_count,
    driver_version,
    runtime_version,
    device_info,
    create_backend,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const MsCudaPlugin* mambascope_cuda_plugin(void) { return &kPlugin; }

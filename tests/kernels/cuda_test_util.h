// Helpers for the CUDA kernel tests and benchmarks: device buffers, bf16/fp16 conversion on the
// host, and the skip rule (exit 77 when no GPU can run kernels).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace ms::test {

// True when a CUDA device is present and usable; otherwise prints why.
inline bool cuda_available() {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        std::printf("no usable CUDA device (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "none found");
        cudaGetLastError();
        return false;
    }
    return true;
}

#define MS_CUDA_CHECK(expr)                                                                                  \
    do {                                                                                                     \
        const cudaError_t ms_e_ = (expr);                                                                    \
        if (ms_e_ != cudaSuccess) throw ms::test::Failure{std::string(#expr) + ": " + cudaGetErrorString(ms_e_)}; \
    } while (0)

inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);   // NaN stays NaN
    u += 0x7fffu + ((u >> 16) & 1u);                                               // round to nearest even
    return uint16_t(u >> 16);
}
inline float bf16_to_f32(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// A device buffer of n elements of T, freed on scope exit.
template <class T>
struct DeviceBuffer {
    T* ptr = nullptr;
    size_t n = 0;
    explicit DeviceBuffer(size_t count) : n(count) {
        if (count && cudaMalloc(reinterpret_cast<void**>(&ptr), count * sizeof(T)) != cudaSuccess) throw std::runtime_error("cudaMalloc failed");
    }
    ~DeviceBuffer() { cudaFree(ptr); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    void upload(const std::vector<T>& v) { cudaMemcpy(ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice); }
    std::vector<T> download() const {
        std::vector<T> v(n);
        cudaMemcpy(v.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost);
        return v;
    }
};

}  // namespace ms::test

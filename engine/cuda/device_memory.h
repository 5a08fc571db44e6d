// The CUDA runner's owners of GPU resources: device arrays (an out-of-memory error that says how
// much was asked and is free), pinned host arrays, and a captured chunk graph.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "engine/cuda/cuda_check.h"

namespace ms {

// A device allocation of n floats (or ints), freed with the owner.
template <class T>
class DeviceArray {
public:
    DeviceArray() = default;
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    ~DeviceArray() { cudaFree(ptr_); }
    Result<void> allocate(size_t n) {
        cudaFree(ptr_);
        ptr_ = nullptr;
        n_ = n;
        if (n == 0) return {};
        const cudaError_t e = cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T));
        if (e == cudaErrorMemoryAllocation) {
            cudaGetLastError();  // not sticky: clear it so later calls do not report it again
            size_t free_b = 0, total_b = 0;
            cudaMemGetInfo(&free_b, &total_b);
            ptr_ = nullptr;
            return make_error("out of GPU memory: cannot allocate ", n * sizeof(T) / (1024.0 * 1024.0), " MiB (",
                              free_b / (1024.0 * 1024.0), " MiB free of ", total_b / (1024.0 * 1024.0),
                              " MiB); use a smaller --chunk or batch");
        }
        if (e != cudaSuccess)
            return make_error("cannot allocate ", n * sizeof(T) / (1024.0 * 1024.0),
                              " MiB on the GPU: ", cudaGetErrorString(e));
        return {};
    }
    Result<void> upload(const std::vector<T>& v) {
        MS_TRY(allocate(v.size()));
        if (!v.empty()) MS_CU(cudaMemcpy(ptr_, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
        return {};
    }
    T* get() const { return ptr_; }
    size_t size() const { return n_; }
    size_t bytes() const { return ptr_ ? n_ * sizeof(T) : 0; }

private:
    T* ptr_ = nullptr;
    size_t n_ = 0;
};

// Page-locked host memory: copies from it run asynchronously at full PCIe speed and can be
// captured in a CUDA graph.
template <class T>
class PinnedArray {
public:
    PinnedArray() = default;
    PinnedArray(const PinnedArray&) = delete;
    PinnedArray& operator=(const PinnedArray&) = delete;
    ~PinnedArray() { cudaFreeHost(ptr_); }
    Result<void> allocate(size_t n) {
        cudaFreeHost(ptr_);
        ptr_ = nullptr;
        if (n == 0) return {};
        const cudaError_t e = cudaHostAlloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T), cudaHostAllocDefault);
        if (e != cudaSuccess)
            return make_error("cannot allocate ", n * sizeof(T) / (1024.0 * 1024.0),
                              " MiB of pinned host memory: ", cudaGetErrorString(e));
        return {};
    }
    T* get() const { return ptr_; }

private:
    T* ptr_ = nullptr;
};

}  // namespace ms

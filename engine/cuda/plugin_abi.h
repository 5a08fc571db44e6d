// The C boundary between the engine and the CUDA backend module (libmambascope_cuda.so), which is
// loaded with dlopen at run time: a build with CUDA still starts on machines without the CUDA
// runtime or driver, and says why the GPU is not used.
#pragma once

#include <cstddef>

namespace ms {
class Backend;
}

extern "C" {

// 2: ModelRunner gained save_state/load_state (a new vtable: a module of ABI 1 would crash).
// 3: final_chunk_length, start/finish/in_flight (the pipelined forward) and its default's members.
// 4: RunnerLimits::max_rows (a longer struct handed to create_runner).
// 5: ModelRunner::starts_fresh_behind/start_fresh (new streams behind a chunk in flight).
// 6: ForwardOutputs::stream_rows (a longer struct; row sums of each stream's own rows).
inline constexpr int kMsCudaPluginAbi = 6;

struct MsCudaDeviceInfo {
    char name[256];
    int major, minor;           // compute capability
    size_t total_memory;        // bytes
    size_t free_memory;         // bytes, at probe time
    int multiprocessors;
    int kernels_run;            // 1 when a self-test kernel ran on it and gave the right answer
    char problem[256];          // why kernels cannot run there, when kernels_run is 0
};

struct MsCudaPlugin {
    int abi_version;            // kMsCudaPluginAbi
    const char* build_info;     // "CUDA 13.0, architectures 80-real;86-real;…"
    // Number of usable devices, or -1 with the reason in err (no driver, driver too old, …).
    int (*device_count)(char* err, size_t err_len);
    int (*driver_version)(void);    // e.g. 13000, or 0 when unknown
    int (*runtime_version)(void);
    // Fills `out` for one device, running the self-test kernel there; 0 on success.
    int (*device_info)(int device, MsCudaDeviceInfo* out, char* err, size_t err_len);
    // A model backend on `device`, or null with the reason in err.
    ms::Backend* (*create_backend)(int device, char* err, size_t err_len);
};

// The module's one exported symbol.
const MsCudaPlugin* mambascope_cuda_plugin(void);
typedef const MsCudaPlugin* (*MsCudaPluginEntry)(void);
}

// Choosing a backend from a --device string (auto | cpu | cuda | cuda:N) and describing what this
// build and this machine offer (--version). The CUDA backend lives in a module loaded on demand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/backend.h"

namespace ms {

struct BackendChoice {
    std::unique_ptr<Backend> backend;
    std::string note;   // why this backend, e.g. "auto: no usable GPU (no CUDA driver), using the CPU"
};

// "auto" takes a GPU whose self-test passed, else the CPU (and says why in `note`); "cuda[:N]"
// fails with the reason when that GPU cannot be used. cpu_threads ≤ 0: all hardware threads.
Result<BackendChoice> open_backend(const std::string& device, int cpu_threads = 0);

// The single devices behind a --device string: "cuda:all" → cuda:0, cuda:1 … (the GPUs whose
// self-test passed; an error when there is none); anything else → itself. Jobs that run one engine
// per GPU (score's lanes) open each of these.
Result<std::vector<std::string>> single_devices(const std::string& device);

// One device a job can be asked to run on, for pickers (the GUI's run dialog): the CPU first, then
// every GPU the CUDA module sees, with its memory and, when its self-test failed, why.
struct DeviceEntry {
    std::string id;           // the --device word: "cpu", "cuda:0" ...
    std::string description;  // "CPU (OpenBLAS, 16 threads)", "NVIDIA H200, 140 GiB"
    int64_t memory_bytes = 0; // GPUs only
    bool usable = true;
    std::string problem;      // why not usable
};
std::vector<DeviceEntry> list_devices();

// Multi-line report of compiled backends and usable devices for --version.
std::string backends_report();

}  // namespace ms

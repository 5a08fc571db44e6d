#include "engine/backend_registry.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/parse_count.h"
#include "engine/cpu_backend.h"
#include "engine/cuda/plugin_abi.h"
#include "engine/retry_cache.h"
#include "engine/split_backend.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

struct CudaModule {
    const MsCudaPlugin* plugin = nullptr;
    std::string problem;   // why there is no plugin
    std::string path;
};

// Where the module may be: $MAMBASCOPE_BACKEND_DIR, beside the executable's lib/mambascope
// (build tree and installed tree), then the dynamic loader's own search path.
std::vector<std::string> module_candidates(const std::string& file) {
    std::vector<std::string> out;
    if (const char* dir = std::getenv("MAMBASCOPE_BACKEND_DIR")) out.push_back((fs::path(dir) / file).string());
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path bin = exe.parent_path();
        for (const fs::path& p : {bin / "lib/mambascope", bin / "../lib/mambascope", bin / "../../lib/mambascope"})
            out.push_back((p / file).lexically_normal().string());
    }
    out.push_back(file);
    return out;
}

const CudaModule& cuda_module() {
    static CudaModule m;
    static std::once_flag once;
    std::call_once(once, [] {
        const std::string file = MAMBASCOPE_CUDA_MODULE_NAME;
        if (file.empty()) {
            m.problem = "this build has no CUDA backend (configured without a CUDA compiler or with MAMBASCOPE_CUDA=OFF)";
            return;
        }
        std::string last_error;
        for (const std::string& path : module_candidates(file)) {
            if (path.find('/') != std::string::npos && !fs::exists(path)) continue;
            void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!h) {
                last_error = dlerror();
                continue;
            }
            auto entry = reinterpret_cast<MsCudaPluginEntry>(dlsym(h, "mambascope_cuda_plugin"));
            const MsCudaPlugin* p = entry ? entry() : nullptr;
            if (!p || p->abi_version != kMsCudaPluginAbi) {
                last_error = cat("'", path, "' is not a MambaScope CUDA module of ABI ", kMsCudaPluginAbi);
                dlclose(h);
                continue;
            }
            m.plugin = p;
            m.path = path;
            return;   // kept loaded for the life of the process
        }
        m.problem = last_error.empty() ? cat("the CUDA module ", file, " was not found (set MAMBASCOPE_BACKEND_DIR)")
                                       : cat("the CUDA module could not be loaded: ", last_error);
    });
    return m;
}

struct GpuScan {
    std::vector<MsCudaDeviceInfo> devices;
    std::string problem;   // set when there are no usable devices
};

GpuScan scan_gpus_now() {
    GpuScan s;
    const CudaModule& m = cuda_module();
    if (!m.plugin) {
        s.problem = m.problem;
        return s;
    }
    char err[512] = {};
    const int n = m.plugin->device_count(err, sizeof err);
    if (n < 0) {
        // The runtime reports a missing libcuda.so.1 as an "insufficient" driver: say what it is.
        s.problem = m.plugin->driver_version() == 0 ? std::string("no NVIDIA driver on this machine (libcuda.so.1 not found)")
                                                    : cat("the NVIDIA driver cannot run this build: ", err);
        return s;
    }
    if (n == 0) s.problem = "no CUDA device on this machine";
    for (int i = 0; i < n; ++i) {
        MsCudaDeviceInfo info{};
        if (m.plugin->device_info(i, &info, err, sizeof err) != 0) {
            std::snprintf(info.name, sizeof info.name, "device %d", i);
            std::snprintf(info.problem, sizeof info.problem, "%.200s", err);
        }
        s.devices.push_back(info);
    }
    return s;
}

// Kept for the process once every device passed its self-test (a scan takes hundreds of
// milliseconds with the CUDA context, and the GUI's run and settings dialogs list the devices each
// time they open, on the GUI thread); scanned again, at most every 30 s, while one failed or the
// devices could not be counted, since that may pass (memory another program held, a GPU busy in
// exclusive mode). Without the module there is nothing to retry.
GpuScan scan_gpus() {
    static RetryCache<GpuScan> cache(
        scan_gpus_now,
        [](const GpuScan& s) {
            if (!cuda_module().plugin) return true;
            if (s.devices.empty()) return false;
            for (const MsCudaDeviceInfo& d : s.devices)
                if (!d.kernels_run) return false;
            return true;
        },
        std::chrono::seconds(30));
    return cache.get();
}

std::string device_line(int i, const MsCudaDeviceInfo& d) {
    return cat("cuda:", i, "  ", d.name, ", compute capability ", d.major, ".", d.minor, ", ",
               d.total_memory / (1024 * 1024), " MiB, ", d.multiprocessors, " SMs",
               d.kernels_run ? "" : cat(" — not usable: ", d.problem));
}

Result<std::unique_ptr<Backend>> make_cuda(int device) {
    const CudaModule& m = cuda_module();
    if (!m.plugin) return make_error("cannot use cuda:", device, ": ", m.problem);
    char err[512] = {};
    Backend* b = m.plugin->create_backend(device, err, sizeof err);
    if (!b) return make_error("cannot use cuda:", device, ": ", err);
    return std::unique_ptr<Backend>(b);
}

}  // namespace

Result<BackendChoice> open_backend(const std::string& device, int cpu_threads) {
    BackendChoice c;
    std::string fewer;
    const auto with_fewer = [&](std::string note) { return fewer.empty() ? note : cat(note, "; ", fewer); };
    if (device == "cpu") {
        c.backend = make_cpu_backend(cpu_threads, &fewer);
        c.note = with_fewer("using the CPU");
        return c;
    }
    if (device == "auto") {
        const GpuScan s = scan_gpus();
        for (size_t i = 0; i < s.devices.size(); ++i) {
            if (!s.devices[i].kernels_run) continue;
            auto b = make_cuda(int(i));
            if (b) {
                c.backend = std::move(*b);
                c.note = cat("auto: using ", device_line(int(i), s.devices[i]));
                return c;
            }
            c.note = cat("auto: ", b.error().message, "; using the CPU");
        }
        if (c.note.empty())
            c.note = cat("auto: no usable GPU (", s.problem.empty() ? "no device passed its self-test" : s.problem,
                         "); using the CPU");
        c.backend = make_cpu_backend(cpu_threads, &fewer);
        c.note = with_fewer(c.note);
        return c;
    }
    if (device == "cuda:all") {
        const GpuScan s = scan_gpus();
        if (s.devices.empty()) return make_error("--device cuda:all: ", s.problem);
        std::vector<std::unique_ptr<Backend>> parts;
        std::string lines;
        for (size_t i = 0; i < s.devices.size(); ++i) {
            if (!s.devices[i].kernels_run)
                return make_error("--device cuda:all: ", device_line(int(i), s.devices[i]));
            auto b = make_cuda(int(i));
            if (!b) return b.error();
            parts.push_back(std::move(*b));
            lines += cat("\n  ", device_line(int(i), s.devices[i]));
        }
        c.note = cat("using ", parts.size(), " GPU(s), independent sequences spread over them:", lines);
        c.backend = parts.size() == 1 ? std::move(parts[0]) : make_split_backend("cuda:all", std::move(parts));
        return c;
    }
    if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
        // "cuda" alone is GPU 0; "cuda:" must carry a number that fits an int (atoi wrapped
        // cuda:4294967295 to -1, an index before the device list).
        int index = 0;
        if (device != "cuda") {
            const auto n = parse_count(std::string_view(device).substr(5));
            if (!n) return make_error("--device '", device, "': expected cuda:N with N a GPU number, e.g. cuda:0");
            index = *n;
        }
        const GpuScan s = scan_gpus();
        if (s.devices.empty()) return make_error("--device ", device, ": ", s.problem);
        if (index >= int(s.devices.size()))
            return make_error("--device ", device, ": this machine has ", s.devices.size(), " CUDA device(s), cuda:0..cuda:",
                              s.devices.size() - 1);
        if (!s.devices[size_t(index)].kernels_run)
            return make_error("--device ", device, ": ", device_line(index, s.devices[size_t(index)]));
        auto b = make_cuda(index);
        if (!b) return b.error();
        c.backend = std::move(*b);
        c.note = cat("using ", device_line(index, s.devices[size_t(index)]));
        return c;
    }
    return make_error("--device '", device, "' is not one of auto, cpu, cuda, cuda:N, cuda:all");
}

Result<std::vector<std::string>> single_devices(const std::string& device) {
    if (device != "cuda:all") return std::vector<std::string>{device};
    const GpuScan s = scan_gpus();
    if (s.devices.empty()) return make_error("--device cuda:all: ", s.problem);
    std::vector<std::string> out;
    for (size_t i = 0; i < s.devices.size(); ++i) {
        if (!s.devices[i].kernels_run) return make_error("--device cuda:all: ", device_line(int(i), s.devices[i]));
        out.push_back(cat("cuda:", i));
    }
    return out;
}

std::vector<DeviceEntry> list_devices() {
    std::vector<DeviceEntry> out{{"cpu", cat("CPU (", blas_description(), ")"), 0, true, {}}};
    const GpuScan s = scan_gpus();
    for (size_t i = 0; i < s.devices.size(); ++i) {
        const MsCudaDeviceInfo& d = s.devices[i];
        out.push_back({cat("cuda:", i), cat(d.name, ", ", d.total_memory / (1024 * 1024 * 1024), " GiB"),
                       int64_t(d.total_memory), d.kernels_run != 0, d.kernels_run ? std::string() : std::string(d.problem)});
    }
    return out;
}

std::string backends_report() {
    std::ostringstream os;
    os << "backends:\n  cpu     " << blas_description() << "\n";
    const CudaModule& m = cuda_module();
    if (!m.plugin) {
        os << "  cuda    not available: " << m.problem << "\n";
        return os.str();
    }
    os << "  cuda    " << m.plugin->build_info << " (module " << m.path << ")\n";
    const int drv = m.plugin->driver_version();
    os << "          driver " << (drv ? cat(drv / 1000, ".", drv % 1000 / 10) : std::string("not found")) << "\n";
    const GpuScan s = scan_gpus();
    if (s.devices.empty()) os << "          " << s.problem << "\n";
    for (size_t i = 0; i < s.devices.size(); ++i) os << "          " << device_line(int(i), s.devices[i]) << "\n";
    return os.str();
}

}  // namespace ms

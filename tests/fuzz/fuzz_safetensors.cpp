// libFuzzer target: a safetensors file of arbitrary bytes, opened as the model loader opens one.
// Whatever SafetensorsFile::open accepts, every tensor must be readable in full: widening each to
// float32 reads every byte a view promises (ASan and the mapping's end catch a view that lies).
#include <cstdint>
#include <cstdlib>

#include "engine/safetensors.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = ms::fuzz::write_file("model.safetensors", data, size);
    auto f = ms::SafetensorsFile::open(path);
    if (!f) return 0;
    size_t total = 0;
    for (const ms::TensorView& t : (*f)->tensors()) {
        // A view's byte count must be what its dtype and shape say, and inside the file.
        if (t.bytes != size_t(t.numel()) * ms::dtype_size(t.dtype) || t.bytes > size) std::abort();
        total += t.bytes;
        const std::vector<float> v = ms::to_float32(t);
        if (v.size() != size_t(t.numel())) std::abort();
    }
    // Tensors may not overlap, so together they fit in the file.
    if (total > size) std::abort();
    return 0;
}

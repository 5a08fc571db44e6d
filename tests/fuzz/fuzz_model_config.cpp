// libFuzzer target: config.json of arbitrary bytes in a model directory whose weights are a real
// checkpoint (tests/data/fixtures/tied_k4_s16_head), loaded as `mambascope-cli` loads a model:
// the config's keys, then every tensor it implies checked against the checkpoint, then the summary
// `info` prints (parameter count, FLOPs per base) from whatever config was accepted.
#include <cstdint>
#include <filesystem>

#include "engine/model.h"
#include "tests/fuzz/fuzz_files.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const fs::path fixture = fs::path(MS_TEST_DATA_DIR) / "fixtures/tied_k4_s16_head";
    const fs::path dir = ms::fuzz::scratch_dir();
    fs::copy_file(fixture / "model.safetensors", dir / "model.safetensors", fs::copy_options::overwrite_existing);
    fs::copy_file(fixture / "tokenizer_config.json", dir / "tokenizer_config.json", fs::copy_options::overwrite_existing);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ms::fuzz::write_file("config.json", data, size);
    auto config = ms::load_model_config(ms::fuzz::scratch_dir());
    if (!config) return 0;
    (void)config->parameter_count();
    auto model = ms::Model::load(ms::fuzz::scratch_dir());
    if (!model) return 0;
    (void)model->summary();
    (void)model->flops_per_base();
    return 0;
}

// A loaded model: config, tokenizer and float32 weights from a model directory
// (config.json + model.safetensors or shards + optional tokenizer_config.json).
#pragma once

#include <string>

#include "common/error.h"
#include "engine/model_config.h"
#include "engine/model_weights.h"
#include "engine/tokenizer.h"

namespace ms {

struct Model {
    std::string dir;
    ModelConfig config;
    Tokenizer tokenizer = Tokenizer::default_dna();
    ModelWeights weights;
    std::string checkpoint;   // TensorStore::description(), for `info`

    static Result<Model> load(const std::string& dir);
    // Multi-line summary for `info`: layers, d_model, d_inner, d_state, dt_rank, conv, vocab,
    // parameters, stored dtype, layout, heads.
    std::string summary() const;
    // Floating-point operations per base of one forward pass (matrix products, scan, conv, norms).
    double flops_per_base(bool with_lm_head = true) const;
};

}  // namespace ms

// The weights of a Mamba model as float32 arrays, checked against the config: every tensor present,
// every shape as the config says ("tensor 'backbone.layers.3.mixer.A_log' has shape [128, 8];
// config.json says [128, 16]"), no NaN/Inf. A is stored as −exp(A_log), ready for the scan.
#pragma once

#include <vector>

#include "common/error.h"
#include "engine/model_config.h"
#include "engine/safetensors.h"

namespace ms {

struct LayerWeights {
    std::vector<float> norm;        // [d_model]
    std::vector<float> in_proj;     // [2*d_inner, d_model]   (rows: x then z)
    std::vector<float> in_proj_b;   // [2*d_inner] or empty
    std::vector<float> conv_w;      // [d_inner, d_conv]      (conv1d.weight [d_inner, 1, d_conv])
    std::vector<float> conv_b;      // [d_inner] or empty
    std::vector<float> x_proj;      // [dt_rank + 2*d_state, d_inner]  (rows: dt, B, C)
    std::vector<float> dt_proj;     // [d_inner, dt_rank]
    std::vector<float> dt_proj_b;   // [d_inner]
    std::vector<float> A;           // [d_inner, d_state] = -exp(A_log)
    std::vector<float> D;           // [d_inner]
    std::vector<float> out_proj;    // [d_model, d_inner]
    std::vector<float> out_proj_b;  // [d_model] or empty
};

struct ClassifierWeights {
    std::vector<float> weight;   // [n_labels, d_model]
    std::vector<float> bias;     // [n_labels]
};

struct ModelWeights {
    std::vector<float> embedding;   // [vocab_size, d_model]
    std::vector<LayerWeights> layers;
    std::vector<float> norm_f;      // [d_model]
    std::vector<float> lm_head;     // [vocab_size, d_model]; a copy of embedding when tied
    std::vector<ClassifierWeights> classifiers;   // one per config.classifiers entry
    std::string stored_dtype;       // "F32", "BF16", "F16" or "mixed", for `info`
};

Result<ModelWeights> load_model_weights(const ModelConfig& config, const TensorStore& store);

}  // namespace ms

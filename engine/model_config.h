// The model's shape, read from config.json in either layout a user brings:
// Hugging Face MambaForCausalLM (hidden_size, num_hidden_layers, state_size, expand or
// intermediate_size, conv_kernel, time_step_rank incl. "auto", use_bias, use_conv_bias,
// residual_in_fp32, layer_norm_epsilon, tie_word_embeddings, vocab_size) or mamba_ssm
// MambaLMHeadModel (d_model, n_layer, vocab_size, ssm_cfg{d_state,d_conv,expand,dt_rank,bias,
// conv_bias}, rms_norm, residual_in_fp32, pad_vocab_size_multiple, tie_embeddings).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

enum class CheckpointLayout { HuggingFace, MambaSsm };

struct ClassifierHeadConfig {
    std::string name;                 // tensor prefix, e.g. "classifier" -> classifier.weight/.bias
    std::vector<std::string> labels;  // one per output row
    std::string pooling = "mean";     // how positions are pooled before the head
    // The shortest item (bases) the head was trained on; 0: not said. Shorter items are still
    // classified, and a job says how many were (their classes are less reliable).
    int64_t min_length = 0;
};

struct ModelConfig {
    CheckpointLayout layout = CheckpointLayout::HuggingFace;
    std::string model_type = "mamba";
    int d_model = 0;
    int n_layer = 0;
    int vocab_size = 0;       // rows of the embedding as stored (mamba_ssm: padded to pad_vocab_size_multiple)
    int d_inner = 0;
    int d_state = 0;
    int d_conv = 0;
    int dt_rank = 0;
    bool use_bias = false;       // in_proj / out_proj biases
    bool use_conv_bias = true;
    bool residual_in_fp32 = true;
    bool tie_embeddings = true;
    float norm_eps = 1e-5f;
    std::string embedding_tensor;   // "backbone.embeddings.weight" or "backbone.embedding.weight"
    std::vector<ClassifierHeadConfig> classifiers;   // our own heads (config.json "mambascope_heads")
    std::string source;             // the config.json path, for messages

    int64_t parameter_count() const;   // as the tensors of this config hold them
};

// Reads `dir/config.json`. Errors name the file and the key: "config.json: 'state_size' is -3; expected > 0".
Result<ModelConfig> load_model_config(const std::string& dir);

}  // namespace ms

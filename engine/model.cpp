#include "engine/model.h"

#include <sstream>

namespace ms {

Result<Model> Model::load(const std::string& dir) {
    Model m;
    m.dir = dir;
    auto cfg = load_model_config(dir);
    if (!cfg) return cfg.error();
    m.config = std::move(*cfg);
    auto tok = Tokenizer::load(dir, m.config.vocab_size);
    if (!tok) return tok.error();
    m.tokenizer = std::move(*tok);
    auto store = TensorStore::open_dir(dir);
    if (!store) return store.error();
    m.checkpoint = store->description();
    auto w = load_model_weights(m.config, *store);
    if (!w) return w.error();
    m.weights = std::move(*w);
    return m;
}

double Model::flops_per_base(bool with_lm_head) const {
    const double dm = config.d_model, di = config.d_inner, S = config.d_state, R = config.dt_rank, K = config.d_conv;
    const double matmul = 2 * dm * 2 * di + 2 * di * (R + 2 * S) + 2 * R * di + 2 * di * dm;
    // Scan per channel and state: exp argument, exp (counted as 1), decay·h + dB·u (3), C·h (2).
    const double scan = di * S * 7 + di * 8;   // + softplus, D skip and gating per channel
    const double conv = di * 2 * K;
    const double norm = 4 * dm;
    double f = config.n_layer * (matmul + scan + conv + norm) + norm;
    if (with_lm_head) f += 2 * dm * config.vocab_size;
    return f;
}

std::string Model::summary() const {
    const ModelConfig& c = config;
    std::ostringstream os;
    os << "model           " << dir << "\n"
       << "layout          " << (c.layout == CheckpointLayout::HuggingFace ? "Hugging Face MambaForCausalLM" : "mamba_ssm MambaLMHeadModel") << "\n"
       << "checkpoint      " << checkpoint << " (" << weights.stored_dtype << ")\n"
       << "layers          " << c.n_layer << "\n"
       << "d_model         " << c.d_model << "\n"
       << "d_inner         " << c.d_inner << "\n"
       << "d_state         " << c.d_state << "\n"
       << "dt_rank         " << c.dt_rank << "\n"
       << "d_conv          " << c.d_conv << "\n"
       << "vocab           " << c.vocab_size << " (characters:";
    for (char ch : tokenizer.characters()) os << ' ' << ch;
    os << ")\n"
       << "parameters      " << c.parameter_count() << "\n"
       << "biases          in/out_proj " << (c.use_bias ? "yes" : "no") << ", conv " << (c.use_conv_bias ? "yes" : "no") << "\n"
       << "LM head         " << (c.tie_embeddings ? "tied to the embedding" : "separate") << "\n"
       << "heads           LM (next-base probabilities, log-likelihood, entropy), hidden states, pooled embedding";
    for (const auto& h : c.classifiers) {
        os << ", classifier '" << h.name << "' (";
        for (size_t i = 0; i < h.labels.size(); ++i) os << (i ? ", " : "") << h.labels[i];
        os << ")";
    }
    os << "\nFLOPs per base  " << static_cast<long long>(flops_per_base()) << "\n";
    return os.str();
}

}  // namespace ms

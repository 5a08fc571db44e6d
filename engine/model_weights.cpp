// Loading a Mamba checkpoint into float32 arrays: every tensor the config implies is looked up by
// its name in the checkpoint's layout, its shape checked against the config, widened, and scanned
// for NaN/Inf, so the backends can run on weights without checking them again.
#include "engine/model_weights.h"

#include <cmath>
#include <set>
#include <string>

namespace ms {

namespace {

class Loader {
public:
    explicit Loader(const TensorStore& store) : store_(store) {}

    // The named tensor as float32, after its shape and values are checked.
    Result<std::vector<float>> load(const std::string& name, const std::vector<int64_t>& shape) {
        const TensorView* t = store_.find(name);
        if (!t)
            return make_error("tensor '", name, "' is missing from ", store_.description(), " (in '", store_.dir(),
                              "')");
        if (t->shape != shape)
            return make_error("tensor '", name, "' has shape ", shape_string(t->shape), "; config.json says ",
                              shape_string(shape), " (in ", t->file, ")");
        std::vector<float> v = to_float32(*t);
        for (size_t i = 0; i < v.size(); ++i) {
            if (!std::isfinite(v[i]))
                return make_error("tensor '", name, "' holds NaN or Inf at element ", i, " (in ", t->file, ")");
        }
        dtypes_.insert(t->dtype);
        used_.insert(name);
        return v;
    }

    // Every tensor of a layer block must be one the config reads: a checkpoint with more layers
    // (or other per-layer tensors) than config.json describes would otherwise run as a smaller
    // model without a word — under the same weights checksum.
    Result<void> check_layers_used(int n_layer) const {
        for (const std::string& name : store_.names()) {
            if (name.rfind("backbone.layers.", 0) != 0 || used_.count(name)) continue;
            const TensorView* t = store_.find(name);
            return make_error("tensor '", name, "' is not part of the model config.json describes (", n_layer,
                              " layers, 0 to ", n_layer - 1, "): the config does not match these weights (in ",
                              t ? t->file : store_.description(), ")");
        }
        return {};
    }

    // A tensor the config says exists only when `present`; empty otherwise.
    Result<std::vector<float>> load_if(bool present, const std::string& name, const std::vector<int64_t>& shape) {
        if (!present) return std::vector<float>{};
        return load(name, shape);
    }

    std::string stored_dtype() const {
        if (dtypes_.size() == 1) return dtype_name(*dtypes_.begin());
        return dtypes_.empty() ? "" : "mixed";
    }

private:
    const TensorStore& store_;
    std::set<DType> dtypes_;
    std::set<std::string> used_;
};


Result<LayerWeights> load_layer(const ModelConfig& c, Loader& loader, int i) {
    const int64_t dm = c.d_model, di = c.d_inner, ds = c.d_state, dc = c.d_conv, r = c.dt_rank;
    const std::string p = cat("backbone.layers.", i, ".");
    const std::string m = p + "mixer.";
    LayerWeights w;
    MS_ASSIGN(w.norm, loader.load(p + "norm.weight", {dm}));
    MS_ASSIGN(w.in_proj, loader.load(m + "in_proj.weight", {2 * di, dm}));
    MS_ASSIGN(w.in_proj_b, loader.load_if(c.use_bias, m + "in_proj.bias", {2 * di}));
    // conv1d is depthwise: PyTorch stores it as [d_inner, 1, d_conv]; the middle axis carries nothing.
    MS_ASSIGN(w.conv_w, loader.load(m + "conv1d.weight", {di, 1, dc}));
    MS_ASSIGN(w.conv_b, loader.load_if(c.use_conv_bias, m + "conv1d.bias", {di}));
    MS_ASSIGN(w.x_proj, loader.load(m + "x_proj.weight", {r + 2 * ds, di}));
    MS_ASSIGN(w.dt_proj, loader.load(m + "dt_proj.weight", {di, r}));
    MS_ASSIGN(w.dt_proj_b, loader.load(m + "dt_proj.bias", {di}));
    std::vector<float> a_log;
    MS_ASSIGN(a_log, loader.load(m + "A_log", {di, ds}));
    // The scan uses A itself; both reference implementations compute it as -exp(A_log) in float32.
    w.A.resize(a_log.size());
    for (size_t k = 0; k < a_log.size(); ++k) w.A[k] = -std::exp(a_log[k]);
    MS_ASSIGN(w.D, loader.load(m + "D", {di}));
    MS_ASSIGN(w.out_proj, loader.load(m + "out_proj.weight", {dm, di}));
    MS_ASSIGN(w.out_proj_b, loader.load_if(c.use_bias, m + "out_proj.bias", {dm}));
    return w;
}

}  // namespace

Result<ModelWeights> load_model_weights(const ModelConfig& config, const TensorStore& store) {
    const int64_t dm = config.d_model, vocab = config.vocab_size;
    Loader loader(store);
    ModelWeights w;
    MS_ASSIGN(w.embedding, loader.load(config.embedding_tensor, {vocab, dm}));
    for (int i = 0; i < config.n_layer; ++i) {
        LayerWeights layer;
        MS_ASSIGN(layer, load_layer(config, loader, i));
        w.layers.push_back(std::move(layer));
    }
    MS_ASSIGN(w.norm_f, loader.load("backbone.norm_f.weight", {dm}));
    // Tied checkpoints may or may not also store lm_head.weight; the embedding is what the model uses.
    if (config.tie_embeddings)
        w.lm_head = w.embedding;
    else
        MS_ASSIGN(w.lm_head, loader.load("lm_head.weight", {vocab, dm}));
    for (const ClassifierHeadConfig& h : config.classifiers) {
        const int64_t n = static_cast<int64_t>(h.labels.size());
        ClassifierWeights head;
        MS_ASSIGN(head.weight, loader.load(h.name + ".weight", {n, dm}));
        MS_ASSIGN(head.bias, loader.load(h.name + ".bias", {n}));
        w.classifiers.push_back(std::move(head));
    }
    MS_TRY(loader.check_layers_used(config.n_layer));
    w.stored_dtype = loader.stored_dtype();
    return w;
}

#undef MS_LOAD

}  // namespace ms

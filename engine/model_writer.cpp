#include "engine/model_writer.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"

namespace ms {

namespace {

Result<void> write_file_atomically(const std::string& path, const std::string& bytes) {
    auto f = AtomicFile::create(path);
    if (!f) return f.error();
    MS_TRY(f->write(bytes.data(), bytes.size()));
    return f->commit();
}

struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> data;
};

}  // namespace

Result<void> save_model(const Model& model, const std::string& dir) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("cannot create model directory '", dir, "': ", ec.message());
    nlohmann::json cfg = {{"model_type", "mamba"},
                          {"architectures", {"MambaForCausalLM"}},
                          {"hidden_size", c.d_model},
                          {"num_hidden_layers", c.n_layer},
                          {"vocab_size", c.vocab_size},
                          {"state_size", c.d_state},
                          {"intermediate_size", c.d_inner},
                          {"expand", double(c.d_inner) / c.d_model},
                          {"conv_kernel", c.d_conv},
                          {"time_step_rank", c.dt_rank},
                          {"use_bias", c.use_bias},
                          {"use_conv_bias", c.use_conv_bias},
                          {"residual_in_fp32", c.residual_in_fp32},
                          {"layer_norm_epsilon", c.norm_eps},
                          {"tie_word_embeddings", c.tie_embeddings}};
    if (!c.classifiers.empty()) {
        cfg["mambascope_heads"] = nlohmann::json::array();
        for (const ClassifierHeadConfig& h : c.classifiers) {
            cfg["mambascope_heads"].push_back({{"name", h.name}, {"labels", h.labels}, {"pooling", h.pooling}});
            if (h.min_length > 0) cfg["mambascope_heads"].back()["min_length"] = h.min_length;
        }
    }
    const int64_t dm = c.d_model, di = c.d_inner, ds = c.d_state, r = c.dt_rank;
    std::vector<Tensor> t;
    t.push_back({"backbone.embeddings.weight", {c.vocab_size, dm}, w.embedding});
    for (int i = 0; i < c.n_layer; ++i) {
        const LayerWeights& L = w.layers[size_t(i)];
        const std::string p = cat("backbone.layers.", i, "."), m = p + "mixer.";
        std::vector<float> a_log(L.A.size());
        for (size_t k = 0; k < a_log.size(); ++k) a_log[k] = std::log(-L.A[k]);   // the loader takes −exp(A_log)
        t.push_back({p + "norm.weight", {dm}, L.norm});
        t.push_back({m + "in_proj.weight", {2 * di, dm}, L.in_proj});
        if (c.use_bias) t.push_back({m + "in_proj.bias", {2 * di}, L.in_proj_b});
        t.push_back({m + "conv1d.weight", {di, 1, c.d_conv}, L.conv_w});
        if (c.use_conv_bias) t.push_back({m + "conv1d.bias", {di}, L.conv_b});
        t.push_back({m + "x_proj.weight", {r + 2 * ds, di}, L.x_proj});
        t.push_back({m + "dt_proj.weight", {di, r}, L.dt_proj});
        t.push_back({m + "dt_proj.bias", {di}, L.dt_proj_b});
        t.push_back({m + "A_log", {di, ds}, std::move(a_log)});
        t.push_back({m + "D", {di}, L.D});
        t.push_back({m + "out_proj.weight", {dm, di}, L.out_proj});
        if (c.use_bias) t.push_back({m + "out_proj.bias", {dm}, L.out_proj_b});
    }
    t.push_back({"backbone.norm_f.weight", {dm}, w.norm_f});
    if (!c.tie_embeddings) t.push_back({"lm_head.weight", {c.vocab_size, dm}, w.lm_head});
    for (size_t h = 0; h < c.classifiers.size(); ++h) {
        const int64_t n = int64_t(c.classifiers[h].labels.size());
        t.push_back({c.classifiers[h].name + ".weight", {n, dm}, w.classifiers[h].weight});
        t.push_back({c.classifiers[h].name + ".bias", {n}, w.classifiers[h].bias});
    }
    nlohmann::json header = nlohmann::json::object();
    size_t offset = 0;
    for (const Tensor& x : t) {
        header[x.name] = {{"dtype", "F32"}, {"shape", x.shape}, {"data_offsets", {offset, offset + x.data.size() * 4}}};
        offset += x.data.size() * 4;
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');   // the data starts 8-byte aligned, as the format recommends
    std::string bytes(8 + h.size() + offset, '\0');
    const uint64_t n = h.size();
    std::memcpy(bytes.data(), &n, 8);
    std::memcpy(bytes.data() + 8, h.data(), h.size());
    size_t at = 8 + h.size();
    for (const Tensor& x : t) {
        std::memcpy(bytes.data() + at, x.data.data(), x.data.size() * 4);
        at += x.data.size() * 4;
    }
    const std::filesystem::path d(dir);
    MS_TRY(write_file_atomically((d / "model.safetensors").string(), bytes));
    return write_file_atomically((d / "config.json").string(), cfg.dump(2) + "\n");
}

}  // namespace ms

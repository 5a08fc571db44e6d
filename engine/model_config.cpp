// config.json in the Hugging Face or the mamba_ssm layout, turned into one ModelConfig. Every key is
// type-checked where it is read, so a hand-edited config fails with the key's name rather than with
// a shape mismatch three files later.
#include "engine/model_config.h"


#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "engine/json_file.h"

namespace ms {

using nlohmann::json;

namespace {

// Hostile-input limits, far above any Mamba model (mamba-2.8b: d_model 2560, 64 layers) and low
// enough that every product of dimensions (a tensor's size, parameter_count) fits in int64_t.
constexpr int kMaxDimension = 1 << 20;   // d_model, d_inner, d_state, d_conv, dt_rank
constexpr int kMaxLayers = 4096;

const char* type_phrase(const json& j) {
    switch (j.type()) {
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::array: return "a list";
        case json::value_t::object: return "an object";
        case json::value_t::null: return "null";
        case json::value_t::number_float: return "a fractional number";
        default: return "a number";
    }
}

// Reads typed keys out of one JSON object; `prefix` names the nesting in messages ("ssm_cfg.").
class KeyReader {
public:
    KeyReader(const std::string& source, const json& obj, std::string prefix = "")
        : source_(source), obj_(obj), prefix_(std::move(prefix)) {}

    bool has(const char* key) const { return obj_.contains(key); }
    const json* find(const char* key) const {
        const auto it = obj_.find(key);
        return it == obj_.end() ? nullptr : &*it;
    }

    // A positive int; `fallback` when absent, or an error when there is none.
    Result<int> positive_int(const char* key, std::optional<int> fallback = std::nullopt) const {
        const json* j = find(key);
        if (!j) return fallback ? Result<int>(*fallback) : Result<int>(missing(key));
        return positive_int_value(key, *j);
    }

    // A positive int of at most `max` (a model dimension or layer count).
    Result<int> dimension(const char* key, std::optional<int> fallback = std::nullopt, int max = kMaxDimension) const {
        int v = 0;
        MS_ASSIGN(v, positive_int(key, fallback));
        return at_most(key, v, max);
    }

    Result<int> at_most(const char* key, int v, int max) const {
        if (v > max) return make_error(source_, ": '", prefix_, key, "' is ", v, "; expected <= ", max,
                                       " (larger than any model MambaScope loads: is the config corrupt?)");
        return v;
    }

    // d_inner from expand × d_model, checked before it is converted (a huge expand is no int).
    Result<int> inner_from_expand(const char* expand_key, const char* d_model_key, double expand, int d_model) const {
        const double d_inner = expand * d_model;
        if (!(d_inner >= 1) || d_inner > kMaxDimension)
            return make_error(source_, ": '", prefix_, expand_key, "' × '", d_model_key, "' gives d_inner ", d_inner,
                              "; expected 1 to ", kMaxDimension);
        return static_cast<int>(d_inner);
    }

    Result<int> positive_int_value(const char* key, const json& j) const {
        if (!j.is_number_integer()) return wrong_type(key, j, "an integer");
        // nlohmann stores non-negative literals as unsigned, negative ones as signed.
        if (!j.is_number_unsigned() || j.get<uint64_t>() == 0)
            return make_error(source_, ": '", prefix_, key, "' is ", j.dump(), "; expected > 0");
        if (j.get<uint64_t>() > uint64_t(std::numeric_limits<int>::max()))
            return make_error(source_, ": '", prefix_, key, "' is ", j.dump(), "; expected < 2^31");
        return static_cast<int>(j.get<uint64_t>());
    }

    Result<double> positive_number(const char* key, double fallback) const {
        const json* j = find(key);
        if (!j) return fallback;
        if (!j->is_number()) return wrong_type(key, *j, "a number");
        const double v = j->get<double>();
        if (!(v > 0) || !std::isfinite(v))
            return make_error(source_, ": '", prefix_, key, "' is ", j->dump(), "; expected > 0");
        return v;
    }

    Result<bool> boolean(const char* key, bool fallback) const {
        const json* j = find(key);
        if (!j) return fallback;
        if (!j->is_boolean()) return wrong_type(key, *j, "true or false");
        return j->get<bool>();
    }

    Result<std::string> string(const char* key, std::optional<std::string> fallback = std::nullopt) const {
        const json* j = find(key);
        if (!j) return fallback ? Result<std::string>(*fallback) : Result<std::string>(missing(key));
        if (!j->is_string()) return wrong_type(key, *j, "a string");
        return j->get<std::string>();
    }

    // dt_rank / time_step_rank: an integer or "auto" (= ceil(d_model / 16), as both reference implementations do).
    Result<int> rank(const char* key, int d_model) const {
        const json* j = find(key);
        // d_model is at most kMaxDimension here, so d_model + 15 cannot overflow.
        if (!j || (j->is_string() && j->get<std::string>() == "auto")) return (d_model + 15) / 16;
        if (j->is_string())
            return make_error(source_, ": '", prefix_, key, "' is ", j->dump(), "; expected an integer or \"auto\"");
        int v = 0;
        MS_ASSIGN(v, positive_int_value(key, *j));
        return at_most(key, v, kMaxDimension);
    }

    Error wrong_type(const char* key, const json& j, const char* expected) const {
        return make_error(source_, ": '", prefix_, key, "' is ", type_phrase(j), "; expected ", expected);
    }
    Error missing(const char* key) const {
        return make_error(source_, ": required key '", prefix_, key, "' is missing");
    }

private:
    const std::string& source_;
    const json& obj_;
    std::string prefix_;
};


Result<void> read_mamba_ssm(const KeyReader& top, ModelConfig& c) {
    const std::string& src = c.source;
    c.layout = CheckpointLayout::MambaSsm;
    c.embedding_tensor = "backbone.embedding.weight";
    MS_ASSIGN(c.d_model, top.dimension("d_model"));
    MS_ASSIGN(c.n_layer, top.dimension("n_layer", std::nullopt, kMaxLayers));
    // mamba_ssm 2.x puts an MLP after every mixer when d_intermediate > 0; the engine has none.
    if (const json* mlp = top.find("d_intermediate"); mlp && !(mlp->is_number() && mlp->get<double>() == 0))
        return make_error(src, ": 'd_intermediate' is ", mlp->dump(), "; models with an MLP after each mixer ",
                          "(mamba_ssm 2.x) are not supported (0 or absent: Mamba blocks only)");
    MS_ASSIGN(c.vocab_size, top.positive_int("vocab_size"));
    int pad = 0;
    MS_ASSIGN(pad, top.positive_int("pad_vocab_size_multiple", 8));
    // MambaLMHeadModel pads the embedding rows up to a multiple, so the stored tensor has the padded size.
    const int64_t padded = (int64_t(c.vocab_size) + pad - 1) / pad * pad;
    if (padded > std::numeric_limits<int>::max())
        return make_error(src, ": 'vocab_size' ", c.vocab_size, " padded to a multiple of 'pad_vocab_size_multiple' ",
                          pad, " is ", padded, "; expected < 2^31");
    c.vocab_size = static_cast<int>(padded);

    bool rms_norm = true;
    MS_ASSIGN(rms_norm, top.boolean("rms_norm", true));
    if (!rms_norm) return make_error(src, ": 'rms_norm' is false; LayerNorm models are not supported (RMSNorm only)");
    MS_ASSIGN(c.residual_in_fp32, top.boolean("residual_in_fp32", true));
    MS_ASSIGN(c.tie_embeddings, top.boolean("tie_embeddings", true));
    double eps = 1e-5;
    MS_ASSIGN(eps, top.positive_number("norm_epsilon", 1e-5));
    c.norm_eps = static_cast<float>(eps);
    if (const json* attn = top.find("attn_layer_idx"); attn && !(attn->is_array() && attn->empty()))
        return make_error(src, ": 'attn_layer_idx' is set; hybrid attention models are not supported");

    static const json empty = json::object();
    const json* ssm = top.find("ssm_cfg");
    if (ssm && !ssm->is_object()) return top.wrong_type("ssm_cfg", *ssm, "an object");
    const KeyReader cfg(src, ssm ? *ssm : empty, "ssm_cfg.");
    std::string layer;
    MS_ASSIGN(layer, cfg.string("layer", "Mamba1"));
    if (layer != "Mamba1")
        return make_error(src, ": 'ssm_cfg.layer' is \"", layer, "\"; only Mamba1 models are supported");
    MS_ASSIGN(c.d_state, cfg.dimension("d_state", 16));
    MS_ASSIGN(c.d_conv, cfg.dimension("d_conv", 4));
    double expand = 2;
    MS_ASSIGN(expand, cfg.positive_number("expand", 2));
    MS_ASSIGN(c.d_inner, cfg.inner_from_expand("expand", "d_model", expand, c.d_model));
    MS_ASSIGN(c.dt_rank, cfg.rank("dt_rank", c.d_model));
    MS_ASSIGN(c.use_bias, cfg.boolean("bias", false));
    MS_ASSIGN(c.use_conv_bias, cfg.boolean("conv_bias", true));
    return {};
}

Result<void> read_hugging_face(const KeyReader& top, ModelConfig& c) {
    const std::string& src = c.source;
    c.layout = CheckpointLayout::HuggingFace;
    c.embedding_tensor = "backbone.embeddings.weight";
    MS_ASSIGN(c.model_type, top.string("model_type", "mamba"));
    if (c.model_type != "mamba")
        return make_error(src, ": 'model_type' is \"", c.model_type, "\"; only \"mamba\" models are supported");
    MS_ASSIGN(c.d_model, top.dimension("hidden_size"));
    MS_ASSIGN(c.n_layer, top.dimension("num_hidden_layers", std::nullopt, kMaxLayers));
    MS_ASSIGN(c.vocab_size, top.positive_int("vocab_size"));
    MS_ASSIGN(c.d_state, top.dimension("state_size", 16));
    double expand = 2;
    MS_ASSIGN(expand, top.positive_number("expand", 2));
    // transformers writes intermediate_size = int(expand * hidden_size); when present it is what the tensors hold.
    if (top.has("intermediate_size"))
        MS_ASSIGN(c.d_inner, top.dimension("intermediate_size"));
    else
        MS_ASSIGN(c.d_inner, top.inner_from_expand("expand", "hidden_size", expand, c.d_model));
    MS_ASSIGN(c.d_conv, top.dimension("conv_kernel", 4));
    MS_ASSIGN(c.dt_rank, top.rank("time_step_rank", c.d_model));
    MS_ASSIGN(c.use_bias, top.boolean("use_bias", false));
    MS_ASSIGN(c.use_conv_bias, top.boolean("use_conv_bias", true));
    // transformers applies hidden_act after the conv and to the gate; the engine computes SiLU (a
    // "gelu" model ran as SiLU without a word).
    std::string act;
    MS_ASSIGN(act, top.string("hidden_act", "silu"));
    if (act != "silu" && act != "swish")
        return make_error(src, ": 'hidden_act' is \"", act, "\"; only \"silu\" (Mamba's activation) is supported");
    MS_ASSIGN(c.residual_in_fp32, top.boolean("residual_in_fp32", true));
    MS_ASSIGN(c.tie_embeddings, top.boolean("tie_word_embeddings", true));
    double eps = 1e-5;
    MS_ASSIGN(eps, top.positive_number("layer_norm_epsilon", 1e-5));
    c.norm_eps = static_cast<float>(eps);
    return {};
}

// "mambascope_heads": [{"name": "classifier", "labels": ["a", "b"], "pooling": "mean", "min_length": 500}]
Result<void> read_heads(const KeyReader& top, ModelConfig& c) {
    const json* heads = top.find("mambascope_heads");
    if (!heads) return {};
    if (!heads->is_array()) return top.wrong_type("mambascope_heads", *heads, "a list");
    std::set<std::string> names;
    for (size_t i = 0; i < heads->size(); ++i) {
        const json& h = (*heads)[i];
        const std::string prefix = cat("mambascope_heads[", i, "].");
        if (!h.is_object()) return make_error(c.source, ": 'mambascope_heads[", i, "]' is ", type_phrase(h), "; expected an object");
        const KeyReader r(c.source, h, prefix);
        ClassifierHeadConfig head;
        MS_ASSIGN(head.name, r.string("name"));
        MS_ASSIGN(head.pooling, r.string("pooling", "mean"));
        if (head.pooling != "mean")  // what the engine computes: any other word was mean-pooled silently
            return make_error(c.source, ": '", prefix, "pooling' is \"", head.pooling,
                              "\"; only \"mean\" is supported");
        if (const json* m = r.find("min_length")) {
            if (!m->is_number_integer() || m->get<int64_t>() < 1)
                return make_error(
                    c.source, ": '", prefix, "min_length' is ", m->dump(),
                    "; expected a whole number of bases >= 1 (the shortest item the head was trained on)");
            head.min_length = m->get<int64_t>();
        }
        if (head.name.empty() || !names.insert(head.name).second)
            return make_error(c.source, ": '", prefix, "name' is \"", head.name, "\"; head names must be unique and non-empty");
        const json* labels = r.find("labels");
        if (!labels) return r.missing("labels");
        if (!labels->is_array() || labels->empty())
            return make_error(c.source, ": '", prefix, "labels' must be a non-empty list of strings");
        std::set<std::string> seen;  // a repeated label made two columns of one name, and its stored classes ambiguous
        for (const json& l : *labels) {
            if (!l.is_string()) return make_error(c.source, ": '", prefix, "labels' holds ", type_phrase(l), "; expected strings");
            head.labels.push_back(l.get<std::string>());
            if (head.labels.back().empty() || !seen.insert(head.labels.back()).second)
                return make_error(c.source, ": '", prefix, "labels' holds \"", head.labels.back(), "\" ",
                                  head.labels.back().empty() ? "" : "twice",
                                  head.labels.back().empty() ? "(empty)" : "",
                                  "; class labels must be unique and non-empty");
        }
        c.classifiers.push_back(std::move(head));
    }
    return {};
}

#undef MS_ASSIGN

}  // namespace

int64_t ModelConfig::parameter_count() const {
    const int64_t dm = d_model, di = d_inner, ds = d_state;
    int64_t layer = dm;                                  // norm
    layer += 2 * di * dm + (use_bias ? 2 * di : 0);      // in_proj
    layer += di * d_conv + (use_conv_bias ? di : 0);     // conv1d
    layer += (dt_rank + 2 * ds) * di;                    // x_proj
    layer += di * dt_rank + di;                          // dt_proj
    layer += di * ds + di;                               // A_log, D
    layer += dm * di + (use_bias ? dm : 0);              // out_proj
    int64_t total = int64_t(vocab_size) * dm + n_layer * layer + dm;   // embedding, layers, norm_f
    if (!tie_embeddings) total += int64_t(vocab_size) * dm;
    for (const ClassifierHeadConfig& h : classifiers) total += int64_t(h.labels.size()) * (dm + 1);
    return total;
}

Result<ModelConfig> load_model_config(const std::string& dir) {
    if (dir.empty()) return make_error("no model directory given (the path is empty)");
    ModelConfig c;
    c.source = dir + "/config.json";
    std::error_code ec;
    // A weights or config file given for the folder (--model model.safetensors) is named as such.
    if (std::filesystem::is_regular_file(dir, ec))
        return make_error(
            "'", dir, "' is a file; a model is the folder that holds its config.json and weights (give ", "--model ",
            std::filesystem::path(dir).parent_path().empty() ? std::string(".")
                                                             : std::filesystem::path(dir).parent_path().string(),
            ")");
    if (!std::filesystem::is_regular_file(c.source, ec))
        return make_error("cannot open '", c.source, "': a model directory needs a config.json");
    auto parsed = read_json_file(c.source);
    if (!parsed) return parsed.error();
    json root = std::move(*parsed);
    if (!root.is_object()) return make_error(c.source, ": not a JSON object");

    const KeyReader top(c.source, root);
    // Architectures that share Mamba's key names but not its computation: named, not misread.
    const std::string model_type = root.contains("model_type") && root["model_type"].is_string()
                                       ? root["model_type"].get<std::string>()
                                       : std::string();
    if (model_type == "caduceus" || (root.contains("bidirectional") && root["bidirectional"] == true))
        return make_error(c.source, ": a Caduceus (bidirectional, reverse-complement) model; MambaScope runs causal ",
                          "Mamba language models (MambaForCausalLM, mamba_ssm MambaLMHeadModel)");
    // mamba_ssm writes d_model/n_layer; transformers writes hidden_size/num_hidden_layers.
    const bool mamba_ssm = (top.has("d_model") && top.has("n_layer")) ||
                           (!top.has("hidden_size") && (top.has("d_model") || top.has("n_layer")));
    MS_TRY(mamba_ssm ? read_mamba_ssm(top, c) : read_hugging_face(top, c));
    MS_TRY(read_heads(top, c));
    return c;
}

}  // namespace ms

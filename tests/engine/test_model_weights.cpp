// Loading a whole (tiny) model: d_model 8, d_inner 16, d_state 4, d_conv 4, dt_rank 2, 2 layers,
// vocab 12, written here as config.json + model.safetensors in both checkpoint layouts; then the
// same model with one thing broken, each with the exact message it must produce.
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "engine/model_weights.h"
#include "engine/model_writer.h"
#include "engine/random_model.h"
#include "engine/model.h"
#include "tests/common/harness.h"

namespace {

namespace fs = std::filesystem;

struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
    ms::DType dtype = ms::DType::F32;
};
using Tensors = std::vector<Tensor>;

// F32 as is; BF16 by truncation, exact for the values made here (multiples of 1/8 in [-1, 1]).
std::string encode_values(const Tensor& t) {
    std::string s;
    for (float f : t.values) {
        const uint32_t x = std::bit_cast<uint32_t>(f);
        const int bytes = t.dtype == ms::DType::F32 ? 4 : 2;
        const uint32_t v = t.dtype == ms::DType::F32 ? x : x >> 16;
        for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    return s;
}

// The test builds headers by hand rather than with nlohmann_json, which the engine links privately.
void write_safetensors(const std::string& path, const Tensors& tensors) {
    std::string header = "{", data;
    for (const Tensor& t : tensors) {
        const std::string bytes = encode_values(t);
        std::string shape;
        for (size_t i = 0; i < t.shape.size(); ++i) {
            if (i) shape += ',';
            shape += std::to_string(t.shape[i]);
        }
        if (header.size() > 1) header += ',';
        header += ms::cat('"', t.name, "\":{\"dtype\":\"", ms::dtype_name(t.dtype), "\",\"shape\":[", shape,
                          "],\"data_offsets\":[", data.size(), ",", data.size() + bytes.size(), "]}");
        data += bytes;
    }
    header += "}";
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((uint64_t(header.size()) >> (8 * i)) & 0xff));
    std::ofstream(path, std::ios::binary) << out << header << data;
}

// Distinct, exactly representable values per tensor: small multiples of 1/8.
Tensor make(const std::string& name, std::vector<int64_t> shape, int seed) {
    Tensor t{name, std::move(shape), {}};
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    for (int64_t k = 0; k < n; ++k) t.values.push_back(float((k * 37 + seed * 11) % 17 - 8) / 8.0f);
    return t;
}

// Every tensor `c` implies, named as its layout names them (lm_head only when untied).
Tensors model_tensors(const ms::ModelConfig& c) {
    const int64_t dm = c.d_model, di = c.d_inner, ds = c.d_state, dc = c.d_conv, r = c.dt_rank, v = c.vocab_size;
    Tensors ts;
    int seed = 0;
    ts.push_back(make(c.embedding_tensor, {v, dm}, ++seed));
    for (int i = 0; i < c.n_layer; ++i) {
        const std::string p = "backbone.layers." + std::to_string(i) + ".";
        const std::string m = p + "mixer.";
        ts.push_back(make(p + "norm.weight", {dm}, ++seed));
        ts.push_back(make(m + "in_proj.weight", {2 * di, dm}, ++seed));
        if (c.use_bias) ts.push_back(make(m + "in_proj.bias", {2 * di}, ++seed));
        ts.push_back(make(m + "conv1d.weight", {di, 1, dc}, ++seed));
        if (c.use_conv_bias) ts.push_back(make(m + "conv1d.bias", {di}, ++seed));
        ts.push_back(make(m + "x_proj.weight", {r + 2 * ds, di}, ++seed));
        ts.push_back(make(m + "dt_proj.weight", {di, r}, ++seed));
        ts.push_back(make(m + "dt_proj.bias", {di}, ++seed));
        ts.push_back(make(m + "A_log", {di, ds}, ++seed));
        ts.push_back(make(m + "D", {di}, ++seed));
        ts.push_back(make(m + "out_proj.weight", {dm, di}, ++seed));
        if (c.use_bias) ts.push_back(make(m + "out_proj.bias", {dm}, ++seed));
    }
    ts.push_back(make("backbone.norm_f.weight", {dm}, ++seed));
    if (!c.tie_embeddings) ts.push_back(make("lm_head.weight", {v, dm}, ++seed));
    for (const auto& h : c.classifiers) {
        const int64_t n = static_cast<int64_t>(h.labels.size());
        ts.push_back(make(h.name + ".weight", {n, dm}, ++seed));
        ts.push_back(make(h.name + ".bias", {n}, ++seed));
    }
    return ts;
}

// The tiny model's Hugging Face config.json, with `extra` keys (", \"key\": value") appended.
std::string hf_config(const std::string& extra = "") {
    return R"({"model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 12,
        "state_size": 4, "intermediate_size": 16, "conv_kernel": 4, "time_step_rank": 2)" + extra + "}";
}

struct Model {
    std::string dir;
    ms::ModelConfig config;
    Tensors tensors;
};

// Writes `config_json`, derives the tensors from the config it gives, lets `edit` break them, writes them.
Model write_model(const std::string& name, const std::string& config_json, const std::function<void(Tensors&)>& edit = {}) {
    Model m;
    m.dir = std::string(MS_TEST_BINARY_DIR) + "/model_weights_" + name;
    fs::remove_all(m.dir);
    fs::create_directories(m.dir);
    std::ofstream(m.dir + "/config.json") << config_json;
    auto c = ms::load_model_config(m.dir);
    MS_CHECK_MSG(c.ok(), c.error().message);
    m.config = *c;
    m.tensors = model_tensors(m.config);
    if (edit) edit(m.tensors);
    write_safetensors(m.dir + "/model.safetensors", m.tensors);
    return m;
}

ms::Result<ms::ModelWeights> load(const Model& m) {
    auto store = ms::TensorStore::open_dir(m.dir);
    MS_CHECK_MSG(store.ok(), store.error().message);
    return ms::load_model_weights(m.config, *store);
}

const Tensor& tensor(const Model& m, const std::string& name) {
    for (const Tensor& t : m.tensors)
        if (t.name == name) return t;
    throw ms::test::Failure{"test bug: no tensor " + name};
}

Tensor& tensor(Tensors& ts, const std::string& name) {
    for (Tensor& t : ts)
        if (t.name == name) return t;
    throw ms::test::Failure{"test bug: no tensor " + name};
}

void remove_tensor(Tensors& ts, const std::string& name) {
    std::erase_if(ts, [&](const Tensor& t) { return t.name == name; });
}

// Every layer tensor of `w` equals what was written; A is -exp(A_log) to the bit.
void check_layers(const Model& m, const ms::ModelWeights& w) {
    MS_CHECK_EQ(w.layers.size(), size_t(2));
    for (int i = 0; i < 2; ++i) {
        const std::string p = "backbone.layers." + std::to_string(i) + ".";
        const std::string mx = p + "mixer.";
        const ms::LayerWeights& l = w.layers[size_t(i)];
        MS_CHECK(l.norm == tensor(m, p + "norm.weight").values);
        MS_CHECK(l.in_proj == tensor(m, mx + "in_proj.weight").values);
        MS_CHECK(l.conv_w == tensor(m, mx + "conv1d.weight").values);
        MS_CHECK(l.x_proj == tensor(m, mx + "x_proj.weight").values);
        MS_CHECK(l.dt_proj == tensor(m, mx + "dt_proj.weight").values);
        MS_CHECK(l.dt_proj_b == tensor(m, mx + "dt_proj.bias").values);
        MS_CHECK(l.D == tensor(m, mx + "D").values);
        MS_CHECK(l.out_proj == tensor(m, mx + "out_proj.weight").values);
        const auto& a_log = tensor(m, mx + "A_log").values;
        MS_CHECK_EQ(l.A.size(), size_t(16 * 4));
        for (size_t k = 0; k < a_log.size(); ++k) MS_CHECK_EQ(l.A[k], -std::exp(a_log[k]));
        if (m.config.use_bias) {
            MS_CHECK(l.in_proj_b == tensor(m, mx + "in_proj.bias").values);
            MS_CHECK(l.out_proj_b == tensor(m, mx + "out_proj.bias").values);
        } else {
            MS_CHECK(l.in_proj_b.empty() && l.out_proj_b.empty());
        }
        if (m.config.use_conv_bias)
            MS_CHECK(l.conv_b == tensor(m, mx + "conv1d.bias").values);
        else
            MS_CHECK(l.conv_b.empty());
    }
}

}  // namespace

MS_TEST(model_weights_hugging_face_tied) {
    const Model m = write_model("hf_tied", hf_config());
    MS_CHECK_EQ(m.config.d_inner, 16);
    auto w = load(m);
    MS_CHECK_MSG(w.ok(), w.error().message);
    MS_CHECK(w->embedding == tensor(m, "backbone.embeddings.weight").values);
    MS_CHECK(w->lm_head == w->embedding);
    MS_CHECK(w->norm_f == tensor(m, "backbone.norm_f.weight").values);
    MS_CHECK(w->classifiers.empty());
    MS_CHECK_EQ(w->stored_dtype, std::string("F32"));
    check_layers(m, *w);
}

MS_TEST(model_weights_tied_ignores_stored_lm_head) {
    const Model m = write_model("hf_tied_stored", hf_config(),
                                [](Tensors& ts) { ts.push_back(make("lm_head.weight", {12, 8}, 99)); });
    auto w = load(m);
    MS_CHECK_MSG(w.ok(), w.error().message);
    MS_CHECK(w->lm_head == tensor(m, "backbone.embeddings.weight").values);
}

MS_TEST(model_weights_mamba_ssm_untied_with_biases) {
    // vocab 12 padded to 16; in_proj/out_proj biases, no conv bias; BF16 storage.
    const std::string config = R"({"d_model": 8, "n_layer": 2, "vocab_size": 12, "pad_vocab_size_multiple": 8,
        "tie_embeddings": false,
        "ssm_cfg": {"d_state": 4, "d_conv": 4, "expand": 2, "dt_rank": 2, "bias": true, "conv_bias": false}})";
    const Model m = write_model("ssm_untied", config, [](Tensors& ts) {
        for (Tensor& t : ts) t.dtype = ms::DType::BF16;
    });
    MS_CHECK_EQ(m.config.vocab_size, 16);
    auto w = load(m);
    MS_CHECK_MSG(w.ok(), w.error().message);
    MS_CHECK(w->embedding == tensor(m, "backbone.embedding.weight").values);
    MS_CHECK(w->lm_head == tensor(m, "lm_head.weight").values);
    MS_CHECK(w->lm_head != w->embedding);
    MS_CHECK_EQ(w->stored_dtype, std::string("BF16"));
    check_layers(m, *w);
}

MS_TEST(model_weights_mixed_dtype_and_heads) {
    const std::string config = hf_config(R"(, "mambascope_heads": [{"name": "classifier", "labels": ["a", "b", "c"]}])");
    const Model m = write_model("heads", config, [](Tensors& ts) { tensor(ts, "backbone.norm_f.weight").dtype = ms::DType::BF16; });
    auto w = load(m);
    MS_CHECK_MSG(w.ok(), w.error().message);
    MS_CHECK_EQ(w->stored_dtype, std::string("mixed"));
    MS_CHECK_EQ(w->classifiers.size(), size_t(1));
    MS_CHECK(w->classifiers[0].weight == tensor(m, "classifier.weight").values);
    MS_CHECK(w->classifiers[0].bias == tensor(m, "classifier.bias").values);
    MS_CHECK_EQ(w->classifiers[0].weight.size(), size_t(3 * 8));
}

MS_TEST(model_weights_rejects_broken_models) {
    const std::string untied = hf_config(R"(, "tie_word_embeddings": false)");
    const std::string with_head = hf_config(R"(, "mambascope_heads": [{"name": "classifier", "labels": ["a", "b"]}])");
    const std::string ssm = R"({"d_model": 8, "n_layer": 2, "vocab_size": 12, "pad_vocab_size_multiple": 4,
        "ssm_cfg": {"d_state": 4, "dt_rank": 2}})";
    struct Case {
        const char* name;
        std::string config;
        std::function<void(Tensors&)> edit;
        std::string expected;   // the whole message, up to " (in FILE)" where the tensor exists
        bool names_file;
    };
    const Case cases[] = {
        {"shape", hf_config(),
         [](Tensors& ts) { tensor(ts, "backbone.layers.1.mixer.A_log") = make("backbone.layers.1.mixer.A_log", {16, 8}, 5); },
         "tensor 'backbone.layers.1.mixer.A_log' has shape [16, 8]; config.json says [16, 4]", true},
        {"conv_shape", hf_config(),
         [](Tensors& ts) { tensor(ts, "backbone.layers.0.mixer.conv1d.weight").shape = {16, 4}; },
         "tensor 'backbone.layers.0.mixer.conv1d.weight' has shape [16, 4]; config.json says [16, 1, 4]", true},
        {"missing_norm_f", hf_config(), [](Tensors& ts) { remove_tensor(ts, "backbone.norm_f.weight"); },
         "tensor 'backbone.norm_f.weight' is missing from model.safetensors", false},
        {"missing_conv_bias", hf_config(),
         [](Tensors& ts) { remove_tensor(ts, "backbone.layers.1.mixer.conv1d.bias"); },
         "tensor 'backbone.layers.1.mixer.conv1d.bias' is missing from model.safetensors", false},
        {"untied_no_lm_head", untied, [](Tensors& ts) { remove_tensor(ts, "lm_head.weight"); },
         "tensor 'lm_head.weight' is missing from model.safetensors", false},
        {"nan", hf_config(),
         [](Tensors& ts) { tensor(ts, "backbone.layers.0.mixer.in_proj.weight").values[17] = NAN; },
         "tensor 'backbone.layers.0.mixer.in_proj.weight' holds NaN or Inf at element 17", true},
        {"inf_bf16", hf_config(),
         [](Tensors& ts) {
             Tensor& t = tensor(ts, "backbone.layers.1.mixer.D");
             t.dtype = ms::DType::BF16;
             t.values[3] = -INFINITY;
         },
         "tensor 'backbone.layers.1.mixer.D' holds NaN or Inf at element 3", true},
        {"head_no_bias", with_head, [](Tensors& ts) { remove_tensor(ts, "classifier.bias"); },
         "tensor 'classifier.bias' is missing from model.safetensors", false},
        // A Hugging Face config over a mamba_ssm checkpoint: the embedding is under the other name.
        {"wrong_layout", hf_config(),
         [](Tensors& ts) { tensor(ts, "backbone.embeddings.weight").name = "backbone.embedding.weight"; },
         "tensor 'backbone.embeddings.weight' is missing from model.safetensors", false},
        // A config that names fewer layers than the checkpoint holds ran as a smaller model
        // without a word (found in review); so would a per-layer tensor the config does not read.
        {"extra_layer", hf_config(),
         [](Tensors& ts) { ts.push_back(make("backbone.layers.2.mixer.D", {16}, 7)); },
         "tensor 'backbone.layers.2.mixer.D' is not part of the model config.json describes (2 layers, 0 to 1): the "
         "config does not match these weights", true},
        {"unknown_layer_tensor", hf_config(),
         [](Tensors& ts) { ts.push_back(make("backbone.layers.0.mixer.dt_norm.weight", {2}, 8)); },
         "tensor 'backbone.layers.0.mixer.dt_norm.weight' is not part of the model config.json describes (2 layers, 0 "
         "to 1): the config does not match these weights", true},
        {"ssm_shape", ssm,
         [](Tensors& ts) {
             tensor(ts, "backbone.layers.0.mixer.x_proj.weight") = make("backbone.layers.0.mixer.x_proj.weight", {8, 16}, 3);
         },
         "tensor 'backbone.layers.0.mixer.x_proj.weight' has shape [8, 16]; config.json says [10, 16]", true},
    };
    for (const Case& c : cases) {
        const Model m = write_model(std::string("bad_") + c.name, c.config, c.edit);
        auto w = load(m);
        MS_CHECK_MSG(!w.ok(), c.name << ": accepted");
        // A missing tensor names the model folder too (it did not; found in review).
        const std::string want =
            c.names_file ? c.expected + " (in " + m.dir + "/model.safetensors)" : c.expected + " (in '" + m.dir + "')";
        MS_CHECK_MSG(w.error().message == want, c.name << ": got  " << w.error().message << "\n        want " << want);
    }
}

// save_model writes what Model::load reads back, weight for weight (A through A_log, tied and
// untied heads, biases on and off).
MS_TEST(saved_model_loads_back_identically) {
    for (const bool tied : {true, false}) {
        ms::RandomModelShape shape;
        shape.d_model = 24;
        shape.n_layer = 2;
        shape.d_state = 4;
        shape.seed = tied ? 3 : 4;
        ms::Model m = ms::make_random_model(shape);
        if (!tied) {
            m.config.tie_embeddings = false;
            for (float& x : m.weights.lm_head) x *= 0.5f;
        }
        const std::string dir = (std::filesystem::current_path() / (tied ? "saved_tied" : "saved_untied")).string();
        MS_CHECK(ms::save_model(m, dir).ok());
        auto back = ms::Model::load(dir);
        MS_CHECK_MSG(back.ok(), back.error().message);
        MS_CHECK(back->weights.embedding == m.weights.embedding && back->weights.lm_head == m.weights.lm_head);
        MS_CHECK(back->weights.norm_f == m.weights.norm_f);
        for (size_t l = 0; l < m.weights.layers.size(); ++l) {
            const ms::LayerWeights &a = m.weights.layers[l], &b = back->weights.layers[l];
            MS_CHECK(a.in_proj == b.in_proj && a.conv_w == b.conv_w && a.conv_b == b.conv_b && a.x_proj == b.x_proj);
            MS_CHECK(a.dt_proj == b.dt_proj && a.dt_proj_b == b.dt_proj_b && a.D == b.D && a.out_proj == b.out_proj);
            for (size_t k = 0; k < a.A.size(); ++k) MS_CHECK(std::abs(a.A[k] - b.A[k]) <= 1e-6f * std::abs(a.A[k]));
        }
        MS_CHECK_EQ(back->config.dt_rank, m.config.dt_rank);
        MS_CHECK_EQ(back->config.d_inner, m.config.d_inner);
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

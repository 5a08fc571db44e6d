// config.json in both layouts: the values and defaults each key gives, and a table of bad configs
// with the message each must produce.
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/model_config.h"
#include "tests/common/harness.h"

namespace {

namespace fs = std::filesystem;

std::string write_config(const std::string& name, const std::string& json) {
    const std::string dir = std::string(MS_TEST_BINARY_DIR) + "/model_config_" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir + "/config.json") << json;
    return dir;
}

ms::ModelConfig load_ok(const std::string& name, const std::string& json) {
    auto c = ms::load_model_config(write_config(name, json));
    MS_CHECK_MSG(c.ok(), c.error().message);
    return *c;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

// The config.json of state-spaces/mamba-130m-hf as transformers writes it.
MS_TEST(model_config_hugging_face_mamba_130m) {
    const auto c = load_ok("hf_130m", R"({
        "architectures": ["MambaForCausalLM"], "model_type": "mamba", "hidden_size": 768,
        "num_hidden_layers": 24, "vocab_size": 50280, "state_size": 16, "expand": 2,
        "intermediate_size": 1536, "conv_kernel": 4, "time_step_rank": 48, "use_bias": false,
        "use_conv_bias": true, "residual_in_fp32": true, "layer_norm_epsilon": 1e-05,
        "tie_word_embeddings": true, "pad_vocab_size_multiple": 8, "hidden_act": "silu"})");
    MS_CHECK(c.layout == ms::CheckpointLayout::HuggingFace);
    MS_CHECK_EQ(c.d_model, 768);
    MS_CHECK_EQ(c.n_layer, 24);
    MS_CHECK_EQ(c.vocab_size, 50280);
    MS_CHECK_EQ(c.d_inner, 1536);
    MS_CHECK_EQ(c.d_state, 16);
    MS_CHECK_EQ(c.d_conv, 4);
    MS_CHECK_EQ(c.dt_rank, 48);
    MS_CHECK(!c.use_bias && c.use_conv_bias && c.residual_in_fp32 && c.tie_embeddings);
    MS_CHECK_EQ(c.norm_eps, 1e-5f);
    MS_CHECK_EQ(c.embedding_tensor, std::string("backbone.embeddings.weight"));
    MS_CHECK(contains(c.source, "model_config_hf_130m/config.json"));
    // The published parameter count of mamba-130m.
    MS_CHECK_EQ(c.parameter_count(), int64_t(129135360));
}

MS_TEST(model_config_hugging_face_defaults_and_overrides) {
    struct Case {
        const char* name;
        const char* json;
        int d_inner, dt_rank, d_state, d_conv;
    };
    const Case cases[] = {
        // time_step_rank "auto" = ceil(40 / 16) = 3; d_inner = expand * hidden_size.
        {"auto_rank", R"({"hidden_size": 40, "num_hidden_layers": 2, "vocab_size": 12, "time_step_rank": "auto"})", 80, 3, 16, 4},
        {"absent_rank", R"({"hidden_size": 33, "num_hidden_layers": 1, "vocab_size": 12, "expand": 3})", 99, 3, 16, 4},
        {"intermediate_override", R"({"hidden_size": 40, "num_hidden_layers": 2, "vocab_size": 12, "expand": 2,
                                      "intermediate_size": 100, "state_size": 8, "conv_kernel": 3, "time_step_rank": 5})",
         100, 5, 8, 3},
    };
    for (const Case& k : cases) {
        const auto c = load_ok(k.name, k.json);
        MS_CHECK_MSG(c.d_inner == k.d_inner, k.name << ": d_inner " << c.d_inner);
        MS_CHECK_MSG(c.dt_rank == k.dt_rank, k.name << ": dt_rank " << c.dt_rank);
        MS_CHECK_MSG(c.d_state == k.d_state && c.d_conv == k.d_conv, k.name);
        MS_CHECK(c.model_type == "mamba" && c.tie_embeddings && c.use_conv_bias && !c.use_bias);
    }
}

MS_TEST(model_config_mamba_ssm_pads_vocab) {
    const auto c = load_ok("ssm", R"({"d_model": 8, "n_layer": 2, "vocab_size": 12,
        "ssm_cfg": {"d_state": 4, "expand": 2, "bias": true, "conv_bias": false},
        "rms_norm": true, "residual_in_fp32": false, "fused_add_norm": true,
        "pad_vocab_size_multiple": 8, "tie_embeddings": false})");
    MS_CHECK(c.layout == ms::CheckpointLayout::MambaSsm);
    MS_CHECK_EQ(c.vocab_size, 16);   // 12 rounded up to a multiple of 8
    MS_CHECK_EQ(c.d_inner, 16);
    MS_CHECK_EQ(c.d_state, 4);
    MS_CHECK_EQ(c.d_conv, 4);
    MS_CHECK_EQ(c.dt_rank, 1);       // "auto" by default: ceil(8 / 16)
    MS_CHECK(c.use_bias && !c.use_conv_bias && !c.residual_in_fp32 && !c.tie_embeddings);
    MS_CHECK_EQ(c.embedding_tensor, std::string("backbone.embedding.weight"));
    // embedding + lm_head 16*8 each; per layer: 8 + (32*8+32) + 16*4 + (1+8)*16 + (16*1+16) + (16*4+16) + (8*16+8); norm_f 8.
    const int64_t layer = 8 + (32 * 8 + 32) + 16 * 4 + 9 * 16 + 32 + 80 + (128 + 8);
    MS_CHECK_EQ(c.parameter_count(), 2 * 16 * 8 + 2 * layer + 8);

    const auto d = load_ok("ssm_defaults", R"({"d_model": 64, "n_layer": 1, "vocab_size": 16, "ssm_cfg": {}})");
    MS_CHECK_EQ(d.vocab_size, 16);
    MS_CHECK(d.d_inner == 128 && d.d_state == 16 && d.d_conv == 4 && d.dt_rank == 4);
    MS_CHECK(!d.use_bias && d.use_conv_bias && d.residual_in_fp32 && d.tie_embeddings);
    const auto p = load_ok("ssm_pad1", R"({"d_model": 64, "n_layer": 1, "vocab_size": 13, "pad_vocab_size_multiple": 1})");
    MS_CHECK_EQ(p.vocab_size, 13);
}

MS_TEST(model_config_classifier_heads) {
    const auto c = load_ok("heads", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
        "mambascope_heads": [{"name": "classifier", "labels": ["coding", "noncoding", "repeat"]},
                             {"name": "promoter", "labels": ["no", "yes"], "pooling": "mean"}]})");
    MS_CHECK_EQ(c.classifiers.size(), size_t(2));
    MS_CHECK_EQ(c.classifiers[0].name, std::string("classifier"));
    MS_CHECK_EQ(c.classifiers[0].labels.size(), size_t(3));
    MS_CHECK_EQ(c.classifiers[0].pooling, std::string("mean"));
    MS_CHECK_EQ(c.classifiers[1].pooling, std::string("mean"));
    auto plain = c;
    plain.classifiers.clear();
    MS_CHECK_EQ(c.parameter_count() - plain.parameter_count(), int64_t(3 * 17 + 2 * 17));
}

MS_TEST(model_config_rejects_bad_configs) {
    struct Case {
        const char* name;
        const char* json;
        const char* expected;
    };
    const Case cases[] = {
        {"bad_json", R"({"hidden_size": 16,)", "config.json: not valid JSON"},
        // What the engine does not compute is refused, not run as something else (found in review).
        {"gelu", R"({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 12, "hidden_act": "gelu"})",
         "config.json: 'hidden_act' is \"gelu\"; only \"silu\" (Mamba's activation) is supported"},
        {"caduceus",
         R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "model_type": "caduceus", "bidirectional": true})",
         "a Caduceus (bidirectional, reverse-complement) model"},
        {"mlp", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "d_intermediate": 64})",
         "config.json: 'd_intermediate' is 64; models with an MLP after each mixer"},
        {"last_pooling", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
            "mambascope_heads": [{"name": "p", "labels": ["no", "yes"], "pooling": "last"}]})",
         "config.json: 'mambascope_heads[0].pooling' is \"last\"; only \"mean\" is supported"},
        {"not_object", R"([16, 2])", "config.json: not a JSON object"},
        {"wrong_type", R"({"hidden_size": "768", "num_hidden_layers": 2, "vocab_size": 12})",
         "config.json: 'hidden_size' is a string; expected an integer"},
        {"fraction", R"({"hidden_size": 7.5, "num_hidden_layers": 2, "vocab_size": 12})",
         "config.json: 'hidden_size' is a fractional number; expected an integer"},
        {"missing_key", R"({"hidden_size": 16, "vocab_size": 12})",
         "config.json: required key 'num_hidden_layers' is missing"},
        {"negative", R"({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 12, "state_size": -3})",
         "config.json: 'state_size' is -3; expected > 0"},
        {"zero", R"({"hidden_size": 16, "num_hidden_layers": 0, "vocab_size": 12})",
         "config.json: 'num_hidden_layers' is 0; expected > 0"},
        {"huge", R"({"hidden_size": 4294967296, "num_hidden_layers": 1, "vocab_size": 12})",
         "config.json: 'hidden_size' is 4294967296; expected < 2^31"},
        // Found by tests/fuzz/fuzz_model_config: dimensions whose arithmetic overflowed int (UBSan).
        {"expand_huge", R"({"hidden_size": 32, "num_hidden_layers": 2, "vocab_size": 16, "expand": 1e30})",
         "config.json: 'expand' × 'hidden_size' gives d_inner 3.2e+31; expected 1 to 1048576"},
        {"auto_rank_of_huge_model", R"({"hidden_size": 2147483647, "num_hidden_layers": 2, "vocab_size": 16,
                                        "intermediate_size": 64})",
         "config.json: 'hidden_size' is 2147483647; expected <= 1048576"},
        {"vocab_padding_overflow", R"({"d_model": 32, "n_layer": 2, "vocab_size": 2147483647,
                                       "pad_vocab_size_multiple": 1073741824})",
         "config.json: 'vocab_size' 2147483647 padded to a multiple of 'pad_vocab_size_multiple' 1073741824 is "
         "2147483648; expected < 2^31"},
        {"layers_huge", R"({"hidden_size": 16, "num_hidden_layers": 100000, "vocab_size": 12})",
         "config.json: 'num_hidden_layers' is 100000; expected <= 4096"},
        {"ssm_expand_tiny", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "ssm_cfg": {"expand": 0.001}})",
         "config.json: 'ssm_cfg.expand' × 'd_model' gives d_inner 0.016; expected 1 to 1048576"},
        {"bool_type", R"({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 12, "use_bias": 1})",
         "config.json: 'use_bias' is a number; expected true or false"},
        {"rank_string", R"({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 12, "time_step_rank": "big"})",
         "config.json: 'time_step_rank' is \"big\"; expected an integer or \"auto\""},
        {"mamba2", R"({"model_type": "mamba2", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 12})",
         "config.json: 'model_type' is \"mamba2\"; only \"mamba\" models are supported"},
        {"layer_norm", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "rms_norm": false})",
         "config.json: 'rms_norm' is false; LayerNorm models are not supported"},
        {"ssm_mamba2", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "ssm_cfg": {"layer": "Mamba2"}})",
         "config.json: 'ssm_cfg.layer' is \"Mamba2\"; only Mamba1 models are supported"},
        {"ssm_type", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "ssm_cfg": {"d_state": "16"}})",
         "config.json: 'ssm_cfg.d_state' is a string; expected an integer"},
        {"ssm_missing", R"({"d_model": 16, "vocab_size": 12})", "config.json: required key 'n_layer' is missing"},
        {"attention", R"({"d_model": 16, "n_layer": 2, "vocab_size": 12, "attn_layer_idx": [1]})",
         "hybrid attention models are not supported"},
        {"neither", R"({"vocab_size": 12})", "config.json: required key 'hidden_size' is missing"},
        {"head_labels", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
                            "mambascope_heads": [{"name": "c", "labels": []}]})",
         "'mambascope_heads[0].labels' must be a non-empty list of strings"},
        {"head_duplicate", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
                               "mambascope_heads": [{"name": "c", "labels": ["a"]}, {"name": "c", "labels": ["b"]}]})",
         "'mambascope_heads[1].name' is \"c\"; head names must be unique"},
        // Two columns of one name in the predictions export, and stored classes that could be either.
        {"label_twice", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
                            "mambascope_heads": [{"name": "c", "labels": ["a", "b", "a"]}]})",
         "'mambascope_heads[0].labels' holds \"a\" twice; class labels must be unique and non-empty"},
        {"label_empty", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12,
                            "mambascope_heads": [{"name": "c", "labels": ["a", ""]}]})",
         "'mambascope_heads[0].labels' holds \"\" (empty); class labels must be unique and non-empty"},
    };
    for (const Case& k : cases) {
        const std::string dir = write_config(std::string("bad_") + k.name, k.json);
        auto c = ms::load_model_config(dir);
        MS_CHECK_MSG(!c.ok(), k.name << ": accepted");
        const std::string& m = c.error().message;
        MS_CHECK_MSG(contains(m, dir + "/config.json"), k.name << ": " << m);
        MS_CHECK_MSG(contains(m, k.expected), k.name << ": " << m << "\n  lacks: " << k.expected);
    }
}

// A file given for the model's folder is named as such (it looked for FILE/config.json).
MS_TEST(model_config_file_for_folder) {
    const std::string dir =
        write_config("file_for_folder", R"({"hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 12})");
    auto c = ms::load_model_config(dir + "/config.json");
    MS_CHECK(!c.ok());
    MS_CHECK_MSG(contains(c.error().message, "is a file; a model is the folder that holds its config.json") &&
                     contains(c.error().message, "--model " + dir),
                 c.error().message);
}

MS_TEST(model_config_missing_file) {
    const std::string dir = std::string(MS_TEST_BINARY_DIR) + "/model_config_nowhere";
    fs::remove_all(dir);
    auto c = ms::load_model_config(dir);
    MS_CHECK(!c.ok());
    MS_CHECK_MSG(contains(c.error().message, "cannot open '" + dir + "/config.json'"), c.error().message);
    // An empty path (--model '') read '/config.json' at the root (found in review).
    auto empty = ms::load_model_config("");
    MS_CHECK(!empty.ok());
    MS_CHECK_EQ(empty.error().message, std::string("no model directory given (the path is empty)"));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

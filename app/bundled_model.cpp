#include "app/bundled_model.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace ms {

namespace fs = std::filesystem;

namespace {

bool is_model_dir(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "config.json", ec);
}

}  // namespace

const char* model_dir_override() {
    const char* env = std::getenv("MAMBASCOPE_MODEL_DIR");
    return env && *env ? env : nullptr;
}

std::string bundled_model_dir() {
    // Taken as given even when it is no model folder: a job then refuses it, naming the variable
    // (add_model_option), where falling back to the bundled model ran another model than the one
    // asked for.
    if (const char* env = model_dir_override()) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = (exe.parent_path() / ".." / "share" / "mambascope" / "models" / kDefaultModelName).lexically_normal();
        if (is_model_dir(installed)) return installed.string();
    }
#ifdef MAMBASCOPE_SOURCE_MODELS_DIR
    const fs::path source = fs::path(MAMBASCOPE_SOURCE_MODELS_DIR) / kDefaultModelName;
    if (is_model_dir(source)) return source.string();
#endif
    return {};
}

void add_model_option(CLI::App* sub, std::string& model) {
    model = bundled_model_dir();
    auto* opt = sub->add_option("--model", model, "model directory (config.json + model.safetensors)");
    if (model.empty()) opt->required();
    // Where it was found is in --version; kept out of here so the help (and docs/cli.md made from it)
    // reads the same on every machine.
    else opt->description("model directory (config.json + model.safetensors); default: the bundled " +
                          std::string(kDefaultModelName));
    // A model taken from the environment is named as such when it is no model folder: the error
    // named only '/path/config.json', which the user never typed (found in review).
    if (const char* env = model_dir_override())
        sub->parse_complete_callback([opt, dir = std::string(env), &model] {
            if (opt->count() == 0 && !is_model_dir(model))
                throw CLI::ValidationError("MAMBASCOPE_MODEL_DIR",
                                           "'" + dir +
                                               "' (the model jobs use without --model) is no model "
                                               "folder: it has no config.json; set it to one, unset it for the bundled "
                                               "model, or give --model");
        });
}

}  // namespace ms

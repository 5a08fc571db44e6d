// Writes a Model as a Hugging Face MambaForCausalLM directory (config.json + model.safetensors in
// float32), the layout Model::load reads back exactly: for benchmarks and tests that need a model
// on disk of a shape no fixture has (random_model.h), and for exporting classifier heads trained
// on top of a model. The default tokenizer's layout needs no tokenizer file.
#pragma once

#include <string>

#include "common/error.h"
#include "engine/model.h"

namespace ms {

// `dir` is created if missing; existing files of the same names are replaced (written to a
// temporary name first, then renamed).
Result<void> save_model(const Model& model, const std::string& dir);

}  // namespace ms

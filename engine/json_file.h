// Small JSON files of a model directory (config.json, tokenizer_config.json, the safetensors
// index) and JSON text inside files (safetensors headers), with errors that name the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace ms {

Result<std::string> read_text_file(const std::string& path);

// `what` names the JSON within the file for the message: "<path>: the header is not valid JSON (…)";
// null when the JSON is the whole file: "<path>: not valid JSON (…)".
Result<nlohmann::json> parse_json_text(const std::string& path, const char* begin, const char* end, const char* what);

// The whole file as JSON.
Result<nlohmann::json> read_json_file(const std::string& path);

}  // namespace ms

// The model a job runs when the user names none: the small bundled DNA model (issue 10).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ms {

inline constexpr const char* kDefaultModelName = "mambascope-dna-small";

// $MAMBASCOPE_MODEL_DIR when set and not empty, else null.
const char* model_dir_override();

// Where the default model is: $MAMBASCOPE_MODEL_DIR when set (as given: a job refuses a wrong one,
// naming the variable); else the first found of the installed layout (<prefix>/bin/… beside
// <prefix>/share/mambascope/models/NAME) and the source tree this build came from
// (resources/models/NAME, for running from a build directory). Empty when none has a config.json.
std::string bundled_model_dir();

// Registers `--model DIR` on a job command; optional, defaulting to the bundled model, when one is
// found (required otherwise, so a missing model is a clear usage error rather than a later failure).
void add_model_option(CLI::App* sub, std::string& model);

}  // namespace ms

// Several backends as one (`--device cuda:all`): a batch of independent streams is cut into
// contiguous parts, one per backend, and the parts run at the same time, each on its own thread.
// Outputs are exactly those of the streams run alone; a batch of one runs on the first backend.
#pragma once

#include <memory>
#include <vector>

#include "engine/backend.h"

namespace ms {

// `name` is what --device called it (e.g. "cuda:all"); parts must not be empty.
std::unique_ptr<Backend> make_split_backend(std::string name, std::vector<std::unique_ptr<Backend>> parts);

}  // namespace ms

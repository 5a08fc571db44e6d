// A Mamba model of any shape with random weights at a sensible scale (activations O(1), decays in
// the range trained models have): for benchmarks and tests that need shapes no fixture has.
#pragma once

#include <cstdint>

#include "engine/model.h"

namespace ms {

struct RandomModelShape {
    int d_model = 256;
    int n_layer = 16;
    int d_state = 16;
    int d_conv = 4;
    int expand = 2;
    int vocab_size = 16;
    uint64_t seed = 1;
};

Model make_random_model(const RandomModelShape& shape);

}  // namespace ms

// The small random model the session and runner tests share: 24 × 3 layers, d_state 8, a 12-token
// vocabulary, built once per seed (tests that compare runs need the same weights throughout).
#pragma once

#include <cstdint>
#include <map>

#include "engine/random_model.h"

namespace ms::test {

inline const Model& small_model(uint64_t seed) {
    static std::map<uint64_t, Model> models;
    auto it = models.find(seed);
    if (it == models.end()) {
        RandomModelShape s;
        s.d_model = 24;
        s.n_layer = 3;
        s.d_state = 8;
        s.d_conv = 4;
        s.vocab_size = 12;
        s.seed = seed;
        it = models.emplace(seed, make_random_model(s)).first;
    }
    return it->second;
}

}  // namespace ms::test

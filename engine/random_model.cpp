#include "engine/random_model.h"

#include <cmath>
#include <random>

namespace ms {

Model make_random_model(const RandomModelShape& s) {
    Model m;
    m.dir = cat("<random d_model ", s.d_model, " x ", s.n_layer, " layers>");
    m.checkpoint = "random weights";
    ModelConfig& c = m.config;
    c.d_model = s.d_model;
    c.n_layer = s.n_layer;
    c.vocab_size = s.vocab_size;
    c.d_inner = s.expand * s.d_model;
    c.d_state = s.d_state;
    c.d_conv = s.d_conv;
    c.dt_rank = (s.d_model + 15) / 16;
    c.tie_embeddings = true;
    c.embedding_tensor = "backbone.embeddings.weight";

    std::mt19937_64 rng(s.seed);
    auto normal = [&](size_t n, double mean, double sd) {
        std::normal_distribution<float> d{float(mean), float(sd)};
        std::vector<float> v(n);
        for (float& x : v) x = d(rng);
        return v;
    };
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    const size_t dm = size_t(c.d_model), di = size_t(c.d_inner), S = size_t(c.d_state), R = size_t(c.dt_rank);
    ModelWeights& w = m.weights;
    w.stored_dtype = "F32";
    w.embedding = normal(size_t(c.vocab_size) * dm, 0, 1);
    for (int l = 0; l < c.n_layer; ++l) {
        LayerWeights L;
        L.norm = normal(dm, 1, 0.1);
        L.in_proj = normal(2 * di * dm, 0, 1 / std::sqrt(double(dm)));
        L.conv_w = normal(di * size_t(c.d_conv), 0, 0.5);
        L.conv_b = normal(di, 0, 0.1);
        L.x_proj = normal((R + 2 * S) * di, 0, 1 / std::sqrt(double(di)));
        L.dt_proj = normal(di * R, 0, 1 / std::sqrt(double(R)));
        L.dt_proj_b.resize(di);
        for (float& b : L.dt_proj_b) {   // inverse softplus of dt ~ logUniform(1e-3, 1e-1)
            const double dt = std::exp(std::log(1e-3) + uni(rng) * (std::log(1e-1) - std::log(1e-3)));
            b = float(dt + std::log(-std::expm1(-dt)));
        }
        L.A.resize(di * S);
        for (size_t i = 0; i < L.A.size(); ++i) L.A[i] = -float(1 + i % S);   // S4D-real init: A_log = log(1..S)
        L.D = normal(di, 1, 0.1);
        L.out_proj = normal(dm * di, 0, 0.5 / std::sqrt(double(di)));
        w.layers.push_back(std::move(L));
    }
    w.norm_f = normal(dm, 1, 0.1);
    w.lm_head = w.embedding;
    return m;
}

}  // namespace ms

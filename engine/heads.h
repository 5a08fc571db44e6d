// Per-position outputs derived from the LM logits, aligned to the base they describe: for base i,
// the model's prediction given bases 0..i-1 (computed from the logits at i-1). Probabilities are
// renormalised over A/C/G/T; base 0 has no context and gets NaN.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/model_weights.h"

namespace ms {

struct BaseScores {
    std::array<float, 4> p{};   // P(A), P(C), P(G), P(T) for this base given its upstream context
    float log2_lik = 0;         // log2 P(observed base); NaN when the base is not A/C/G/T
    float entropy = 0;          // entropy of p, in bits
};

// The prediction for the base after a position, from that position's logits [vocab].
std::array<float, 4> acgt_probabilities(const float* logits, const std::array<int32_t, 4>& acgt_ids);

// Scores for tokens[0..T) given the prediction carried from the previous chunk (`carried`, NaN
// at the start of a sequence) and this chunk's next-base probabilities [T, 4]
// (ForwardOutputs::next_base); updates `carried` to the prediction for the base after the chunk.
void score_chunk(const int32_t* tokens, const float* next_base, int T, const std::array<int32_t, 4>& acgt_ids,
                 std::array<float, 4>& carried, BaseScores* out);

// Class probabilities of one of the model's classifier heads on a pooled embedding [d_model]:
// softmax(W · x + b) over the head's labels.
std::vector<float> classify(const ClassifierWeights& head, const float* pooled, int d_model);

}  // namespace ms

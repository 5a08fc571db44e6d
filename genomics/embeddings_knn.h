// Exact k-nearest-neighbour search of embeddings by cosine similarity: the vectors are kept
// normalised to unit length in one contiguous float32 array, so the cosine with a (normalised)
// query is a dot product, and a query is one pass over the array split across threads, each
// keeping its own top k. No index structure: exact answers, and at 1,000,000 × 256 one pass reads
// 1 GB, which two cores do in about a tenth of a second (docs/performance.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"

namespace ms {

struct Neighbour {
    int64_t id = 0;    // the id given to add()
    float cosine = 0;  // in [-1, 1]
};

class EmbeddingIndex {
public:
    explicit EmbeddingIndex(int dim = 0) : dim_(dim) {}

    int dim() const { return dim_; }
    int64_t size() const { return int64_t(ids_.size()); }
    void reserve(int64_t n);
    // Adds a vector (normalised here). A vector of the wrong dimension, with NaN/Inf, or of zero
    // length (no direction, so no cosine) is refused, naming the id.
    Result<void> add(int64_t id, std::span<const float> v);
    // The k vectors with the highest cosine to the query, highest first (ties: lower id first).
    // threads 0: the hardware's.
    Result<std::vector<Neighbour>> nearest(std::span<const float> query, int k, int threads = 0) const;
    // The stored unit vector of row i (0 <= i < size()).
    std::span<const float> unit(int64_t i) const { return {unit_.data() + size_t(i) * size_t(dim_), size_t(dim_)}; }

private:
    int dim_;
    std::vector<int64_t> ids_;
    std::vector<float> unit_;  // [size, dim]
};

}  // namespace ms

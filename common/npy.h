// NumPy .npy arrays (format version 1.0/2.0, little-endian float32, C order): the exchange format
// for logits, hidden states and embeddings (`forward --logits OUT.npy`) and for golden fixtures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<float> data;   // row-major, product(shape) elements
};

// Writes atomically (temporary file + rename): a failed or interrupted write leaves no partial file
// and keeps whatever was at `path` before.
Result<void> write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);

// Reads '<f4' (float32) or '<f8' (float64, converted) arrays in C order.
Result<NpyArray> read_npy(const std::string& path);

}  // namespace ms

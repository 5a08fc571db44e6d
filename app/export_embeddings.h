// Embeddings of a run as a NumPy array: FILE (.npy, float32 [n, d], C order) and FILE.index.tsv
// saying what each row is about (row kind item sequence start end; 0-based half-open, '*' for an
// unplaced read). Rows in the order the job wrote them; --region keeps items overlapping it.
#pragma once

#include <string>

#include "app/export_source.h"
#include "common/error.h"

namespace ms {

Result<std::string> export_embeddings(const ExportSource& src, const std::string& out);

}  // namespace ms

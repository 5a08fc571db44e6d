// `mambascope-cli info results.db`: what a results database holds (runs with their provenance and
// inputs, sequences, tracks with their encodings, counts of tiles, predictions, variants and
// embeddings, size) and whether it passes the integrity check, read through a read-only
// connection so it is safe while a job writes.
#pragma once

#include <string>

#include "common/error.h"

namespace ms {

// True when `path` should be described as a results database: it starts with SQLite's header, or
// it is named *.db (so a damaged .db gets the results store's error, not a FASTA parser's).
bool is_results_database_path(const std::string& path);

// The report as printed.
Result<std::string> describe_results_database(const std::string& path);

}  // namespace ms

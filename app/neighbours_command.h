// `mambascope-cli neighbours --db RESULTS.db [--run ID] (--item NAME | --locus LOCUS) [--k N]`: the
// embeddings of a run most like one of them by cosine similarity (exact search over every vector,
// genomics/embeddings_knn.h) — the windows of a genome most like a given one, the reads most like
// a given read. A tab-separated table on stdout (or --out): rank, cosine, kind, item, sequence,
// start, end, as the embeddings export's index names items.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace CLI {
class App;
}

namespace ms {

struct NeighboursOptions {
    std::string db, item, locus, out;
    std::optional<int64_t> run;
    int k = 10;
};

void add_neighbours_options(CLI::App* sub, NeighboursOptions& o);
// The table (written to o.out when given, then a line saying so).
Result<std::string> run_neighbours(const NeighboursOptions& o);
int cmd_neighbours(const NeighboursOptions& o);

}  // namespace ms

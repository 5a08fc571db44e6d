// `mambascope-cli merge --out ALL.db SHARD.db...`: joins the databases of `score --shard i/N` runs
// into one. It first checks that they are the parts of one analysis — one finished score run each,
// the same model (SHA-256), genome file, parameters (segment length and warm-up included) and
// precision, shards 1..N each exactly once, a sequence held by several shards the same in each, and
// every selected target covered by the shards' parts exactly once (no overlap, no gap) — then
// copies each shard's parts of every track into one run. Without segments its tiles equal those of
// an unsharded run; with segments, a sequence's tiles (and their zoom summaries) are assembled from
// the parts of several shards. The output is written beside and renamed into place only when
// complete, so a failed merge leaves no half-merged file.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace CLI {
class App;
}

namespace ms {

struct MergeOptions {
    std::string out;
    std::vector<std::string> shards;
};

void add_merge_options(CLI::App* sub, MergeOptions& o);
// The merge itself: what was merged ("merged 3 shards into all.db"), or why not.
Result<std::string> run_merge(const MergeOptions& o, const std::string& command);
int cmd_merge(const MergeOptions& o, const std::string& command);

}  // namespace ms

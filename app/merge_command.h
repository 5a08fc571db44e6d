// `mambascope-cli merge --out ALL.db SHARD.db...`: joins the databases of `score --shard i/N` runs
// into one. It first checks that they are the parts of one analysis — one finished score run each,
// the same model (SHA-256), genome file, parameters and precision, shards 1..N each exactly once,
// no sequence in two parts — then copies every sequence and track into one run whose tiles equal
// those of an unsharded run. The output is written beside and renamed into place only when
// complete, so a failed merge leaves no half-merged file.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ms {

struct MergeOptions {
    std::string out;
    std::vector<std::string> shards;
};

void add_merge_options(CLI::App* sub, MergeOptions& o);
int cmd_merge(const MergeOptions& o, const std::string& command);

}  // namespace ms

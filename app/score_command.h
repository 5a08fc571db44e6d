// `mambascope-cli score`: per-base tracks of a model over a genome into a results database.
// Each selected sequence (a whole record, or a --region) streams through one engine session with
// carried state — no windows, no edge effects — and its six tracks (prob_A, prob_C, prob_G,
// prob_T, loglik, entropy; base i described from bases before it) go into the store's tiles. The
// run records its provenance (version, revision, command, parameters, model SHA-256, genome file,
// per-sequence MD5, device, precision) and ends finished, failed or interrupted (Ctrl-C).
// --resume continues the newest unfinished run of the same genome, model and parameters: finished
// sequences and finished segments are skipped, a part cut short is scored again from its first
// base (after its warm-up; the carried state is not stored), and rewritten tiles replace the old
// ones, so nothing is duplicated.
// --segment-length cuts long sequences into segments, each run after a warm-up of --warmup bases
// (app/score_segments.h): for --shard and --lanes, so one long sequence can spread over jobs or
// GPUs; the result then approximates a whole-sequence run (docs/cluster.md measures how closely).
#pragma once

#include <string>
#include <vector>

#include "app/job_common.h"
#include "app/job_control.h"
#include "app/score_segments.h"

namespace CLI {
class App;
}

namespace ms {

struct ScoreOptions : EngineOptions {
    std::string model, fasta, db, strand = "fwd", bed;
    std::vector<std::string> regions;
    bool resume = false;   // continue the last unfinished run with the same inputs and parameters
    std::string shard;     // "i/N": only this part of the targets (1 ≤ i ≤ N), for `merge` later
    int lanes = 0;         // sequences scored side by side, one engine each (0: one per device)
    // "" or "0": whole sequences (exact); "auto": cut sequences longer than a fair share of the
    // shards × lanes; or a length ("5M"): cut sequences longer than it.
    std::string segment_length;
    int64_t warmup = kDefaultWarmup;   // bases run before each segment, outputs dropped
    // Short parts side by side at most (ScoreJob::short_part); 0: as the device suits (a GPU: as
    // many as --chunk positions hold; the CPU: one). Not a command-line option.
    int item_batch = 0;
};

void add_score_options(CLI::App* sub, ScoreOptions& o);
// The job itself, for the CLI and the GUI: `control` cancels it and hears its progress. An
// interrupted run is an outcome (status interrupted), not an error.
Result<JobOutcome> run_score(const ScoreOptions& o, const std::string& command, const JobControl& control);
// Returns the process exit code; errors go to stderr. `command` is the command line, for provenance.
int cmd_score(const ScoreOptions& o, const std::string& command);

}  // namespace ms

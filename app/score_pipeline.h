// The three stages of `score`, joined by bounded queues so reading, compute and writing overlap:
// a reader thread (htslib: bases in blocks of a few Mbp, the record's MD5 first), a compute thread
// per lane running its engine session (reset per sequence, state carried across chunks; the
// calling thread starts the stages and joins them), and a writer thread
// (the results store: sequences and track tiles). Memory is bounded by the queues, never by the
// genome. The first error, or Ctrl-C, closes every queue and ends all three.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app/item_batches.h"
#include "app/score_segments.h"
#include "common/error.h"
#include "engine/model.h"
#include "engine/session.h"
#include "genomics/fasta.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

// The per-base tracks `score` writes, in the order of ScoreBlock::values; with both strands also
// the two strands' own log-likelihoods.
inline constexpr int kScoreTracks = 6;
inline constexpr const char* kScoreTrackNames[kScoreTracks] = {"prob_A", "prob_C", "prob_G", "prob_T", "loglik", "entropy"};
inline constexpr const char* kForwardLoglik = "loglik_fwd";
inline constexpr const char* kReverseLoglik = "loglik_rev";

// Lanes: one FASTA handle and one engine session each (one per GPU with cuda:all). A lane takes
// the next part when it is free, so parts run side by side and each one keeps its state: a whole
// target, or a segment of a long one after its warm-up (score_segments.h), which is how one long
// sequence spreads over several lanes.
struct ScoreLane {
    const FastaFile* fasta = nullptr;   // htslib's faidx handles are not shared between threads
    Session* session = nullptr;
    int64_t fill = 0;  // short parts side by side: a call's positions at most (BatchLimits::fill; a CPU lane's)
};

struct ScoreJob {
    std::vector<ScoreLane> lanes;
    // The writer marks each part complete once its tiles are committed, and a sequence once every
    // part on its contig is done, in whatever order the lanes finish them (a resumed job skips
    // both). A part's warm-up bases are run, their outputs dropped; only the part's region is stored.
    std::vector<ScorePart> parts;
    const Model* model = nullptr;
    ResultsStore* store = nullptr;
    int64_t run_id = 0;
    int64_t read_block = int64_t(1) << 22;   // bases the reader hands over at a time
    // Also run every target's reverse complement (whole, state carried) and store strand averages:
    // prob_* = mean of the two strands' predictions for the base (the reverse strand's complemented
    // back), loglik and entropy of that mean; loglik_fwd and loglik_rev keep each strand's own.
    bool both_strands = false;
    // A strand of a part at most this long, without warm-up, runs side by side with others of its
    // lane when the lane's session runs several streams (Session::run_items): a GPU given a few
    // kbp at a time runs at half speed or less, a CPU given a few hundred bases at 0.7× or less
    // (docs/performance.md). 0: every part alone.
    int64_t short_part = 0;
    const std::atomic<bool>* interrupted = nullptr;
    // Counts the bases of the parts (forward strand, warm-ups left out) that are outside the
    // model's alphabet and run as [UNK] (X, U, '*', '-'), when set.
    std::atomic<int64_t>* unknown_bases = nullptr;
    // Called from the compute stages (several threads with several lanes, never at once) after
    // each block: sequence name, bases done in all, in total.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
    // Filled when set: where the job's time went (score's note under MAMBASCOPE_STAGE_TIMES).
    struct StageTimes* stage_times = nullptr;
};

// Seconds each stage worked rather than waited on its queues, summed over lanes (reading and
// computing), against the job's wall time: the stage near the wall time sets the pace.
struct StageTimes {
    double wall = 0, reading = 0, computing = 0, writing = 0;
    int lanes = 0;
    BatchStats short_parts;  // short parts run side by side, summed over lanes
};

// Runs the job; an error names the stage's file or store. On Ctrl-C it returns an error saying so
// (what was committed stays).
Result<void> run_score_pipeline(const ScoreJob& job);

}  // namespace ms

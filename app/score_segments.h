// How `score` divides its work: the selected sequences (targets), optionally cut into segments,
// and which parts go to shard I of N.
//
// A Mamba model carries state along a sequence, so a segment [s, e) cut from the middle of a target
// cannot start from zero state without changing its outputs. Each segment therefore runs a
// warm-up first: the model reads the `warmup` bases before s (on the reverse strand, the bases
// after e), their outputs are dropped, and the state it reaches at s approximates the state of a
// run over the whole target. How close it gets depends on the warm-up; docs/cluster.md measures it
// on the demo genome. Without --segment-length nothing is cut and every part is a whole target:
// the results are exactly those of one run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/locus.h"

namespace ms {

// One unit of score's work: the bases whose tracks are stored (`region`), part of the selected
// `target` (equal to it when not cut), and the warm-up bases run before it on each strand.
struct ScorePart {
    Region region;
    Region target;
    int64_t warmup_before = 0;   // forward strand: bases [region.begin - warmup_before, region.begin) run first
    int64_t warmup_after = 0;    // reverse strand: bases [region.end, region.end + warmup_after) run first
    bool whole() const { return region == target; }
    bool operator==(const ScorePart&) const = default;
};

// Default warm-up before a segment (bases); docs/cluster.md has the measurement behind it.
inline constexpr int64_t kDefaultWarmup = 100000;

// Joins targets that overlap or touch on a contig into one (their union), keeping the others as
// given: tracks hold one value a base, and a later overlapping target, run from a fresh state,
// replaced the earlier's values; touching ones (bedtools makewindows, `--region 1-100 --region
// 101-200`) each restarted the model's state and left their first base without a value. Returns
// how many targets were absorbed into another.
size_t merge_overlapping_targets(std::vector<Region>& targets);

// Parts of `targets`: a target longer than `segment_length` (> 0) becomes ceil(length /
// segment_length) segments of near-equal length, each with min(warmup, bases of the target before
// it) of warm-up (after it, for the reverse strand); shorter targets, or all with segment_length
// 0, stay whole. The warm-up never reaches outside the target: a run over the target starts there.
std::vector<ScorePart> cut_segments(const std::vector<Region>& targets, int64_t segment_length, int64_t warmup);

// `--segment-length auto`: the fair share of `workers` (shards × lanes) in the targets' bases,
// rounded up; a target longer than that is cut. 0 (nothing cut) with one worker.
int64_t auto_segment_length(const std::vector<Region>& targets, int workers);

// Parses --segment-length: "" or "0" (no segments), "auto", or a length with an optional k/M/G
// suffix (10M = 10,000,000 bases). -1 stands for auto.
Result<int64_t> parse_segment_length(const std::string& text);

// Which of `lengths` belong to shard i of n (1-based): longest first, each to the shard with the
// fewest bases so far (ties: the lower shard).
std::vector<bool> shard_members(const std::vector<int64_t>& lengths, int i, int n);

// The parts of shard i of n, in their input order. Whole targets on one contig stay together (so a
// run without segments keeps every sequence in one shard, as before segments existed); a segment
// is a unit of its own.
std::vector<ScorePart> shard_parts(const std::vector<ScorePart>& parts, int i, int n);

}  // namespace ms

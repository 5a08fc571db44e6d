// What the genome view shows, as the background loader hands it over: everything for one span of
// one contig, already reduced to about one bin per pixel column, so painting never reads a file and
// costs O(width) per track however long the span is. Plain data (no Qt objects), shared read-only
// between the loader thread and the GUI thread through a shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "genomics/locus.h"
#include "genomics/read_differences.h"
#include "genomics/results_store.h"

namespace ms::ui {

// What the view asks for: `span` of one contig reduced to `bins` columns. The generation tells
// stale answers from the current one.
struct ViewRequest {
    uint64_t generation = 0;
    Region span;
    int bins = 1000;
    int64_t run = 0;   // a results database's run whose tracks alone are wanted; 0: every run's
};

// A per-position track of a run (loglik, entropy, ism_A ...), as bins over the span.
struct TrackSeries {
    std::string name;       // as stored
    std::string label;      // as shown: the name, with the run when several runs hold one
    std::vector<TrackBin> bins;
};

// The four base probabilities of a run, bin for bin (prob_A, prob_C, prob_G, prob_T).
struct BaseProbabilities {
    std::string label;
    std::vector<TrackBin> channel[4];
};

struct PredictionSpan {
    int64_t begin = 0, end = 0;
    std::string label, item;
    std::optional<double> score;
};

struct PredictionSet {
    std::string label;                  // "predictions (run 3)"
    std::vector<std::string> classes;   // the run's class order: colours follow it
    std::vector<PredictionSpan> spans;
    bool truncated = false;             // more overlap the span than were read
};

struct VariantMark {
    int64_t begin = 0, end = 0;  // 0-based half-open: the bases that change (see trim_padding)
    std::string ref, alt, name;
    std::optional<double> score;        // the first score of a stored variant
    std::string score_name;
    std::string shown;  // the text drawn on the mark: ALT, or "−C" / "+T" for an indel
};

// An indel's REF and ALTs share a leading padding base (VCF's anchor): the mark then covers only
// the bases that change — a deletion its deleted bases, an insertion the gap after the anchor
// (begin == end) — and reads "−C" or "+T", as IGV draws them ("AC>A" over both bases read as two
// bases replaced). `alts` may hold several ALTs, comma-separated; mixed records stay as they are.
void trim_padding(VariantMark& v);

struct VariantSet {
    std::string label;                  // the VCF's file name, or "variant scores (run 2)"
    bool from_store = false;
    std::vector<VariantMark> marks;
    bool truncated = false;
};

struct ReadPlacement {
    int64_t begin = 0, end = 0;
    bool reverse = false;
    int row = 0;                        // packed rows: reads that do not overlap share one
    std::vector<Interval> blocks;       // aligned stretches; the gaps between are deletions/skips
    std::string name;
    // Where it differs from the reference over the loaded span (mismatches, insertions,
    // deletions); empty when no genome is open or the span is too wide to hold the bases.
    std::vector<ReadDifference> differences;
};

// A position whose reads disagree with the reference in more than kAlleleFraction of their
// aligned bases (a SNV, or a sequencing error hot spot) with at least kAlleleMinReads reads reading
// the same other base: the coverage lane colours its bar by the bases read there, as IGV does. The
// second rule keeps one read's error from colouring a position of low coverage (at 2x nanopore
// depth every error would be 50 %). Counts are A, C, G, T; depth counts aligned bases (not deletions).
struct AlleleColumn {
    int64_t pos = 0;
    char ref = 'N';
    int32_t depth = 0;
    int32_t count[4] = {0, 0, 0, 0};
};
// IGV's default allele-frequency threshold for colouring coverage.
inline constexpr double kAlleleFraction = 0.2;
inline constexpr int32_t kAlleleMinReads = 2;

struct ReadSet {
    std::string label;                  // the BAM/CRAM's file name
    std::vector<double> coverage;       // mean depth in each of the request's bins (empty: too wide)
    std::vector<ReadPlacement> reads;   // empty when the span is too wide to show reads
    std::vector<AlleleColumn> alleles;  // by position; only where the reference bases were loaded
    int rows = 0;
    bool reads_shown = false, coverage_shown = false;
    std::string note;                   // why something is not shown ("zoom in to see reads")
};

struct FeatureMark {
    int64_t begin = 0, end = 0;
    std::string name, type;
    char strand = '.';
    int row = 0;                        // the row of its top-level feature: a gene and its parts share one
    bool part = false;                  // an exon/CDS drawn thick on its parent's line
};

struct FeatureSet {
    std::string label;                  // the annotation file's name
    std::vector<FeatureMark> features;
    int rows = 0;
};

// Everything for one request. `span` is what was loaded (clipped to the contig).
struct ViewData {
    uint64_t generation = 0;
    Region span;
    int bins = 0;
    int64_t contig_length = 0;
    bool genome = false;                // a genome holding this contig is open (the sequence lane shows)
    std::string bases;                  // the reference over span, when it is short enough to show
    std::vector<BaseProbabilities> probabilities;
    std::vector<TrackSeries> tracks;
    std::vector<PredictionSet> predictions;
    std::vector<VariantSet> variants;
    std::vector<ReadSet> reads;
    std::vector<FeatureSet> features;
    std::vector<std::string> errors;    // a source that failed for this span, in words
};
using ViewDataPtr = std::shared_ptr<const ViewData>;

}  // namespace ms::ui

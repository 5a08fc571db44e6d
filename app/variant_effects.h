// Zero-shot variant effects: the windows each allele is scored in, and the log-likelihood ratio of
// every ALT against REF on one strand, computed with AlleleScorer (shared prefixes run once). Used
// by `variants` (VCF records) and `mutagenesis` (every base changed to every other).
//
// The window of a site whose REF covers strand positions [p, p + r) on a contig of length L:
//   upstream   [u, p) with u = 0 when p < N, else the last multiple of N at or before p − N
//              (N = --context), so between N and 2N − 1 bases; u depends only on p, so a
//              site's score never depends on which other sites the file holds, and every site in
//              one N-bin shares one prefix run;
//   the allele (REF or an ALT), then
//   downstream [p + r, min(L, p + r + M)) of reference bases (M = --downstream).
// LL(allele) = Σ log2 P(base | all bases before it in the window) over allele + downstream, A/C/G/T
// bases only. LLR(ALT) = LL(ALT) − LL(REF): the log2-likelihood ratio of the two whole windows
// (their common upstream contributes equally and cancels), which is why alleles of different
// lengths compare — both windows are the same stretch of genome, with one allele or the other.
// On the reverse strand the same is done on the reverse complement (upstream = the forward
// strand's downstream side).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/allele_scorer.h"
#include "genomics/fasta.h"

namespace ms {

struct EffectWindow {
    int64_t context = 2048;    // N: at least this many upstream bases (fewer near the contig start)
    int64_t downstream = 512;  // M: reference bases after the allele
};

// u above: where the upstream context of a site at strand position `pos` begins.
int64_t upstream_begin(int64_t pos, int64_t context);

// Whether an allele is plain sequence (A C G T, any case) whose effect the model can score.
// Symbolic alleles (<DEL>, *, breakends) are not, and neither is one holding N or another
// ambiguity code: an unknown base adds nothing to a window's log-likelihood, so an allele with N
// would gain the cost of every base it hides (G>N scored +3 bits, "more typical" than G).
bool scorable_allele(const std::string& allele);

// One site on the forward strand: 0-based position, REF and the ALTs to score (all scorable).
struct EffectSite {
    int64_t pos = 0;
    std::string ref;
    std::vector<std::string> alts;
};

// LLR of every ALT of every site (result[k][j] for sites[k].alts[j]), all sites on `contig`, on the
// forward strand or the reverse complement. Sites may come in any order; sites that share an
// upstream bin share the prefix run.
Result<std::vector<std::vector<double>>> score_effects(AlleleScorer& scorer, const FastaFile& fasta,
                                                       const std::string& contig, std::span<const EffectSite> sites,
                                                       const EffectWindow& window, bool reverse);

// For a job that must stop soon after it is asked to (in-silico mutagenesis: one upstream bin of
// thousands of sites is one scorer call of seconds to minutes): the sites of a bin go to the scorer
// in groups sized, from the time the groups so far took, to take about `seconds_per_call` each,
// and `keep_going(sites scored so far)` is asked after every group. The scores are those of the
// call above up to float rounding (each site's window is the same, but the shared prefix is walked
// again per group, in other chunks: about 1e-5 relative, and at most 2N positions more a group).
//
// whole_bins: keep_going is asked after each upstream bin instead, every bin one call as above, so
// the scores are exactly those of the call without steps (variants: a stop between bins, numbers
// that do not depend on timing).
struct EffectSteps {
    double seconds_per_call = 0.25;
    std::function<bool(int64_t sites_done)> keep_going;
    bool whole_bins = false;
};
// nullopt when keep_going said stop.
Result<std::optional<std::vector<std::vector<double>>>> score_effects(AlleleScorer& scorer, const FastaFile& fasta,
                                                                      const std::string& contig,
                                                                      std::span<const EffectSite> sites,
                                                                      const EffectWindow& window, bool reverse,
                                                                      const EffectSteps& steps);

}  // namespace ms

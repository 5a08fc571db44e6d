// Log-likelihoods of alternative continuations of one reference stretch, computed the state-space
// way: the shared upstream prefix runs once through a "walker" stream, its recurrent state
// (RunnerState) is snapshotted where each site begins, and only the suffixes (allele + downstream
// flank) run from that snapshot, several at a time as one batch. Sorted sites carry the walker
// along: site k+1's prefix is site k's prefix plus the reference bases between them, so the prefix
// costs its length once per group, not once per allele.
//
// What is summed: for an allele a at site k, Σ log2 P(base | every base before it) over the bases
// of a + downstream_k, given reference[0, offset_k) upstream — A/C/G/T bases only (N and other
// letters run through the model but add nothing, for every allele alike). The upstream prefix's own
// log-likelihood is the same for every allele of a site and is left out; so the difference of two
// alleles' sums is the log-likelihood ratio of the two whole windows upstream + allele + downstream.
// A site at offset 0 has no upstream: its alleles' first bases have no prediction and are not summed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/backend.h"
#include "engine/model.h"

namespace ms {

struct AlleleSite {
    int64_t offset = 0;                // where the alleles start in the group's reference
    std::vector<std::string> alleles;  // each scored as allele + downstream
    std::string downstream;            // the bases after the site (the same for every allele)
};

struct AlleleScorerOptions {
    int batch = 8;     // suffixes per forward call
    int chunk = 4096;  // positions per forward call
    Precision precision = Precision::FP32;
    // false: every allele runs its whole window (reference[0, offset) + allele + downstream) from
    // zero state, batched the same way — the naive cost, for the benchmark and the tests.
    bool reuse_prefix = true;
};

class AlleleScorer {
public:
    static Result<std::unique_ptr<AlleleScorer>> create(const Model& model, Backend& backend,
                                                        const AlleleScorerOptions& options);
    ~AlleleScorer();

    // For each site (offsets must not decrease) and each of its alleles, the log2-likelihood sum
    // described above; result[k][j] belongs to sites[k].alleles[j].
    Result<std::vector<std::vector<double>>> score(std::string_view reference, std::span<const AlleleSite> sites);

    // Positions run through the model so far (walker and batch rows, padding included): the cost.
    int64_t positions_run() const { return positions_run_; }

private:
    struct Row;
    AlleleScorer(const Model& model, std::unique_ptr<ModelRunner> walker, std::unique_ptr<ModelRunner> rows,
                 const AlleleScorerOptions& options);
    Result<void> run_rows(std::vector<Row>& rows, std::vector<std::vector<double>>& result);

    const Model& model_;
    std::unique_ptr<ModelRunner> walker_, rows_;
    AlleleScorerOptions options_;
    int64_t positions_run_ = 0;
};

}  // namespace ms

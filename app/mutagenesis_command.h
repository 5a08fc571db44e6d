// `mambascope-cli mutagenesis`: in-silico saturation mutagenesis of a region (at most 10 kbp).
// Every position's three other bases are scored against the reference base as SNVs with the
// windows of app/variant_effects.h (ΔLL = log2-likelihood ratio, prefix-state reuse), giving the
// 3 × L matrix. It is stored as a track set of a new run — ism_A, ism_C, ism_G, ism_T, the ΔLL of
// putting that base there; the reference base's own track holds 0 (a base against itself), and
// positions whose reference is not A/C/G/T hold NaN in all four — and optionally written as TSV.
#pragma once

#include <cstdint>
#include <string>

#include "app/job_common.h"
#include "app/job_control.h"

namespace CLI {
class App;
}

namespace ms {

inline constexpr int64_t kMaxMutagenesisRegion = 10000;

struct MutagenesisOptions : EngineOptions {
    std::string model, fasta, region, db, tsv;
    int64_t context = 2048, downstream = 512;
    int batch = 16;
};

void add_mutagenesis_options(CLI::App* sub, MutagenesisOptions& o);
// The job itself, for the CLI and the GUI: `control` cancels it and hears its progress.
Result<JobOutcome> run_mutagenesis(const MutagenesisOptions& o, const std::string& command, const JobControl& control);
int cmd_mutagenesis(const MutagenesisOptions& o, const std::string& command);

}  // namespace ms

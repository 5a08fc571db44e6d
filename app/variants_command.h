// `mambascope-cli variants`: zero-shot variant effects. Every ALT of every VCF record (SNVs,
// indels, multi-allelic sites) gets MS_LLR, the log2-likelihood ratio of its window against the
// REF window (app/variant_effects.h says exactly what is summed), computed with prefix-state reuse:
// the upstream context runs once per bin of sites, then only each allele's suffix, batched.
// The output is the input VCF with INFO fields added (every record kept, in order; bgzip + index
// for .gz) and, with --db, the scores in a run of the results store. A REF that disagrees with
// the FASTA is flagged MS_REF_MISMATCH and not scored; a record on a contig the FASTA lacks (or
// past its end) stops the job before any output exists.
#pragma once

#include <cstdint>
#include <string>

#include "app/job_common.h"
#include "app/job_control.h"

namespace CLI {
class App;
}

namespace ms {

struct VariantsOptions : EngineOptions {
    std::string model, fasta, vcf, out, db, strand = "fwd";
    int64_t context = 2048, downstream = 512;
    int batch = 16;  // allele suffixes per forward call
};

void add_variants_options(CLI::App* sub, VariantsOptions& o);
// Returns the process exit code; `command` is the command line, for provenance.
// The job itself, for the CLI and the GUI: `control` cancels it and hears its progress.
Result<JobOutcome> run_variants(const VariantsOptions& o, const std::string& command, const JobControl& control);
int cmd_variants(const VariantsOptions& o, const std::string& command);

}  // namespace ms

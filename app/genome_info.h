// Genome summaries for `mambascope-cli info FASTA` and the GUI's sequence list: records, lengths,
// base composition, soft-masked bases and runs of N, read in one pass from start to end (so plain
// gzip works too, and a chromosome never has to fit in memory at once).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/fasta.h"

namespace ms {

struct RecordSummary {
    std::string name;
    Composition composition;
    int64_t n_runs = 0;   // stretches of N (assembly gaps)
};

struct GenomeSummary {
    std::string path;
    Compression compression = Compression::none;
    std::vector<RecordSummary> records;
    Composition total;
    int64_t n_runs = 0;
};

// `threads` > 0 decompresses bgzip on that many extra threads.
Result<GenomeSummary> summarize_genome(const std::string& fasta_path, int threads = 0);

double gc_percent(const Composition& c);  // of the A/C/G/T bases; NaN where there are none
double n_percent(const Composition& c);

// The report as printed by `info`: a tab-separated table with a header line, one row per record
// (name, length, GC fraction of A/C/G/T, N count, N runs, soft-masked bases).
std::string format_genome_summary(const GenomeSummary& s);

}  // namespace ms

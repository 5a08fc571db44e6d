// Genome summaries for `mambascope-cli info FASTA` and the GUI's sequence list: records, lengths
// and base composition.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/fasta.h"

namespace ms {

struct RecordSummary {
    std::string name;
    Composition composition;
};

struct GenomeSummary {
    std::string path;
    std::vector<RecordSummary> records;
    Composition total;
};

Result<GenomeSummary> summarize_genome(const std::string& fasta_path);

double gc_percent(const Composition& c);   // of the A/C/G/T bases
double n_percent(const Composition& c);

// The report as printed: one line per record (name, length, GC %, N %, soft-masked %) and a total.
std::string format_genome_summary(const GenomeSummary& s);

}  // namespace ms

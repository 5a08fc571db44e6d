// Table exports of a run: predictions and variants as TSV or CSV with a header line, and variants
// as VCF 4.2 with one INFO field per score. Table coordinates are 0-based half-open for predictions
// (as BED) and 1-based for variants (as VCF, where they come from).
#pragma once

#include <string>

#include "app/export_output.h"
#include "app/export_source.h"
#include "common/error.h"

namespace ms {

// Columns: sequence start end label score p_<class>... kind item ('*' for an unplaced read's
// sequence, NA for a missing score or probability). --region keeps predictions overlapping it.
Result<std::string> export_predictions(const ExportSource& src, TableSyntax syntax, bool bgzip, const std::string& out);

// Columns: chrom pos id ref alt, then one column per score name the run's variants carry (sorted
// by name; NA where a variant lacks it). --region keeps variants whose POS lies in it.
Result<std::string> export_variants_table(const ExportSource& src, TableSyntax syntax, bool bgzip,
                                          const std::string& out);

// VCF 4.2: the ALTs of one site (chrom, pos, ref) on one line, an INFO field MS_<SCORE>
// (Number=A: one value per ALT) per score name, ##contig lines with the run's sequence lengths and a
// ##mambascope_run line (run, model, its SHA-256, command). bgzip: BGZF + tabix index.
Result<std::string> export_vcf(const ExportSource& src, bool bgzip, const std::string& out);

// The INFO key of a score: MS_ and the name upper-cased, characters VCF keys cannot hold as '_'.
std::string vcf_info_key(const std::string& score_name);

}  // namespace ms

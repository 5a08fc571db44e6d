// What kind of genomics file a path holds — FASTA, FASTQ, alignments (SAM/BAM/CRAM), variants
// (VCF/BCF) or annotations (BED/GFF3/GTF) — by its name first, then by htslib's look at its
// content; and the switch that keeps htslib's own diagnostics off stderr. Here, not in app/, so
// that htslib stays inside genomics/.
#pragma once

#include <optional>
#include <string>

#include "common/error.h"

namespace ms {

enum class FileKind { fasta, fastq, alignments, variants, annotations };
const char* to_string(FileKind kind);

// By the name first (.fa, .fq, .bam, .vcf.gz, .gff3 …, with .gz/.bgz), since that is what the
// person meant and gives the reader whose message fits; else by htslib's look at the content.
Result<FileKind> guess_file_kind(const std::string& path);
// The kind the name alone says, if it says one.
std::optional<FileKind> file_kind_by_name(const std::string& path);

// htslib writes its own diagnostics to stderr; the readers turn every failure into one message
// naming the file and record, so htslib's are switched off (they would double them): by the CLI
// and the GUI at start-up, and by `info`.
void silence_htslib_messages();

}  // namespace ms

// What kind of genomics file a path holds — FASTA, FASTQ, alignments (SAM/BAM/CRAM), variants
// (VCF/BCF) or annotations (BED/GFF3/GTF) — by its name first, then by htslib's look at its
// content; and the switch that keeps htslib's own diagnostics off stderr. Here, not in app/, so
// that htslib stays inside genomics/.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>

#include "common/error.h"

namespace ms {

enum class FileKind { fasta, fastq, alignments, variants, annotations };
const char* to_string(FileKind kind);

// By the name first (.fa, .fq, .bam, .vcf.gz, .gff3 …, with .gz/.bgz), since that is what the
// person meant and gives the reader whose message fits; else by htslib's look at the content.
Result<FileKind> guess_file_kind(const std::string& path);

// An input's stat, or why it cannot be read as one: missing, a folder, or a pipe, device or socket
// (`--vcf <(zcat …)`, `/dev/stdin` from a pipe). Readers open an input more than once (its kind
// sniffed, then read; indexed, then fetched), so a pipe gave a wrong message: "empty", "cannot
// read the header", a first record missing its start (found in review). `what` names the kind,
// "FASTA", "VCF" (or "" when unknown).
Result<struct stat> stat_input(const std::string& path, const char* what);
// The kind the name alone says, if it says one.
std::optional<FileKind> file_kind_by_name(const std::string& path);

// htslib writes its own diagnostics to stderr; the readers turn every failure into one message
// naming the file and record, so htslib's are switched off (they would double them): by the CLI
// and the GUI at start-up, and by `info`.
void silence_htslib_messages();

}  // namespace ms

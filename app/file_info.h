// `mambascope-cli info FILE...` for genomics files: what kind of file each is, and a summary as a
// tab-separated table with a header line (or JSON): FASTA records with composition; FASTQ read
// counts and lengths; SAM/BAM/CRAM reads per reference; VCF/BCF records per contig and samples;
// BED/GFF3 features per contig (or the features matching a search).
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "genomics/alignments.h"

namespace ms {

enum class FileKind { fasta, fastq, alignments, variants, annotations };
const char* to_string(FileKind kind);

// By the name first (.fa, .fq, .bam, .vcf.gz, .gff3 …, with .gz/.bgz), since that is what the
// person meant and gives the reader whose message fits; else by htslib's look at the content.
Result<FileKind> guess_file_kind(const std::string& path);
// The kind the name alone says, if it says one.
std::optional<FileKind> file_kind_by_name(const std::string& path);

struct InfoOptions {
    std::string region;      // a locus: only that part of the file (through its index)
    std::string reference;   // FASTA for CRAM decoding and VCF REF checks
    std::string find;        // annotations: features whose Name/ID holds this text
    int threads = 0;         // extra BGZF decompression threads
    AlignmentFilter filter;
};

struct FileInfo {
    FileKind kind;
    std::string tsv;    // "# PATH: KIND …" line, header line, rows
    std::string json;   // one JSON object
    std::string note;   // advice that is not an error (e.g. gzip is not indexable), or empty
};

Result<FileInfo> describe_file(const std::string& path, const InfoOptions& options);

// htslib writes its own diagnostics to stderr; the CLI's readers turn every failure into one
// message naming the file and record, so htslib's are switched off (they would double them).
void silence_htslib_messages();

}  // namespace ms

// `mambascope-cli info FILE...` for genomics files: what kind of file each is, and a summary as a
// tab-separated table with a header line (or JSON): FASTA records with composition; FASTQ read
// counts and lengths; SAM/BAM/CRAM reads per reference; VCF/BCF records per contig and samples;
// BED/GFF3 features per contig (or the features matching a search).
#pragma once

#include <optional>
#include <string>

#include "common/error.h"
#include "genomics/alignments.h"
#include "genomics/file_kind.h"

namespace ms {

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

}  // namespace ms

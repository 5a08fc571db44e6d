// FASTQ reads (plain, gzip or bgzip) as sequences, for classifying reads: the name, the bases and
// the Phred+33 qualities of each record. Sequence and quality may wrap over several lines, as
// kseq and htslib read them (a '+' line ends the sequence; the quality ends when it is as long as
// the sequence). An error names the file, the record number and line, and what was expected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"
#include "genomics/fasta_stream.h"

namespace ms {

struct FastqRecord {
    std::string name;          // the header up to the first space or tab, without '@'
    std::string description;   // the rest of the header line
    std::string sequence;
    std::string qualities;     // Phred+33, as long as the sequence
};

class FastqReader {
public:
    static Result<FastqReader> open(const std::string& path, int threads = 0);
    ~FastqReader();
    FastqReader(FastqReader&&) noexcept;
    FastqReader& operator=(FastqReader&&) noexcept;

    const std::string& path() const { return path_; }
    Compression compression() const;
    // True when a record was read, false at the end of the file. An empty file is an error.
    Result<bool> next(FastqRecord& out);
    int64_t records_read() const;

private:
    FastqReader() = default;
    struct Impl;
    std::string path_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms

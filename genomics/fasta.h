// Indexed FASTA (plain or bgzip-compressed) through htslib's faidx: record names and lengths, and
// random access to any region. The index (.fai, and .gzi for bgzip) is built when missing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

struct SequenceRecord {
    std::string name;
    int64_t length = 0;
};

class FastaFile {
public:
    // Opens `path`, loading its index or building it next to the file.
    static Result<FastaFile> open(const std::string& path);
    ~FastaFile();
    FastaFile(FastaFile&&) noexcept;
    FastaFile& operator=(FastaFile&&) noexcept;

    const std::string& path() const { return path_; }
    const std::vector<SequenceRecord>& records() const { return records_; }
    const SequenceRecord* find(const std::string& name) const;
    // Bases [begin, end) of record `name` (0-based, half-open), as stored (soft-masking kept).
    Result<std::string> fetch(const std::string& name, int64_t begin, int64_t end) const;
    Result<std::string> fetch_all(const std::string& name) const;

private:
    FastaFile() = default;
    std::string path_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<SequenceRecord> records_;
};

// Base composition of a sequence, for `info` on a genome.
struct Composition {
    int64_t length = 0, gc = 0, at = 0, n = 0, soft_masked = 0, other = 0;
};
Composition composition(const std::string& bases);

}  // namespace ms

// Indexed FASTA (plain or bgzip-compressed) through htslib's faidx: record names and lengths, and
// random access to any region. The index (.fai, and .gzi for bgzip) is built when missing, as
// `samtools faidx` does, beside the file when its folder is writable, else in the per-user cache
// ($XDG_CACHE_HOME/mambascope/fai, or ~/.cache/mambascope/fai). Before building, the file is read
// once through FastaStream, so a layout faidx cannot index is reported with its record and line.
// A plain gzip file cannot be indexed: open() says so and how bgzip fixes it; FastaStream reads it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "genomics/fasta_stream.h"
#include "genomics/sequence_mask.h"

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
    const std::string& index_path() const { return fai_path_; }
    Compression compression() const { return compression_; }
    const std::vector<SequenceRecord>& records() const { return records_; }
    const SequenceRecord* find(const std::string& name) const;
    // Records with a header but no bases: htslib's index leaves them out, so they are not in
    // records(); named here so a locus naming one can say so. Known when the index is built and
    // for a plain file with an existing index (not for bgzip with an existing index).
    const std::vector<std::string>& empty_records() const { return empty_records_; }
    // Bases [begin, end) of record `name` (0-based, half-open), as stored (soft-masking kept).
    Result<std::string> fetch(const std::string& name, int64_t begin, int64_t end) const;
    Result<std::string> fetch_all(const std::string& name) const;
    // Soft-masked stretches and N runs of [begin, end), in record coordinates.
    Result<SequenceMask> mask(const std::string& name, int64_t begin, int64_t end) const;

private:
    FastaFile() = default;
    std::string path_, fai_path_;
    Compression compression_ = Compression::none;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<SequenceRecord> records_;
    std::unordered_map<std::string, size_t> by_name_;  // find() a record among 100,000s (transcriptomes)
    std::vector<std::string> empty_records_;
};

// Base composition of a sequence, for `info` on a genome.
struct Composition {
    int64_t length = 0, gc = 0, at = 0, n = 0, soft_masked = 0, other = 0;
};
Composition composition(std::string_view bases);
void add_composition(Composition& c, std::string_view bases);   // for sequences read in pieces
Composition& operator+=(Composition& a, const Composition& b);

// Where the index of `fasta` lives: `fasta`.fai (and .gzi) when that exists or the folder is
// writable, else in the per-user cache under a name made from the file's absolute path.
struct IndexPaths {
    std::string fai, gzi;
    bool in_cache = false;
};
IndexPaths index_paths(const std::string& fasta, bool folder_writable);
// The index's place in the user's cache, whatever is beside the FASTA (a stale .fai in a folder
// that cannot be written is rebuilt there).
IndexPaths cache_index_paths(const std::string& fasta);
std::string user_cache_dir();   // $XDG_CACHE_HOME/mambascope or $HOME/.cache/mambascope

}  // namespace ms

// Reads from SAM, BAM or CRAM through htslib: every record in file order (aligned and unaligned,
// short or long reads alike: nothing here assumes a read length), or those overlapping a region
// through the .bai/.csi/.crai index; flag and MAPQ filters; each read's bases in the orientation
// the sequencer read them (BAM stores reverse-strand alignments reverse-complemented); and depth
// of coverage over a region in bins, for the genome view.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bases.h"
#include "common/error.h"
#include "genomics/fasta.h"
#include "genomics/locus.h"

namespace ms {

// Which records next() hands out. The defaults are what a coverage track or a read classifier
// wants: one record per read (no secondary or supplementary copies), no PCR/optical duplicates,
// no reads that failed the platform's quality checks.
struct AlignmentFilter {
    bool keep_secondary = false;      // BAM_FSECONDARY (0x100)
    bool keep_supplementary = false;  // BAM_FSUPPLEMENTARY (0x800)
    bool keep_duplicates = false;     // BAM_FDUP (0x400)
    bool keep_qc_fail = false;        // BAM_FQCFAIL (0x200)
    bool keep_unmapped = true;        // BAM_FUNMAP (0x4)
    int min_mapq = 0;                 // as samtools view -q: unmapped reads (MAPQ 0) fail any minimum > 0
};

// One CIGAR operation as SAM writes it: op is one of M I D N S H P = X.
struct CigarOp {
    char op = 'M';
    int64_t length = 0;
    bool operator==(const CigarOp&) const = default;
};

struct AlignedRead {
    std::string name;
    uint16_t flag = 0;
    std::string contig;     // empty when unplaced
    int64_t pos = -1;       // 0-based leftmost reference position; -1 when unplaced
    int64_t end = -1;       // 0-based exclusive end on the reference (pos when no bases align)
    int mapq = 0;
    std::string sequence;   // as sequenced: reverse-strand reads are reverse-complemented back
    std::string qualities;  // Phred+33 in the same orientation; empty when the file has none
    std::vector<Interval> blocks;   // reference stretches its aligned bases cover (CIGAR M, =, X)
    std::vector<CigarOp> cigar;     // the alignment, left to right on the reference; empty when unmapped
    bool reverse() const;
    bool unmapped() const;
};

// htslib looks a CRAM's reference sequences up by MD5 through REF_PATH, whose default is the EBI
// server: unless the user set REF_PATH, it is pointed at a local folder (which need not exist), so
// no job goes to the network (a --reference of the wrong genome made htslib try, and hang on a node
// without network). Call before other threads start (the programs' main); AlignmentReader::open
// calls it too.
void keep_htslib_offline();

struct AlignmentOptions {
    std::string reference;   // FASTA the CRAM was made against (a CRAM that embeds it or needs none does without)
    int threads = 0;         // extra BGZF/CRAM decoding threads
};

class AlignmentReader {
public:
    static Result<AlignmentReader> open(const std::string& path, const AlignmentOptions& options = {});
    ~AlignmentReader();
    AlignmentReader(AlignmentReader&&) noexcept;
    AlignmentReader& operator=(AlignmentReader&&) noexcept;

    const std::string& path() const { return path_; }
    const char* format_name() const;   // "SAM", "BAM" or "CRAM"
    // The header's @SQ lines, in order.
    const std::vector<SequenceRecord>& references() const { return references_; }

    void set_filter(const AlignmentFilter& filter);
    // From now on only records overlapping `region` (through the index beside the file).
    Result<void> query(const Region& region);

    // The next record passing the filter: true when one was read, false at the end of the file
    // or region. A truncated or undecodable file is an error naming the file and record number.
    Result<bool> next(AlignedRead& out);
    // Records read from the file so far, and how many of them the filter dropped.
    int64_t records_read() const;
    int64_t records_filtered() const;

private:
    AlignmentReader() = default;
    struct Impl;
    std::string path_;
    std::unique_ptr<Impl> impl_;
    std::vector<SequenceRecord> references_;
};

// Mean depth over `region` in `bins` equal bins (the last one may be shorter), counting aligned
// bases (CIGAR M, = and X; not deletions, skips or clips) of reads passing the reader's filter
// (unmapped reads never count).
struct Coverage {
    Region region;
    int64_t bin_size = 0;
    std::vector<double> mean_depth;
};
Result<Coverage> coverage(AlignmentReader& reader, const Region& region, int bins);

}  // namespace ms

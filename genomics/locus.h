// Loci as people type them (`chr1`, `chr1:1,000-2,000`, `chr1:1000`, `chr1:1000-`,
// `{HLA-A*01:01}:1-100`), checked against a contig list, and regions in the code's coordinates:
// 1-based inclusive in the text, 0-based half-open in `Region`, as samtools and IGV read loci and
// as BED stores intervals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "genomics/fasta.h"

namespace ms {

// The length given to a contig whose length is not known (a VCF header whose ##contig lines give
// none, annotations read without their genome): a locus on it is bounded by nothing else, and
// format_locus writes a region reaching it with an open end (`chr1:5,000-`, or `chr1`).
inline constexpr int64_t kUnknownLength = int64_t(1) << 60;

// An interval of one contig, 0-based half-open: bases begin..end-1.
struct Region {
    std::string contig;
    int64_t begin = 0, end = 0;
    int64_t length() const { return end - begin; }
    bool operator==(const Region&) const = default;
};

// The contigs a locus or a region list is checked against (a FASTA's records, a VCF's or BAM's
// header), in file order, with lookup by name.
class ContigList {
public:
    ContigList() = default;
    // `without_bases`: names of records that have a header but no bases (FastaFile::empty_records),
    // so an error can say that instead of "unknown contig".
    explicit ContigList(std::vector<SequenceRecord> contigs, std::vector<std::string> without_bases = {});

    const std::vector<SequenceRecord>& contigs() const { return contigs_; }
    bool empty() const { return contigs_.empty(); }
    // nullptr when there is no contig of that name.
    const SequenceRecord* find(std::string_view name) const;
    // What to say of a name find() does not know: "unknown contig 'NAME'", or that it has no bases.
    std::string unknown(std::string_view name) const;

private:
    std::vector<SequenceRecord> contigs_;
    std::unordered_map<std::string, size_t> index_;
    std::vector<std::string> without_bases_;
};

// Parses a locus typed by a person:
//   NAME               the whole contig
//   NAME:START-END     bases START..END, 1-based inclusive; commas in numbers are ignored
//   NAME:POS           the single base POS (as IGV and UCSC read it; samtools would read "to the end")
//   NAME:START-        from START to the end of the contig (samtools' form)
//   {NAME}...          a name in braces may hold ':' and '-' (HLA alleles: `{HLA-A*01:01}:1-100`)
// A bare name holding ':' is accepted when it is a contig and no shorter prefix reading is one too.
// Errors name the locus and say what was expected: unknown contig, start < 1, end < start, a
// position past the contig's end, text that is not a number.
Result<Region> parse_locus(std::string_view text, const ContigList& contigs);
// What parse_locus says of an empty text; option checks that refuse one early say the same.
inline constexpr const char* kEmptyLocus = "empty locus (expected NAME, NAME:START-END or NAME:POS)";

// The locus text for a region, 1-based inclusive with thousands separators
// (`chr1:1,000-2,000`), braces around names that hold ':'. parse_locus reads it back unchanged
// (for a non-empty region; an empty one has no 1-based inclusive form), except where another
// contig is itself named like the text (contigs `chr1` and `chr1:1-5`): parse_locus then reports
// the ambiguity rather than guess (tests/fuzz/fuzz_locus checks both).
std::string format_locus(const Region& region);

}  // namespace ms

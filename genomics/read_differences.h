// Where an aligned read differs from the reference, as a genome browser draws it (IGV's mismatch
// colouring): single bases that differ, bases the read inserts, and reference bases it deletes.
// Worked out from the read's CIGAR and bases against the reference of a window, so it needs no MD
// tag and works the same for BAM and CRAM, short and long reads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "genomics/alignments.h"

namespace ms {

struct ReadDifference {
    enum class Kind : uint8_t { mismatch, insertion, deletion };
    Kind kind = Kind::mismatch;
    // mismatch: the reference position of the base; insertion: the reference position the inserted
    // bases come before; deletion: the first deleted reference position. 0-based.
    int64_t pos = 0;
    int64_t length = 1;        // 1 for a mismatch; bases inserted or deleted
    char base = 0;             // mismatch: the read's base on the reference strand (upper case; N: no call)
    uint8_t quality = 255;     // mismatch: its Phred quality; 255 when the file stores none
    bool operator==(const ReadDifference&) const = default;
};

// The differences of `read` from `reference`, which holds the reference bases of
// [reference_begin, reference_begin + reference.size()). Only differences inside that window are
// reported (a mismatch or deletion on it, an insertion at a position in it), left to right.
// Bases compare case-insensitively. An N read over a called reference base is a mismatch with base
// 'N' (a no-call, which IGV draws grey and allele counts leave out); nothing is a mismatch against
// an N of the reference. Unmapped reads and reads without stored bases ("*") have none. Reference
// skips (N, spliced introns) are not deletions.
std::vector<ReadDifference> read_differences(const AlignedRead& read, std::string_view reference, int64_t reference_begin);

}  // namespace ms

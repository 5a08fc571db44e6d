#include "genomics/read_differences.h"
#include "common/ascii.h"

#include <algorithm>
#include <string>

namespace ms {

namespace {


}  // namespace

std::vector<ReadDifference> read_differences(const AlignedRead& read, std::string_view reference, int64_t reference_begin) {
    std::vector<ReadDifference> out;
    if (read.unmapped() || read.pos < 0 || read.cigar.empty()) return out;
    const int64_t window_end = reference_begin + int64_t(reference.size());
    if (read.end <= reference_begin || read.pos >= window_end) return out;
    // AlignedRead keeps the bases as sequenced; the CIGAR walks them as stored, on the reference strand.
    std::string bases = read.sequence;
    std::string quals = read.qualities;
    if (read.reverse()) {
        reverse_complement(bases);
        std::reverse(quals.begin(), quals.end());
    }
    const bool have_bases = !bases.empty();
    int64_t ref = read.pos, query = 0;
    for (const CigarOp& c : read.cigar) {
        if (ref >= window_end) break;
        switch (c.op) {
        case 'M': case '=': case 'X': {
            if (!have_bases) break;
            // Only the part of the block over the window: a 100 kbp read costs what it covers here.
            const int64_t from = std::max(ref, reference_begin), to = std::min(ref + c.length, window_end);
            for (int64_t p = from; p < to; ++p) {
                const int64_t qi = query + (p - ref);
                if (qi >= int64_t(bases.size())) break;   // CIGAR longer than SEQ: a broken record, stop
                const char b = ascii_upper(bases[size_t(qi)]);
                const char r = ascii_upper(reference[size_t(p - reference_begin)]);
                if (b == r || r == 'N') continue;
                const uint8_t q = qi < int64_t(quals.size()) ? uint8_t(quals[size_t(qi)] - 33) : uint8_t(255);
                out.push_back({ReadDifference::Kind::mismatch, p, 1, b, q});
            }
            break;
        }
        case 'I':
            if (ref >= reference_begin) out.push_back({ReadDifference::Kind::insertion, ref, c.length, 0, 255});
            break;
        case 'D':
            if (ref + c.length > reference_begin)
                out.push_back({ReadDifference::Kind::deletion, ref, c.length, 0, 255});
            break;
        default: break;   // N (skip), S, H, P: nothing to mark
        }
        // Which operations move along the reference and the read, as the SAM specification tables them.
        if (c.op == 'M' || c.op == '=' || c.op == 'X' || c.op == 'D' || c.op == 'N') ref += c.length;
        if (c.op == 'M' || c.op == '=' || c.op == 'X' || c.op == 'I' || c.op == 'S') query += c.length;
    }
    return out;
}

}  // namespace ms

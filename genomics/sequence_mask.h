// What a genome view and a scoring job need to know besides the bases: soft-masked (lower-case)
// stretches, which repeat maskers leave behind, and runs of N (assembly gaps), as 0-based
// half-open intervals. Built chunk by chunk, so a chromosome streamed in pieces gives the same
// intervals as the whole sequence at once.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace ms {

struct Interval {
    int64_t begin = 0, end = 0;
    int64_t length() const { return end - begin; }
    bool operator==(const Interval&) const = default;
};

struct SequenceMask {
    std::vector<Interval> soft_masked;   // lower-case bases (any letter, n included)
    std::vector<Interval> n_runs;        // N or n
};

class MaskBuilder {
public:
    // `origin`: the position of the first base that will be added (0 for a whole record).
    explicit MaskBuilder(int64_t origin = 0) : pos_(origin) {}
    void add(std::string_view bases);
    // Closes open runs and hands the intervals over; the builder is empty afterwards.
    SequenceMask finish();

private:
    int64_t pos_;
    int64_t lower_begin_ = -1, n_begin_ = -1;   // -1: no run open
    SequenceMask mask_;
};

SequenceMask sequence_mask(std::string_view bases, int64_t origin = 0);

}  // namespace ms

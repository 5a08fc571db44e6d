#include "genomics/sequence_mask.h"

#include <algorithm>

namespace ms {

void MaskBuilder::add(std::string_view bases) {
    const char* p = bases.data();
    const char* const end = p + bases.size();
    while (p < end) {
        // Most of a genome is upper case and not N: skip such stretches without bookkeeping.
        if (lower_begin_ < 0 && n_begin_ < 0) {
            const char* q = std::find_if(p, end, [](char c) { return (c >= 'a' && c <= 'z') || c == 'N'; });
            pos_ += q - p;
            p = q;
            if (p == end) break;
        }
        const char c = *p;
        const bool lower = c >= 'a' && c <= 'z';
        const bool n = c == 'N' || c == 'n';
        if (lower && lower_begin_ < 0) lower_begin_ = pos_;
        if (!lower && lower_begin_ >= 0) {
            mask_.soft_masked.push_back({lower_begin_, pos_});
            lower_begin_ = -1;
        }
        if (n && n_begin_ < 0) n_begin_ = pos_;
        if (!n && n_begin_ >= 0) {
            mask_.n_runs.push_back({n_begin_, pos_});
            n_begin_ = -1;
        }
        ++pos_;
        ++p;
    }
}

SequenceMask MaskBuilder::finish() {
    if (lower_begin_ >= 0) mask_.soft_masked.push_back({lower_begin_, pos_});
    if (n_begin_ >= 0) mask_.n_runs.push_back({n_begin_, pos_});
    lower_begin_ = n_begin_ = -1;
    SequenceMask out = std::move(mask_);
    mask_ = {};
    return out;
}

SequenceMask sequence_mask(std::string_view bases, int64_t origin) {
    MaskBuilder b(origin);
    b.add(bases);
    return b.finish();
}

}  // namespace ms

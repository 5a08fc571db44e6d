#include "ui/locus_search.h"

#include <algorithm>

namespace ms::ui {

Result<Region> resolveLocus(std::string_view text, const ContigList& contigs, const std::vector<AnnotationsPtr>& annotations) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return make_error("type a locus (chr1:1,000-2,000), a sequence name or a feature name");
    if (contigs.empty()) return make_error("cannot go to '", text, "': no genome is open (File > Open Genome)");
    auto locus = parse_locus(text, contigs);
    if (locus) return locus;
    for (const AnnotationsPtr& set : annotations) {
        for (const Feature* f : set->find(text, 1)) {
            const SequenceRecord* contig = contigs.find(f->region.contig);
            if (!contig) continue;   // annotations of another assembly
            const int64_t margin = std::max<int64_t>(1, f->region.length() / 10);
            return Region{f->region.contig, std::max<int64_t>(0, f->region.begin - margin),
                          std::min(contig->length, f->region.end + margin)};
        }
    }
    if (annotations.empty()) return locus.error();
    return make_error(locus.error().message, "; no feature of the open annotations is named '", text, "' either");
}

}  // namespace ms::ui

#include "ui/locus_search.h"

#include <algorithm>
#include <string>

#include "common/ascii.h"

namespace ms::ui {

Result<Region> resolveLocus(std::string_view text, const ContigList& contigs, const std::vector<AnnotationsPtr>& annotations) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return make_error("type a locus (chr1:1,000-2,000), a sequence name or a feature name");
    if (contigs.empty()) return make_error("cannot go to '", text, "': no genome is open (File > Open Genome)");
    auto locus = parse_locus(text, contigs);
    if (locus) return locus;
    const std::string needle = ascii_lower(text);
    // Features on the open genome whose name or ID is the text (any case), else those that hold it.
    std::vector<const Feature*> exact, partial;
    for (const AnnotationsPtr& set : annotations)
        for (const Feature* f : set->find(text, 50)) {
            if (!contigs.find(f->region.contig)) continue;  // annotations of another assembly
            (ascii_lower(f->name) == needle || ascii_lower(f->id) == needle ? exact : partial).push_back(f);
        }
    // A part of a name that several features hold is not a choice to make for the user: `--goto rpo`
    // went to rpoE, the first of 18, and a scripted figure showed another gene than meant.
    if (exact.empty() && partial.size() > 1) {
        std::vector<std::string> names;
        for (const Feature* f : partial) {
            const std::string& n = f->name.empty() ? f->id : f->name;
            if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        }
        if (names.size() > 1) {
            std::string list;
            for (size_t i = 0; i < names.size() && i < 8; ++i) list += (i ? ", " : "") + names[i];
            return make_error("'", text, "' is part of the names of ",
                              names.size() == 50 ? "50 or more" : std::to_string(names.size()), " features (", list,
                              names.size() > 8 ? ", …" : "", "): type the whole name");
        }
    }
    const Feature* f = !exact.empty() ? exact.front() : !partial.empty() ? partial.front() : nullptr;
    if (f) {
        const SequenceRecord* contig = contigs.find(f->region.contig);
        const int64_t margin = std::max<int64_t>(1, f->region.length() / 10);
        return Region{f->region.contig, std::max<int64_t>(0, f->region.begin - margin),
                      std::min(contig->length, f->region.end + margin)};
    }
    if (annotations.empty())
        return make_error(locus.error().message,
                          " (to go to a gene by name, open its annotations: a GFF3 or BED file)");
    return make_error(locus.error().message, "; no feature of the open annotations is named '", text, "' either");
}

}  // namespace ms::ui

// libFuzzer target: a locus as a person types it, against contigs with awkward names (':' and '-'
// inside, a prefix of another, the longest a FASTA index holds). A parsed region must lie inside
// its contig, and format_locus must read back to the same region, or, where another contig is
// named like "NAME:RANGE" of this one, to the ambiguity error: never to another region (locus.h).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "genomics/locus.h"

namespace {

const ms::ContigList& contigs() {
    static const ms::ContigList list({{"chr1", 248'956'422},
                                      {"chr1:1-5", 10},
                                      {"HLA-A*01:01", 3'503},
                                      {"chrM", 16'569},
                                      {"chr", 1},
                                      {"empty", 0},
                                      {"big", 2'147'483'647}});
    return list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = ms::parse_locus(text, contigs());
    if (!r) return 0;
    const ms::SequenceRecord* c = contigs().find(r->contig);
    if (!c || r->begin < 0 || r->begin > r->end || r->end > c->length) std::abort();
    if (r->length() == 0) return 0;   // an empty region has no 1-based inclusive form
    auto back = ms::parse_locus(ms::format_locus(*r), contigs());
    if (back ? !(*back == *r) : back.error().message.find("is ambiguous") == std::string::npos) std::abort();
    return 0;
}

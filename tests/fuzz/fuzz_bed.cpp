// libFuzzer target: a BED region list of arbitrary bytes (plain, gzip or bgzip: htslib tells them
// apart by their first bytes), read with and without a contig list. Every region read must be a
// valid interval, and inside its contig when contigs were given.
#include <cstdint>
#include <cstdlib>

#include "genomics/bed.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const ms::ContigList contigs({{"chr1", 1'000}, {"chr2", 50}, {"chrM", 16'569}});
    const std::string path = ms::fuzz::write_file("regions.bed", data, size);
    for (const ms::ContigList* list : {&contigs, static_cast<const ms::ContigList*>(nullptr)}) {
        auto regions = list ? ms::read_bed(path, *list) : ms::read_bed(path);
        if (!regions) continue;
        for (const ms::BedRegion& b : *regions) {
            if (b.region.begin < 0 || b.region.end < b.region.begin || b.line < 1) std::abort();
            if (list) {
                const ms::SequenceRecord* c = list->find(b.region.contig);
                if (!c || b.region.end > c->length) std::abort();
            }
        }
    }
    return 0;
}

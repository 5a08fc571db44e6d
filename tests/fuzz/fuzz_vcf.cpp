// libFuzzer target: a VCF/BCF file of arbitrary bytes (plain, bgzip or BCF) read record by record
// as the variants job reads one, REF checked against a small reference FASTA. Every record read
// must have a REF and a position >= 0, and every
// ##contig length must be a length (>= 0).
#include <cstdint>
#include <cstdlib>
#include <optional>

#include <htslib/hts.h>

#include "genomics/vcf.h"
#include "tests/fuzz/fuzz_files.h"

namespace {

const ms::FastaFile* reference() {
    static std::optional<ms::FastaFile> fasta;
    if (!fasta) {
        static const char kFasta[] = ">chr1\nACGTACGTAC\nGTACGTACGT\nAC\n>chr2\nNNNNacgtNN\n";
        const std::string path = ms::fuzz::write_file("reference.fa", reinterpret_cast<const uint8_t*>(kFasta),
                                                      sizeof kFasta - 1);
        auto f = ms::FastaFile::open(path);
        if (!f) std::abort();
        fasta.emplace(std::move(*f));
    }
    return &*fasta;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hts_set_log_level(HTS_LOG_OFF);   // htslib's warnings about each bad record would drown the log
    reference();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = ms::fuzz::write_file("variants.vcf", data, size);
    auto r = ms::VcfReader::open(path);
    if (!r) return 0;
    // Contig lengths from ##contig lines bound loci and regions further on.
    for (const ms::SequenceRecord& c : r->contigs())
        if (c.length < 0) std::abort();
    r->check_ref_against(reference());
    ms::VariantRecord rec;
    while (true) {
        auto more = r->next(rec);
        if (!more || !*more) break;
        if (rec.pos < 0 || rec.ref.empty()) std::abort();
    }
    return 0;
}

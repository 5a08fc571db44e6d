// libFuzzer target: a damaged index beside a good file. The first byte picks the index (BAM .bai,
// BAM .csi, VCF .tbi, VCF .csi, BCF .csi, CRAM .crai); the rest is its content before compression
// (.bai is not compressed; the others are BGZF, written here, so mutations reach the parsers behind
// the decompression). The file is then queried at two loci through our readers and read to the end
// of each region: any outcome but a crash, a hang, a leak or a record outside the region is fine.
//
// Why: htslib 1.16 crashed on a 40-byte .bai, and this target found a crash, an endless loop and a
// leaked file handle on damaged .csi/.bai files (genomics/index_check.h now refuses them).
#include <htslib/bgzf.h>
#include <htslib/hts.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "genomics/alignments.h"
#include "genomics/locus.h"
#include "genomics/vcf.h"
#include "tests/fuzz/fuzz_files.h"

namespace {

struct Kind {
    const char* data;   // the file beside the index, in the scratch folder
    const char* index;  // the index's name there
    bool bgzf;          // the index is BGZF-compressed
};
// The files (tests/data/genomics/freebayes_tiny) are copied once; their indexes come from the input.
constexpr Kind kKinds[] = {
    {"reads.bam", "reads.bam.bai", false},      {"reads.bam", "reads.bam.csi", true},
    {"calls.vcf.gz", "calls.vcf.gz.tbi", true}, {"calls.vcf.gz", "calls.vcf.gz.csi", true},
    {"calls.bcf", "calls.bcf.csi", true},       {"reads.cram", "reads.cram.crai", true},
};

void copy_fixture(const std::string& from, const char* to) {
    std::error_code ec;
    std::filesystem::copy_file(std::string(MS_TEST_DATA_DIR) + "/genomics/freebayes_tiny/" + from,
                               ms::fuzz::scratch_dir() + "/" + to, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec) std::abort();
}

void write_bgzf(const std::string& name, const uint8_t* data, size_t size) {
    const std::string path = ms::fuzz::scratch_dir() + "/" + name;
    BGZF* f = bgzf_open(path.c_str(), "w");
    if (!f) std::abort();
    if (size && bgzf_write(f, data, size) != ssize_t(size)) std::abort();
    if (bgzf_close(f) != 0) std::abort();
}

// Every record a query hands out must overlap the queried region.
void query_alignments(const std::string& path, const ms::Region& region) {
    ms::AlignmentOptions options;  // the CRAM's reference (a BAM ignores it)
    options.reference = std::string(MS_TEST_DATA_DIR) + "/genomics/freebayes_tiny/q.fa";
    auto r = ms::AlignmentReader::open(path, options);
    if (!r) std::abort();  // the file itself is good
    if (!r->query(region)) return;
    ms::AlignedRead read;
    for (int n = 0; n < 100000; ++n) {
        auto more = r->next(read);
        if (!more || !*more) return;
        // htslib counts a read with no aligned bases as covering its first position.
        if (read.contig != region.contig || read.pos >= region.end || std::max(read.end, read.pos + 1) <= region.begin)
            std::abort();
    }
}

void query_variants(const std::string& path, const ms::Region& region) {
    auto r = ms::VcfReader::open(path);  // htslib reads a text VCF's index with its header
    if (!r) return;
    if (!r->query(region)) return;
    ms::VariantRecord rec;
    for (int n = 0; n < 100000; ++n) {
        auto more = r->next(rec);
        if (!more || !*more) return;
        if (rec.contig != region.contig || rec.pos >= region.end || rec.pos + int64_t(rec.ref.size()) <= region.begin)
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hts_set_log_level(HTS_LOG_OFF);  // htslib's own lines about each damaged index would drown the log
    ms::keep_htslib_offline();
    copy_fixture("NA12878.chr22.tiny.bam", "reads.bam");
    copy_fixture("NA12878.chr22.tiny.cram", "reads.cram");
    copy_fixture("q.vcf.gz", "calls.vcf.gz");
    copy_fixture("q.bcf", "calls.bcf");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const Kind& kind = kKinds[data[0] % (sizeof kKinds / sizeof kKinds[0])];
    // Only the chosen index may be found beside its file.
    for (const Kind& k : kKinds) ms::fuzz::remove_file(k.index);
    if (kind.bgzf)
        write_bgzf(kind.index, data + 1, size - 1);
    else
        ms::fuzz::write_file(kind.index, data + 1, size - 1);
    const std::string path = ms::fuzz::scratch_dir() + "/" + kind.data;
    // q is 12,356 bp: a locus inside it and one that is past its end.
    const ms::Region regions[] = {{"q", 2000, 4000}, {"q", 20000, 30000}};
    for (const ms::Region& region : regions) {
        if (std::string(kind.data).rfind("reads.", 0) == 0)
            query_alignments(path, region);
        else
            query_variants(path, region);
    }
    return 0;
}

// Indexes checked before htslib loads them (genomics/index_check.h): every real kind is whole,
// every cut of one is not, nor are bins htslib mishandles; and the readers refuse a damaged index
// by name instead of crashing (htslib 1.16 freed garbage pointers on cut .bai and .csi files).
#include <htslib/bgzf.h>
#include <htslib/sam.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "genomics/alignments.h"
#include "genomics/annotations.h"
#include "genomics/cram_container.h"
#include "genomics/index_check.h"
#include "genomics/vcf.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

namespace {

const std::string kTiny = std::string(MS_TEST_DATA_DIR) + "/genomics/freebayes_tiny/";

fs::path scratch() {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "index_check";
    fs::create_directories(dir);
    return dir;
}

fs::path copy(const std::string& from, const std::string& to) {
    const fs::path p = scratch() / to;
    fs::copy_file(from, p, fs::copy_options::overwrite_existing);
    return p;
}

// An index's bytes as the walker sees them (BGZF decompressed; .bai is stored plain).
std::string content(const fs::path& p) {
    BGZF* f = bgzf_open(p.c_str(), "r");
    std::string out;
    if (!f) return out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = bgzf_read(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    bgzf_close(f);
    return out;
}

void write_index(const fs::path& p, const std::string& bytes, bool bgzf) {
    if (!bgzf) {
        std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
        return;
    }
    BGZF* f = bgzf_open(p.c_str(), "w");
    MS_CHECK(f && (bytes.empty() || bgzf_write(f, bytes.data(), bytes.size()) == ssize_t(bytes.size())));
    MS_CHECK(f && bgzf_close(f) == 0);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct Case {
    fs::path index;
    bool bgzf;
    fs::path data;
};

bool whole(const fs::path& index, const fs::path& data) {
    return ms::check_index(index.string(), fs::file_size(data)) == ms::IndexState::whole;
}

// The three binary kinds, real files: the test data's .bai and .tbi, and .csi files htslib builds here.
std::vector<Case> real_indexes() {
    const fs::path bam = copy(kTiny + "NA12878.chr22.tiny.bam", "r.bam");
    const fs::path vcf = copy(kTiny + "q.vcf.gz", "c.vcf.gz");
    const fs::path bcf = copy(kTiny + "q.bcf", "c.bcf");
    fs::remove(bam.string() + ".csi");
    MS_CHECK_EQ(sam_index_build3(bam.c_str(), (bam.string() + ".csi").c_str(), 14, 0), 0);
    MS_CHECK_EQ(tbx_index_build3(vcf.c_str(), (vcf.string() + ".csi").c_str(), 14, 0, &tbx_conf_vcf), 0);
    MS_CHECK_EQ(bcf_index_build3(bcf.c_str(), (bcf.string() + ".csi").c_str(), 14, 0), 0);
    return {{kTiny + "NA12878.chr22.tiny.bam.bai", false, bam},
            {kTiny + "q.vcf.gz.tbi", true, vcf},
            {bam.string() + ".csi", true, bam},
            {vcf.string() + ".csi", true, vcf},
            {bcf.string() + ".csi", true, bcf}};
}

}  // namespace

MS_TEST(real_indexes_are_whole_and_every_cut_is_not) {
    for (const Case& c : real_indexes()) {
        MS_CHECK_MSG(whole(c.index, c.data), c.index);
        // Its offsets reach into the file it indexes: beside a shorter file it is refused (the BAM's
        // last chunks end near its 287 KB; the small VCFs may be a single block).
        if (c.data.extension() == ".bam")
            MS_CHECK_MSG(ms::check_index(c.index.string(), 1000) == ms::IndexState::not_this_files, c.index);
        const std::string bytes = content(c.index);
        MS_CHECK(bytes.size() > 16);
        const fs::path cut = scratch() / ("cut" + c.index.extension().string());
        for (size_t at = 0; at < bytes.size(); ++at) {
            write_index(cut, bytes.substr(0, at), c.bgzf);
            // Without (part of) its last 8 bytes, the optional count of unplaced records, it is whole.
            MS_CHECK_MSG(whole(cut, c.data) == (at + 8 >= bytes.size()), c.index << " cut at " << at);
        }
        write_index(cut, bytes + "x", c.bgzf);  // a byte past the end: htslib reads no further
        MS_CHECK_MSG(whole(cut, c.data), c.index << " with a byte more");
    }
    // A CRAM index is gzip-compressed text, one line a slice.
    MS_CHECK(whole(kTiny + "NA12878.chr22.tiny.cram.crai", kTiny + "NA12878.chr22.tiny.cram"));
}

// A .crai's lines as htslib 1.16 parses them (six integers after optional blanks, the rest of the
// line ignored), each number within its field's range and the reference id below the CRAM's count:
// htslib checks none of it and sized an array by a damaged id (26 GB, found by fuzz_index).
MS_TEST(crai_lines_are_checked_against_their_fields) {
    const fs::path crai = scratch() / "t.cram.crai";
    auto state = [&](const std::string& text, int64_t references, uint64_t data_bytes = 155615) {
        write_index(crai, text, true);
        return ms::check_index(crai.string(), data_bytes, nullptr, references);
    };
    using ms::IndexState;
    const std::string line = "0\t10\t12292\t645\t175\t154735\n";  // the tiny CRAM's own
    MS_CHECK(state(line, 1) == IndexState::whole);
    MS_CHECK(state(line + "-1\t0\t0\t155000\t0\t10\n", 1) == IndexState::whole);        // unmapped reads
    MS_CHECK(state("  0 10 12292 645 175 154735 and more\n", 1) == IndexState::whole);  // as htslib reads it
    MS_CHECK(state(line, 0) == IndexState::damaged);                                    // no such reference
    MS_CHECK(state("7\t10\t12292\t645\t175\t154735\n", 3) == IndexState::damaged);
    MS_CHECK(state("-2\t10\t12292\t645\t175\t154735\n", 3) == IndexState::damaged);
    MS_CHECK(state(std::string(120, '4') + "0\t10\t11146\t641\t575\t154735\n", 1) == IndexState::damaged);
    MS_CHECK(state("0\t2147483647\t2\t645\t175\t154735\n", 1) == IndexState::damaged);  // end past int32
    MS_CHECK(state("0\t-5\t12292\t645\t175\t154735\n", 1) == IndexState::damaged);
    MS_CHECK(state("0\t10\t12292\t645\t175\n", 1) == IndexState::damaged);  // a field short
    MS_CHECK(state(line + "\n", 1) == IndexState::damaged);                 // htslib fails on it
    MS_CHECK(state("0", 1) == IndexState::damaged);
    MS_CHECK(state(line, 1, 600) == IndexState::not_this_files);  // container past the end
    // Without the CRAM's count, ids up to the cap pass and larger ones do not.
    MS_CHECK(state("4000000\t10\t12292\t645\t175\t154735\n", -1) == IndexState::whole);
    MS_CHECK(state("5000000\t10\t12292\t645\t175\t154735\n", -1) == IndexState::damaged);
}

// A bin number outside the index's depth (htslib 1.16 looped forever querying one), and a pseudo-bin
// without its two count pairs (htslib reads the second unchecked).
MS_TEST(bins_htslib_mishandles_are_damage) {
    const std::string bai = content(kTiny + "NA12878.chr22.tiny.bam.bai");
    // BAI: magic, n_ref = 1, n_bin, then the first bin's number.
    int32_t n_ref = 0, n_bin = 0;
    std::memcpy(&n_ref, bai.data() + 4, 4);
    std::memcpy(&n_bin, bai.data() + 8, 4);
    MS_CHECK_EQ(n_ref, 1);
    MS_CHECK(n_bin >= 2);
    const fs::path p = scratch() / "bins.bai";
    auto with_bin = [&](uint32_t bin) {
        std::string b = bai;
        std::memcpy(b.data() + 12, &bin, 4);
        write_index(p, b, false);
        return whole(p, kTiny + "NA12878.chr22.tiny.bam");
    };
    uint32_t first = 0;
    std::memcpy(&first, bai.data() + 12, 4);
    MS_CHECK(with_bin(first));
    MS_CHECK(!with_bin(37449 + 100));  // past depth 5's 37,449 bins
    MS_CHECK(!with_bin(0xffffffffu));
    // The first bin as the pseudo-bin (37,450): only right with exactly two pairs.
    int32_t n_chunk = 0;
    std::memcpy(&n_chunk, bai.data() + 16, 4);
    MS_CHECK_EQ(with_bin(37450), n_chunk == 2);
}

MS_TEST(find_index_takes_htslibs_order) {
    const fs::path dir = scratch() / "find";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string bam = (dir / "x.bam").string();
    MS_CHECK_EQ(ms::find_index(bam, {".csi", ".bai"}), "");
    std::ofstream(dir / "x.bai") << "";
    MS_CHECK_EQ(ms::find_index(bam, {".csi", ".bai"}), (dir / "x.bai").string());
    std::ofstream(bam + ".bai") << "";
    MS_CHECK_EQ(ms::find_index(bam, {".csi", ".bai"}), bam + ".bai");
    std::ofstream(bam + ".csi") << "";
    MS_CHECK_EQ(ms::find_index(bam, {".csi", ".bai"}), bam + ".csi");
    fs::create_directories(dir / "y.bam.bai");  // htslib takes whatever is there, a folder too
    MS_CHECK_EQ(ms::find_index((dir / "y.bam").string(), {".bai"}), (dir / "y.bam.bai").string());
}

// What a reader said: its error, or "accepted".
template <typename R>
std::string error_of(const R& r) {
    return r.ok() ? std::string("accepted") : r.error().message;
}

// The error names `index` as damaged and the command that remakes it.
void expect_damaged(const std::string& error, const std::string& index, const std::string& remake) {
    MS_CHECK_MSG(contains(error, "its index '" + index + "' is damaged") && contains(error, remake), error);
}

// Each reader names the damaged index and what to do, where htslib 1.16 crashed or hung.
MS_TEST(readers_refuse_a_damaged_index_by_name) {
    const fs::path dir = scratch();
    // A BAM with a .csi cut in its first bin (the fuzzer's crash: a free of a garbage pointer).
    const fs::path bam = copy(kTiny + "NA12878.chr22.tiny.bam", "d.bam");
    MS_CHECK_EQ(sam_index_build3(bam.c_str(), (bam.string() + ".csi").c_str(), 14, 0), 0);
    const std::string csi = content(bam.string() + ".csi");
    write_index(bam.string() + ".csi", csi.substr(0, 40), true);
    auto reads = ms::AlignmentReader::open(bam.string());
    MS_CHECK(reads.ok());
    if (reads.ok()) expect_damaged(error_of(reads->query({"q", 999, 2000})), bam.string() + ".csi", "samtools index");
    // A text VCF: htslib reads its index with the header, so the reader refuses at open.
    const fs::path vcf = copy(kTiny + "q.vcf.gz", "d.vcf.gz");
    fs::remove(vcf.string() + ".csi");
    write_index(vcf.string() + ".tbi", content(kTiny + "q.vcf.gz.tbi").substr(0, 60), true);
    expect_damaged(error_of(ms::VcfReader::open(vcf.string())), vcf.string() + ".tbi", "tabix -f -p vcf");
    fs::copy_file(kTiny + "q.vcf.gz.tbi", vcf.string() + ".tbi", fs::copy_options::overwrite_existing);
    auto good = ms::VcfReader::open(vcf.string());
    MS_CHECK(good.ok() && good->query({"q", 0, 12356}).ok());
    // A BCF: its index is read on the first query.
    const fs::path bcf = copy(kTiny + "q.bcf", "d.bcf");
    MS_CHECK_EQ(bcf_index_build3(bcf.c_str(), (bcf.string() + ".csi").c_str(), 14, 0), 0);
    const std::string bcsi = content(bcf.string() + ".csi");
    write_index(bcf.string() + ".csi", bcsi.substr(0, bcsi.size() - 20), true);
    auto bin = ms::VcfReader::open(bcf.string());
    MS_CHECK(bin.ok());
    if (bin.ok()) expect_damaged(error_of(bin->query({"q", 0, 12356})), bcf.string() + ".csi", "bcftools index");
    // A bgzipped BED with a cut .tbi.
    const fs::path bed = dir / "d.bed.gz";
    {
        BGZF* f = bgzf_open(bed.c_str(), "w");
        const std::string text = "q\t100\t200\tfirst\nq\t300\t400\tsecond\n";
        MS_CHECK(f && bgzf_write(f, text.data(), text.size()) == ssize_t(text.size()));
        MS_CHECK(f && bgzf_close(f) == 0);
    }
    fs::remove(bed.string() + ".csi");
    MS_CHECK_EQ(tbx_index_build3(bed.c_str(), nullptr, 0, 0, &tbx_conf_bed), 0);
    write_index(bed.string() + ".tbi", content(bed.string() + ".tbi").substr(0, 50), true);
    expect_damaged(error_of(ms::AnnotationSet::load_region(bed.string(), {"q", 0, 1000})), bed.string() + ".tbi",
                   "tabix -f -p bed");
}

// The four inputs fuzz_index found (tests/fuzz/corpus/fuzz_index/regression_*, less the kind
// byte): in htslib 1.16 a crash (a .csi cut inside a bin), an endless region query (bins out of
// range at depth 0), a leaked file handle (a .bai offset past 2^63, which its seek refused) and a
// 26 GB allocation (a .crai reference id of 120 digits).
MS_TEST(what_the_fuzzer_found_is_refused) {
    const std::string corpus = std::string(MS_TEST_DATA_DIR) + "/../fuzz/corpus/fuzz_index/";
    auto payload = [&](const std::string& name) {
        std::ifstream in(corpus + name, std::ios::binary);
        const std::string b((std::istreambuf_iterator<char>(in)), {});
        return b.empty() ? b : b.substr(1);
    };
    const fs::path bcf = copy(kTiny + "q.bcf", "f.bcf"), bam = copy(kTiny + "NA12878.chr22.tiny.bam", "f.bam");
    const fs::path csi = scratch() / "f.bcf.csi", bai = scratch() / "f.bam.bai";
    for (const char* name : {"regression_csi_cut_in_bin", "regression_csi_bins_out_of_range"}) {
        const std::string b = payload(name);
        MS_CHECK(!b.empty());
        write_index(csi, b, true);
        MS_CHECK_MSG(ms::check_index(csi.string(), fs::file_size(bcf)) == ms::IndexState::damaged, name);
        auto r = ms::VcfReader::open(bcf.string());
        MS_CHECK(r.ok());
        if (r.ok()) MS_CHECK_MSG(!r->query({"q", 2000, 4000}).ok(), name);
    }
    // A .crai whose first reference id has 120 digits: htslib asked for 26 GB.
    const fs::path cram = copy(kTiny + "NA12878.chr22.tiny.cram", "f.cram"), crai = scratch() / "f.cram.crai";
    write_index(crai, payload("regression_crai_huge_reference_id"), true);
    MS_CHECK(ms::check_index(crai.string(), fs::file_size(cram), nullptr, 1) == ms::IndexState::damaged);
    ms::AlignmentOptions with_reference;
    with_reference.reference = kTiny + "q.fa";
    auto reads = ms::AlignmentReader::open(cram.string(), with_reference);
    MS_CHECK(reads.ok());
    if (reads.ok()) {
        auto q = reads->query({"q", 2000, 4000});
        MS_CHECK(!q.ok() && contains(q.error().message, "its index '" + crai.string() + "' is damaged"));
    }
    write_index(bai, payload("regression_bai_offset_past_2e63"), false);
    MS_CHECK(ms::check_index(bai.string(), fs::file_size(bam)) == ms::IndexState::not_this_files);
    auto r = ms::AlignmentReader::open(bam.string());
    MS_CHECK(r.ok());
    if (r.ok()) {
        auto q = r->query({"q", 2000, 4000});
        MS_CHECK(!q.ok() && contains(q.error().message, "points past the end of '" + bam.string() + "'"));
    }
}

// A .crai whose container offsets are numbers but no container starts there (made for another
// version of the CRAM, or damaged): htslib 1.16 read the bytes at the offset as a container header
// and asked for 7 GB (fuzz_index, regression_crai_offset_inside_a_container). The query now checks
// the header it was sent to — a CRAM 3 header's CRC32 — and names the index; the real one still reads.
MS_TEST(a_crai_pointing_inside_a_container_is_named_at_the_query) {
    const fs::path cram = copy(kTiny + "NA12878.chr22.tiny.cram", "p.cram"), crai = scratch() / "p.cram.crai";
    const uint64_t bytes = fs::file_size(cram);
    MS_CHECK(ms::cram_container_problem(cram.string(), 645, bytes, 3).empty());  // the .crai's own container
    MS_CHECK(ms::cram_container_problem(cram.string(), 26, bytes, 3)
                 .empty());  // the SAM header's, after the file definition
    for (uint64_t at : {uint64_t(27), uint64_t(64), uint64_t(646), bytes - 10})
        MS_CHECK_MSG(!ms::cram_container_problem(cram.string(), at, bytes, 3).empty(), "offset " << at);
    ms::AlignmentOptions with_reference;
    with_reference.reference = kTiny + "q.fa";
    auto reads_in = [&](const std::string& crai_text, std::string* error) -> int64_t {
        write_index(crai, crai_text, true);
        auto r = ms::AlignmentReader::open(cram.string(), with_reference);
        MS_CHECK(r.ok());
        if (!r.ok()) return -1;
        auto q = r->query({"q", 2000, 4000});
        if (!q.ok()) {
            *error = q.error().message;
            return -1;
        }
        int64_t n = 0;
        ms::AlignedRead read;
        for (auto more = r->next(read); more.ok() && *more; more = r->next(read)) ++n;
        return n;
    };
    std::string error;
    MS_CHECK(reads_in("0\t10\t12292\t645\t175\t154735\n", &error) > 0);
    for (const char* offset : {"64", "646"}) {
        error.clear();
        MS_CHECK(reads_in(std::string("0\t10\t12292\t") + offset + "\t175\t154735\n", &error) == -1);
        MS_CHECK_MSG(contains(error, "its index '" + crai.string() + "' sends the query to byte " + offset +
                                         ", where no container starts") &&
                         contains(error, "samtools index " + cram.string()),
                     error);
    }
}

// A longer VCF's index beside a shorter one (re-bgzipped without indexing again): htslib reads it
// with the header harmlessly, so the file opens and reads in order; a query names the index, the
// file's end, and the remake command of the index's own kind (a .tbi made in place of a damaged
// .csi would be found second, after the .csi).
MS_TEST(an_index_made_for_a_longer_file_is_named_at_the_query) {
    const fs::path vcf = copy(kTiny + "hla.vcf.gz", "short.vcf.gz");
    fs::remove(vcf.string() + ".csi");
    fs::copy_file(kTiny + "q.vcf.gz.tbi", vcf.string() + ".tbi", fs::copy_options::overwrite_existing);
    auto r = ms::VcfReader::open(vcf.string());
    MS_CHECK_MSG(r.ok(), error_of(r));
    if (!r.ok()) return;
    ms::VariantRecord rec;
    int n = 0;
    for (auto more = r->next(rec); more.ok() && *more; more = r->next(rec)) ++n;
    MS_CHECK_EQ(n, 3);
    const std::string e = error_of(r->query({"q", 0, 12356}));
    MS_CHECK_MSG(contains(e, "its index '" + vcf.string() + ".tbi' points past the end of '" + vcf.string() +
                                 "', which is shorter than the file it was made for") &&
                     contains(e, "remake the index with `tabix -f -p vcf " + vcf.string() + "`"),
                 e);
    fs::remove(vcf.string() + ".tbi");
    const fs::path big = copy(kTiny + "q.vcf.gz", "long.vcf.gz");
    MS_CHECK_EQ(tbx_index_build3(big.c_str(), (big.string() + ".csi").c_str(), 14, 0, &tbx_conf_vcf), 0);
    fs::copy_file(big.string() + ".csi", vcf.string() + ".csi", fs::copy_options::overwrite_existing);
    auto c = ms::VcfReader::open(vcf.string());
    MS_CHECK_MSG(c.ok(), error_of(c));
    if (c.ok()) {
        const std::string ce = error_of(c->query({"q", 0, 12356}));
        MS_CHECK_MSG(contains(ce, "remake the index with `tabix -f -C -p vcf " + vcf.string() + "`"), ce);
    }
}

// A .csi of depth 10 (htslib's own for a 2 Gbp contig at min_shift 1, as `samtools index -c -m 1`
// makes it: plant chromosomes past 2^28 get there at small shifts) is whole, and its query reads.
MS_TEST(a_deep_csi_is_whole) {
    const fs::path sam = scratch() / "deep.sam", bam = scratch() / "deep.bam";
    std::ofstream(sam) << "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:big\tLN:2000000000\n"
                          "r1\t0\tbig\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n"
                          "r2\t0\tbig\t1900000000\t60\t4M\t*\t0\t0\tACGT\tIIII\n";
    fs::remove(bam);
    MS_CHECK_EQ(std::system(("samtools view -b -o '" + bam.string() + "' '" + sam.string() + "' 2>/dev/null").c_str()),
                0);
    MS_CHECK_EQ(sam_index_build3(bam.c_str(), (bam.string() + ".csi").c_str(), 1, 0), 0);
    const std::string csi = content(bam.string() + ".csi");
    int32_t depth = 0;
    if (csi.size() >= 12) std::memcpy(&depth, csi.data() + 8, 4);
    MS_CHECK_EQ(depth, 10);
    MS_CHECK(whole(bam.string() + ".csi", bam));
    auto r = ms::AlignmentReader::open(bam.string());
    MS_CHECK(r.ok());
    if (r.ok()) {
        MS_CHECK_MSG(r->query({"big", 1899999990, 1900000010}).ok(), "query refused");
        ms::AlignedRead read;
        auto more = r->next(read);
        MS_CHECK(more.ok() && *more && read.name == "r2");
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

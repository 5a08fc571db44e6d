// SAM/BAM/CRAM through htslib on freebayes' NA12878 extract (counts cross-checked with samtools
// 1.16: `samtools view -c -F 0xF00` = 3327 records kept, 281 in q:1000-2000, `samtools depth -a -r q:1001-1100` mean
// 42.38), and a small SAM written here for flags, MAPQ and orientation.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/warnings.h"
#include "genomics/alignments.h"
#include "genomics/read_differences.h"
#include "tests/common/harness.h"
#include "tests/common/small_disk.h"

namespace fs = std::filesystem;

static const std::string kTiny = std::string(MS_TEST_DATA_DIR) + "/genomics/freebayes_tiny/";

// The first error of opening `path`, querying `region` and reading it to its end ("" if none).
static std::string first_error_reading(const std::string& path, const ms::Region& region) {
    auto r = ms::AlignmentReader::open(path);
    if (!r) return r.error().message;
    if (auto q = r->query(region); !q) return q.error().message;
    ms::AlignedRead read;
    for (int i = 0; i < 100000; ++i) {
        auto more = r->next(read);
        if (!more) return more.error().message;
        if (!*more) break;
    }
    return {};
}

static int64_t count(ms::AlignmentReader& r) {
    ms::AlignedRead read;
    int64_t n = 0;
    while (true) {
        auto more = r.next(read);
        MS_CHECK_MSG(more.ok(), more.ok() ? "" : more.error().message);
        if (!*more) return n;
        ++n;
    }
}

MS_TEST(bam_whole_file_and_region_through_the_index) {
    auto r = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.bam");
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK_EQ(std::string(r->format_name()), std::string("BAM"));
    MS_CHECK_EQ(r->references().size(), size_t(1));
    MS_CHECK_EQ(r->references()[0].length, int64_t(12356));
    MS_CHECK_EQ(count(*r), int64_t(3327));
    MS_CHECK_EQ(r->records_read(), int64_t(3333));
    auto q = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.bam");
    MS_CHECK(q->query({"q", 999, 2000}).ok());
    MS_CHECK_EQ(count(*q), int64_t(281));   // samtools view -c -F 0xF00 ... q:1000-2000 (one unmapped mate placed there)
}

MS_TEST(coverage_matches_samtools_depth) {
    auto r = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.bam");
    auto c = ms::coverage(*r, {"q", 1000, 1100}, 1);
    MS_CHECK_MSG(c.ok(), c.error().message);
    MS_CHECK(std::abs(c->mean_depth[0] - 42.38) < 0.005);   // samtools prints two decimals
    auto bins = ms::coverage(*r, {"q", 1000, 1100}, 10);
    double sum = 0;
    for (double d : bins->mean_depth) sum += d;
    MS_CHECK_EQ(bins->mean_depth.size(), size_t(10));
    MS_CHECK(std::abs(sum / 10 - c->mean_depth[0]) < 1e-9);   // equal bins average to the whole
}

MS_TEST(cram_needs_its_reference_and_decodes_like_the_bam) {
    // Without one it opens (a CRAM may embed its reference or need none) and its first read asks
    // for it; REF_PATH is never left to its network default.
    auto none = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.cram");
    MS_CHECK_MSG(none.ok(), none.error().message);
    ms::AlignedRead first;
    auto read = none->next(first);
    MS_CHECK(!read.ok());
    MS_CHECK_MSG(read.error().message.find("it needs the reference FASTA it was compressed against (or the file is "
                                           "truncated or corrupt): give it with --reference") != std::string::npos,
                 read.error().message);
    MS_CHECK(std::getenv("REF_PATH") && std::string(std::getenv("REF_PATH")).find("://") == std::string::npos);
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments";
    fs::create_directories(dir);
    fs::copy_file(kTiny + "q.fa", dir / "q.fa", fs::copy_options::overwrite_existing);
    auto cram = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.cram", {(dir / "q.fa").string(), 1});
    MS_CHECK_MSG(cram.ok(), cram.error().message);
    auto bam = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.bam");
    ms::AlignedRead a, b;
    for (int i = 0; i < 200; ++i) {
        MS_CHECK(*cram->next(a));
        MS_CHECK(*bam->next(b));
        MS_CHECK_EQ(a.name, b.name);
        MS_CHECK_EQ(a.sequence, b.sequence);
        MS_CHECK_EQ(a.pos, b.pos);
    }
    MS_CHECK(cram->query({"q", 999, 2000}).ok());   // through the .crai
    MS_CHECK_EQ(count(*cram), int64_t(281));
}

// A reference of another assembly: the message names the contig whose MD5 differs (it said the file
// might be corrupt, after htslib had tried to fetch the sequence from the EBI server).
MS_TEST(cram_with_another_reference_names_the_contig_that_differs) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments";
    fs::create_directories(dir);
    std::ifstream in(kTiny + "q.fa");
    std::string fasta((std::istreambuf_iterator<char>(in)), {});
    const size_t base = fasta.find('\n', fasta.find('>')) + 101;  // a base of the first line or so
    fasta[base] = fasta[base] == 'A' ? 'C' : 'A';
    std::ofstream(dir / "q_other.fa") << fasta;
    fs::remove(dir / "q_other.fa.fai");
    auto cram = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.cram", {(dir / "q_other.fa").string(), 0});
    MS_CHECK_MSG(cram.ok(), cram.error().message);
    ms::AlignedRead a;
    ms::Result<bool> more = true;
    for (int i = 0; i < 5000 && more.ok() && *more; ++i) more = cram->next(a);
    MS_CHECK(!more.ok());
    MS_CHECK_MSG(more.error().message.find("is not the reference it was compressed against: contig 'q' (MD5 ") !=
                     std::string::npos,
                 more.error().message);
}

// CRAMs that need no reference file: one embedding it, one of unaligned reads (no @SQ lines), as
// `samtools view` decodes them (both were refused for want of --reference; found in review).
MS_TEST(cram_that_embeds_its_reference_or_needs_none_decodes_without_one) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments";
    fs::create_directories(dir);
    const std::string emb = (dir / "embedded.cram").string(), unaligned = (dir / "unaligned.cram").string();
    MS_CHECK(std::system(("samtools view -C --output-fmt-option embed_ref=1 -T " + kTiny + "q.fa -o " + emb + " " +
                          kTiny + "NA12878.chr22.tiny.bam")
                             .c_str()) == 0);
    std::ofstream(dir / "unaligned.sam") << "@HD\tVN:1.6\tSO:unsorted\n"
                                            "r1\t4\t*\t0\t0\t*\t*\t0\t0\tACGTACGTTT\tIIIIIIIIII\n"
                                            "r2\t4\t*\t0\t0\t*\t*\t0\t0\tGGGCCCAAAT\t*\n";
    MS_CHECK(std::system(("samtools view -C -o " + unaligned + " " + (dir / "unaligned.sam").string()).c_str()) == 0);
    auto e = ms::AlignmentReader::open(emb);
    MS_CHECK_MSG(e.ok(), e.error().message);
    MS_CHECK_EQ(count(*e), int64_t(3327));
    auto u = ms::AlignmentReader::open(unaligned);
    MS_CHECK_MSG(u.ok(), u.error().message);
    u->set_filter({false, false, false, false, true, 0});
    MS_CHECK_EQ(count(*u), int64_t(2));
}

// A reference in a folder the user cannot write: its index goes to the user's cache, and htslib,
// which reads NAME.fai beside the name it is given, gets a folder of links (it refused the
// reference, "cannot use ... as the reference of CRAM", while `score --fasta` worked). A read-only
// tmpfs stands for the folder; mounting needs CAP_SYS_ADMIN, else the test skips.
MS_TEST(cram_reference_in_a_read_only_folder) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments" / "ro_mnt";
    const ms::test::SmallDisk disk(dir, "1m");
    fs::copy_file(kTiny + "q.fa", dir / "q.fa");
    MS_CHECK(mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    const fs::path cache = fs::path(MS_TEST_BINARY_DIR) / "alignments" / "cache";
    fs::remove_all(cache);
    ::setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    auto cram = ms::AlignmentReader::open(kTiny + "NA12878.chr22.tiny.cram", {(dir / "q.fa").string(), 0});
    ::unsetenv("XDG_CACHE_HOME");
    MS_CHECK_MSG(cram.ok(), cram.error().message);
    MS_CHECK_EQ(count(*cram), int64_t(3327));
    MS_CHECK(!fs::exists(dir / "q.fa.fai"));
}

// An index older than its BAM (the BAM rewritten after indexing) was used without a word: region
// queries counted none of a contig's new reads. Now a warning names both files and the command.
MS_TEST(an_index_older_than_its_bam_is_warned_of) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments" / "stale";
    fs::create_directories(dir);
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam", dir / "s.bam", fs::copy_options::overwrite_existing);
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam.bai", dir / "s.bam.bai", fs::copy_options::overwrite_existing);
    std::vector<std::string> said;
    ms::set_warning_handler([&](const std::string& t) { said.push_back(t); });
    auto current = ms::AlignmentReader::open((dir / "s.bam").string());
    MS_CHECK(current->query({"q", 0, 100}).ok());
    MS_CHECK(said.empty());
    const timespec older[2] = {{0, UTIME_OMIT}, {1000000000, 0}};  // 2001
    MS_CHECK(::utimensat(AT_FDCWD, (dir / "s.bam.bai").c_str(), older, 0) == 0);
    auto stale = ms::AlignmentReader::open((dir / "s.bam").string());
    MS_CHECK(stale->query({"q", 0, 100}).ok());
    // A stale .csi: remade as a .csi, or htslib would go on taking it before the new .bai.
    MS_CHECK_EQ(std::system(("samtools index -c '" + (dir / "s.bam").string() + "'").c_str()), 0);
    MS_CHECK(::utimensat(AT_FDCWD, (dir / "s.bam.csi").c_str(), older, 0) == 0);
    auto stale_csi = ms::AlignmentReader::open((dir / "s.bam").string());
    MS_CHECK(stale_csi->query({"q", 0, 100}).ok());
    ms::set_warning_handler(nullptr);
    MS_CHECK_EQ(said.size(), size_t(2));
    MS_CHECK_MSG(!said.empty() && said[0].find("is older than") != std::string::npos &&
                     said[0].find("samtools index " + (dir / "s.bam").string()) != std::string::npos,
                 (said.empty() ? std::string() : said[0]));
    MS_CHECK_MSG(said.size() == 2 && said[1].find("the index '" + (dir / "s.bam.csi").string()) != std::string::npos &&
                     said[1].find("samtools index -c " + (dir / "s.bam").string()) != std::string::npos,
                 (said.size() < 2 ? std::string() : said[1]));
    fs::remove(dir / "s.bam.csi");
}

MS_TEST(flags_mapq_and_original_orientation) {
    const fs::path sam = fs::path(MS_TEST_BINARY_DIR) / "alignments" / "flags.sam";
    fs::create_directories(sam.parent_path());
    std::ofstream(sam) << "@SQ\tSN:c\tLN:100\n"
                          "fwd\t0\tc\t1\t60\t4M\t*\t0\t0\tACGG\tABCD\n"
                          "rev\t16\tc\t11\t60\t2M1D2M\t*\t0\t0\tACGG\tABCD\n"
                          "low\t0\tc\t21\t5\t4M\t*\t0\t0\tAAAA\t*\n"
                          "sec\t256\tc\t1\t60\t4M\t*\t0\t0\tACGG\tABCD\n"
                          "sup\t2048\tc\t1\t60\t4M\t*\t0\t0\tACGG\tABCD\n"
                          "dup\t1024\tc\t1\t60\t4M\t*\t0\t0\tACGG\tABCD\n"
                          "qc\t512\tc\t1\t60\t4M\t*\t0\t0\tACGG\tABCD\n"
                          "un\t4\t*\t0\t0\t*\t*\t0\t0\tTTTT\tABCD\n";
    auto r = ms::AlignmentReader::open(sam.string());
    MS_CHECK_MSG(r.ok(), r.error().message);
    ms::AlignedRead read;
    MS_CHECK(*r->next(read));
    MS_CHECK_EQ(read.name, std::string("fwd"));
    MS_CHECK_EQ(read.sequence, std::string("ACGG"));
    MS_CHECK(*r->next(read));
    MS_CHECK_EQ(read.name, std::string("rev"));
    MS_CHECK_EQ(read.sequence, std::string("CCGT"));    // reverse complement of the stored ACGG
    MS_CHECK_EQ(read.qualities, std::string("DCBA"));
    MS_CHECK_EQ(read.end, int64_t(15));                  // 2M1D2M spans 5 reference bases
    MS_CHECK(read.blocks == (std::vector<ms::Interval>{{10, 12}, {13, 15}}));
    MS_CHECK(*r->next(read));
    MS_CHECK_EQ(read.name, std::string("low"));
    MS_CHECK(read.qualities.empty());
    MS_CHECK(*r->next(read));
    MS_CHECK_EQ(read.name, std::string("un"));
    MS_CHECK(read.unmapped());
    MS_CHECK(!*r->next(read));
    MS_CHECK_EQ(r->records_filtered(), int64_t(4));

    auto all = ms::AlignmentReader::open(sam.string());
    all->set_filter({true, true, true, true, false, 10});
    std::string names;
    while (*all->next(read)) names += read.name + " ";
    MS_CHECK_EQ(names, std::string("fwd rev sec sup dup qc "));
    // A minimum MAPQ drops unmapped reads too, as samtools view -q does (they were kept: `info
    // --min-mapq 30` still counted them; found in review).
    auto mapq = ms::AlignmentReader::open(sam.string());
    mapq->set_filter({false, false, false, false, true, 1});
    names.clear();
    while (*mapq->next(read)) names += read.name + " ";
    MS_CHECK_EQ(names, std::string("fwd rev low "));
}

// Mismatches, insertions and deletions against a reference, from the CIGAR as read from a SAM file;
// a reverse-strand read compared on the reference strand; a window that sees only part of a read.
MS_TEST(read_differences_from_cigar_and_bases) {
    const std::string ref = "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT";
    const fs::path sam = fs::path(MS_TEST_BINARY_DIR) / "alignments" / "differences.sam";
    fs::create_directories(sam.parent_path());
    // m1: 2 clipped bases, then ref[0,8) with T>C at 3 (quality '+' = 10), 2 inserted bases, ref[8,13)
    // with G>A at 10, ref 13 deleted, ref[14,18) with an N read at 15 (a no-call, reported as 'N').
    // r1: reverse strand over ref[20,24) with G>T at 22 (stored quality 'C' = 34).
    std::ofstream(sam) << "@SQ\tSN:c\tLN:40\n"
                          "m1\t0\tc\t1\t60\t2S8M2I5M1D4M\t*\t0\t0\tTTACGCACGTGGACATAGNAC\tIIIII+IIIIIIIIIIIIIII\n"
                          "r1\t16\tc\t21\t60\t4M\t*\t0\t0\tACTT\tABCD\n"
                          "nq\t0\tc\t1\t60\t4M\t*\t0\t0\tAGGT\t*\n";
    auto r = ms::AlignmentReader::open(sam.string());
    MS_CHECK_MSG(r.ok(), r.error().message);
    using K = ms::ReadDifference::Kind;
    ms::AlignedRead m1;
    MS_CHECK(*r->next(m1));
    MS_CHECK(m1.cigar == (std::vector<ms::CigarOp>{{'S', 2}, {'M', 8}, {'I', 2}, {'M', 5}, {'D', 1}, {'M', 4}}));
    const auto all = ms::read_differences(m1, ref, 0);
    MS_CHECK(all == (std::vector<ms::ReadDifference>{{K::mismatch, 3, 1, 'C', 10},
                                                     {K::insertion, 8, 2, 0, 255},
                                                     {K::mismatch, 10, 1, 'A', 40},
                                                     {K::deletion, 13, 1, 0, 255},
                                                     {K::mismatch, 15, 1, 'N', 40}}));
    // A window of [9, 14): the insertion before 9 is outside it; bases past the window are not read.
    const auto part = ms::read_differences(m1, std::string_view(ref).substr(9, 5), 9);
    MS_CHECK(part == (std::vector<ms::ReadDifference>{{K::mismatch, 10, 1, 'A', 40}, {K::deletion, 13, 1, 0, 255}}));
    MS_CHECK(ms::read_differences(m1, std::string_view(ref).substr(30, 5), 30).empty());
    ms::AlignedRead r1;
    MS_CHECK(*r->next(r1));
    MS_CHECK_EQ(r1.sequence, std::string("AAGT"));   // as sequenced; compared as stored
    MS_CHECK(ms::read_differences(r1, ref, 0) == (std::vector<ms::ReadDifference>{{K::mismatch, 22, 1, 'T', 34}}));
    ms::AlignedRead nq;
    MS_CHECK(*r->next(nq));
    MS_CHECK(ms::read_differences(nq, ref, 0) == (std::vector<ms::ReadDifference>{{K::mismatch, 1, 1, 'G', 255}}));
    nq.flag |= 0x4;   // unmapped: nothing to compare
    MS_CHECK(ms::read_differences(nq, ref, 0).empty());
}

MS_TEST(bad_alignment_files_say_what_is_wrong) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments";
    fs::create_directories(dir);
    std::ifstream in(kTiny + "NA12878.chr22.tiny.bam", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream((dir / "cut.bam").string(), std::ios::binary) << bytes.substr(0, bytes.size() - 1000);
    auto cut = ms::AlignmentReader::open((dir / "cut.bam").string());
    MS_CHECK(!cut.ok());
    MS_CHECK_MSG(cut.error().message.find("truncated") != std::string::npos, cut.error().message);
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam", dir / "noindex.bam", fs::copy_options::overwrite_existing);
    auto noidx = ms::AlignmentReader::open((dir / "noindex.bam").string());
    MS_CHECK(noidx.ok());
    auto q = noidx->query({"q", 0, 10});
    MS_CHECK(!q.ok());
    MS_CHECK_MSG(q.error().message.find("samtools index") != std::string::npos, q.error().message);
    auto other = noidx->query({"chr9", 0, 10});
    MS_CHECK(!other.ok());
}

// An index that is there but cannot be loaded is named as damaged, not missing; one made for another
// file, read through, is named beside the "truncated or corrupt" it causes (the good BAM alone was
// blamed). Both found in review.
MS_TEST(a_damaged_or_foreign_index_is_named) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "alignments_index";
    fs::create_directories(dir);
    const fs::path bam = dir / "x.bam";
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam", bam, fs::copy_options::overwrite_existing);
    std::ifstream in(kTiny + "NA12878.chr22.tiny.bam.bai", std::ios::binary);
    const std::string bai((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(bam.string() + ".bai", std::ios::binary) << bai.substr(0, 40);
    auto cut = ms::AlignmentReader::open(bam.string());
    MS_CHECK(cut.ok());
    auto q = cut->query({"q", 999, 2000});
    MS_CHECK(!q.ok());
    if (!q.ok())
        MS_CHECK_MSG(q.error().message.find("its index '" + bam.string() + ".bai' is damaged") != std::string::npos,
                     q.error().message);
    // Cut anywhere, the same (htslib 1.16 crashed on some cuts: a 40-byte one freed a garbage pointer).
    for (size_t cut_at : {size_t(0), size_t(4), size_t(8), size_t(12), size_t(40), size_t(60), bai.size() - 9}) {
        std::ofstream(bam.string() + ".bai", std::ios::binary | std::ios::trunc) << bai.substr(0, cut_at);
        auto r = ms::AlignmentReader::open(bam.string());
        MS_CHECK(r.ok());
        auto cq = r->query({"q", 999, 2000});
        MS_CHECK_MSG(!cq.ok() && cq.error().message.find("is damaged") != std::string::npos,
                     "cut at " << cut_at << ": " << (cq.ok() ? std::string("accepted") : cq.error().message));
    }
    std::ofstream(bam.string() + ".bai", std::ios::binary | std::ios::trunc) << bai;  // whole: taken
    auto whole = ms::AlignmentReader::open(bam.string());
    MS_CHECK(whole.ok() && whole->query({"q", 999, 2000}).ok() && count(*whole) == 281);
    // Another BAM's index: the same header, other records (every other one of the file's, by samtools).
    const fs::path half = dir / "half.bam";
    fs::remove(half);
    MS_CHECK_EQ(std::system(("samtools view -b -s 0.5 -o '" + half.string() + "' '" + kTiny +
                             "NA12878.chr22.tiny.bam' 2>/dev/null")
                                .c_str()),
                0);
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam.bai", half.string() + ".bai", fs::copy_options::overwrite_existing);
    fs::last_write_time(half.string() + ".bai", fs::last_write_time(half) + std::chrono::seconds(5));
    // Its offsets reach past this shorter file's end, so the query itself refuses it, naming it.
    std::string error = first_error_reading(half.string(), {"q", 0, 12356});
    MS_CHECK_MSG(error.find("its index '" + half.string() + ".bai' points past the end of '" + half.string() + "'") !=
                     std::string::npos,
                 error);
    // A longer file (every record twice, by samtools) with the first one's index: its offsets are
    // inside the file but at no record there, and reading through them is blamed on both.
    const fs::path twice = dir / "twice.bam";
    fs::remove(twice);
    MS_CHECK_EQ(std::system(("samtools merge -f -o '" + twice.string() + "' '" + kTiny + "NA12878.chr22.tiny.bam' '" +
                             kTiny + "NA12878.chr22.tiny.bam' 2>/dev/null")
                                .c_str()),
                0);
    // `index` (the first file's, newer than `twice`) as twice's only index, of the kind `suffix`;
    // the remedy named must remake that kind (htslib takes a .csi before a .bai).
    auto expect_foreign = [&](const std::string& index, const std::string& suffix, const std::string& remake) {
        for (const char* other : {".bai", ".csi"}) fs::remove(twice.string() + other);
        fs::copy_file(index, twice.string() + suffix, fs::copy_options::overwrite_existing);
        fs::last_write_time(twice.string() + suffix, fs::last_write_time(twice) + std::chrono::seconds(5));
        const std::string said = first_error_reading(twice.string(), {"q", 0, 12356});
        MS_CHECK_MSG(said.find("or its index '" + twice.string() + suffix + "' is not this file's (remake it: `" +
                               remake + twice.string() + "`)") != std::string::npos,
                     said);
    };
    expect_foreign(kTiny + "NA12878.chr22.tiny.bam.bai", ".bai", "samtools index ");
    const fs::path csi_src = dir / "csi_src.bam";
    fs::copy_file(kTiny + "NA12878.chr22.tiny.bam", csi_src, fs::copy_options::overwrite_existing);
    MS_CHECK_EQ(std::system(("samtools index -c '" + csi_src.string() + "'").c_str()), 0);
    expect_foreign(csi_src.string() + ".csi", ".csi", "samtools index -c ");
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

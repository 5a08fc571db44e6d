// VCF/BCF through htslib: records (0-based positions, IDs, multi-allelic ALTs, indels), region
// queries through tabix and CSI indexes made here with htslib's own API, REF checked against a
// FASTA with one status per record, and a table of malformed files whose messages must name the
// file and line.
#include <htslib/bgzf.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "genomics/locus.h"
#include "genomics/vcf.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

namespace {

std::string scratch(const std::string& name) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "vcf";
    fs::create_directories(dir);
    return (dir / name).string();
}

std::string write_text(const std::string& name, const std::string& text) {
    const std::string path = scratch(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// bgzip-compresses `text` to `name` and, when asked, builds its tabix index (.tbi).
std::string write_bgzip(const std::string& name, const std::string& text, bool index) {
    const std::string path = scratch(name);
    fs::remove(path + ".tbi");
    fs::remove(path + ".csi");
    BGZF* f = bgzf_open(path.c_str(), "w");
    if (!f) throw ms::test::Failure{"cannot write " + path};
    const bool wrote = bgzf_write(f, text.data(), text.size()) == ssize_t(text.size());
    if (bgzf_close(f) != 0 || !wrote) throw ms::test::Failure{"cannot bgzip " + path};
    if (index && tbx_index_build(path.c_str(), 0, &tbx_conf_vcf) != 0) throw ms::test::Failure{"tabix failed on " + path};
    return path;
}

// Converts a VCF to BCF with htslib and builds its CSI index.
std::string write_bcf(const std::string& name, const std::string& vcf_path) {
    const std::string path = scratch(name);
    fs::remove(path + ".csi");
    htsFile* in = hts_open(vcf_path.c_str(), "r");
    htsFile* out = hts_open(path.c_str(), "wb");
    if (!in || !out) throw ms::test::Failure{"cannot open for BCF conversion: " + path};
    bcf_hdr_t* hdr = bcf_hdr_read(in);
    bcf1_t* rec = bcf_init();
    bool ok = hdr && rec && bcf_hdr_write(out, hdr) == 0;
    int r = 0;
    while (ok && (r = bcf_read(in, hdr, rec)) == 0) ok = bcf_write(out, hdr, rec) == 0;
    ok = ok && r == -1;
    bcf_destroy(rec);
    bcf_hdr_destroy(hdr);
    ok = (hts_close(in) == 0) && ok;
    ok = (hts_close(out) == 0) && ok;
    if (!ok || bcf_index_build(path.c_str(), 14) != 0) throw ms::test::Failure{"cannot write or index BCF " + path};
    return path;
}

const char* kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=40>\n"
    "##contig=<ID=chr2,length=12>\n"
    "##contig=<ID=chr3,length=100>\n"
    "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA1\tNA2\n";

// chr1 = ACGTACGTAC GGTTAACCGG acgtacgtac GGGGCCCCAA (soft-masked 21..30); chr2 is 12 bp.
const char* kFasta = ">chr1\nACGTACGTACGGTTAACCGG\nacgtacgtacGGGGCCCCAA\n>chr2\nTTTTGGGGCCCC\n";

const char* kRecords =
    "chr1\t1\trs1\tA\tG\t50\tPASS\tDP=10\tGT\t0/1\t0/0\n"          // match at the first base
    "chr1\t5\t.\tACG\tA\t.\t.\t.\tGT\t0/1\t1/1\n"                    // deletion, match
    "chr1\t12\trs3;rs4\tG\tC,T,<DEL>\t.\t.\t.\tGT\t1/2\t0/3\n"       // multi-allelic, two IDs
    "chr1\t22\t.\tC\tA\t.\t.\t.\tGT\t0/1\t0/1\n"                     // soft-masked in the FASTA: still a match
    "chr1\t31\t.\tT\tTA\t.\t.\t.\tGT\t0/1\t0/1\n"                    // mismatch: the FASTA holds G
    "chr2\t11\t.\tCCC\tC\t.\t.\t.\tGT\t0/1\t0/1\n"                   // runs past chr2's end (12 bp)
    "chr3\t7\t.\tA\t.\t.\t.\t.\tGT\t0/0\t0/0\n";                     // no ALT; chr3 is not in the FASTA

std::vector<ms::VariantRecord> read_all(ms::VcfReader& r) {
    std::vector<ms::VariantRecord> out;
    ms::VariantRecord v;
    while (true) {
        auto more = r.next(v);
        if (!more) throw ms::test::Failure{more.error().message};
        if (!*more) break;
        out.push_back(v);
    }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

}  // namespace

MS_TEST(vcf_reads_records_in_order) {
    const std::string path = write_text("plain.vcf", std::string(kHeader) + kRecords);
    auto r = ms::VcfReader::open(path);
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(!r->is_bcf());
    MS_CHECK_EQ(r->contigs().size(), size_t(3));
    MS_CHECK_EQ(r->contigs()[1].name, std::string("chr2"));
    MS_CHECK_EQ(r->contigs()[1].length, int64_t(12));
    MS_CHECK_EQ(join(r->samples()), std::string("NA1,NA2"));
    const auto v = read_all(*r);
    MS_CHECK_EQ(v.size(), size_t(7));
    MS_CHECK_EQ(v[0].contig, std::string("chr1"));
    MS_CHECK_EQ(v[0].pos, int64_t(0));   // POS 1 is the first base
    MS_CHECK_EQ(v[0].id, std::string("rs1"));
    MS_CHECK_EQ(v[1].pos, int64_t(4));
    MS_CHECK_EQ(v[1].ref, std::string("ACG"));
    MS_CHECK_EQ(v[1].end(), int64_t(7));
    MS_CHECK_EQ(join(v[2].alts), std::string("C,T,<DEL>"));
    MS_CHECK_EQ(v[2].id, std::string("rs3;rs4"));
    MS_CHECK_EQ(v[4].ref, std::string("T"));
    MS_CHECK_EQ(join(v[4].alts), std::string("TA"));
    MS_CHECK_EQ(v[6].id, std::string("."));
    MS_CHECK(v[6].alts.empty());
    for (const auto& x : v) MS_CHECK(x.ref_check == ms::RefCheck::unchecked);
}

MS_TEST(vcf_checks_ref_against_fasta_per_record) {
    const std::string fa_path = write_text("ref.fa", kFasta);
    fs::remove(fa_path + ".fai");
    auto fa = ms::FastaFile::open(fa_path);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    auto r = ms::VcfReader::open(write_text("refcheck.vcf", std::string(kHeader) + kRecords));
    MS_CHECK_MSG(r.ok(), r.error().message);
    r->check_ref_against(&*fa);
    const auto v = read_all(*r);
    // Every record comes back, each with its own status: none is dropped for disagreeing.
    MS_CHECK_EQ(v.size(), size_t(7));
    const ms::RefCheck expected[] = {ms::RefCheck::match,    ms::RefCheck::match,
                                     ms::RefCheck::match,    ms::RefCheck::match,
                                     ms::RefCheck::mismatch, ms::RefCheck::past_reference_end,
                                     ms::RefCheck::contig_not_in_reference};
    for (size_t i = 0; i < v.size(); ++i)
        MS_CHECK_MSG(v[i].ref_check == expected[i], "record " << i << ": " << ms::to_string(v[i].ref_check)
                                                               << ", expected " << ms::to_string(expected[i]));
    MS_CHECK_EQ(v[4].reference_bases, std::string("G"));
    MS_CHECK(v[0].reference_bases.empty());
}

MS_TEST(vcf_queries_regions_through_tabix_and_csi) {
    const std::string text = std::string(kHeader) + kRecords;
    const std::string gz = write_bgzip("indexed.vcf.gz", text, true);
    const std::string bcf = write_bcf("indexed.bcf", gz);
    for (const std::string& path : {gz, bcf}) {
        auto r = ms::VcfReader::open(path);
        MS_CHECK_MSG(r.ok(), r.error().message);
        MS_CHECK_EQ(r->is_bcf(), path == bcf);
        // chr1:5-12 (1-based) = [4, 12): the deletion at POS 5 and the site at POS 12.
        auto q = r->query({"chr1", 4, 12});
        MS_CHECK_MSG(q.ok(), q.error().message);
        auto v = read_all(*r);
        MS_CHECK_EQ(v.size(), size_t(2));
        MS_CHECK_EQ(v[0].pos, int64_t(4));
        MS_CHECK_EQ(v[1].pos, int64_t(11));
        MS_CHECK_EQ(join(v[1].alts), std::string("C,T,<DEL>"));
        // The deletion ACG at POS 5 covers [4, 7): a query of [6, 7) overlaps its last base.
        MS_CHECK(r->query({"chr1", 6, 7}).ok());
        v = read_all(*r);
        MS_CHECK_EQ(v.size(), size_t(1));
        MS_CHECK_EQ(v[0].ref, std::string("ACG"));
        MS_CHECK(r->query({"chr3", 0, 100}).ok());
        MS_CHECK_EQ(read_all(*r).size(), size_t(1));
        // A query past every record of the contig finds nothing.
        MS_CHECK(r->query({"chr1", 35, 40}).ok());
        MS_CHECK(read_all(*r).empty());
        auto unknown = r->query({"chrZ", 0, 10});
        MS_CHECK(!unknown.ok());
        MS_CHECK_MSG(unknown.error().message.find("contig 'chrZ'") != std::string::npos, unknown.error().message);
    }
}

MS_TEST(vcf_query_of_a_header_contig_without_records_is_empty) {
    const std::string gz = write_bgzip("sparse.vcf.gz",
                                       std::string(kHeader) + "chr1\t3\t.\tG\tT\t.\t.\t.\tGT\t0/1\t0/1\n", true);
    auto r = ms::VcfReader::open(gz);
    MS_CHECK_MSG(r.ok(), r.error().message);
    auto q = r->query({"chr2", 0, 12});   // in the header, not in the index
    MS_CHECK_MSG(q.ok(), q.error().message);
    MS_CHECK(read_all(*r).empty());
}

MS_TEST(vcf_query_needs_an_index) {
    const std::string text = std::string(kHeader) + kRecords;
    auto no_index = ms::VcfReader::open(write_bgzip("unindexed.vcf.gz", text, false));
    MS_CHECK_MSG(no_index.ok(), no_index.error().message);
    auto q = no_index->query({"chr1", 0, 10});
    MS_CHECK(!q.ok());
    MS_CHECK_MSG(q.error().message.find("unindexed.vcf.gz") != std::string::npos, q.error().message);
    MS_CHECK_MSG(q.error().message.find("no index") != std::string::npos, q.error().message);
    MS_CHECK_MSG(q.error().message.find("chr1:1-10") != std::string::npos, q.error().message);
    // Reading the same file whole still works.
    MS_CHECK_EQ(read_all(*no_index).size(), size_t(7));

    auto plain = ms::VcfReader::open(write_text("plain_for_query.vcf", text));
    MS_CHECK(plain.ok());
    auto p = plain->query({"chr1", 0, 10});
    MS_CHECK(!p.ok());
    MS_CHECK_MSG(p.error().message.find("not bgzip-compressed") != std::string::npos, p.error().message);
}

MS_TEST(vcf_rejects_bad_input_naming_file_and_line) {
    struct Bad {
        const char* name;
        std::string text;
        std::vector<const char*> words;
    };
    const std::string h = kHeader;   // 7 header lines, so the first record is line 8
    const std::string good = "chr1\t1\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n";
    const std::vector<Bad> cases = {
        {"few_columns.vcf", h + good + "chr1\t2\t.\tC\n", {"line 9", "has 4 columns", "expected at least 8"}},
        {"pos_text.vcf", h + "chr1\tabc\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n", {"line 8", "malformed"}},
        {"bad_ref.vcf", h + good + good + "chr1\t3\t.\tAXG\tG\t.\t.\t.\tGT\t0/1\t0/1\n", {"line 10", "REF 'AXG'"}},
        {"pos_zero.vcf",
         h + "chr1\t0\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n",
         {"line 8", "POS must be a whole number of at least 1"}},
        // htslib reads POS up to its first non-digit (found in review: scored at 12 and 186).
        {"pos_trailing.vcf",
         h + good + "chr1\t12x\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n",
         {"line 9", "POS '12x' is not a whole number"}},
        {"pos_fraction.vcf", h + "chr1\t186.5\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n", {"line 8", "POS '186.5'"}},
        {"no_chrom_line.vcf", "##fileformat=VCFv4.2\nchr1\t1\t.\tA\tG\t.\t.\t.\n", {"header"}},
        {"empty.vcf", "", {"not VCF or BCF"}},
        {"fasta.vcf", ">chr1\nACGT\n", {"not VCF or BCF"}},
        {"binary.vcf", std::string("\x00\x01\x02\x03\xff\xfe garbage", 14), {"not VCF or BCF"}},
    };
    for (const Bad& c : cases) {
        const std::string path = write_text(c.name, c.text);
        std::string message;
        auto r = ms::VcfReader::open(path);
        if (!r) {
            message = r.error().message;
        } else {
            ms::VariantRecord v;
            while (true) {
                auto more = r->next(v);
                if (!more) { message = more.error().message; break; }
                if (!*more) break;
            }
        }
        MS_CHECK_MSG(!message.empty(), c.name << " was read without an error");
        MS_CHECK_MSG(message.find(c.name) != std::string::npos, c.name << ": " << message);
        for (const char* w : c.words)
            MS_CHECK_MSG(message.find(w) != std::string::npos, c.name << ": message \"" << message << "\" lacks \"" << w << "\"");
    }
}

MS_TEST(vcf_rejects_truncated_bgzip) {
    std::string text = kHeader;
    for (int i = 0; i < 5000; ++i) text += "chr3\t" + std::to_string(i % 90 + 1) + "\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\n";
    const std::string full = write_bgzip("full.vcf.gz", text, false);
    const std::string cut = scratch("cut.vcf.gz");
    fs::copy_file(full, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(full) * 2 / 3);
    auto r = ms::VcfReader::open(cut);
    MS_CHECK_MSG(r.ok(), r.error().message);
    ms::VariantRecord v;
    int64_t n = 0;
    std::string message;
    while (true) {
        auto more = r->next(v);
        if (!more) { message = more.error().message; break; }
        if (!*more) break;
        ++n;
    }
    MS_CHECK_MSG(!message.empty(), "a truncated VCF was read to its end (" << n << " records)");
    MS_CHECK_MSG(message.find("cut.vcf.gz") != std::string::npos, message);
    MS_CHECK_MSG(message.find("truncated") != std::string::npos, message);
}

MS_TEST(vcf_rejects_missing_files) {
    auto r = ms::VcfReader::open(scratch("absent.vcf"));
    MS_CHECK(!r.ok());
    MS_CHECK(r.error().message.find("absent.vcf") != std::string::npos);
    auto d = ms::VcfReader::open(fs::path(MS_TEST_BINARY_DIR).string());
    MS_CHECK(!d.ok());
    MS_CHECK(d.error().message.find("folder") != std::string::npos);
}

// Real data: freebayes' examples/tiny (tests/data/genomics/README.md), calls made by freebayes
// on NA12878 reads against the 12,356 bp reference q.fa, and the same sequence renamed to an HLA
// allele (a contig name holding ':' and '*') in hla.fa.
static std::string tiny(const std::string& name) { return std::string(MS_TEST_DATA_DIR) + "/genomics/freebayes_tiny/" + name; }

MS_TEST(vcf_real_freebayes_calls_match_their_reference) {
    auto fa = ms::FastaFile::open(tiny("q.fa"));
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    auto r = ms::VcfReader::open(tiny("q.vcf.gz"));
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK_EQ(r->contigs().size(), size_t(1));
    MS_CHECK_EQ(r->contigs()[0].name, std::string("q"));
    MS_CHECK_EQ(r->contigs()[0].length, int64_t(12356));
    MS_CHECK_EQ(join(r->samples()), std::string("1"));
    r->check_ref_against(&*fa);
    const auto v = read_all(*r);
    MS_CHECK_EQ(v.size(), size_t(16));
    MS_CHECK_EQ(v[0].pos, int64_t(185));   // POS 186
    MS_CHECK_EQ(v[0].ref + ">" + join(v[0].alts), std::string("T>C"));
    MS_CHECK_EQ(v[7].pos, int64_t(5637));
    MS_CHECK_EQ(v[7].ref + ">" + join(v[7].alts), std::string("CAT>C"));   // a deletion
    MS_CHECK_EQ(v[10].ref, std::string("GTTCT"));
    for (const auto& x : v)
        MS_CHECK_MSG(x.ref_check == ms::RefCheck::match, x.contig << ":" << x.pos + 1 << " " << ms::to_string(x.ref_check));

    // Against another genome every record says so: none is dropped, none passes as checked.
    auto other = ms::FastaFile::open(tiny("hla.fa"));
    MS_CHECK_MSG(other.ok(), other.error().message);
    auto again = ms::VcfReader::open(tiny("q.vcf.gz"));
    MS_CHECK(again.ok());
    again->check_ref_against(&*other);
    const auto w = read_all(*again);
    MS_CHECK_EQ(w.size(), size_t(16));
    for (const auto& x : w) MS_CHECK(x.ref_check == ms::RefCheck::contig_not_in_reference);
}

MS_TEST(vcf_real_region_query_through_its_tabix_index) {
    auto fa = ms::FastaFile::open(tiny("q.fa"));
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    auto region = ms::parse_locus("q:5,000-10,000", ms::ContigList(fa->records()));
    MS_CHECK_MSG(region.ok(), region.error().message);
    auto r = ms::VcfReader::open(tiny("q.vcf.gz"));
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(r->query(*region).ok());
    const auto v = read_all(*r);
    std::vector<std::string> positions;
    for (const auto& x : v) positions.push_back(std::to_string(x.pos + 1));
    MS_CHECK_EQ(join(positions), std::string("5009,5638,6418,8846,9251,9791"));
}

MS_TEST(vcf_real_contig_name_with_colons) {
    auto fa = ms::FastaFile::open(tiny("hla.fa"));
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    MS_CHECK_EQ(fa->records()[0].name, std::string("HLA-DRB1*16:02:01"));
    const ms::ContigList contigs(fa->records());
    auto region = ms::parse_locus("{HLA-DRB1*16:02:01}:900-11,000", contigs);
    MS_CHECK_MSG(region.ok(), region.error().message);
    auto r = ms::VcfReader::open(tiny("hla.vcf.gz"));
    MS_CHECK_MSG(r.ok(), r.error().message);
    // hla.vcf.gz has no ##contig lines; htslib's header reader adds the contigs named in the
    // tabix index beside the file, without lengths.
    MS_CHECK_EQ(r->contigs().size(), size_t(1));
    MS_CHECK_EQ(r->contigs()[0].name, std::string("HLA-DRB1*16:02:01"));
    MS_CHECK_EQ(r->contigs()[0].length, int64_t(0));
    r->check_ref_against(&*fa);
    MS_CHECK(r->query(*region).ok());
    const auto v = read_all(*r);
    MS_CHECK_EQ(v.size(), size_t(2));
    MS_CHECK_EQ(v[0].contig, std::string("HLA-DRB1*16:02:01"));
    MS_CHECK_EQ(v[0].pos, int64_t(999));
    MS_CHECK_EQ(v[1].pos, int64_t(10999));
    for (const auto& x : v) MS_CHECK(x.ref_check == ms::RefCheck::match);
}

// Another file's index beside a VCF (a subset's .tbi copied next to the whole file) sends a query to
// offsets that are no records there: the error names the index as a suspect, as the BAM reader
// does (it blamed the good file alone: "truncated or its compression is corrupt"; found in review).
MS_TEST(a_query_through_another_files_index_names_the_index) {
    std::string text;
    {
        BGZF* in = bgzf_open(tiny("q.vcf.gz").c_str(), "r");
        MS_CHECK(in != nullptr);
        char buf[4096];
        ssize_t n;
        while ((n = bgzf_read(in, buf, sizeof buf)) > 0) text.append(buf, size_t(n));
        bgzf_close(in);
    }
    // The header, then the records up to position 3,000 in a block of their own (as bcftools writes
    // them): the subset's offsets land inside the whole file's one block.
    std::string header, records;
    size_t at = 0;
    while (at < text.size()) {
        const size_t end = text.find('\n', at);
        const std::string line = text.substr(at, end - at + 1);
        at = end == std::string::npos ? text.size() : end + 1;
        if (line[0] == '#')
            header += line;
        else if (std::stol(line.substr(line.find('\t') + 1)) <= 3000)
            records += line;
    }
    const std::string sub = scratch("subset.vcf.gz"), whole = scratch("whole.vcf.gz");
    {
        BGZF* f = bgzf_open(sub.c_str(), "w");
        MS_CHECK(f != nullptr && bgzf_write(f, header.data(), header.size()) == ssize_t(header.size()) &&
                 bgzf_flush(f) == 0 && bgzf_write(f, records.data(), records.size()) == ssize_t(records.size()) &&
                 bgzf_close(f) == 0);
        fs::remove(sub + ".tbi");
        MS_CHECK(tbx_index_build(sub.c_str(), 0, &tbx_conf_vcf) == 0);
    }
    fs::copy_file(tiny("q.vcf.gz"), whole, fs::copy_options::overwrite_existing);
    fs::copy_file(sub + ".tbi", whole + ".tbi", fs::copy_options::overwrite_existing);
    auto r = ms::VcfReader::open(whole);
    MS_CHECK_MSG(r.ok(), r.error().message);
    auto q = r->query({"q", 4999, 9000});
    MS_CHECK_MSG(q.ok(), q.error().message);
    ms::VariantRecord v;
    ms::Result<bool> got = true;
    while (got && *got) got = r->next(v);
    MS_CHECK_MSG(!got && got.error().message.find("or its index '" + whole +
                                                  ".tbi' is not this file's (remake it: "
                                                  "`tabix -f -p vcf " +
                                                  whole + "`)") != std::string::npos,
                 (got ? std::string("read without an error") : got.error().message));
}

// A header whose ##contig lines number themselves (IDX=) with a gap is refused: htslib's
// bcf_hdr_seqnames failed an assertion on it and aborted the process (found by fuzz_vcf).
MS_TEST(vcf_contig_numbers_with_a_gap_are_refused) {
    const std::string path = write_text("idx_gap.vcf",
                                        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=100>\n"
                                        "##contig=<ID=chr2,length=100,IDX=5>\n"
                                        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    auto r = ms::VcfReader::open(path);
    MS_CHECK(!r.ok());
    if (!r.ok())
        MS_CHECK_MSG(r.error().message.find("with a gap: no contig has number 1") != std::string::npos,
                     r.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

MS_TEST(vcf_region_contigs_without_contig_lines_or_lengths) {
    // A VCF whose header has no ##contig lines (chr2 only in its records and index) and one whose
    // line gives no length: a region on either reads its records, with no length invented
    // (`info --region chr1` found 0 records, and chr1:100-200 was "past the end of a 0-base contig").
    const std::string body =
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t150\t.\tA\tG\t.\t.\t.\nchr1\t5000\t.\tC\tT\t.\t.\t.\nchr2\t7\t.\tG\tA\t.\t.\t.\n";
    for (const std::string& head :
         {std::string("##fileformat=VCFv4.2\n"), std::string("##fileformat=VCFv4.2\n##contig=<ID=chr1>\n")}) {
        const std::string gz = write_bgzip(
            head.find("contig") != std::string::npos ? "nolength.vcf.gz" : "nocontig.vcf.gz", head + body, true);
        auto r = ms::VcfReader::open(gz);
        MS_CHECK_MSG(r.ok(), r.error().message);
        const auto contigs = r->region_contigs("chr1");
        MS_CHECK_MSG(contigs.ok(), contigs.error().message);
        MS_CHECK_EQ(contigs->size(), 2u);
        for (const ms::SequenceRecord& c : *contigs) MS_CHECK_EQ(c.length, ms::kUnknownLength);
        const ms::ContigList list(*contigs);
        for (const auto& [locus, expected] :
             std::vector<std::pair<std::string, int>>{{"chr1", 2}, {"chr1:100-200", 1}, {"chr2", 1}}) {
            auto region = ms::parse_locus(locus, list);
            MS_CHECK_MSG(region.ok(), region.error().message);
            MS_CHECK(r->query(*region).ok());
            int n = 0;
            ms::VariantRecord v;
            while (*r->next(v)) ++n;
            MS_CHECK_EQ(n, expected);
        }
        MS_CHECK_EQ(ms::format_locus(*ms::parse_locus("chr1", list)), std::string("chr1"));
        MS_CHECK_EQ(ms::format_locus(*ms::parse_locus("chr1:5,000-", list)), std::string("chr1:5,000-"));
    }
}

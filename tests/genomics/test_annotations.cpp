// BED/GFF3 annotations: htslib-test's Vega GFF3 extract (ARSE, chrX), read whole and through a
// tabix index made here; search by Name/ID; errors naming the line.
#include <htslib/bgzf.h>
#include <htslib/tbx.h>

#include <filesystem>
#include <fstream>

#include "genomics/annotations.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

static const std::string kGff = std::string(MS_TEST_DATA_DIR) + "/genomics/htslib_test/gff_file.gff";

MS_TEST(gff3_whole_file_and_search) {
    auto set = ms::AnnotationSet::load(kGff);
    MS_CHECK_MSG(set.ok(), set.error().message);
    MS_CHECK(set->format() == ms::AnnotationFormat::gff3);
    MS_CHECK_EQ(set->features().size(), size_t(62));
    auto genes = set->find("otthumg00000137358");   // case ignored
    MS_CHECK(!genes.empty());
    MS_CHECK_EQ(genes[0]->type, std::string("gene"));   // the exact ID first, then its children by substring
    MS_CHECK_EQ(genes[0]->region.begin, int64_t(2934815));   // GFF3 start 2934816, 1-based
    MS_CHECK_EQ(genes[0]->region.end, int64_t(2964270));
    MS_CHECK_EQ(genes[0]->strand, '-');
    MS_CHECK(set->find("OTTHUMT00000055643").size() >= 1);
    MS_CHECK(set->find("no-such-gene").empty());
    MS_CHECK_EQ(set->overlapping({"X", 2934815, 2934816}).size(), size_t(3));   // exon, gene, transcript
}

MS_TEST(gff3_region_through_tabix) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "annotations";
    fs::create_directories(dir);
    const std::string gz = (dir / "genes.gff.gz").string();
    std::ifstream in(kGff);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    BGZF* f = bgzf_open(gz.c_str(), "w");
    MS_CHECK_EQ(bgzf_write(f, text.data(), text.size()), ssize_t(text.size()));
    MS_CHECK_EQ(bgzf_close(f), 0);
    MS_CHECK_EQ(tbx_index_build(gz.c_str(), 0, &tbx_conf_gff), 0);
    auto all = ms::AnnotationSet::load(kGff);
    auto part = ms::AnnotationSet::load_region(gz, {"X", 2934815, 2935190});
    MS_CHECK_MSG(part.ok(), part.error().message);
    MS_CHECK_EQ(part->features().size(), all->overlapping({"X", 2934815, 2935190}).size());
    MS_CHECK(!part->features().empty());
    auto plain = ms::AnnotationSet::load_region(kGff, {"X", 0, 10});
    MS_CHECK(!plain.ok());
    MS_CHECK(plain.error().message.find("bgzip") != std::string::npos);
}

MS_TEST(bed_features_and_errors) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "annotations";
    fs::create_directories(dir);
    const std::string bed = (dir / "f.bed").string();
    std::ofstream(bed) << "track name=x\nchr1\t10\t20\tBRCA2\t0\t+\nchr1\t30\t40\tbrca1-like\n";
    auto set = ms::AnnotationSet::load(bed);
    MS_CHECK_MSG(set.ok(), set.error().message);
    MS_CHECK_EQ(set->find("brca").size(), size_t(2));
    MS_CHECK_EQ(set->features()[0].strand, '+');
    const std::string bad = (dir / "bad.gff3").string();
    std::ofstream(bad) << "##gff-version 3\nX\tsrc\tgene\t100\t50\t.\t+\t.\tID=g\n";
    auto e = ms::AnnotationSet::load(bad);
    MS_CHECK(!e.ok());
    MS_CHECK_MSG(e.error().message.find("bad.gff3' line 2: end 50 is before start 100") != std::string::npos,
                 e.error().message);
    // Sniffed for its format, then read: a device or pipe is refused as the other readers refuse it.
    auto dev = ms::AnnotationSet::load("/dev/null");
    MS_CHECK(!dev.ok());
    MS_CHECK_MSG(dev.error().message.find("annotations '/dev/null' is a device, not a file") != std::string::npos,
                 dev.error().message);
}

// GFF3 and BED annotation files without line ends stop at the line limit with file and line named.
// GTF (Ensembl, GENCODE): a gene, its transcript and their parts, named by gene_name; found by its
// .gtf name, and by its content under a .gff name (Ensembl names its GTF .gff at times, which was
// read as GFF3 with empty names). A GFF3 named .gff3.bgz was read as BED (found in review).
MS_TEST(gtf_genes_transcripts_and_parts) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "annotations";
    fs::create_directories(dir);
    const std::string gtf =
        "#!genome-build test\n"
        "c1\tensembl\tgene\t101\t900\t.\t-\t.\tgene_id \"G1\"; gene_name \"abcA\"; gene_biotype \"protein_coding\";\n"
        "c1\tensembl\ttranscript\t101\t900\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T1\"; gene_name \"abcA\"; "
        "transcript_name \"abcA-201\";\n"
        "c1\tensembl\texon\t101\t300\t.\t-\t.\tgene_id \"G1\"; transcript_id \"T1\"; exon_number \"2\"; gene_name "
        "\"abcA\";\n"
        "c1\tensembl\tCDS\t150\t300\t.\t-\t0\tgene_id \"G1\"; transcript_id \"T1\"; gene_name \"abcA\";\n";
    for (const char* name : {"genes.gtf", "ensembl.gff"}) {
        std::ofstream(dir / name) << gtf;
        auto fmt = ms::annotation_format((dir / name).string());
        MS_CHECK_MSG(fmt.ok() && *fmt == ms::AnnotationFormat::gtf, name);
        auto set = ms::AnnotationSet::load((dir / name).string());
        MS_CHECK_MSG(set.ok(), set.error().message);
        MS_CHECK_EQ(set->features().size(), size_t(4));
        const auto& f = set->features();
        MS_CHECK_EQ(f[0].id, std::string("G1"));
        MS_CHECK_EQ(f[0].name, std::string("abcA"));
        MS_CHECK_EQ(f[0].region.begin, int64_t(100));  // 1-based 101
        MS_CHECK_EQ(f[1].id, std::string("T1"));
        MS_CHECK_EQ(f[1].parent, std::string("G1"));
        MS_CHECK_EQ(f[1].name, std::string("abcA-201"));
        MS_CHECK_EQ(f[2].parent, std::string("T1"));
        MS_CHECK_EQ(f[3].type, std::string("CDS"));
        MS_CHECK_EQ(set->find("abca").front()->id, std::string("G1"));  // by name, any case
    }
    // A GFF3 without its ##gff-version line, bgzipped under .gff3.bgz.
    const std::string bgz = (dir / "noversion.gff3.bgz").string();
    const std::string gff = "c1\tsrc\tgene\t5\t50\t.\t+\t.\tID=g2;Name=xyzB\n";
    BGZF* z = bgzf_open(bgz.c_str(), "w");
    MS_CHECK_EQ(bgzf_write(z, gff.data(), gff.size()), ssize_t(gff.size()));
    MS_CHECK_EQ(bgzf_close(z), 0);
    auto fmt = ms::annotation_format(bgz);
    MS_CHECK(fmt.ok() && *fmt == ms::AnnotationFormat::gff3);
    auto set = ms::AnnotationSet::load(bgz);
    MS_CHECK_MSG(set.ok(), set.error().message);
    MS_CHECK_EQ(set->features().at(0).name, std::string("xyzB"));
}

// BED as `score --bed` reads it: space-separated columns, UCSC browser and track lines.
MS_TEST(bed_with_spaces_and_browser_lines) {
    const fs::path path = fs::path(MS_TEST_BINARY_DIR) / "annotations" / "spaces.bed";
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "browser\tposition c1:1-1000\ntrack name=x\nc1 100 200 r1 0 +\n";
    auto set = ms::AnnotationSet::load(path.string());
    MS_CHECK_MSG(set.ok(), set.error().message);
    MS_CHECK_EQ(set->features().size(), size_t(1));
    MS_CHECK_EQ(set->features()[0].name, std::string("r1"));
    MS_CHECK_EQ(set->features()[0].strand, '+');
}

MS_TEST(annotation_line_length_limit) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "annotations";
    fs::create_directories(dir);
    const std::string gff = (dir / "endless.gff3").string();
    std::ofstream(gff) << "##gff-version 3\nX\tsrc\tgene\t1\t50\t.\t+\t.\tNote=" << std::string(2 << 20, 'x');
    auto e = ms::AnnotationSet::load(gff);
    MS_CHECK(!e.ok());
    MS_CHECK_MSG(e.error().message.find("GFF3 '" + gff + "' line 2: longer than 1 MiB") != std::string::npos,
                 e.error().message);
    const std::string bed = (dir / "endless.bed").string();
    std::ofstream(bed) << std::string(2 << 20, 'c');
    auto b = ms::AnnotationSet::load(bed);
    MS_CHECK(!b.ok());
    MS_CHECK_MSG(b.error().message.find("endless.bed' line 1: longer than 1 MiB") != std::string::npos, b.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

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
}

// GFF3 and BED annotation files without line ends stop at the line limit with file and line named.
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

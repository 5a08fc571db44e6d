// BED region lists: what is read (0-based half-open, names, skipped lines, plain and bgzip), and a
// table of bad files, each with the line and words its message must hold.
#include <htslib/bgzf.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "genomics/bed.h"
#include "genomics/text_lines.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

static std::string scratch(const std::string& name) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "bed";
    fs::create_directories(dir);
    return (dir / name).string();
}

static std::string write_text(const std::string& name, const std::string& text) {
    const std::string path = scratch(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

static const ms::ContigList& contigs() {
    static const ms::ContigList list({{"chr1", 1000}, {"chr2", 50}});
    return list;
}

static const char* kGood =
    "# regions of interest\n"
    "browser position chr1:1-100\n"
    "track name=roi description=\"test\"\n"
    "\n"
    "chr1\t0\t100\n"
    "chr1\t200\t300\tpromoter\t0\t+\n"
    "chr2\t10\t10\tinsertion\r\n"   // zero length, CRLF
    "chr2 40 50 spaced\n";          // whitespace-separated, as UCSC also reads

static void check_good(const std::vector<ms::BedRegion>& r) {
    MS_CHECK_EQ(r.size(), size_t(4));
    MS_CHECK(r[0].region == (ms::Region{"chr1", 0, 100}));
    MS_CHECK_EQ(r[0].name, std::string());
    MS_CHECK_EQ(r[0].line, int64_t(5));
    MS_CHECK(r[1].region == (ms::Region{"chr1", 200, 300}));
    MS_CHECK_EQ(r[1].name, std::string("promoter"));
    MS_CHECK_EQ(r[1].strand, '+');
    MS_CHECK_EQ(r[0].strand, '.');
    MS_CHECK(r[2].region == (ms::Region{"chr2", 10, 10}));
    MS_CHECK_EQ(r[2].name, std::string("insertion"));
    MS_CHECK(r[3].region == (ms::Region{"chr2", 40, 50}));
    MS_CHECK_EQ(r[3].name, std::string("spaced"));
    MS_CHECK_EQ(r[3].line, int64_t(8));
}

MS_TEST(bed_reads_regions_and_skips_headers) {
    const std::string path = write_text("good.bed", kGood);
    auto r = ms::read_bed(path);
    MS_CHECK_MSG(r.ok(), r.error().message);
    check_good(*r);
    auto checked = ms::read_bed(path, contigs());
    MS_CHECK_MSG(checked.ok(), checked.error().message);
    check_good(*checked);
}

// A UTF-8 byte order mark before the first line (spreadsheet programs write one) was read as part
// of the contig name: "unknown contig 'chr1'" with the mark invisible (found in review).
MS_TEST(bed_skips_a_byte_order_mark) {
    const std::string path = write_text("bom.bed", std::string("\xEF\xBB\xBF") + kGood);
    auto r = ms::read_bed(path, contigs());
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK_EQ(r->size(), size_t(4));
    const std::string first_line = write_text("bom1.bed",
                                              "\xEF\xBB\xBF"
                                              "chr1\t10\t50\n");
    r = ms::read_bed(first_line, contigs());
    MS_CHECK_MSG(r.ok() && r->size() == 1 && (*r)[0].region == (ms::Region{"chr1", 10, 50}),
                 r.ok() ? "" : r.error().message);
}

MS_TEST(bed_reads_bgzip) {
    const std::string path = scratch("good.bed.gz");
    BGZF* f = bgzf_open(path.c_str(), "w");
    MS_CHECK(f != nullptr);
    MS_CHECK(bgzf_write(f, kGood, std::strlen(kGood)) == ssize_t(std::strlen(kGood)));
    MS_CHECK(bgzf_close(f) == 0);
    auto r = ms::read_bed(path, contigs());
    MS_CHECK_MSG(r.ok(), r.error().message);
    check_good(*r);
}

MS_TEST(bed_empty_file_has_no_regions) {
    auto r = ms::read_bed(write_text("empty.bed", ""));
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(r->empty());
}

MS_TEST(bed_rejects_bad_lines_naming_file_and_line) {
    struct Bad {
        const char* name;
        std::string text;
        bool with_contigs;
        std::vector<const char*> words;
    };
    const std::vector<Bad> cases = {
        {"end_before_start.bed", "chr1\t0\t10\nchr1\t500\t400\n", false, {"line 2", "end 400 is before start 500"}},
        {"start_text.bed", "chr1\tten\t20\n", false, {"line 1", "start 'ten' is not a whole number"}},
        {"end_text.bed", "# c\nchr1\t10\t2e3\n", false, {"line 2", "end '2e3' is not a whole number"}},
        {"negative.bed", "chr1\t-5\t20\n", false, {"line 1", "start '-5'"}},
        {"two_columns.bed", "chr1\t0\t5\nchr1\t100\n", false, {"line 2", "has 2 columns", "expected at least 3"}},
        {"one_column.bed", "chr1\n", false, {"line 1", "has 1 column;"}},
        {"empty_start.bed", "chr1\t\t5\n", false, {"line 1", "start ''"}},
        {"empty_contig.bed", "\t1\t5\n", false, {"line 1", "contig name (column 1) is empty"}},
        {"unknown_contig.bed", "chr1\t0\t5\nchrUn\t0\t5\n", true, {"line 2", "unknown contig 'chrUn'"}},
        {"past_end.bed", "chr2\t0\t51\n", true, {"line 1", "end 51 is past the end of contig 'chr2'", "50 bases"}},
        {"binary.bed", std::string("chr1\t0\t5\n\x1f\x8b\x00\x00garbage\n", 20), false, {"line 2"}},
    };
    for (const Bad& c : cases) {
        const std::string path = write_text(c.name, c.text);
        auto r = ms::read_bed(path, c.with_contigs ? contigs() : ms::ContigList());
        MS_CHECK_MSG(!r.ok(), c.name << " was accepted");
        MS_CHECK_MSG(r.error().message.find(c.name) != std::string::npos, c.name << ": " << r.error().message);
        for (const char* w : c.words)
            MS_CHECK_MSG(r.error().message.find(w) != std::string::npos,
                         c.name << ": message \"" << r.error().message << "\" lacks \"" << w << "\"");
    }
}

// A file without line ends is refused once a line passes the limit (1 MiB), naming file and line;
// a line just under it, and a last line without '\n', are read.
MS_TEST(bed_line_length_limit) {
    std::string text = "chr1\t0\t5\n";
    text += "chr1\t10\t20\t" + std::string(ms::kMaxTextLineBytes - 12, 'n') + "\n";   // a byte under the limit
    text += "chr1\t30\t40";                                                         // no final line end
    auto r = ms::read_bed(write_text("long_ok.bed", text));
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK_EQ(r->size(), size_t(3));
    MS_CHECK_EQ(r->back().region.end, int64_t(40));
    const std::string endless = write_text("endless.bed", "chr1\t0\t5\n" + std::string(3 << 20, 'A'));
    auto e = ms::read_bed(endless);
    MS_CHECK(!e.ok());
    MS_CHECK_MSG(e.error().message.find("endless.bed' line 2: longer than 1 MiB") != std::string::npos, e.error().message);
}

MS_TEST(bed_rejects_missing_files_and_folders) {
    auto missing = ms::read_bed(scratch("absent.bed"));
    MS_CHECK(!missing.ok());
    MS_CHECK(missing.error().message.find("absent.bed") != std::string::npos);
    auto folder = ms::read_bed(fs::path(MS_TEST_BINARY_DIR).string());
    MS_CHECK(!folder.ok());
    MS_CHECK(folder.error().message.find("folder") != std::string::npos);
}

MS_TEST(bed_rejects_truncated_bgzip) {
    const std::string full = scratch("full.bed.gz");
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "chr1\t" + std::to_string(i % 900) + "\t" + std::to_string(i % 900 + 5) + "\n";
    BGZF* f = bgzf_open(full.c_str(), "w");
    MS_CHECK(f != nullptr);
    MS_CHECK(bgzf_write(f, text.data(), text.size()) == ssize_t(text.size()));
    MS_CHECK(bgzf_close(f) == 0);
    const std::string cut = scratch("cut.bed.gz");
    fs::copy_file(full, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(full) / 2);
    auto r = ms::read_bed(cut);
    MS_CHECK_MSG(!r.ok(), "a truncated bgzip BED was read as " << r->size() << " regions");
    MS_CHECK(r.error().message.find("cut.bed.gz") != std::string::npos);
    MS_CHECK(r.error().message.find("truncated") != std::string::npos);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

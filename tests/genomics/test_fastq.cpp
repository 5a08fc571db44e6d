// FASTQ: a real gzip file from smalt-examples (500 reads of 100 bp), wrapped records, and errors
// that name the record and line.
#include <filesystem>
#include <fstream>

#include "genomics/fastq.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

static std::string scratch(const std::string& name, const std::string& text) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "fastq";
    fs::create_directories(dir);
    std::ofstream((dir / name).string(), std::ios::binary) << text;
    return (dir / name).string();
}

MS_TEST(fastq_gzip_real_reads) {
    auto r = ms::FastqReader::open(std::string(MS_TEST_DATA_DIR) + "/genomics/smalt/hs37l100i300e05q_trunc_nonam_1.fq.gz");
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(r->compression() == ms::Compression::gzip);
    ms::FastqRecord rec;
    MS_CHECK(*r->next(rec));
    MS_CHECK_EQ(rec.name, std::string("SIM_000000000/1"));
    MS_CHECK_EQ(rec.sequence.substr(0, 10), std::string("ATTTAACTTT"));
    MS_CHECK_EQ(rec.qualities.size(), size_t(100));
    while (*r->next(rec)) MS_CHECK_EQ(rec.sequence.size(), size_t(100));
    MS_CHECK_EQ(r->records_read(), int64_t(500));
}

MS_TEST(fastq_wrapped_and_crlf_records) {
    auto r = ms::FastqReader::open(scratch("wrap.fq", "@a desc\r\nACG\r\nTA\r\n+\r\nIII\r\nII\r\n\n@b\nNN\n+b\n!~\n"));
    ms::FastqRecord rec;
    MS_CHECK(*r->next(rec));
    MS_CHECK_EQ(rec.sequence, std::string("ACGTA"));
    MS_CHECK_EQ(rec.qualities, std::string("IIIII"));
    MS_CHECK_EQ(rec.description, std::string("desc"));
    MS_CHECK(*r->next(rec));
    MS_CHECK_EQ(rec.name, std::string("b"));
    MS_CHECK(!*r->next(rec));
}

// An empty FASTQ (a demultiplexer's barcode without reads) holds no reads; it is not an error.
MS_TEST(fastq_empty_file_has_no_reads) {
    for (const char* text : {"", "\n\n"}) {
        auto r = ms::FastqReader::open(scratch("empty.fq", text));
        MS_CHECK_MSG(r.ok(), r.error().message);
        ms::FastqRecord rec;
        auto more = r->next(rec);
        MS_CHECK_MSG(more.ok() && !*more, more.ok() ? "a record" : more.error().message);
    }
}

MS_TEST(fastq_errors_name_record_and_line) {
    struct Case {
        const char* text;
        const char* expect;
    } cases[] = {
        {">a\nACGT\n", "record 1 (line 1): expected an '@' header line"},
        {"@a\nACGT\n+\nII\n", "record 1 (line 4): the file ends after 2 of 4 quality values"},
        {"@a\nACGT\n+\nIIIIII\n", "record 1 (line 4): 6 quality values for 4 bases"},
        {"@a\nACGT\n", "record 1 (line 2): the file ends inside the record"},
        // A short quality line: the next header was counted as qualities and blamed as "11 quality
        // values for 8 bases" at the line after it (found in review).
        {"@a\nACGTACGT\n+\nIIII\n@b\nACGT\n+\nIIII\n",
         "record 1 (line 6): only 4 quality values for 8 bases before line 5, \"@b\", which looks like the next "
         "record's header"},
        {"@a\nAC\n+\nII\n@b\nA1\n+\nII\n", "record 2 (line 6): unexpected character in the bases at column 2"},
        {"@a\nAC\n+\nI \n", "quality column 2 is not a Phred+33 character"},
    };
    for (const Case& c : cases) {
        auto r = ms::FastqReader::open(scratch("bad.fq", c.text));
        ms::FastqRecord rec;
        std::string error;
        while (true) {
            auto more = r->next(rec);
            if (!more) {
                error = more.error().message;
                break;
            }
            if (!*more) break;
        }
        MS_CHECK_MSG(error.find(c.expect) != std::string::npos && error.find("bad.fq") != std::string::npos,
                     std::string(c.text) + " -> '" + error + "'");
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

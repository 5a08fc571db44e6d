// FASTA through htslib: index building, fetches with 0-based half-open coordinates, and errors
// that name the file and record.
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "genomics/fasta.h"
#include "genomics/locus.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

static std::string scratch(const std::string& name) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "fasta";
    fs::create_directories(dir);
    return (dir / name).string();
}

MS_TEST(fasta_builds_index_and_fetches_regions) {
    const std::string path = scratch("two.fa");
    std::filesystem::remove(path + ".fai");
    { std::ofstream(path) << ">chr1 first\nACGTACGTAC\nGGNNnnacgt\nAC\n>chr2\nTTTT\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    MS_CHECK_EQ(fa->records().size(), size_t(2));
    MS_CHECK_EQ(fa->records()[0].name, std::string("chr1"));
    MS_CHECK_EQ(fa->records()[0].length, int64_t(22));
    MS_CHECK(fs::exists(path + ".fai"));
    auto r = fa->fetch("chr1", 8, 14);   // crosses a line break; soft-masking kept
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK_EQ(*r, std::string("ACGGNN"));
    MS_CHECK_EQ(*fa->fetch_all("chr2"), std::string("TTTT"));
    const ms::Composition c = ms::composition(*fa->fetch_all("chr1"));
    MS_CHECK_EQ(c.n, int64_t(4));
    MS_CHECK_EQ(c.soft_masked, int64_t(6));
    MS_CHECK_EQ(c.gc + c.at, int64_t(18));
}

// A record over 2^31 - 1 bases keeps its length: htslib 1.16's faidx_seq_len returns an int and
// gave 16 for this one. The FASTA is sparse (4 GiB of holes) with a one-line-record index beside it,
// so the test writes a few bytes; nothing reads the bases.
MS_TEST(fasta_record_longer_than_int_keeps_its_length) {
    const std::string path = scratch("huge_record.fa");
    const int64_t length = (int64_t(1) << 32) + 16;
    { std::ofstream(path) << ">huge\n"; }
    fs::resize_file(path, uintmax_t(6 + length + 1));   // header, bases, final newline
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(6 + length);
        f.put('\n');
    }
    { std::ofstream(path + ".fai") << "huge\t" << length << "\t6\t" << length << "\t" << length + 1 << "\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    MS_CHECK_EQ(fa->records().size(), size_t(1));
    MS_CHECK_EQ(fa->records()[0].length, length);
    fs::remove(path);
    fs::remove(path + ".fai");
}

// A file without a final newline whose last record fills its last line exactly (any one-line
// record written without a newline): the index check counted a terminator the file does not have
// and refused a valid FASTA (found in review).
MS_TEST(fasta_without_final_newline_opens) {
    for (const char* text :
         {">a\nACGTACGTAC", ">a\nACGTA\nCGTAC", ">x\nGG\n>a\nACGTA\nCGTAC", ">a\r\nACGTA\r\nCGTAC"}) {
        const std::string path = scratch("nonl.fa");
        fs::remove(path + ".fai");
        { std::ofstream(path, std::ios::binary) << text; }
        for (int pass = 0; pass < 2; ++pass) {  // building the index, then checking the one built
            auto fa = ms::FastaFile::open(path);
            MS_CHECK_MSG(fa.ok(), fa.error().message);
            MS_CHECK_EQ(*fa->fetch_all("a"), std::string("ACGTACGTAC"));
        }
    }
}

// An index newer than its FASTA but describing a shorter record (the record grew after indexing):
// trusted, it silently dropped the new bases (found in review).
MS_TEST(fasta_index_of_a_shorter_record_is_refused) {
    const std::string path = scratch("grown.fa");
    { std::ofstream(path) << ">a\nACGTACGTAC\nACGTA\n>b\nGGGG\n"; }
    { std::ofstream(path + ".fai") << "a\t8\t3\t10\t11\nb\t4\t23\t4\t5\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok());
    MS_CHECK_MSG(fa.error().message.find("record 'a' has more bases than its 8 (byte 11 continues the sequence)") !=
                     std::string::npos,
                 fa.error().message);
    { std::ofstream(path + ".fai") << "a\t10\t3\t10\t11\nb\t4\t23\t4\t5\n"; }  // a line short
    fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok());
    MS_CHECK_MSG(
        fa.error().message.find("record 'a' has more bases than its 10 (byte 13 continues") != std::string::npos,
        fa.error().message);
    fs::remove(path + ".fai");
}

// Two records with one name, indexed by samtools (which lists only the first, with a warning):
// trusted, the index silently left the second out of every job (found in review). Blank lines
// after the last record stay fine.
MS_TEST(a_record_the_index_does_not_list_is_refused) {
    const std::string path = scratch("dup.fa");
    // ">a\n" (3) ACGT\n (5) ">a again\n" (9) GGGG\n (5) ">b\n" (3) → b's bases at byte 25.
    { std::ofstream(path) << ">a\nACGT\n>a again\nGGGG\n>b\nTTTT\n"; }
    { std::ofstream(path + ".fai") << "a\t4\t3\t4\t5\nb\t4\t25\t4\t5\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok());
    MS_CHECK_MSG(fa.error().message.find("holds a record its index '" + path +
                                         ".fai' does not list, after record 'a': "
                                         "\">a again\"") != std::string::npos,
                 fa.error().message);
    // The same at the end: after the last listed record.
    { std::ofstream(path) << ">a\nACGT\n>b\nTTTT\n>a again\nGGGG\n"; }
    { std::ofstream(path + ".fai") << "a\t4\t3\t4\t5\nb\t4\t11\t4\t5\n"; }
    fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok() && fa.error().message.find("after record 'b'") != std::string::npos);
    { std::ofstream(path) << ">a\nACGT\n>b\nTTTT\n\n\n"; }
    {
        std::ofstream(path + ".fai") << "a\t4\t3\t4\t5\nb\t4\t11\t4\t5\n";
    }  // newer than the FASTA: checked, not rebuilt
    fa = ms::FastaFile::open(path);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    fs::remove(path + ".fai");
}

// Records with a header and no bases: htslib 1.16's index leaves them out. A second open, with the
// index the first built, refused the file as holding "a record its index does not list" (a
// regression of the check above, found in review); both opens name them for locus errors.
MS_TEST(records_without_bases_open_with_and_without_an_index) {
    const std::string path = scratch("empty_records.fa");
    fs::remove(path + ".fai");
    // e0 and e00 before the first record with bases: with the index, they were "unknown" (the gap
    // before the first indexed record was not read; found in review).
    { std::ofstream(path) << ">e0\n\n>e00\n>a\nACGT\n>e1 desc\n>e2\n\n>b\nTT\n>e3\n>c\nG\n"; }
    for (int pass = 0; pass < 2; ++pass) {
        auto fa = ms::FastaFile::open(path);
        MS_CHECK_MSG(fa.ok(), "pass " << pass << ": " << fa.error().message);
        if (!fa.ok()) return;
        MS_CHECK_EQ(fa->records().size(), size_t(3));
        MS_CHECK(fa->empty_records() == (std::vector<std::string>{"e0", "e00", "e1", "e2", "e3"}));
        MS_CHECK_EQ(*fa->fetch_all("c"), std::string("G"));
        const auto locus = ms::parse_locus("e2:1-5", ms::ContigList(fa->records(), fa->empty_records()));
        MS_CHECK_MSG(!locus.ok() && locus.error().message.find("contig 'e2' has no bases") != std::string::npos,
                     (locus.ok() ? std::string("parsed") : locus.error().message));
        const auto bases = fa->fetch_all("e1");  // forward --record e1 read "no record named 'e1'"
        MS_CHECK(!bases.ok() &&
                 bases.error().message.find("record 'e1' of '" + path + "' has no bases") != std::string::npos);
    }
    // A header longer than the check's window (5,000 bytes of description): opened again with the
    // index it built (it was refused as holding a record the index does not list; found in review).
    { std::ofstream(path) << ">a\nACGT\n>x " << std::string(5000, 'd') << "\nGGGG\n>c\nTT\n"; }
    fs::remove(path + ".fai");
    for (int pass = 0; pass < 2; ++pass) {
        auto long_header = ms::FastaFile::open(path);
        MS_CHECK_MSG(long_header.ok(), "pass " << pass << ": " << long_header.error().message);
    }
    fs::remove(path + ".fai");
    // Records without bases before a first record whose header is longer than the window: named
    // with the index too (found in review).
    { std::ofstream(path) << ">e0\n>e1\n>a " << std::string(5000, 'd') << "\nACGT\n>b\nAC\n"; }
    for (int pass = 0; pass < 2; ++pass) {
        auto first_long = ms::FastaFile::open(path);
        MS_CHECK_MSG(first_long.ok(), "pass " << pass << ": " << first_long.error().message);
        if (first_long.ok())
            MS_CHECK_MSG(first_long->empty_records() == (std::vector<std::string>{"e0", "e1"}), "pass " << pass);
    }
    fs::remove(path + ".fai");
    // CRLF line ends and a blank line after a header: htslib lists that record with no bases and no
    // line length ("e 0 4 0 2"), which was refused as a malformed index, so the file never opened
    // (found in review). It is a record without bases, with the index and without.
    { std::ofstream(path, std::ios::binary) << ">e\r\n\r\n>a\r\nACGT\r\n"; }
    fs::remove(path + ".fai");
    for (int pass = 0; pass < 2; ++pass) {
        auto crlf = ms::FastaFile::open(path);
        MS_CHECK_MSG(crlf.ok(), "pass " << pass << ": " << crlf.error().message);
        if (!crlf.ok()) continue;
        MS_CHECK_EQ(crlf->records().size(), size_t(1));
        MS_CHECK(crlf->empty_records() == std::vector<std::string>{"e"});
        MS_CHECK_EQ(*crlf->fetch_all("a"), std::string("ACGT"));
    }
    fs::remove(path + ".fai");
    // A base-less header followed by bases is a record the index does not list.
    { std::ofstream(path) << ">a\nACGT\n>e1\n>x\nGG\n>b\nTT\n"; }
    { std::ofstream(path + ".fai") << "a\t4\t3\t4\t5\nb\t2\t21\t2\t3\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK_MSG(!fa.ok() && fa.error().message.find("does not list, after record 'a': \">x\"") != std::string::npos,
                 (fa.ok() ? std::string("opened") : fa.error().message));
    fs::remove(path + ".fai");
}

// A record mixing CRLF and LF line ends (a file edited on Windows and Linux): htslib refused it
// with a leftover errno ("No such file or directory (is its folder writable?)"); the line is named
// now. Only the last line's end may differ, as faidx allows. A file of CR-only line ends is named
// as such (found in review).
MS_TEST(mixed_line_ends_are_named) {
    const std::string path = scratch("mixed.fa");
    fs::remove(path + ".fai");
    { std::ofstream(path, std::ios::binary) << ">a\r\nACGT\r\nACGT\nACGT\r\nAC\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok());
    MS_CHECK_MSG(fa.error().message.find("record 'a' line 3: ends with LF (Unix) where the record's first line ends "
                                         "with CRLF") != std::string::npos,
                 fa.error().message);
    { std::ofstream(path, std::ios::binary) << ">a\r\nACGT\r\nACGT\r\nAC\n>b\nGG\n"; }
    fa = ms::FastaFile::open(path);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    MS_CHECK_EQ(*fa->fetch("a", 0, 10), std::string("ACGTACGTAC"));
    fs::remove(path + ".fai");
    // CR alone (classic Mac OS): the whole file read as one header line, "1 record, 0 bp".
    { std::ofstream(path, std::ios::binary) << ">a sample\rACGT\rACGT\r>b\rGG\r"; }
    fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok() && fa.error().message.find("ends its lines with CR alone") != std::string::npos);
    fs::remove(path + ".fai");
}

// Blanks after a line's bases, the same number on every line but the last (some exporters pad
// lines; samtools faidx indexes such files): read as the bases alone, through a new index and
// through the existing one. Blanks before or between bases are refused: faidx indexes them too but
// then fetches wrong bases (samtools faidx of "  ACGTACGTAC" returns ACG for bases 3-5).
MS_TEST(trailing_blanks_are_read_and_inner_blanks_refused) {
    const std::string path = scratch("blanks.fa");
    fs::remove(path + ".fai");
    { std::ofstream(path, std::ios::binary) << ">a\nACGTACGTAC \nGGCCAATTGG \nAC  \n>b\nTT\t\r\nGA\t\r\nC\r\n"; }
    for (int pass = 0; pass < 2; ++pass) {  // builds the index, then checks the index it built
        auto fa = ms::FastaFile::open(path);
        MS_CHECK_MSG(fa.ok(), fa.error().message);
        if (!fa.ok()) return;
        MS_CHECK_EQ(fa->records()[0].length, int64_t(22));
        MS_CHECK_EQ(fa->records()[1].length, int64_t(5));
        MS_CHECK_EQ(*fa->fetch("a", 8, 14), std::string("ACGGCC"));
        MS_CHECK_EQ(*fa->fetch("a", 17, 22), std::string("TGGAC"));
        MS_CHECK_EQ(*fa->fetch_all("b"), std::string("TTGAC"));
    }
    auto stream = ms::FastaStream::open(path);  // what whole-genome jobs read
    MS_CHECK_MSG(stream.ok(), stream.error().message);
    std::string streamed, piece;
    while (stream.ok() && *stream->next_record()) {
        streamed += stream->name() + "=";
        while (*stream->read(piece, 3)) streamed += piece;
        streamed += ";";
    }
    MS_CHECK_EQ(streamed, std::string("a=ACGTACGTACGGCCAATTGGAC;b=TTGAC;"));
    struct Case {
        const char* text;
        const char* expect;
    } cases[] = {
        {">a\n  ACGT\n  AC\n", "record 'a' line 2: a space or tab before the base in column 3"},
        {">a\nAC GT\nAC\n", "record 'a' line 2: a space or tab before the base in column 4"},
        {">a\nACGT \nACGT  \nAC\n",
         "record 'a' line 3: 2 spaces or tabs after its bases where the record's first line has 1"},
        {">a\nACGT\n   \n>b\nAC\n", "record 'a' line 3: a line of only spaces or tabs"},
    };
    for (const Case& c : cases) {
        fs::remove(path + ".fai");
        { std::ofstream(path, std::ios::binary) << c.text; }
        auto fa = ms::FastaFile::open(path);
        MS_CHECK_MSG(!fa.ok() && fa.error().message.find(c.expect) != std::string::npos,
                     std::string("for ") + c.text + ": " + (fa.ok() ? std::string("opened") : fa.error().message));
    }
    fs::remove(path + ".fai");
}

// A .fai older than its FASTA in a folder the reader cannot write (a shared reference folder): the
// index is rebuilt in the user's cache, as when there is none (it was refused; found in review).
// Root writes any folder, so the reader drops to nobody in a child process when run as root.
MS_TEST(a_stale_index_in_a_write_protected_folder_is_rebuilt_in_the_cache) {
    char dir_t[] = "/tmp/ms-fasta-ro-XXXXXX", cache_t[] = "/tmp/ms-fasta-cache-XXXXXX";
    MS_CHECK(::mkdtemp(dir_t) && ::mkdtemp(cache_t));
    const std::string dir = dir_t, cache = cache_t, path = dir + "/g.fa";
    { std::ofstream(path + ".fai") << "a\t4\t3\t4\t5\n"; }  // written first: older than the FASTA
    const struct timeval old[2] = {{1000000000, 0}, {1000000000, 0}};
    ::utimes((path + ".fai").c_str(), old);
    { std::ofstream(path) << ">a\nACGTACGT\nAC\n"; }
    MS_CHECK(::chmod(dir.c_str(), 0555) == 0 && ::chmod(cache.c_str(), 0777) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        ::setenv("XDG_CACHE_HOME", cache.c_str(), 1);
        auto fa = ms::FastaFile::open(path);
        if (!fa) {
            std::fprintf(stderr, "%s\n", fa.error().message.c_str());
            ::_exit(1);
        }
        auto all = fa->fetch_all("a");
        ::_exit(all && *all == "ACGTACGTAC" ? 0 : 3);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::chmod(dir.c_str(), 0755);
    fs::remove_all(dir);
    fs::remove_all(cache);
    MS_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader exited with status " << status);
}

MS_TEST(fasta_errors_name_file_and_record) {
    const std::string path = scratch("one.fa");
    { std::ofstream(path) << ">only\nACGT\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK(fa.ok());
    auto missing = fa->fetch_all("chrX");
    MS_CHECK(!missing.ok());
    MS_CHECK(missing.error().message.find("chrX") != std::string::npos);
    MS_CHECK(missing.error().message.find("one.fa") != std::string::npos);
    auto outside = fa->fetch("only", 2, 9);
    MS_CHECK(!outside.ok());
    MS_CHECK(outside.error().message.find("outside") != std::string::npos);
    auto nofile = ms::FastaFile::open(scratch("absent.fa"));
    MS_CHECK(!nofile.ok());
    MS_CHECK(nofile.error().message.find("absent.fa") != std::string::npos);
}

MS_TEST(fasta_rejects_ragged_lines) {
    const std::string path = scratch("ragged.fa");
    std::filesystem::remove(path + ".fai");
    { std::ofstream(path) << ">r\nACGTACGT\nAC\nACGTACGT\n"; }
    auto fa = ms::FastaFile::open(path);
    MS_CHECK(!fa.ok());
    MS_CHECK(fa.error().message.find("ragged.fa") != std::string::npos);
}

// Jobs that open one FASTA at once each build its index under a private name and rename it into
// place, so none loads another's half-written .fai (a workflow's shards once did: "holds no
// records"). Eight threads, twenty rounds, the index removed before each.
MS_TEST(fasta_opened_at_once_by_many_jobs_builds_one_whole_index) {
    const std::string path = scratch("shared.fa");
    {
        std::ofstream out(path);
        for (int r = 0; r < 40; ++r) {
            out << ">rec" << r << "\n";
            for (int l = 0; l < 50; ++l) out << std::string(60, "ACGT"[(r + l) % 4]) << "\n";
        }
    }
    for (int round = 0; round < 20; ++round) {
        std::filesystem::remove(path + ".fai");
        std::vector<std::thread> jobs;
        std::atomic<int> good{0};
        std::vector<std::string> errors(8);
        for (int t = 0; t < 8; ++t)
            jobs.emplace_back([&, t] {
                auto f = ms::FastaFile::open(path);
                if (f && f->records().size() == 40) ++good;
                else errors[size_t(t)] = f ? "wrong record count" : f.error().message;
            });
        for (auto& j : jobs) j.join();
        for (const std::string& e : errors) MS_CHECK_MSG(e.empty(), "round " << round << ": " << e);
        MS_CHECK_EQ(good.load(), 8);
    }
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
        MS_CHECK_MSG(entry.path().string().find(".tmp-") == std::string::npos, "left behind: " << entry.path());
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

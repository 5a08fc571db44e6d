// FASTA read from start to end: plain, gzip and bgzip give the same records; CRLF; layout errors
// name the record and line; masks and N runs; the index beside the file or in the user cache.
#include <htslib/bgzf.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "genomics/fasta.h"
#include "genomics/fasta_stream.h"
#include "genomics/sequence_mask.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

static std::string scratch(const std::string& name) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "fasta_stream";
    fs::create_directories(dir);
    const std::string p = (dir / name).string();
    for (const char* ext : {"", ".fai", ".gzi"}) fs::remove(p + ext);
    return p;
}

static void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

static void write_bgzip(const std::string& path, const std::string& text) {
    BGZF* f = bgzf_open(path.c_str(), "w");
    MS_CHECK(f != nullptr);
    MS_CHECK_EQ(bgzf_write(f, text.data(), text.size()), ssize_t(text.size()));
    MS_CHECK_EQ(bgzf_close(f), 0);
}

static void write_gzip(const std::string& path, const std::string& text) {
    gzFile f = gzopen(path.c_str(), "wb");
    MS_CHECK(f != nullptr);
    MS_CHECK_EQ(gzwrite(f, text.data(), unsigned(text.size())), int(text.size()));
    MS_CHECK_EQ(gzclose(f), Z_OK);
}

// Every record as name -> bases, read in pieces of `piece` bases.
static std::string read_all(const std::string& path, size_t piece, std::string* error = nullptr) {
    auto s = ms::FastaStream::open(path);
    if (!s) {
        if (error) *error = s.error().message;
        return "";
    }
    std::string out, chunk;
    while (true) {
        auto more = s->next_record();
        if (!more) {
            if (error) *error = more.error().message;
            return out;
        }
        if (!*more) return out;
        out += s->name() + "=";
        while (true) {
            auto got = s->read(chunk, piece);
            if (!got) {
                if (error) *error = got.error().message;
                return out;
            }
            if (!*got) break;
            out += chunk;
        }
        out += ";";
    }
}

static const std::string kGenome = ">chr1 first\nACGTacgtNN\nNNACGTTTGG\nAC\n>chr2\r\nTTTT\r\nGG\r\n>empty\n>chr3\nNNNNaaaa";

MS_TEST(stream_same_records_plain_gzip_bgzip_any_piece_size) {
    const std::string expect = "chr1=ACGTacgtNNNNACGTTTGGAC;chr2=TTTTGG;empty=;chr3=NNNNaaaa;";
    const std::string plain = scratch("g.fa"), gz = scratch("g.fa.gz"), bgz = scratch("g.fa.bgz");
    write_text(plain, kGenome);
    write_gzip(gz, kGenome);
    write_bgzip(bgz, kGenome);
    for (const std::string& p : {plain, gz, bgz})
        for (size_t piece : {1, 3, 7, 1000}) MS_CHECK_EQ(read_all(p, piece), expect);
    MS_CHECK(*ms::detect_compression(gz) == ms::Compression::gzip);
    MS_CHECK(*ms::detect_compression(bgz) == ms::Compression::bgzip);
    MS_CHECK(*ms::detect_compression(plain) == ms::Compression::none);
}

MS_TEST(stream_layout_errors_name_record_and_line) {
    struct Case {
        const char* text;
        const char* expect;
    } cases[] = {
        {"", "is empty"},
        {"\n\n", "holds only blank lines"},
        {"ACGT\n>r\nAC\n", "line 1: expected a '>' header line, found \"ACGT\""},
        {">r\nACGT\nAC\nACGT\n", "record 'r' line 4: 4 bases after line 3 of 2"},
        {">r\nAC\nACGT\n", "record 'r' line 3: 4 bases, more than the 2 of the record's first line"},
        {">r\nACGT\n\nACGT\n", "record 'r' line 4: 4 bases after line 3 of 0 (blank)"},
        {">r\nAC#T\n", "record 'r' line 2: unexpected byte '#' in column 3"},
        {">r\nAC\rGT\n", "record 'r' line 2: a carriage return"},
        {">r\nAC\n>r\nGG\n", "line 3: record name 'r' was already used at line 1"},
        {"> x\nAC\n", "line 1: the '>' header has no record name"},
        {"\x1f\x8b\x08garbage", "expected a '>' header line, found \"\\x1F"},
    };
    for (const Case& c : cases) {
        const std::string p = scratch("bad.fa");
        write_text(p, c.text);
        std::string error;
        read_all(p, 5, &error);
        MS_CHECK_MSG(error.find(c.expect) != std::string::npos && error.find("bad.fa") != std::string::npos,
                     std::string("for ") + c.text + ": got '" + error + "'");
    }
}

MS_TEST(stream_reports_truncated_bgzip) {
    const std::string full = scratch("trunc_src.fa.gz"), cut = scratch("trunc.fa.gz");
    std::string genome;
    for (int i = 0; i < 4000; ++i) genome += ">r" + std::to_string(i) + "\nACGTACGTAGCTAGCTAGCATCGATCGATCGACTAGCTAGCTAGCTAGCATCGAT\n";
    write_bgzip(full, genome);
    std::ifstream in(full, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    // Cut inside a block, and cut exactly before the 28-byte end-of-file block (whole blocks only:
    // it read as a shorter genome without an error; found in review).
    for (const size_t keep : {bytes.size() / 2, bytes.size() - 28}) {
        write_text(cut, bytes.substr(0, keep));
        std::string error;
        read_all(cut, 100, &error);
        MS_CHECK_MSG(error.find("has no bgzip end-of-file marker: it is truncated") != std::string::npos, error);
        auto indexed = ms::FastaFile::open(cut);
        MS_CHECK(!indexed.ok());
        MS_CHECK_MSG(indexed.error().message.find("has no bgzip end-of-file marker") != std::string::npos,
                     indexed.error().message);
    }
}

MS_TEST(masks_are_the_same_in_pieces_as_whole) {
    const std::string bases = "ACnnNNacgTNNNaaAAn";
    const ms::SequenceMask whole = ms::sequence_mask(bases, 100);
    const std::vector<ms::Interval> lower{{102, 104}, {106, 109}, {113, 115}, {117, 118}};
    const std::vector<ms::Interval> ns{{102, 106}, {110, 113}, {117, 118}};
    MS_CHECK(whole.soft_masked == lower);
    MS_CHECK(whole.n_runs == ns);
    ms::MaskBuilder b(100);
    for (char c : bases) b.add(std::string_view(&c, 1));
    const ms::SequenceMask pieces = b.finish();
    MS_CHECK(pieces.soft_masked == lower);
    MS_CHECK(pieces.n_runs == ns);
}

MS_TEST(indexed_fasta_plain_bgzip_crlf_and_mask) {
    const std::string plain = scratch("idx.fa"), bgz = scratch("idx.fa.bgz"), crlf = scratch("crlf.fa");
    write_text(plain, kGenome);
    write_bgzip(bgz, kGenome);
    write_text(crlf, ">a\r\nACGT\r\nacgt\r\nNN\r\n");
    for (const std::string& p : {plain, bgz}) {
        auto fa = ms::FastaFile::open(p);
        MS_CHECK_MSG(fa.ok(), fa.error().message);
        MS_CHECK_EQ(*fa->fetch("chr1", 8, 14), std::string("NNNNAC"));
        // htslib's index leaves zero-length records out ("empty"); the stream keeps them.
        MS_CHECK_EQ(fa->records().size(), size_t(3));
        auto m = fa->mask("chr1", 0, 22);
        MS_CHECK(m->n_runs == (std::vector<ms::Interval>{{8, 12}}));
        MS_CHECK(m->soft_masked == (std::vector<ms::Interval>{{4, 8}}));
    }
    MS_CHECK(fs::exists(bgz + ".gzi"));
    auto fa = ms::FastaFile::open(crlf);
    MS_CHECK_MSG(fa.ok(), fa.error().message);
    MS_CHECK_EQ(*fa->fetch_all("a"), std::string("ACGTacgtNN"));
}

MS_TEST(indexed_fasta_refuses_gzip_with_hint_and_stale_index) {
    const std::string gz = scratch("plain.fa.gz");
    write_gzip(gz, kGenome);
    auto fa = ms::FastaFile::open(gz);
    MS_CHECK(!fa.ok());
    MS_CHECK(fa.error().message.find("bgzip") != std::string::npos);
    // A .fai of another file: offsets that do not follow this file's headers.
    const std::string p = scratch("other.fa");
    write_text(p, ">x\nACGT\n>y\nGGGG\n");
    write_text(p + ".fai", "x\t4\t3\t4\t5\ny\t4\t14\t4\t5\n");   // y's offset is 1 byte off
    fa = ms::FastaFile::open(p);
    MS_CHECK(!fa.ok());
    MS_CHECK_MSG(fa.error().message.find("does not match") != std::string::npos &&
                     fa.error().message.find("record 'y'") != std::string::npos,
                 fa.error().message);
}

MS_TEST(index_goes_to_the_user_cache_when_the_folder_is_not_writable) {
    const std::string p = scratch("cached.fa");
    setenv("XDG_CACHE_HOME", (fs::path(MS_TEST_BINARY_DIR) / "xdg").c_str(), 1);
    const ms::IndexPaths beside = ms::index_paths(p, true);
    MS_CHECK_EQ(beside.fai, p + ".fai");
    MS_CHECK(!beside.in_cache);
    const ms::IndexPaths cached = ms::index_paths(p, false);
    MS_CHECK(cached.in_cache);
    MS_CHECK(cached.fai.find((fs::path(MS_TEST_BINARY_DIR) / "xdg" / "mambascope" / "fai").string()) == 0);
    MS_CHECK(cached.fai.find("cached.fa.fai") != std::string::npos);
    // Another folder's file of the same name gets another cache entry.
    MS_CHECK(ms::index_paths("/elsewhere/cached.fa", false).fai != cached.fai);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

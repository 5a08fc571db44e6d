// Loci as people type them, table-driven: inputs that must parse with their 0-based half-open
// region, and inputs that must fail with the words their message must hold.
#include <vector>

#include "genomics/locus.h"
#include "tests/common/harness.h"

namespace {

const ms::ContigList& contigs() {
    static const ms::ContigList list({{"chr1", 248956422},
                                      {"chr2", 1000},
                                      {"HLA-A*01:01", 3503},
                                      {"HLA-DRB1*16:02:01", 12356},
                                      // Two contigs that make `amb:1-10` readable both ways.
                                      {"amb", 100},
                                      {"amb:1-10", 50}});
    return list;
}

struct Good {
    const char* text;
    ms::Region expected;
};

struct Bad {
    const char* text;
    std::vector<const char*> words;   // each must appear in the message
};

}  // namespace

MS_TEST(locus_accepts_the_forms_people_type) {
    const std::vector<Good> cases = {
        {"chr1", {"chr1", 0, 248956422}},
        {"chr1:1000-2000", {"chr1", 999, 2000}},
        {"chr1:1,000-2,000", {"chr1", 999, 2000}},
        {"chr1:1000", {"chr1", 999, 1000}},                     // one base, as IGV reads it
        {"chr1:1000-1000", {"chr1", 999, 1000}},
        {"chr1:248,956,000-", {"chr1", 248955999, 248956422}},  // samtools' "to the end"
        {"chr2:1-1000", {"chr2", 0, 1000}},                     // the whole contig, both ends inclusive
        {"  chr2:5-6 \n", {"chr2", 4, 6}},                      // pasted with whitespace
        {"{HLA-A*01:01}:1-100", {"HLA-A*01:01", 0, 100}},
        {"{HLA-A*01:01}", {"HLA-A*01:01", 0, 3503}},
        {"HLA-A*01:01", {"HLA-A*01:01", 0, 3503}},              // bare name with ':' that is a contig
        {"HLA-DRB1*16:02:01:11,000-11,001", {"HLA-DRB1*16:02:01", 10999, 11001}},
        {"{amb}", {"amb", 0, 100}},
        {"{amb:1-10}:2-3", {"amb:1-10", 1, 3}},
    };
    for (const Good& c : cases) {
        auto r = ms::parse_locus(c.text, contigs());
        MS_CHECK_MSG(r.ok(), "'" << c.text << "': " << r.error().message);
        MS_CHECK_MSG(*r == c.expected, "'" << c.text << "' gave " << r->contig << " [" << r->begin << ", " << r->end
                                           << "), expected " << c.expected.contig << " [" << c.expected.begin << ", "
                                           << c.expected.end << ")");
    }
}

MS_TEST(locus_rejects_bad_input_with_a_clear_message) {
    const std::vector<Bad> cases = {
        {"", {"empty locus"}},
        {"chrZ",
         {"unknown contig 'chrZ' (the reference has 6 contigs: chr1, chr2, HLA-A*01:01, HLA-DRB1*16:02:01, amb, …)"}},
        // The naming conventions references disagree on are named (found in review: a bare
        // "unknown contig" left the user to find out that the reference says '1', not 'chr1').
        {"2:1-10",
         {"unknown contig '2' (did you mean 'chr2', as this reference names its contigs? check that it is "
          "the same assembly)"}},
        {"CHR2", {"unknown contig 'CHR2' (did you mean 'chr2'"}},
        {"Amb", {"unknown contig 'Amb' (did you mean 'amb'"}},
        {"chrZ:1-100", {"unknown contig 'chrZ'", "chrZ:1-100"}},
        {"chr2:1-1001", {"end (1001) is past the end of contig 'chr2'", "1000 bases"}},
        {"chr2:2000-3000", {"start (2000) is past the end of contig 'chr2'"}},
        {"chr2:1001", {"past the end of contig 'chr2'"}},
        {"chr2:200-100", {"end (100) is before the start (200)"}},
        {"chr2:0-100", {"1-based", "at least 1"}},
        {"chr2:0", {"at least 1"}},
        {"chr2:-5-10", {"start is missing or negative"}},
        {"chr2:abc", {"not a whole number"}},
        {"chr2:10-x", {"end is not a whole number"}},
        {"chr2:1.5k-2k", {"not a whole number"}},
        {"chr2:", {"nothing follows the ':'"}},
        {"chr2:,100-200", {"not a whole number"}},
        {"chr2:99999999999999999999-1", {"not a whole number"}},  // overflow is garbage, not a wrap
        {"{HLA-A*01:01:1-100", {"never closed"}},
        {"{HLA-A*01:01}1-100", {"expected ':'"}},
        {"{HLA-B*07:02}:1-10", {"unknown contig 'HLA-B*07:02'"}},
        // "02" reads as a position, so the name reported is the part before the last ':'.
        {"HLA-B*07:02", {"unknown contig 'HLA-B*07'"}},
        {"scaffold:alt", {"unknown contig 'scaffold:alt'", "braces"}},
        {"{HLA-A*01:01}:3000-3504", {"past the end of contig 'HLA-A*01:01'"}},
        {"amb:1-10", {"ambiguous", "{amb:1-10}", "{amb}:RANGE"}},
    };
    for (const Bad& c : cases) {
        auto r = ms::parse_locus(c.text, contigs());
        MS_CHECK_MSG(!r.ok(), "'" << c.text << "' parsed as " << r->contig << " [" << r->begin << ", " << r->end << ")");
        for (const char* w : c.words)
            MS_CHECK_MSG(r.error().message.find(w) != std::string::npos,
                         "'" << c.text << "': message \"" << r.error().message << "\" lacks \"" << w << "\"");
    }
}

MS_TEST(locus_is_checked_against_an_empty_list) {
    auto r = ms::parse_locus("chr1:1-10", ms::ContigList());
    MS_CHECK(!r.ok());
    MS_CHECK(r.error().message.find("no contigs are loaded") != std::string::npos);
}

MS_TEST(locus_format_round_trips) {
    const std::vector<std::pair<ms::Region, const char*>> cases = {
        {{"chr1", 999, 2000}, "chr1:1,000-2,000"},
        {{"chr2", 0, 1}, "chr2:1-1"},
        {{"chr1", 123455, 248956422}, "chr1:123,456-248,956,422"},
        {{"HLA-A*01:01", 0, 100}, "{HLA-A*01:01}:1-100"},
    };
    for (const auto& [region, text] : cases) {
        MS_CHECK_EQ(ms::format_locus(region), std::string(text));
        auto back = ms::parse_locus(text, contigs());
        MS_CHECK_MSG(back.ok(), back.error().message);
        MS_CHECK(*back == region);
    }
}

// Found by tests/fuzz/fuzz_locus: `amb:01-10` is amb's bases 1..10, but format_locus writes that
// region as `amb:1-10`, which is also the name of another contig. Reading it back must report the
// ambiguity, never return either region silently.
MS_TEST(locus_format_of_a_region_named_like_another_contig_is_ambiguous) {
    auto r = ms::parse_locus("amb:01-10", contigs());
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(*r == (ms::Region{"amb", 0, 10}));
    MS_CHECK_EQ(ms::format_locus(*r), std::string("amb:1-10"));
    auto back = ms::parse_locus(ms::format_locus(*r), contigs());
    MS_CHECK(!back.ok());
    MS_CHECK_MSG(back.error().message.find("is ambiguous") != std::string::npos, back.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

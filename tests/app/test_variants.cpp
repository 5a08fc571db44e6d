// `variants` and `mutagenesis` end to end on a fixture model. Every score is checked against a
// naive recomputation written here from the documented definition (app/variant_effects.h): the
// whole window of each allele run from zero state through a plain Session, no prefix reuse, summed
// over allele + downstream. The VCFs are read back with bcftools (every input record kept, INFO
// of the input unchanged, Number=A in ALT order, REF mismatches flagged and not scored); bad input
// gives one error line and no output file.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app/mutagenesis_command.h"
#include "app/variant_effects.h"
#include "app/variants_command.h"
#include "engine/allele_scorer.h"
#include "engine/cpu_backend.h"
#include "engine/model.h"
#include "engine/session.h"
#include "genomics/fasta.h"
#include "genomics/results_store.h"
#include "genomics/track_tiles.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(MS_TEST_DATA_DIR);
const fs::path kModel = kData / "fixtures" / "tied_k4_s16" / "hf";

struct Output {
    int rc = 0;
    std::string text;
};

Output run(const std::string& cmd) {
    std::FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) throw test::Failure{"cannot run: " + cmd};
    Output o;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) o.text.append(buf, n);
    const int status = ::pclose(p);
    o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (o.rc == 127) throw test::Failure{"not installed (run scripts/install-deps): " + cmd + "\n" + o.text};
    return o;
}

std::string ok(const std::string& cmd) {
    const Output o = run(cmd);
    if (o.rc != 0) throw test::Failure{"failed (exit " + std::to_string(o.rc) + "): " + cmd + "\n" + o.text};
    return o.text;
}

std::string cli() {
    const char* c = std::getenv("CLI");
    if (!c) throw test::Failure{"CLI (the mambascope-cli binary) is not set"};
    return c;
}

// Appended piece by piece: "'" + p.string() + "'" trips GCC 12's -Wrestrict false positive.
std::string q(const fs::path& p) {
    std::string s = "'";
    s += p.string();
    s += '\'';
    return s;
}

std::vector<std::vector<std::string>> rows(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::istringstream ls(line);
        for (std::string x; std::getline(ls, x, '\t');) f.push_back(x);
        out.push_back(f);
    }
    return out;
}

fs::path scratch(const std::string& name) {
    const fs::path d = fs::current_path() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

const Model& model() {
    static const Model m = [] {
        auto r = Model::load(kModel.string());
        if (!r) throw test::Failure{r.error().message};
        return std::move(*r);
    }();
    return m;
}

// The documented score, computed the slow way: LL of one allele's whole window from zero state.
double naive_ll(const std::string& contig, int64_t pos, int64_t ref_len, const std::string& allele, int64_t context,
                int64_t downstream, bool reverse) {
    const int64_t L = int64_t(contig.size());
    const std::string seq = reverse ? reverse_complement(contig) : contig;
    const std::string a = reverse ? reverse_complement(allele) : allele;
    const int64_t p = reverse ? L - (pos + ref_len) : pos;
    const int64_t u = p < context ? 0 : (p - context) / context * context;
    const int64_t after = p + ref_len;
    const std::string window =
        seq.substr(size_t(u), size_t(p - u)) + a + seq.substr(size_t(after), size_t(std::min(downstream, L - after)));
    static auto cpu = make_cpu_backend(1);
    SessionOptions o;
    o.chunk = 4096;
    auto s = Session::create(model(), *cpu, o);
    if (!s) throw test::Failure{s.error().message};
    auto out = run_sequence(**s, model(), window, o);
    if (!out) throw test::Failure{out.error().message};
    double sum = 0;
    for (size_t i = size_t(p - u); i < window.size(); ++i)
        if (std::isfinite(out->scores[i].log2_lik)) sum += out->scores[i].log2_lik;
    return sum;
}

double naive_llr(const std::string& contig, int64_t pos, const std::string& ref, const std::string& alt,
                 int64_t context, int64_t downstream, bool reverse) {
    const int64_t r = int64_t(ref.size());
    return naive_ll(contig, pos, r, alt, context, downstream, reverse) -
           naive_ll(contig, pos, r, ref, context, downstream, reverse);
}

std::string fetch_all(const fs::path& fasta, const std::string& name) {
    auto fa = FastaFile::open(fasta.string());
    if (!fa) throw test::Failure{fa.error().message};
    auto s = fa->fetch_all(name);
    if (!s) throw test::Failure{s.error().message};
    return *s;
}

std::vector<StoredVariant> stored_variants(const fs::path& db) {
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    if (!store) throw test::Failure{store.error().message};
    auto runs = store->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 1 && (*runs)[0].status == RunStatus::finished);
    VariantQuery vq;
    vq.run_id = (*runs)[0].id;
    vq.limit = 100000;
    auto v = store->query_variants(vq);
    if (!v) throw test::Failure{v.error().message};
    return *v;
}

double score_of(const StoredVariant& v, const std::string& name) {
    for (const auto& [n, x] : v.v.scores)
        if (n == name) return x;
    throw test::Failure{"variant " + v.v.chrom + ":" + std::to_string(v.v.pos) + " has no score " + name};
}

}  // namespace

// freebayes' calls on q.fa (SNVs and deletions), both strands, into a bgzipped VCF and a database.
MS_TEST(freebayes_calls_both_strands_equal_naive_windows) {
    const fs::path d = scratch("variants_fb");
    const fs::path fb = kData / "genomics" / "freebayes_tiny";
    fs::copy_file(fb / "q.fa", d / "q.fa");
    const fs::path in = fb / "q.vcf.gz", out = d / "out.vcf.gz", db = d / "r.db";
    const int64_t context = 300, downstream = 80;
    ok(cli() + " variants --quiet --device cpu --model " + q(kModel) + " --fasta " + q(d / "q.fa") + " --vcf " + q(in) +
       " --out " + q(out) + " --db " + q(db) + " --strand both --batch 5 --context 300 --downstream 80");
    MS_CHECK(fs::exists(fs::path(out.string() + ".tbi")));
    // Every input record, with its own columns and INFO unchanged.
    const std::string keep = " query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%QUAL\\t%INFO/AB\\t%INFO/CIGAR[\\t%GT]\\n' ";
    const std::string before = ok("bcftools" + keep + q(in)), after = ok("bcftools" + keep + q(out));
    MS_CHECK_EQ(after, before);
    MS_CHECK_EQ(rows(after).size(), size_t(16));
    const std::string contig = fetch_all(d / "q.fa", "q");
    const auto vcf = rows(
        ok("bcftools query -f '%POS\\t%REF\\t%ALT\\t%INFO/MS_LLR\\t%INFO/MS_LLR_FWD\\t%INFO/MS_LLR_REV\\n' " + q(out)));
    const auto stored = stored_variants(db);
    MS_CHECK_EQ(stored.size(), vcf.size());
    for (const StoredVariant& v : stored) {
        const double f = naive_llr(contig, v.v.pos - 1, v.v.ref, v.v.alt, context, downstream, false);
        const double r = naive_llr(contig, v.v.pos - 1, v.v.ref, v.v.alt, context, downstream, true);
        // Sums of a few hundred float32 log-probabilities in other batch and chunk groupings.
        MS_CHECK_MSG(std::abs(score_of(v, "llr_fwd") - f) < 1e-4,
                     v.v.pos << " fwd " << score_of(v, "llr_fwd") << " vs " << f);
        MS_CHECK_MSG(std::abs(score_of(v, "llr_rev") - r) < 1e-4,
                     v.v.pos << " rev " << score_of(v, "llr_rev") << " vs " << r);
        MS_CHECK(std::abs(score_of(v, "llr") - 0.5 * (f + r)) < 1e-4);
        for (const auto& row : vcf)
            if (row[0] == std::to_string(v.v.pos)) {
                // VCF floats are printed with about 6 significant digits.
                MS_CHECK_MSG(std::abs(std::stod(row[3]) - score_of(v, "llr")) < 1e-4 * std::max(1.0, std::abs(f + r)),
                             row[3]);
                MS_CHECK(std::abs(std::stod(row[4]) - f) < 1e-4 * std::max(1.0, std::abs(f)));
            }
    }
    const std::string header = ok("bcftools view -h " + q(out));
    MS_CHECK(header.find("##INFO=<ID=MS_LLR,Number=A,Type=Float") != std::string::npos);
    MS_CHECK(header.find("##mambascope_model_sha256=") != std::string::npos);
    MS_CHECK_MSG(header.find("##mambascope_engine=device=cpu;precision=fp32\n") != std::string::npos, header);

    // The run can be exported by region (it held no contigs to place a locus on; found in review),
    // and its VCF's ##contig line carries the length.
    const fs::path part = d / "part.vcf";
    ok(cli() + " export --db " + q(db) + " --variants --region q:1-5000 --out " + q(part));
    const auto in_region = rows(ok("bcftools query -f '%POS\\n' " + q(part)));
    size_t want = 0;
    for (const StoredVariant& v : stored) want += v.v.pos <= 5000;
    MS_CHECK(want > 0 && want < stored.size());
    MS_CHECK_EQ(in_region.size(), want);
    MS_CHECK(ok("bcftools view -h " + q(part)).find("##contig=<ID=q,length=12356>") != std::string::npos);
}

// A VCF written here: a multi-allelic site with a symbolic ALT, a REF that disagrees with the
// FASTA, an insertion, a deletion, sites near both ends of the record and two sharing a bin.
MS_TEST(number_a_order_mismatch_and_indels) {
    const fs::path d = scratch("variants_mixed");
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    const std::string rec1 = fetch_all(d / "in.fa", "rec1");
    auto at = [&](int64_t pos, size_t n) { return rec1.substr(size_t(pos), n); };
    auto other = [](char c) { return std::toupper(c) == 'A' ? std::string("C") : std::string("A"); };
    struct Rec {
        int64_t pos;
        std::string ref, alt;
    };
    const std::string b200 = at(200, 1);
    std::string alts200;
    for (char c : std::string("ACGT"))
        if (c != std::toupper(b200[0])) alts200 += std::string(alts200.empty() ? "" : ",") + c;
    const std::vector<Rec> recs{
        {3, at(3, 1), other(rec1[3])},
        {200, b200, alts200 + ",<DEL>"},
        {230, at(230, 2), at(230, 1) + "," + at(230, 2) + "TTG"},
        {300, other(rec1[300]) + at(301, 1), at(300, 1)},  // REF mismatch
        {450, at(450, 4), at(450, 1)},
        {697, at(697, 1), other(rec1[697])},
    };
    std::ofstream vcf(d / "in.vcf");
    vcf << "##fileformat=VCFv4.2\n##contig=<ID=rec1,length=700>\n##contig=<ID=rec2,length=257>\n"
        << "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"depth\">\n#"
           "CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    for (size_t i = 0; i < recs.size(); ++i)
        vcf << "rec1\t" << recs[i].pos + 1 << "\tv" << i << "\t" << recs[i].ref << "\t" << recs[i].alt
            << "\t50\tPASS\tDP=" << i << "\n";
    vcf.close();
    const int64_t context = 64, downstream = 40;
    const std::string out = (d / "out.vcf").string();
    ok(cli() + " variants --quiet --device cpu --model " + q(kModel) + " --fasta " + q(d / "in.fa") + " --vcf " +
       q(d / "in.vcf") + " --out " + q(out) + " --context 64 --downstream 40 --batch 3");
    const auto got =
        rows(ok("bcftools query -f '%POS\\t%ID\\t%INFO/DP\\t%INFO/MS_LLR\\t%INFO/MS_REF_MISMATCH\\n' " + q(out)));
    MS_CHECK_EQ(got.size(), recs.size());
    for (size_t i = 0; i < recs.size(); ++i) {
        MS_CHECK_EQ(got[i][1], std::string("v").append(std::to_string(i)));  // not "v" + …: GCC 12 -Wrestrict
        MS_CHECK_EQ(got[i][2], std::to_string(i));
        if (recs[i].pos == 300) {  // flagged, not scored
            MS_CHECK_EQ(got[i][3], std::string("."));
            MS_CHECK_EQ(got[i][4], std::string("1"));
            continue;
        }
        MS_CHECK_EQ(got[i][4], std::string("."));  // bcftools' word for an absent flag
        std::vector<std::string> alts, values;
        std::istringstream a(recs[i].alt), v(got[i][3]);
        for (std::string x; std::getline(a, x, ',');) alts.push_back(x);
        for (std::string x; std::getline(v, x, ',');) values.push_back(x);
        MS_CHECK_EQ(values.size(), alts.size());
        for (size_t j = 0; j < alts.size(); ++j) {
            if (alts[j][0] == '<') {
                MS_CHECK_EQ(values[j], std::string("."));
                continue;
            }
            const double want = naive_llr(rec1, recs[i].pos, recs[i].ref, alts[j], context, downstream, false);
            MS_CHECK_MSG(std::abs(std::stod(values[j]) - want) < 1e-4 * std::max(1.0, std::abs(want)),
                         "pos " << recs[i].pos << " alt " << alts[j] << ": " << values[j] << " vs " << want);
        }
    }
}

// What real VCFs hold (found in review): no ##contig, ##INFO or ##FILTER lines for what the
// records use (htslib used to end the process while writing), repeats of a site, soft-masked
// alleles, ALTs with N (an unknown base adds nothing to the log-likelihood, so G>N scored as
// "more typical" than G), an IUPAC REF (used to abort the job); a file annotated twice with other
// options keeps no field of the first annotation; a VCF of another genome is warned about.
MS_TEST(records_real_vcfs_hold) {
    const fs::path d = scratch("variants_real");
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    const std::string rec1 = fetch_all(d / "in.fa", "rec1");
    auto base = [&](int64_t pos) { return std::string(1, char(std::toupper(rec1[size_t(pos)]))); };
    auto other = [&](int64_t pos) { return base(pos) == "A" ? std::string("C") : std::string("A"); };
    auto lower = [](std::string x) {
        for (char& c : x) c = char(std::tolower(c));
        return x;
    };
    int64_t iupac_pos = 40;  // a position holding A or G, so that REF 'R' is not the base there
    while (base(iupac_pos) != "C" && base(iupac_pos) != "T") ++iupac_pos;
    std::ofstream(d / "in.vcf") << "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                                << "rec1\t11\tfirst\t" << base(10) << "\t" << other(10) << "\t50\tLowQual\tDP=3\n"
                                << "rec1\t11\tsecond\t" << base(10) << "\t" << other(10) << "\t50\tPASS\tDP=4\n"
                                << "rec1\t11\tthird\t" << lower(base(10)) << "\t" << lower(other(10)) << "\t.\t.\t.\n"
                                << "rec1\t21\tnalt\t" << base(20) << "\tN," << other(20) << "\t.\t.\t.\n"
                                << "rec1\t" << iupac_pos + 1 << "\tiupac\tR\tA\t.\t.\t.\n";
    const std::string base_cmd = cli() + " variants --device cpu --model " + q(kModel) + " --fasta " + q(d / "in.fa") +
                                 " --context 64 --downstream 16";
    const std::string text =
        ok(base_cmd + " --vcf " + q(d / "in.vcf") + " --out " + q(d / "out.vcf") + " --db " + q(d / "r.db"));
    MS_CHECK_MSG(text.find("1 repeated record(s) of a site") == std::string::npos &&
                     text.find("2 repeated record(s) of a site") != std::string::npos,
                 text);
    const auto got =
        rows(ok("bcftools query -f '%POS\\t%ID\\t%FILTER\\t%INFO/DP\\t%INFO/MS_LLR\\t%INFO/MS_REF_MISMATCH\\n' " +
                q(d / "out.vcf")));
    MS_CHECK_EQ(got.size(), size_t(5));
    MS_CHECK_EQ(got[0][2], std::string("LowQual"));
    MS_CHECK_EQ(got[1][3], std::string("4"));
    MS_CHECK(got[0][4] == got[1][4] && got[1][4] == got[2][4] && got[0][4] != ".");
    const std::string nalt = got[3][4];
    MS_CHECK_MSG(nalt.rfind(".,", 0) == 0 && nalt.size() > 2, "ALT N must be unscored, the other ALT scored: " << nalt);
    MS_CHECK_EQ(got[4][5], std::string("1"));  // REF 'R' flagged, not scored
    // One database row for the three records of position 11, with the first one's ID.
    const auto stored = stored_variants(d / "r.db");
    MS_CHECK_EQ(stored.size(), size_t(2));
    MS_CHECK_EQ(stored[0].v.pos, int64_t(11));
    MS_CHECK_EQ(stored[0].v.name, std::string("first"));
    MS_CHECK_EQ(stored[0].v.ref, base(10));
    // Annotated again, both strands then forward only: nothing of the earlier runs stays.
    ok(base_cmd + " --quiet --strand both --vcf " + q(d / "out.vcf") + " --out " + q(d / "both.vcf"));
    ok(base_cmd + " --quiet --vcf " + q(d / "both.vcf") + " --out " + q(d / "again.vcf"));
    const std::string header = ok("bcftools view -h " + q(d / "again.vcf"));
    MS_CHECK_MSG(header.find("MS_LLR_FWD") == std::string::npos && header.find("MS_LLR_REV") == std::string::npos,
                 header);
    size_t n_meta = 0;
    for (size_t at = 0; (at = header.find("##mambascope_variants=", at)) != std::string::npos; ++at) ++n_meta;
    MS_CHECK_EQ(n_meta, size_t(1));
    MS_CHECK(ok("bcftools view -H " + q(d / "again.vcf")).find("MS_LLR_FWD") == std::string::npos);
    MS_CHECK_EQ(rows(ok("bcftools query -f '%INFO/MS_LLR\\n' " + q(d / "again.vcf")))[0][0], got[0][4]);
    // Every REF another genome's: said even with --quiet.
    std::ofstream(d / "other.vcf")
        << "##fileformat=VCFv4.2\n##contig=<ID=rec1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        << "rec1\t5\t.\t" << other(4) << "\t" << base(4) << "\t.\t.\t.\n"
        << "rec1\t9\t.\t" << other(8) << "\t" << base(8) << "\t.\t.\t.\n";
    const std::string warned =
        ok(base_cmd + " --quiet --vcf " + q(d / "other.vcf") + " --out " + q(d / "other.out.vcf"));
    MS_CHECK_MSG(warned.find("warning: 2 of 2 records have a REF that differs") != std::string::npos, warned);
    // A run that scored nothing exports as its kind's header, not as "holds no variants"; the
    // VCF's header says the ratio is in log2.
    std::ofstream(d / "empty.vcf") << "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    ok(base_cmd + " --quiet --strand both --vcf " + q(d / "empty.vcf") + " --out " + q(d / "empty.out.vcf") + " --db " +
       q(d / "empty.db"));
    ok(cli() + " export --db " + q(d / "empty.db") + " --variants --out " + q(d / "empty.tsv"));
    std::ifstream tsv(d / "empty.tsv");
    std::string line, more;
    std::getline(tsv, line);
    MS_CHECK_EQ(line, std::string("chrom\tpos\tid\tref\talt\tllr\tllr_fwd\tllr_rev"));
    MS_CHECK(!std::getline(tsv, more));
    ok(cli() + " export --db " + q(d / "r.db") + " --variants --out " + q(d / "r.vcf"));
    const std::string vcf_header = ok("bcftools view -h " + q(d / "r.vcf"));
    MS_CHECK_MSG(vcf_header.find("log2-likelihood ratio") != std::string::npos, vcf_header);
    // A both-strand run's MS_LLR is the strands' mean, and its export says so (it did not).
    ok(cli() + " export --db " + q(d / "empty.db") + " --variants --out " + q(d / "empty.export.vcf"));
    const std::string both_header = ok("bcftools view -h " + q(d / "empty.export.vcf"));
    MS_CHECK_MSG(both_header.find("the mean of the forward and reverse strands") != std::string::npos, both_header);

    // Found in review: a repeat apart from its first record (an unsorted VCF) kept the last ID and
    // was not counted; an input field that merely starts with MS_ was dropped; OUT.VCF.GZ was
    // written as plain text; a pipe given as --out was replaced by a plain file.
    std::ofstream(d / "apart.vcf")
        << "##fileformat=VCFv4.2\n##INFO=<ID=MS_AF,Number=1,Type=Float,Description=\"theirs\">\n"
        << "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        << "rec1\t11\tfirst\t" << base(10) << "\t" << other(10) << "\t.\t.\tMS_AF=0.5\n"
        << "rec1\t31\tmiddle\t" << base(30) << "\t" << other(30) << "\t.\t.\t.\n"
        << "rec1\t11\tlater\t" << base(10) << "\t" << other(10) << "\t.\t.\t.\n"
        << "rec1\t11\tlast\t" << lower(base(10)) << "\t" << other(10) << "\t.\t.\t.\n"
        << "rec1\t41\tsame\t" << base(40) << "\t" << base(40) << "\t.\t.\t.\n";  // no change
    const std::string apart = ok(base_cmd + " --vcf " + q(d / "apart.vcf") + " --out " + q(d / "apart.out.vcf") +
                                 " --db " + q(d / "apart.db"));
    MS_CHECK_MSG(apart.find("2 repeated record(s) of a site") != std::string::npos, apart);
    const auto apart_rows = stored_variants(d / "apart.db");
    MS_CHECK_EQ(apart_rows.size(), size_t(2));
    MS_CHECK_EQ(apart_rows[0].v.name, std::string("first"));
    MS_CHECK_EQ(rows(ok("bcftools query -f '%ID\t%INFO/MS_AF\n' " + q(d / "apart.out.vcf")))[0][1], std::string("0.5"));
    // An ALT equal to REF is no change: not scored, not stored (it was scored 0 and stored).
    MS_CHECK_EQ(rows(ok("bcftools query -i 'ID=\"same\"' -f '%INFO/MS_LLR\n' " + q(d / "apart.out.vcf")))[0][0],
                std::string("."));
    ok(base_cmd + " --quiet --vcf " + q(d / "in.vcf") + " --out " + q(d / "UP.VCF.GZ"));
    MS_CHECK(fs::exists(d / "UP.VCF.GZ.tbi"));
    MS_CHECK_EQ(rows(ok("bcftools query -f '%ID\n' " + q(d / "UP.VCF.GZ"))).size(), size_t(5));
    const fs::path fifo = d / "pipe.vcf";
    fs::remove(fifo);
    MS_CHECK(mkfifo(fifo.c_str(), 0600) == 0);
    const Output piped = run(base_cmd + " --quiet --vcf " + q(d / "in.vcf") + " --out " + q(fifo));
    MS_CHECK_MSG(piped.rc == 1 && piped.text.find("pipe") != std::string::npos, piped.text);
    MS_CHECK(fs::is_fifo(fifo));
}

MS_TEST(bad_input_leaves_no_output) {
    const fs::path d = scratch("variants_bad");
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    // Contigs declared, so htslib has nothing to warn about and stderr holds our one line.
    const std::string head =
        "##fileformat=VCFv4.2\n##contig=<ID=rec1>\n##contig=<ID=rec2>\n##contig=<ID=chrZ>\n##contig=<ID=chrrec1>\n#"
        "CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    struct Case {
        std::string name, body, message;
    };
    const std::vector<Case> cases{
        {"unknown_contig", "rec1\t5\t.\tA\tC\t.\t.\t.\nchrZ\t10\t.\tA\tC\t.\t.\t.\n", "on contig 'chrZ', which FASTA"},
        {"malformed", "rec1\t5\t.\tA\n", "is malformed"},
        {"past_end", "rec2\t257\t.\tAC\tA\t.\t.\t.\n", "past the end of 'rec2'"},
        // The other naming convention is named, not "another genome".
        {"chr_prefix", "chrrec1\t5\t.\tA\tC\t.\t.\t.\n", "the FASTA calls it 'rec1'"},
        // A .gz output needs sorted records: refused before any scoring, not at the index after it.
        {"unsorted", "rec1\t50\t.\tA\tC\t.\t.\t.\nrec1\t10\t.\tA\tC\t.\t.\t.\n",
         "is not sorted: record 2 (rec1:10) comes after position 50"},
        {"contig_again", "rec1\t5\t.\tA\tC\t.\t.\t.\nrec2\t5\t.\tA\tC\t.\t.\t.\nrec1\t9\t.\tA\tC\t.\t.\t.\n",
         "record 3 (rec1:9) returns to a contig left before"},
    };
    for (const Case& c : cases) {
        std::ofstream(d / (c.name + ".vcf")) << head << c.body;
        const fs::path out = d / (c.name + ".out.vcf.gz");
        const Output o =
            run(cli() + " variants --quiet --device cpu --model " + q(kModel) + " --fasta " + q(d / "in.fa") +
                " --vcf " + q(d / (c.name + ".vcf")) + " --out " + q(out) + " --db " + q(d / "r.db"));
        MS_CHECK_MSG(o.rc == 1 && o.text.rfind("error: ", 0) == 0 && o.text.find(c.message) != std::string::npos &&
                         std::count(o.text.begin(), o.text.end(), '\n') == 1,
                     c.name << ": " << o.text);
        MS_CHECK_MSG(!fs::exists(out) && !fs::exists(out.string() + ".tbi"), c.name << " left an output behind");
        for (const auto& e : fs::directory_iterator(d))
            MS_CHECK_MSG(e.path().filename().string().find(".partial-") == std::string::npos,
                         "temporary left: " << e.path());
    }
    // What a failed run stored still exports, saying that the run failed.
    const std::string exported =
        ok(cli() + " export --db " + q(d / "r.db") + " --run 1 --variants --out " + q(d / "failed.tsv"));
    MS_CHECK_MSG(exported.find("(run 1, failed: its results may be incomplete)") != std::string::npos, exported);
    // An output in a folder that does not exist: named, not its temporary file.
    const Output missing =
        run(cli() + " variants --quiet --device cpu --model " + q(kModel) + " --fasta " + q(d / "in.fa") + " --vcf " +
            q(d / "past_end.vcf") + " --out " + q(d / "nodir" / "x.vcf"));
    MS_CHECK_MSG(missing.rc == 1 &&
                     missing.text.find("cannot create '" + (d / "nodir" / "x.vcf").string() + "'") != std::string::npos,
                 missing.text);
}

template <class T>
T must(ms::Result<T> r) {
    if (!r) throw test::Failure{r.error().message};
    return std::move(*r);
}

// A stop: the batches written so far stay in the run, marked interrupted, and the message counts
// them; a stop before the first batch was written removes the run. It had said "interrupted after N
// records" of the records read, with an empty run left behind (found in review).
MS_TEST(a_stop_keeps_the_written_batches_and_says_so) {
    const fs::path d = scratch("variants_stop");
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    int64_t scorable = 0;  // of the first batch: REF one of A, C, G, T (not N)
    {
        std::ofstream vcf(d / "in.vcf");
        vcf << "##fileformat=VCFv4.2\n##contig=<ID=rec1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        auto fa = must(FastaFile::open((d / "in.fa").string()));
        const std::string rec1 = must(fa.fetch("rec1", 0, 600));
        for (int i = 0; i < 600; ++i) {  // one contig: a first batch of 512, then 88
            const char ref = char(std::toupper(static_cast<unsigned char>(rec1[size_t(i)])));
            vcf << "rec1\t" << i + 1 << "\t.\t" << ref << "\t" << (ref == 'A' ? 'C' : 'A') << "\t.\t.\t.\n";
            if (i < 512 && std::string("ACGT").find(ref) != std::string::npos) ++scorable;
        }
    }
    VariantsOptions o;
    o.device = "cpu";
    o.model = kModel.string();
    o.fasta = (d / "in.fa").string();
    o.vcf = (d / "in.vcf").string();
    o.out = (d / "out.vcf").string();
    o.db = (d / "r.db").string();
    o.context = 64;
    o.downstream = 16;
    std::atomic<bool> stop{false};
    JobControl control;
    control.cancel = &stop;
    control.on_progress = [&](const JobProgress&) { stop = true; };  // after the first batch
    auto outcome = run_variants(o, "test", control);
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    if (!outcome.ok()) return;
    MS_CHECK(outcome->status == RunStatus::interrupted && !fs::exists(o.out));
    MS_CHECK_MSG(outcome->summary.find("record(s) 513–513 of the VCF") != std::string::npos &&
                     outcome->summary.find("the first 512 records are stored in run 1") != std::string::npos,
                 outcome->summary);
    {
        auto store = must(ResultsStore::open(o.db, ResultsStore::Mode::read_only));
        const auto runs = must(store.list_runs());
        MS_CHECK(runs.size() == 1 && runs[0].status == RunStatus::interrupted);
        MS_CHECK(scorable > 400);
        MS_CHECK_EQ(must(store.counts()).variants, scorable);
    }
    // Stopped before anything was written: no run left.
    stop = true;
    control.on_progress = nullptr;
    outcome = run_variants(o, "test", control);
    MS_CHECK_MSG(outcome.ok() && outcome->summary.find("nothing was stored (run 2 removed") != std::string::npos,
                 outcome.ok() ? outcome->summary : outcome.error().message);
    auto store = must(ResultsStore::open(o.db, ResultsStore::Mode::read_only));
    MS_CHECK_EQ(must(store.list_runs()).size(), size_t(1));
}

// The stepped form a cancellable job uses: with a nil time budget (four sites, then one site a
// group) the scores equal one call per upstream bin up to float rounding, keep_going sees the
// count grow, and a "stop" after the first group ends it with nothing.
MS_TEST(stepped_effects_equal_one_call_and_stop_when_told) {
    const fs::path fa = scratch("stepped") / "in.fa";   // the .fai goes beside it, not into the source tree
    fs::copy_file(kData / "fixtures" / "input.fa", fa);
    auto fasta = FastaFile::open(fa.string());
    MS_CHECK_MSG(fasta.ok(), fasta.error().message);
    const std::string rec2 = *fasta->fetch("rec2", 0, fasta->find("rec2")->length);
    std::vector<EffectSite> sites;
    for (int64_t pos = 100; pos < 160; ++pos) {
        const char ref = char(std::toupper(static_cast<unsigned char>(rec2[size_t(pos)])));
        if (std::string("ACGT").find(ref) == std::string::npos) continue;
        EffectSite s{pos, std::string(1, ref), {}};
        for (char alt : std::string("ACGT"))
            if (alt != ref) s.alts.emplace_back(1, alt);
        sites.push_back(std::move(s));
    }
    MS_CHECK(sites.size() > 40);
    auto cpu = make_cpu_backend(1);
    auto scorer = AlleleScorer::create(model(), *cpu, AlleleScorerOptions{});
    MS_CHECK_MSG(scorer.ok(), scorer.error().message);
    const EffectWindow window{50, 30};   // bins of 50: the sites span two upstream bins
    auto whole = score_effects(**scorer, *fasta, "rec2", sites, window, false);
    MS_CHECK_MSG(whole.ok(), whole.error().message);
    std::vector<int64_t> seen;
    EffectSteps steps;
    steps.seconds_per_call = 1e-9;   // every group after the first one site
    steps.keep_going = [&](int64_t done) {
        seen.push_back(done);
        return true;
    };
    auto stepped = score_effects(**scorer, *fasta, "rec2", sites, window, false, steps);
    MS_CHECK_MSG(stepped.ok(), stepped.error().message);
    MS_CHECK(stepped->has_value());
    // A first group of four (quick on any device), then one site a group (the time budget is nil).
    MS_CHECK_EQ(seen.size(), sites.size() - 3);
    MS_CHECK_EQ(seen.front(), int64_t(4));
    for (size_t i = 1; i < seen.size(); ++i) MS_CHECK_EQ(seen[i], seen[i - 1] + 1);
    // Equal up to float32 rounding: the prefix is walked in other chunks, so sums round differently
    // (the same tolerance as against the naive windows below).
    double worst = 0;
    for (size_t k = 0; k < sites.size(); ++k)
        for (size_t j = 0; j < 3; ++j)
            worst = std::max(worst, std::abs((**stepped)[k][j] - (*whole)[k][j]) / std::max(1.0, std::abs((*whole)[k][j])));
    MS_CHECK_MSG(worst <= 1e-4, "largest relative difference " << worst);
    std::printf("stepped vs one call: largest relative difference %.3g\n", worst);
    int calls = 0;
    steps.keep_going = [&](int64_t) { return ++calls < 1; };
    auto stopped = score_effects(**scorer, *fasta, "rec2", sites, window, false, steps);
    MS_CHECK(stopped.ok() && !stopped->has_value());
    MS_CHECK_EQ(calls, 1);
    // Whole bins (variants): asked once a bin, the scores exactly those of one call, and a stop
    // after the first bin ends it (a Ctrl-C during a VCF's only batch was lost).
    EffectSteps bins;
    bins.whole_bins = true;
    seen.clear();
    bins.keep_going = [&](int64_t done) {
        seen.push_back(done);
        return true;
    };
    auto by_bin = score_effects(**scorer, *fasta, "rec2", sites, window, false, bins);
    MS_CHECK(by_bin.ok() && by_bin->has_value());
    MS_CHECK_EQ(seen.size(), size_t(2));
    MS_CHECK_EQ(seen.back(), int64_t(sites.size()));
    MS_CHECK(**by_bin == *whole);
    bins.keep_going = [&](int64_t) { return false; };
    auto stopped_bins = score_effects(**scorer, *fasta, "rec2", sites, window, false, bins);
    MS_CHECK(stopped_bins.ok() && !stopped_bins->has_value());
}

MS_TEST(mutagenesis_matrix_equals_naive_windows) {
    const fs::path d = scratch("mutagenesis");
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    const fs::path tsv = d / "ism.tsv", db = d / "ism.db";
    ok(cli() + " mutagenesis --quiet --device cpu --model " + q(kModel) + " --fasta " + q(d / "in.fa") +
       " --region rec2:101-150 --context 50 --downstream 30 --db " + q(db) + " --out " + q(tsv));
    const std::string rec2 = fetch_all(d / "in.fa", "rec2");
    std::ifstream in(tsv);
    std::stringstream text;
    text << in.rdbuf();
    const auto t = rows(text.str());
    MS_CHECK_EQ(t[0][4], std::string("delta_ll"));
    const std::string region = rec2.substr(100, 50);
    const auto acgt = std::count_if(region.begin(), region.end(),
                                    [](char c) { return std::string("ACGTacgt").find(c) != std::string::npos; });
    MS_CHECK(acgt > 40);
    MS_CHECK_EQ(t.size(), size_t(1 + 3 * acgt));  // no rows where the reference is not A/C/G/T
    std::map<std::pair<int64_t, char>, double> tsv_values;
    for (size_t i = 1; i < t.size(); ++i) {
        const int64_t pos = std::stoll(t[i][1]) - 1;
        MS_CHECK(t[i][2][0] == std::toupper(rec2[size_t(pos)]) && t[i][3] != t[i][2]);
        const double want = naive_llr(rec2, pos, t[i][2], t[i][3], 50, 30, false);
        MS_CHECK_MSG(std::abs(std::stod(t[i][4]) - want) < 1e-4 * std::max(1.0, std::abs(want)), "row " << i);
        tsv_values[{pos, t[i][3][0]}] = std::stod(t[i][4]);
    }
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok());
    auto runs = store->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 1);
    auto seqs = store->list_sequences((*runs)[0].id);
    MS_CHECK(seqs.ok() && seqs->size() == 1 && (*seqs)[0].info.name == "rec2");
    for (char base : std::string("ACGT")) {
        auto track = store->find_track((*runs)[0].id, std::string("ism_") + base);
        MS_CHECK(track.ok());
        auto values = store->read_values(*track, (*seqs)[0].id, 100, 150);
        MS_CHECK(values.ok() && values->size() == 50);
        for (int64_t i = 0; i < 50; ++i) {
            const float v = (*values)[size_t(i)];
            if (std::string("ACGTacgt").find(rec2[size_t(100 + i)]) == std::string::npos) {
                MS_CHECK(std::isnan(v));
            } else if (std::toupper(rec2[size_t(100 + i)]) == base) {
                MS_CHECK_EQ(v, 0.0f);  // the reference base against itself
            } else {
                const double want = tsv_values.at({100 + i, base});
                // The TSV holds the full value and the store its float16: the same number exactly
                // (the TSV's six digits once rounded to a neighbouring float16; found in review).
                MS_CHECK_MSG(v == ms::round_to_half(float(want)),
                             base << " at " << 100 + i << ": " << v << " vs " << want);
            }
        }
    }
    // More than 10 kbp is refused before any work, and no database is made.
    fs::copy_file(kData / "genomics" / "freebayes_tiny" / "q.fa", d / "q.fa");
    const Output big = run(cli() + " mutagenesis --quiet --device cpu --model " + q(kModel) + " --fasta " +
                           q(d / "q.fa") + " --region q:1-10001 --db " + q(d / "no.db"));
    MS_CHECK_MSG(big.rc == 1 && big.text.find("at most 10000") != std::string::npos, big.text);
    MS_CHECK(!fs::exists(d / "no.db"));
    // So is an --out that cannot be made (its folder missing): it was found only after the scan,
    // which was then lost with its database run (found in review). No site is scored first.
    MutagenesisOptions m;
    m.model = kModel.string();
    m.fasta = (d / "in.fa").string();
    m.region = "rec2:101-150";
    m.context = 50;
    m.downstream = 30;
    m.db = (d / "no.db").string();
    m.tsv = (d / "missing" / "ism.tsv").string();
    m.device = "cpu";
    int64_t scored = 0;
    JobControl control;
    control.on_progress = [&](const JobProgress& p) { scored = std::max(scored, p.done + 1); };
    auto refused = run_mutagenesis(m, "mutagenesis", control);
    MS_CHECK_MSG(!refused.ok() && refused.error().message.find("missing") != std::string::npos,
                 (refused.ok() ? refused->result : refused.error().message));
    MS_CHECK_EQ(scored, int64_t(0));
    MS_CHECK(!fs::exists(d / "no.db"));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

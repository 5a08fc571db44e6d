// `export` end to end: a fixture model scores the fixture genome into a database (run 1: tracks),
// a second run holds predictions, embeddings and variants written through the store's API; every
// export is then read back by a reader that is not MambaScope's — pyBigWig, Python's csv and gzip,
// numpy (tests/app/check_export.py), bedtools, tabix and bcftools — and compared with the
// database's own values. A reader that is missing fails the test (scripts/install-deps installs
// them all). Errors are checked for what they name, and a failed export for leaving nothing behind.
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "app/export_command.h"
#include "app/interrupt.h"
#include "app/neighbours_command.h"
#include "genomics/bigwig_writer.h"
#include "genomics/results_store.h"
#include "tests/common/harness.h"
#include "tests/common/small_disk.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MS_TEST_DATA_DIR) / "fixtures";
const fs::path kChecker = fs::path(MS_SOURCE_DIR) / "tests" / "app" / "check_export.py";
// Debian's python3-pybigwig and python3-numpy are installed for Debian's interpreter; another
// python3 earlier on PATH (pyenv, conda) would not see them.
const char* kPython = "/usr/bin/python3";

// Runs a shell command; returns its stdout. A command that is not installed (exit 127) or fails
// fails the test, naming it.
std::string run(const std::string& cmd, bool must_succeed = true) {
    std::FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) throw test::Failure{"cannot run: " + cmd};
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = ::pclose(p);
    const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc == 127) throw test::Failure{"not installed (run scripts/install-deps): " + cmd + "\n" + out};
    if (must_succeed && rc != 0) throw test::Failure{"failed (exit " + std::to_string(rc) + "): " + cmd + "\n" + out};
    return out;
}

// Appended piece by piece: "'" + p.string() + "'" trips GCC 12's -Wrestrict false positive.
std::string q(const fs::path& p) {
    std::string s = "'";
    s += p.string();
    s += '\'';
    return s;
}

std::vector<std::vector<std::string>> split_lines(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        std::vector<std::string> cols;
        std::istringstream l(line);
        for (std::string c; std::getline(l, c, '\t');) cols.push_back(c);
        rows.push_back(cols);
    }
    return rows;
}

struct Db {
    fs::path dir, path;
};

// Run 1: `score` over the fixture genome (tracks). Run 2: predictions, embeddings and variants.
const Db& database() {
    static const Db db = [] {
        Db d;
        d.dir = fs::current_path() / "export_tmp";
        fs::remove_all(d.dir);
        fs::create_directories(d.dir);
        fs::copy_file(kFixtures / "input.fa", d.dir / "in.fa");
        d.path = d.dir / "r.db";
        const char* cli = std::getenv("CLI");
        if (!cli) throw test::Failure{"CLI (the mambascope-cli binary) is not set"};
        run(std::string(cli) + " score --quiet --device cpu --chunk 100 --model " +
            q(kFixtures / "untied_bias_k3_s4" / "hf") + " --fasta " + q(d.dir / "in.fa") + " --db " + q(d.path));
        auto store = ResultsStore::open(d.path.string());
        if (!store) throw test::Failure{store.error().message};
        RunInfo info;
        info.command = "test_export items";
        info.model_name = "fixture \"quoted\" model";
        info.model_sha256 = std::string(64, 'a');
        auto r = store->begin_run(info);
        if (!r) throw test::Failure{r.error().message};
        auto s1 = store->add_sequence(*r, {"rec1", 700, "", "in.fa"});
        auto s2 = store->add_sequence(*r, {"rec2", 257, "", "in.fa"});
        if (!s1 || !s2) throw test::Failure{"add_sequence failed"};
        if (!store->set_prediction_classes(*r, {"phage", "plasmid", "chromosome"})) throw test::Failure{"classes"};
        const std::vector<Prediction> preds = {
            {ItemKind::window, "rec1", *s1, 0, 100, "phage", 0.5, {0.5f, 0.25f, 0.25f}},
            {ItemKind::window, "rec1", *s1, 100, 200, "plasmid", 0.625, {0.125f, 0.625f, 0.25f}},
            {ItemKind::window, "rec2", *s2, 0, 257, "chromosome", std::nullopt, {0.1f, 0.2f, 0.7f}},
            {ItemKind::read, "read,7/1", 0, 0, 150, "phage", 0.9, {0.9f, 0.05f, 0.05f}},
        };
        if (!store->write_predictions(*r, preds)) throw test::Failure{"write_predictions"};
        const std::vector<Embedding> embs = {
            {ItemKind::window, "rec1", *s1, 0, 100, {1.5f, -2.0f, 0.0f, 3.25f}},
            {ItemKind::window, "rec2", *s2, 0, 257, {0.1f, 0.2f, 0.3f, 0.4f}},
            {ItemKind::read, "read,7/1", 0, 0, 150, {-1.0f, 1e-8f, 7.0f, 2.5f}},
        };
        if (!store->write_embeddings(*r, embs)) throw test::Failure{"write_embeddings"};
        const std::vector<Variant> vars = {
            {"rec1", 10, "A", "C", "", {{"llr", -1.5}}},
            {"rec1", 10, "A", "G", "", {{"llr", 0.25}, {"ref_prob", 0.5}}},
            {"rec1", 50, "AT", "A", "del1", {{"llr", -3.0}}},
            {"rec2", 5, "G", "T", "rs1", {{"llr", 2.0}}},
        };
        if (!store->write_variants(*r, vars)) throw test::Failure{"write_variants"};
        if (!store->finish_run(*r, RunStatus::finished)) throw test::Failure{"finish_run"};
        return d;
    }();
    return db;
}

ExportOptions options(int64_t run) {
    ExportOptions o;
    o.db = database().path.string();
    o.run = run;
    return o;
}

std::string exported(const ExportOptions& o) {
    auto r = run_export(o);
    MS_CHECK_MSG(r.ok(), r.error().message);
    return *r;
}

// Every base of run 1's track: "chrom length pos value", NaN outside the region when one is given.
fs::path track_expected(const std::string& track, const std::string& name, int64_t region_seq = -1, int64_t rb = 0,
                        int64_t re = 0) {
    auto store = ResultsStore::open(database().path.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok());
    auto id = store->find_track(1, track);
    MS_CHECK(id.ok());
    auto seqs = store->list_sequences(1);
    MS_CHECK(seqs.ok() && seqs->size() == 2);
    const fs::path out = database().dir / name;
    std::ofstream f(out);
    for (const StoredSequence& s : *seqs) {
        auto v = store->read_values(*id, s.id, 0, s.info.length);
        MS_CHECK(v.ok());
        for (int64_t i = 0; i < s.info.length; ++i) {
            const bool inside = region_seq < 0 || (s.id == region_seq && i >= rb && i < re);
            char value[32];
            std::snprintf(value, sizeof value, "%.9g", inside ? double((*v)[size_t(i)]) : NAN);
            f << s.info.name << '\t' << s.info.length << '\t' << i << '\t' << value << '\n';
        }
    }
    return out;
}

std::string check(const std::string& kind, const fs::path& file, const fs::path& expected,
                  const std::string& extra = "") {
    return run(std::string(kPython) + " " + q(kChecker) + " " + kind + " " + q(file) + " " + q(expected) + " " + extra);
}

// Stretches of non-NaN bases and, per stretch, how many runs of equal values it holds — what
// `bedtools merge -c 4 -o count` must see in an unmerged (bases) or merged (runs) bedGraph.
std::vector<std::string> covered(const fs::path& expected, bool runs) {
    std::vector<std::string> out;
    std::string chrom;
    int64_t begin = -1, last = -1, count = 0;
    double prev = NAN;
    auto close = [&] {
        if (begin >= 0)
            out.push_back(chrom + "\t" + std::to_string(begin) + "\t" + std::to_string(last + 1) + "\t" +
                          std::to_string(count));
        begin = -1;
    };
    for (const auto& c : split_lines(run("cat " + q(expected)))) {
        const int64_t pos = std::stoll(c[2]);
        const double v = std::strtod(c[3].c_str(), nullptr);
        if (c[0] != chrom) close(), chrom = c[0];
        if (std::isnan(v)) {
            close();
            continue;
        }
        if (begin < 0) begin = pos, count = 0, prev = NAN;
        if (!runs || v != prev) ++count;
        prev = v;
        last = pos;
    }
    close();
    return out;
}

// The lines of a text, without blank ones, joined by '|' (so that a failure prints them on one line).
std::string lines_of(const std::string& text) {
    std::string out;
    for (const auto& r : split_lines(text)) {
        if (!out.empty()) out += '|';
        for (size_t i = 0; i < r.size(); ++i) out += (i ? "\t" : "") + r[i];
    }
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) out += (out.empty() ? "" : "|") + l;
    return out;
}

bool no_temporaries(const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp-") != std::string::npos) return false;
    return true;
}

}  // namespace

MS_TEST(bigwig_holds_the_databases_values_with_zoom_levels) {
    ExportOptions o = options(1);
    o.track = "loglik";
    o.out = (database().dir / "loglik.bw").string();
    MS_CHECK(exported(o).find("track 'loglik'") != std::string::npos);
    const std::string out = check("bigwig", o.out, track_expected("loglik", "loglik.expected"));
    MS_CHECK_MSG(out.find("bigwig ok") != std::string::npos, out);

    // A region: only its bases hold values; the header still lists every sequence's size.
    o.track = "prob_T";
    o.region = "rec2:11-200";
    o.out = (database().dir / "probT_region.bw").string();
    exported(o);
    auto store = ResultsStore::open(database().path.string(), ResultsStore::Mode::read_only);
    auto seqs = store->list_sequences(1);
    MS_CHECK(seqs.ok() && seqs->size() == 2);
    const int64_t rec2 = (*seqs)[1].id;
    check("bigwig", o.out, track_expected("prob_T", "probT_region.expected", rec2, 10, 200));
}

// Zoom levels of a long track: more blocks than one index node holds (a two-level R-tree), gaps,
// several chromosomes. Every record is checked against the values it covers; libBigWig's own left
// the sums of the last record of each 1,024-record block at 0 (found in review).
MS_TEST(bigwig_zoom_records_match_the_values_of_a_long_track) {
    const fs::path out = database().dir / "long.bw";
    auto w = BigWigWriter::create(out.string(), {{"chrA", 5'000'000}, {"chrB", 70'000}});
    MS_CHECK_MSG(w.ok(), w.error().message);
    uint32_t x = 12345;
    for (size_t c = 0; c < 2; ++c)
        for (int64_t pos = 0; pos < w->chroms()[c].length; ++pos) {
            x = x * 1664525u + 1013904223u;
            if (pos % 100'000 >= 90'000) continue;  // a gap
            MS_CHECK(w->add(c, pos, pos + 1, -float(x >> 20) / 512.0f).ok());
        }
    MS_CHECK(w->commit().ok());
    const std::string result = check("zooms", out, "-");
    MS_CHECK_MSG(result.find("zooms ok") != std::string::npos, result);
}

MS_TEST(bedgraph_plain_merged_and_bgzip_read_back_by_bedtools_and_tabix) {
    // loglik (float16) has runs of equal neighbours for --merge to join.
    const fs::path expected = track_expected("loglik", "loglik_bg.expected");
    ExportOptions o = options(1);
    o.track = "loglik";
    o.format = "bedgraph";
    o.out = (database().dir / "loglik.bedgraph").string();
    exported(o);
    check("bedgraph", o.out, expected);
    // One line a base: bedtools sees each covered stretch with as many lines as bases.
    MS_CHECK_EQ(lines_of(run("bedtools merge -i " + q(o.out) + " -c 4 -o count")), joined(covered(expected, false)));

    o.merge = true;
    o.out = (database().dir / "loglik_merged.bedgraph").string();
    exported(o);
    check("bedgraph", o.out, expected);
    const std::vector<std::string> runs = covered(expected, true);
    MS_CHECK_EQ(lines_of(run("bedtools merge -i " + q(o.out) + " -c 4 -o count")), joined(runs));
    int64_t bases = 0, lines = 0;
    for (const auto& r : split_lines(run("cat " + q(expected)))) bases += r[3] != "nan";
    for (const auto& r : runs) lines += std::stoll(r.substr(r.rfind('\t') + 1));
    MS_CHECK_MSG(lines < bases, "merging equal neighbours should shorten the file: " << lines << " vs " << bases);

    o.merge = false;
    o.bgzip = true;
    o.out = (database().dir / "loglik.bedgraph.gz").string();
    exported(o);
    MS_CHECK(fs::exists(o.out + ".tbi"));
    check("bedgraph", o.out, expected);
    // tabix reads the index: bases 101-110 of rec2 (1-based) are lines starting at 100..109.
    const auto hits = split_lines(run("tabix " + q(o.out) + " rec2:101-110"));
    MS_CHECK_EQ(hits.size(), size_t(10));
    for (size_t i = 0; i < hits.size(); ++i) MS_CHECK_EQ(hits[i][1], std::to_string(100 + i));

    // The format's own spelling, and MACS's .bdg, name it too (both were refused).
    o.bgzip = false;
    o.format = "bedGraph";
    o.out = (database().dir / "loglik_named.txt").string();
    exported(o);
    check("bedgraph", o.out, expected);
    o.format.clear();
    o.out = (database().dir / "loglik.BDG").string();
    exported(o);
    check("bedgraph", o.out, expected);
}

// Sequences stored out of name order (a --region list, a merge) are exported in byte order of their
// names, as bedGraphToBigWig and bedtools need (they came in run order; found in review).
MS_TEST(bedgraph_and_bed_are_sorted_by_sequence_name) {
    const fs::path db = database().dir / "unsorted.db";
    fs::remove(db);
    run(std::string(std::getenv("CLI")) + " score --quiet --device cpu --model " +
        q(kFixtures / "untied_bias_k3_s4" / "hf") + " --fasta " + q(database().dir / "in.fa") +
        " --region rec2 --region rec1:1-100 --db " + q(db));
    for (const char* format : {"bedgraph", "bed"}) {
        ExportOptions o;
        o.db = db.string();
        o.track = "loglik";
        o.format = format;
        if (o.format == "bed") o.below = 0;
        o.out = (database().dir / (std::string("sorted.") + format)).string();
        exported(o);
        const auto rows = split_lines(run("cat " + q(o.out)));
        MS_CHECK(rows.size() > 2);
        MS_CHECK_EQ(rows.front()[0] + " " + rows.back()[0], std::string("rec1 rec2"));
        for (size_t i = 1; i < rows.size(); ++i)
            MS_CHECK(rows[i - 1][0] < rows[i][0] ||
                     (rows[i - 1][0] == rows[i][0] && std::stoll(rows[i - 1][1]) < std::stoll(rows[i][1])));
    }
}

MS_TEST(bed_calls_follow_the_hysteresis_and_minimum_length) {
    ExportOptions o = options(1);
    o.track = "loglik";
    o.format = "bed";
    o.below = -2.5;
    o.exit = -1.5;
    o.min_length = 3;
    o.name = "low";
    o.out = (database().dir / "low.bed").string();
    exported(o);
    // The calls as the options define them, computed here from the stored values.
    std::vector<std::vector<std::string>> want;
    double want_mean_sum = 0;
    {
        auto store = ResultsStore::open(database().path.string(), ResultsStore::Mode::read_only);
        const int64_t id = *store->find_track(1, "loglik");
        auto seqs = store->list_sequences(1);
        MS_CHECK(seqs.ok());
        for (const StoredSequence& s : *seqs) {
            auto read = store->read_values(id, s.id, 0, s.info.length);
            MS_CHECK(read.ok());
            const std::vector<float>& v = *read;
            int64_t begin = -1;
            double sum = 0;
            for (int64_t i = 0; i <= s.info.length; ++i) {
                const float x = i < s.info.length ? v[size_t(i)] : NAN;
                if (begin >= 0 && (std::isnan(x) || x > -1.5)) {
                    if (i - begin >= 3) {
                        want.push_back({s.info.name, std::to_string(begin), std::to_string(i)});
                        want_mean_sum += sum / double(i - begin);
                    }
                    begin = -1;
                }
                if (begin < 0 && !std::isnan(x) && x <= -2.5) begin = i, sum = 0;
                if (begin >= 0) sum += x;
            }
        }
    }
    MS_CHECK_MSG(want.size() >= 5, "the fixture should give several regions, got " << want.size());
    // bedtools reads the file: sorted, it gives the same intervals; merged, none overlap.
    const auto got = split_lines(run("bedtools sort -i " + q(o.out)));
    MS_CHECK_EQ(got.size(), want.size());
    double got_mean_sum = 0;
    std::map<std::string, int> names;
    for (size_t i = 0; i < got.size(); ++i) {
        MS_CHECK_EQ(got[i].size(), size_t(5));
        MS_CHECK_EQ(got[i][0] + ":" + got[i][1] + "-" + got[i][2], want[i][0] + ":" + want[i][1] + "-" + want[i][2]);
        MS_CHECK(got[i][3].rfind("low", 0) == 0);
        ++names[got[i][3]];
        got_mean_sum += std::stod(got[i][4]);
    }
    MS_CHECK_EQ(names.size(), got.size());  // names are unique
    // Means are written as float32: the sum of a few dozen agrees to float precision.
    MS_CHECK_MSG(std::abs(got_mean_sum - want_mean_sum) < 1e-4 * std::abs(want_mean_sum),
                 got_mean_sum << " vs " << want_mean_sum);
    MS_CHECK_EQ(split_lines(run("bedtools merge -i " + q(o.out))).size(), want.size());

    // Without hysteresis (exit = enter) regions end sooner: the exit level matters.
    o.exit.reset();
    o.out = (database().dir / "low_plain.bed").string();
    exported(o);
    MS_CHECK(split_lines(run("cat " + q(o.out))) != split_lines(run("cat " + q(database().dir / "low.bed"))));
}

MS_TEST(predictions_as_tsv_and_csv) {
    const fs::path expected = database().dir / "predictions.expected";
    std::ofstream(expected) << "sequence\tstart\tend\tlabel\tscore\tp_phage\tp_plasmid\tp_chromosome\tkind\titem\n"
                               "*\t0\t150\tphage\t0.9\t0.9\t0.05\t0.05\tread\tread,7/1\n"
                               "rec1\t0\t100\tphage\t0.5\t0.5\t0.25\t0.25\twindow\trec1\n"
                               "rec1\t100\t200\tplasmid\t0.625\t0.125\t0.625\t0.25\twindow\trec1\n"
                               "rec2\t0\t257\tchromosome\tNA\t0.1\t0.2\t0.7\twindow\trec2\n";
    ExportOptions o = options(2);
    o.predictions = true;
    for (const char* fmt : {"tsv", "csv"}) {
        o.out = (database().dir / (std::string("predictions.") + fmt)).string();
        MS_CHECK(exported(o).find("4 predictions") != std::string::npos);
        check("table", o.out, expected, fmt);
    }
    // --region keeps what overlaps it (1-based 150-160 overlaps the second window only).
    o.region = "rec1:150-160";
    o.out = (database().dir / "predictions_region.tsv").string();
    exported(o);
    const auto rows = split_lines(run("cat " + q(o.out)));
    MS_CHECK_EQ(rows.size(), size_t(2));
    MS_CHECK_EQ(rows[1][1] + "-" + rows[1][2], std::string("100-200"));
}

MS_TEST(variants_as_tsv_and_vcf_read_by_bcftools) {
    const fs::path expected = database().dir / "variants.expected";
    std::ofstream(expected) << "chrom\tpos\tid\tref\talt\tllr\tref_prob\n"
                               "rec1\t10\t.\tA\tC\t-1.5\tNA\n"
                               "rec1\t10\t.\tA\tG\t0.25\t0.5\n"
                               "rec1\t50\tdel1\tAT\tA\t-3\tNA\n"
                               "rec2\t5\trs1\tG\tT\t2\tNA\n";
    ExportOptions o = options(2);
    o.variants = true;
    o.out = (database().dir / "variants.tsv").string();
    exported(o);
    check("table", o.out, expected, "tsv");

    for (const char* name : {"variants.vcf", "variants.vcf.gz"}) {
        o.out = (database().dir / name).string();
        MS_CHECK(exported(o).find("4 variants at 3 sites") != std::string::npos);
        const std::string header = run("bcftools view -h " + q(o.out));
        MS_CHECK_MSG(header.find("##INFO=<ID=MS_LLR,Number=A,Type=Float") != std::string::npos, header);
        MS_CHECK_MSG(header.find("##INFO=<ID=MS_REF_PROB,Number=A,Type=Float") != std::string::npos, header);
        MS_CHECK_MSG(header.find("##mambascope_run=<ID=2,") != std::string::npos, header);
        MS_CHECK_MSG(header.find("##contig=<ID=rec1,length=700>") != std::string::npos, header);
        // bcftools parses every record and splits MS_LLR per ALT.
        const std::string body = run(
            "bcftools query -f '%CHROM\\t%POS\\t%ID\\t%REF\\t%ALT\\t%INFO/MS_LLR\\t%INFO/MS_REF_PROB\\n' " + q(o.out));
        MS_CHECK_EQ(lines_of(body), std::string("rec1\t10\t.\tA\tC,G\t-1.5,0.25\t.,0.5|rec1\t50\tdel1\tAT\tA\t-3\t.|"
                                                "rec2\t5\trs1\tG\tT\t2\t."));
    }
    // The .gz is indexed: a region query through the index finds the multi-allelic site only.
    MS_CHECK(fs::exists(o.out + ".tbi"));
    MS_CHECK_EQ(lines_of(run("bcftools query -r rec1:1-20 -f '%POS %ALT\\n' " + q(o.out))), std::string("10 C,G"));
}

MS_TEST(embeddings_as_npy_with_an_index) {
    const fs::path expected = database().dir / "embeddings.expected";
    std::ofstream(expected) << "1.5\t-2\t0\t3.25\n0.1\t0.2\t0.3\t0.4\n-1\t1e-8\t7\t2.5\n";
    ExportOptions o = options(2);
    o.embeddings = true;
    o.out = (database().dir / "emb.npy").string();
    exported(o);
    check("npy", o.out, expected);
    const auto index = split_lines(run("cat " + q(o.out + ".index.tsv")));
    MS_CHECK_EQ(index.size(), size_t(4));
    MS_CHECK_EQ(index[3][1] + " " + index[3][2] + " " + index[3][3] + " " + index[3][4] + " " + index[3][5],
                std::string("read read,7/1 * 0 150"));  // a read: on no sequence, its span on the read
    MS_CHECK_EQ(index[2][3] + ":" + index[2][4] + "-" + index[2][5], std::string("rec2:0-257"));

    // A region without embeddings: an empty array of the run's width, (0, 4), not (0, 0), so it
    // stacks with other exports (found in review).
    ExportOptions none = o;
    none.region = "rec1:300-600";
    none.out = (database().dir / "none.npy").string();
    MS_CHECK(exported(none).find("0 embeddings of 4 dimensions") != std::string::npos);
    MS_CHECK(run("head -c 128 " + q(none.out)).find("'shape': (0, 4)") != std::string::npos);

    // The pair is replaced together or not at all: an index name taken by a folder failed only at
    // its rename, after the array had been replaced (found in review).
    o.out = (database().dir / "pair.npy").string();
    std::ofstream(o.out) << "an earlier array";
    fs::create_directories(o.out + ".index.tsv");
    auto r = run_export(o);
    MS_CHECK(!r.ok());
    MS_CHECK_MSG(r.error().message == "cannot write '" + o.out + ".index.tsv': it is a folder", r.error().message);
    MS_CHECK_EQ(run("cat " + q(o.out)), std::string("an earlier array"));
    fs::remove(o.out + ".index.tsv");
}

// A disk that fills during the embeddings export leaves neither file of the pair: the index was
// kept in stdio's buffer until its commit, after the array was in place, so one free page left the
// array under its name with no index (found in review). A 64 KiB tmpfs filled to one free page;
// mounting needs root with CAP_SYS_ADMIN, else a skip.
MS_TEST(embeddings_export_on_a_full_disk_leaves_no_half_pair) {
    const fs::path mnt = database().dir / "small";
    const ms::test::SmallDisk disk(mnt, "64k");
    struct statvfs v {};
    if (statvfs(mnt.c_str(), &v) != 0 || v.f_bsize != 4096)
        MS_SKIP("the tmpfs's pages are not 4 KiB: the fill below counts in them");
    const size_t free_bytes = size_t(v.f_bavail) * v.f_bsize;
    std::ofstream(mnt / "filler", std::ios::binary) << std::string(free_bytes - 4096, 'x');
    MS_CHECK(statvfs(mnt.c_str(), &v) == 0 && v.f_bavail == 1);  // room for one of the two files
    ExportOptions o = options(2);
    o.embeddings = true;
    o.out = (mnt / "emb.npy").string();
    auto r = run_export(o);
    MS_CHECK(!r.ok());
    if (!r.ok())
        MS_CHECK_MSG(r.error().message.find("No space left on device") != std::string::npos, r.error().message);
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(mnt))
        if (e.path().filename() != "filler") left.push_back(e.path().filename().string());
    MS_CHECK_MSG(left.empty(), "left behind: " << (left.empty() ? std::string() : left.front()));
    fs::remove(mnt / "filler");
    exported(o);  // with room, both
    MS_CHECK(fs::exists(o.out) && fs::exists(o.out + ".index.tsv"));
}

// `neighbours`: the run's other embeddings by cosine similarity to the query (the search the store
// had, exposed to users; found in review), ranked, with the export index's item columns.
MS_TEST(neighbours_rank_by_cosine) {
    NeighboursOptions o;
    o.db = database().path.string();
    o.run = 2;
    o.item = "read,7/1";
    auto r = run_neighbours(o);
    MS_CHECK_MSG(r.ok(), r.error().message);
    const auto rows = split_lines(*r);
    // read = (-1, 1e-8, 7, 2.5): cosine 3.0 / (7.5 · sqrt(0.3)) = 0.7303 with rec2, 6.625 / (7.5 · 4.1003)
    // = 0.2154 with rec1's window.
    MS_CHECK_EQ(rows.size(), size_t(4));  // the comment, the header, two neighbours
    MS_CHECK_EQ(rows[2][0] + " " + rows[2][3] + " " + rows[2][4] + " " + rows[2][5] + " " + rows[2][6],
                std::string("1 rec2 rec2 0 257"));
    MS_CHECK(std::fabs(std::stod(rows[2][1]) - 0.7303) < 1e-3);
    MS_CHECK_EQ(rows[3][0] + " " + rows[3][3], std::string("2 rec1"));
    MS_CHECK(std::fabs(std::stod(rows[3][1]) - 0.2154) < 1e-3);
    o.item.clear();
    o.locus = "rec1:50";  // rec1's window [0, 100)
    r = run_neighbours(o);
    MS_CHECK_MSG(r.ok() && r->find("neighbours of rec1 rec1:1-100 (window)") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
    o.locus = "rec1:500";
    r = run_neighbours(o);
    MS_CHECK_MSG(!r.ok() && r.error().message.find("has no embedding that holds rec1:500") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
    o.locus.clear();
    r = run_neighbours(o);
    MS_CHECK(!r.ok() && r.error().message.find("--item NAME or as --locus LOCUS") != std::string::npos);
}

// Windows at stride < width overlap: every base of [100, 200) is in two windows, so a window there
// could not be named as the query at all (found in review). The locus naming a window's span
// exactly picks it; a base two windows hold is refused, listing their spans.
MS_TEST(neighbours_query_by_an_overlapping_windows_span) {
    const fs::path dir = fs::current_path() / "neighbours_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string db = (dir / "w.db").string();
    {
        auto store = ResultsStore::open(db);
        MS_CHECK(store.ok());
        RunInfo info;
        info.command = "embed";
        auto r = store->begin_run(info);
        auto s = store->add_sequence(*r, {"chr1", 400, "", "in.fa"});
        const std::vector<Embedding> embs = {
            {ItemKind::window, "chr1", *s, 0, 200, {1.0f, 0.0f, 0.0f}},
            {ItemKind::window, "chr1", *s, 100, 300, {0.0f, 1.0f, 0.0f}},
            {ItemKind::window, "chr1", *s, 200, 400, {0.0f, 1.0f, 1.0f}},
        };
        MS_CHECK(store->write_embeddings(*r, embs).ok() && store->finish_run(*r, RunStatus::finished).ok());
    }
    NeighboursOptions o;
    o.db = db;
    o.k = 1;
    o.locus = "chr1:101-300";
    auto r = run_neighbours(o);
    MS_CHECK_MSG(r.ok() && r->find("neighbours of chr1 chr1:101-300 (window)") != std::string::npos &&
                     r->find("\n1\t0.707") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
    o.locus = "chr1:150";
    r = run_neighbours(o);
    MS_CHECK_MSG(!r.ok() && r.error().message.find("2 embeddings hold that base (overlapping windows); choose one "
                                                   "with --locus naming its window exactly (chr1:1-200, "
                                                   "chr1:101-300)") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
    o.locus = "chr1:50";  // one window holds it
    r = run_neighbours(o);
    MS_CHECK_MSG(r.ok() && r->find("neighbours of chr1 chr1:1-200 (window)") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
    o.out = (dir / "missing" / "n.tsv").string();  // refused as the output is opened, before the search
    r = run_neighbours(o);
    MS_CHECK_MSG(!r.ok() && r.error().message.find("n.tsv") != std::string::npos, (r.ok() ? *r : r.error().message));
    o.out = (dir / "n.tsv").string();
    r = run_neighbours(o);
    MS_CHECK_MSG(r.ok() && fs::file_size(o.out) > 0, (r.ok() ? *r : r.error().message));
}

MS_TEST(errors_name_what_is_wrong_and_leave_no_file) {
    ExportOptions o = options(1);
    o.run.reset();
    o.track = "loglik";
    o.out = (database().dir / "kept.bw").string();
    std::ofstream(o.out) << "an earlier file";
    auto expect_error = [&](const ExportOptions& x, const std::string& part) {
        auto r = run_export(x);
        MS_CHECK_MSG(!r.ok(), "expected an error containing '" << part << "'");
        MS_CHECK_MSG(r.error().message.find(part) != std::string::npos, r.error().message);
    };
    expect_error(o, "holds 2 runs; choose one with --run ID: 1 (finished");
    expect_error(o, "2 (finished, started ");
    o.run = 7;
    expect_error(o, "has no run 7; its runs: 1 (");
    o.run = 1;
    o.track = "logli";
    expect_error(o, "run 1 of results database '" + database().path.string() +
                        "' has no track 'logli'; its tracks: prob_A, prob_C, prob_G, prob_T, loglik, entropy");
    o.track = "loglik";
    o.region = "rec2:250-300";
    expect_error(o, "past the end of contig 'rec2', which has 257 bases");
    o.region = "chr9";
    expect_error(o, "unknown contig 'chr9'");
    // rec1's first base has no context (NaN): a bigWig of it alone would be empty. The error comes
    // after the temporary file was started; it must be gone and the earlier file untouched.
    o.region = "rec1:1";
    expect_error(o, "no values to write");
    o.region.clear();
    // A folder that does not exist: libBigWig crashed on its own failure path (found in review).
    ExportOptions m = o;
    m.out = (database().dir / "no-such-folder" / "x.bw").string();
    expect_error(m, "cannot create bigWig '" + m.out + "': No such file or directory");
    // A --format the name contradicts: a bedGraph named .bw was written (found in review).
    o.format = "bedgraph";
    expect_error(o, "--out '" + o.out + "' is named as bigwig but --format is bedgraph: name the file for its format");
    {  // text named as other text is a convention (a bedGraph called .bed): written
        ExportOptions bg = options(1);
        bg.track = "loglik";
        bg.format = "bedgraph";
        bg.out = (database().dir / "as_bed.bed").string();
        exported(bg);
        MS_CHECK(fs::file_size(bg.out) > 0);
    }
    const std::string kept_bw = o.out;
    o.out = (database().dir / "kept").string();  // names no format: the checks below are --format's own
    std::ofstream(o.out) << "an earlier file";
    o.format = "npy";
    expect_error(o, "--format npy does not fit --track; use bigwig, bedgraph or bed");
    o.format = "bed";
    expect_error(o, "give --above X or --below X");
    o.below = -1;
    o.exit = -3;
    expect_error(o, "--exit -3 is below -1 (--below); with --below a region closes above");
    // A NaN level gave one region that never closed, or none (found in review).
    o.exit = std::numeric_limits<double>::quiet_NaN();
    expect_error(o, "--exit nan: a region level must be a finite number");
    o.exit.reset();
    o.format = "bedgraph";
    o.below.reset();
    o.min_length = 5;  // was ignored outside BED without a word (found in review)
    expect_error(o, "--min-length and --name call BED regions; they need --format bed");
    ExportOptions p = options(1);
    p.predictions = true;
    p.out = o.out;
    p.format = "tsv";
    expect_error(p, "run 1 of results database '" + database().path.string() + "' holds no predictions");
    // An empty --region (`--region "$REGION"`, REGION unset) is an error, not the whole genome
    // (export, info and embed took it as no --region; found in review).
    const std::string cli = std::getenv("CLI");
    const std::string fa = q(database().dir / "in.fa"), empty_locus = "error: --region: empty locus (expected NAME";
    for (const std::string& args :
         {"export --db " + q(database().path) + " --run 1 --track loglik --region '' --out " + q(o.out),
          "info --region '' " + fa, "embed --region '' --fasta " + fa + " --db " + q(database().dir / "e.db")}) {
        const std::string said = run(cli + " " + args, false);
        MS_CHECK_MSG(said.find(empty_locus) != std::string::npos, args << ": " << said);
    }
    MS_CHECK(!fs::exists(database().dir / "e.db"));
    MS_CHECK_EQ(run("cat " + q(o.out)), std::string("an earlier file"));
    MS_CHECK_EQ(run("cat " + q(kept_bw)), std::string("an earlier file"));
    MS_CHECK(no_temporaries(database().dir));
}

// An output that is a symbolic link is written through it (the link was replaced by a plain file
// and its target left stale); an existing file keeps its permissions (a chmod 600 result became
// 644); a pipe or device is refused (as root, --out /dev/stdout replaced /dev/stdout with a plain
// file). All found in review; bedGraph, bigWig and a bgzipped BED each go through their writer.
MS_TEST(outputs_through_links_keep_modes_and_refuse_devices) {
    const fs::path dir = database().dir / "links";
    fs::remove_all(dir);
    fs::create_directories(dir / "real");
    struct Case {
        std::string format, name;
        bool bgzip;
    };
    for (const Case& c :
         {Case{"bedgraph", "t.bedgraph", false}, Case{"bigwig", "t.bw", false}, Case{"bed", "t.bed.gz", true}}) {
        std::ofstream(dir / "real" / c.name) << "old";
        fs::permissions(dir / "real" / c.name, fs::perms::owner_read | fs::perms::owner_write);
        fs::create_symlink(fs::path("real") / c.name, dir / c.name);
        ExportOptions o = options(1);
        o.track = "loglik";
        o.format = c.format;
        o.bgzip = c.bgzip;
        if (c.format == "bed") o.below = -1;
        o.out = (dir / c.name).string();
        exported(o);
        MS_CHECK_MSG(fs::is_symlink(dir / c.name), c.name << " is no longer a link");
        MS_CHECK_MSG(fs::file_size(dir / "real" / c.name) > 3, c.name << ": the link's target was not written");
        MS_CHECK_MSG(
            fs::status(dir / "real" / c.name).permissions() == (fs::perms::owner_read | fs::perms::owner_write),
            c.name << " lost its permissions");
    }
    // A dangling link (its target not written yet): the target is created, the link kept.
    fs::create_symlink(fs::path("real") / "new.bedgraph", dir / "new.bedgraph");
    ExportOptions fresh = options(1);
    fresh.track = "loglik";
    fresh.format = "bedgraph";
    fresh.out = (dir / "new.bedgraph").string();
    exported(fresh);
    MS_CHECK(fs::is_symlink(dir / "new.bedgraph") && fs::file_size(dir / "real" / "new.bedgraph") > 0);
    const fs::path fifo = dir / "pipe.bedgraph";
    MS_CHECK(::mkfifo(fifo.c_str(), 0644) == 0);
    ExportOptions o = options(1);
    o.track = "loglik";
    o.format = "bedgraph";
    o.out = fifo.string();
    auto r = run_export(o);
    MS_CHECK_MSG(
        !r.ok() && r.error().message.find("is not a regular file (a device, pipe or socket)") != std::string::npos,
        (r.ok() ? *r : r.error().message));
    MS_CHECK(fs::is_fifo(fifo));
    // --out /dev/stdout into a pipe: the magic link /proc/self/fd/N leads to "pipe:[N]", which was
    // taken for a file name ("cannot create '/proc/self/fd/pipe:[N].tmp-PID'"; found in review).
    int ends[2];
    MS_CHECK(::pipe(ends) == 0);
    o.out = cat("/proc/self/fd/", ends[1]);
    r = run_export(o);
    MS_CHECK_MSG(
        !r.ok() && r.error().message.find("is not a regular file (a device, pipe or socket)") != std::string::npos,
        (r.ok() ? *r : r.error().message));
    ::close(ends[0]);
    ::close(ends[1]);
}

// A kill -9 leaves FILE.tmp-PID behind; the next export to FILE removes those of processes that no
// longer run, unchanged for an hour (they piled up; found in review), and leaves a live process's, a
// recent one (a job on another host) and names the writers never make alone.
MS_TEST(stale_temporaries_of_killed_exports_are_removed) {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    MS_CHECK(::waitpid(child, &status, 0) == child);
    ExportOptions o = options(1);
    o.track = "loglik";
    o.out = (database().dir / "again.bw").string();
    const std::string dead = cat(o.out, ".tmp-", child), live = o.out + ".tmp-1",
                      recent = cat(o.out, ".tmp-", child, ".tbi"), users = cat(o.out, ".tmp-", child, ".bak");
    std::ofstream(dead) << "left by a killed export";
    std::ofstream(live) << "init's, as if it were writing";
    std::ofstream(recent) << "written a minute ago: perhaps by a job on another host";
    std::ofstream(users) << "a name the writers never make";
    const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    for (const std::string& f : {dead, live, users}) fs::last_write_time(f, two_hours_ago);
    exported(o);
    MS_CHECK(!fs::exists(dead));
    MS_CHECK(fs::exists(live) && fs::exists(recent) && fs::exists(users));
    for (const std::string& f : {live, recent, users}) fs::remove(f);
}

// The compression is read from the name in any case, .bgz too (OUT.VCF.GZ and OUT.BG.GZ were
// written as plain text under a compressed name; found in review), as `variants` reads it.
MS_TEST(compressed_names_in_any_case) {
    struct Case {
        bool track;
        const char* name;
    };
    for (const Case& c : {Case{true, "upper.BG.GZ"}, Case{false, "upper.VCF.GZ"}, Case{false, "other.vcf.bgz"}}) {
        ExportOptions o = options(c.track ? 1 : 2);
        if (c.track)
            o.track = "loglik";
        else
            o.variants = true;
        o.out = (database().dir / c.name).string();
        exported(o);
        MS_CHECK_EQ(run("head -c 2 " + q(o.out) + " | od -An -tx1 | tr -d ' \\n'"), std::string("1f8b"));
        MS_CHECK_MSG(fs::exists(o.out + ".tbi"), c.name);
    }
    // Without --exit a region closes at --above's level: the message names that flag.
    ExportOptions o = options(1);
    o.track = "loglik";
    o.format = "bed";
    o.above = 0.5;
    o.enter = 0.3;
    o.out = (database().dir / "calls.bed").string();
    auto r = run_export(o);
    MS_CHECK_MSG(!r.ok() && r.error().message.find("0.5 (--above) is above --enter 0.3") != std::string::npos,
                 (r.ok() ? *r : r.error().message));
}

// Ctrl-C or SIGTERM during an export (the flag their handler sets): the writer stops, its
// temporary file goes, an earlier file of the name stays (an interrupted export left a
// FILE.tmp-PID of up to 100 MB behind; found in review).
MS_TEST(an_interrupted_export_leaves_the_earlier_file) {
    struct Case {
        const char* format;
        const char* file;
    };
    for (const Case& c : {Case{"bigwig", "stopped.bw"}, Case{"bedgraph", "stopped.bedgraph"},
                          Case{"bedgraph", "stopped.bedgraph.gz"}, Case{"bed", "stopped.bed"}}) {
        ExportOptions o = options(1);
        o.track = "loglik";
        o.format = c.format;
        if (o.format == "bed") o.below = -1;
        o.out = (database().dir / c.file).string();
        std::ofstream(o.out) << "an earlier file";
        interrupted() = true;
        auto r = run_export(o);
        interrupted() = false;
        MS_CHECK_MSG(!r.ok(), c.file << ": written although interrupted");
        MS_CHECK_MSG(r.error().message.find("interrupted") != std::string::npos, r.error().message);
        MS_CHECK_EQ(run("cat " + q(o.out)), std::string("an earlier file"));
    }
    ExportOptions p = options(2);  // the run with predictions
    p.predictions = true;
    p.out = (database().dir / "stopped.tsv").string();
    std::ofstream(p.out) << "an earlier file";
    interrupted() = true;
    auto r = run_export(p);
    interrupted() = false;
    MS_CHECK(!r.ok());
    MS_CHECK_MSG(r.error().message.find("interrupted") != std::string::npos, r.error().message);
    MS_CHECK_EQ(run("cat " + q(p.out)), std::string("an earlier file"));
    MS_CHECK(no_temporaries(database().dir));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

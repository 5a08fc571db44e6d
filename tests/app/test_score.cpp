// `score` end to end on a fixture model: the tracks in the database are the session's per-base
// scores (to float16 precision) at record coordinates, for whole records and for a region; the
// run carries its provenance (model SHA-256, sequence MD5s as SAM M5) and ends finished.
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "app/digests.h"
#include "app/score_command.h"
#include "engine/cpu_backend.h"
#include "engine/model.h"
#include "engine/session.h"
#include "genomics/fasta.h"
#include "genomics/results_store.h"
#include "tests/app/store_contents.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MS_TEST_DATA_DIR) / "fixtures";

fs::path scratch() {
    const fs::path d = fs::current_path() / "score_tmp";
    fs::remove_all(d);
    fs::create_directories(d);
    fs::copy_file(kFixtures / "input.fa", d / "in.fa");
    return d;
}

// The scores of bases [begin, end) of a record, from a session started at `begin` (or, on the
// reverse strand, at end - 1), in forward coordinates.
std::vector<BaseScores> expected(const Model& m, const std::string& fasta, const std::string& rec, int64_t begin,
                                 int64_t end, Strand strand = Strand::Forward) {
    auto fa = FastaFile::open(fasta);
    if (!fa) throw test::Failure{fa.error().message};
    auto bases = fa->fetch(rec, begin, end);
    if (!bases) throw test::Failure{bases.error().message};
    auto cpu = make_cpu_backend(1);
    SessionOptions o;
    o.scores = true;
    auto s = Session::create(m, *cpu, o);
    auto out = run_sequence(**s, m, *bases, o, strand);
    if (!out) throw test::Failure{out.error().message};
    return out->scores;
}

// The strand mean as `score --strand both` defines it: mean probabilities (one strand at the
// edges, where the other has no context), log2 of the observed base's mean, entropy of the mean.
std::vector<BaseScores> strand_mean(const std::vector<BaseScores>& f, const std::vector<BaseScores>& r,
                                    const std::string& bases) {
    std::vector<BaseScores> m(f.size());
    for (size_t i = 0; i < f.size(); ++i) {
        double h = 0;
        for (int k = 0; k < 4; ++k) {
            const float a = f[i].p[size_t(k)], b = r[i].p[size_t(k)];
            m[i].p[size_t(k)] = std::isnan(a) ? b : std::isnan(b) ? a : 0.5f * (a + b);
            if (m[i].p[size_t(k)] > 0) h -= m[i].p[size_t(k)] * std::log2(double(m[i].p[size_t(k)]));
        }
        const size_t o = std::string("ACGT").find(char(std::toupper(bases[i])));
        m[i].log2_lik = o == std::string::npos ? NAN : std::log2(m[i].p[o]);
        m[i].entropy = float(h);
    }
    return m;
}

void check_track(const ResultsStore& db, int64_t run, const StoredSequence& seq, const std::vector<BaseScores>& want,
                 int64_t begin) {
    const char* names[6] = {"prob_A", "prob_C", "prob_G", "prob_T", "loglik", "entropy"};
    for (int k = 0; k < 6; ++k) {
        auto id = db.find_track(run, names[k]);
        MS_CHECK_MSG(id.ok(), id.error().message);
        auto got = db.read_values(*id, seq.id, begin, begin + int64_t(want.size()));
        MS_CHECK_MSG(got.ok(), got.error().message);
        for (size_t i = 0; i < want.size(); ++i) {
            const BaseScores& s = want[i];
            const float w = k < 4 ? s.p[size_t(k)] : k == 4 ? s.log2_lik : s.entropy;
            const float g = (*got)[i];
            if (std::isnan(w)) {
                MS_CHECK_MSG(std::isnan(g), names[k] << " at " << begin + int64_t(i) << ": expected NaN, got " << g);
            } else {
                MS_CHECK_MSG(std::abs(g - w) <= 1e-3f * std::max(1.0f, std::abs(w)),
                             names[k] << " at " << begin + int64_t(i) << ": stored " << g << ", session " << w);
            }
        }
    }
}

// A score job on the CPU over 16 short records of 1-700 bases (one with an N) in dir/many.fa, for
// the tests of short records side by side: with --chunk 400 a record is short up to 100 bases, and
// the 700-base one runs in two chunks alone.
// A CPU score job on the fixture model with 400-position chunks (short parts: at most 100 bases)
// over a FASTA of random records `prefix`0, `prefix`1, … of the given lengths; record `n_record`
// has an N at its sixth base.
ScoreOptions records_job(const fs::path& fasta, const std::string& prefix, const std::vector<int>& lengths,
                         size_t n_record = SIZE_MAX) {
    std::ofstream f(fasta);
    uint32_t x = 99;
    for (size_t r = 0; r < lengths.size(); ++r) {
        f << ">" << prefix << r << "\n";
        for (int i = 0; i < lengths[r]; ++i) {
            x = x * 1664525u + 1013904223u;
            f << (i == 5 && r == n_record ? 'N' : "ACGT"[(x >> 24) & 3]);
        }
        f << "\n";
    }
    ScoreOptions o;
    o.model = (kFixtures / "tied_k4_s16" / "hf").string();
    o.fasta = fasta.string();
    o.device = "cpu";
    o.chunk = 400;
    o.quiet = true;
    o.threads = 1;
    return o;
}

ScoreOptions short_records_job(const fs::path& dir) {
    return records_job(dir / "many.fa", "c", {60, 1, 33, 100, 7, 250, 90, 90, 12, 101, 48, 64, 3, 700, 20, 55}, 3);
}

// Every stored value of `got` as in `want`, within one float16 step: side by side the products run
// over more rows, which may move a value by an fp32 rounding, and that may move its step.
void check_within_a_step(const test::StoreContents& want, const test::StoreContents& got, const std::string& what) {
    MS_CHECK(want.sequences == got.sequences);
    for (const auto& [name, bits] : want.values) {
        MS_CHECK_MSG(got.values.count(name), what << ": " << name << " missing");
        const std::vector<uint32_t>& g = got.values.at(name);
        MS_CHECK_EQ(g.size(), bits.size());
        for (size_t i = 0; i < bits.size(); ++i) {
            float a, b;
            std::memcpy(&a, &bits[i], 4);
            std::memcpy(&b, &g[i], 4);
            MS_CHECK_MSG(std::isnan(a) ? std::isnan(b) : std::abs(a - b) <= 1e-3f * std::max(1.0f, std::abs(a)),
                         what << ": " << name << " at " << i << ": " << b << " against " << a);
        }
    }
}

}  // namespace

MS_TEST(score_whole_records_and_a_region_into_the_store) {
    const fs::path dir = scratch();
    const std::string model_dir = (kFixtures / "untied_bias_k3_s4" / "hf").string();
    const std::string fasta = (dir / "in.fa").string(), db_path = (dir / "r.db").string();
    ScoreOptions o;
    o.model = model_dir;
    o.fasta = fasta;
    o.db = db_path;
    o.device = "cpu";
    o.chunk = 37;   // chunks that do not divide the records
    o.quiet = true;
    MS_CHECK_EQ(cmd_score(o, "test score"), 0);
    o.regions = {"rec1:101-350"};
    MS_CHECK_EQ(cmd_score(o, "test score region"), 0);

    auto model = Model::load(model_dir);
    MS_CHECK(model.ok());
    auto db = ResultsStore::open(db_path, ResultsStore::Mode::read_only);
    MS_CHECK_MSG(db.ok(), db.error().message);
    auto runs = db->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 2);
    for (const RunRecord& r : *runs) {
        MS_CHECK(r.status == RunStatus::finished);
        MS_CHECK_EQ(r.info.model_sha256.size(), size_t(64));
        MS_CHECK_EQ(r.info.device, std::string("cpu"));
    }
    auto seqs = db->list_sequences((*runs)[0].id);
    MS_CHECK(seqs.ok() && seqs->size() == 2);
    MS_CHECK_EQ((*seqs)[1].info.name, std::string("rec2"));
    MS_CHECK_EQ((*seqs)[1].info.length, int64_t(257));
    MS_CHECK_EQ((*seqs)[1].info.md5, std::string("9742fa21445433094b5cac347bbf514f"));   // md5 of the upper-cased bases
    for (const StoredSequence& s : *seqs)
        check_track(*db, (*runs)[0].id, s, expected(*model, fasta, s.info.name, 0, s.info.length), 0);
    // The region run: record coordinates, the session starting at the region (first base NaN).
    auto rseqs = db->list_sequences((*runs)[1].id);
    MS_CHECK(rseqs.ok() && rseqs->size() == 1);
    check_track(*db, (*runs)[1].id, (*rseqs)[0], expected(*model, fasta, "rec1", 100, 350), 100);
}

MS_TEST(score_both_strands_stores_strand_means) {
    const fs::path dir = scratch();
    const std::string model_dir = (kFixtures / "tied_k4_s16" / "hf").string();
    const std::string fasta = (dir / "in.fa").string(), db_path = (dir / "both.db").string();
    ScoreOptions o;
    o.model = model_dir;
    o.fasta = fasta;
    o.db = db_path;
    o.device = "cpu";
    o.chunk = 64;
    o.quiet = true;
    o.strand = "both";
    o.regions = {"rec1:51-600", "rec2"};
    // The summary counts the genome's bases, and says each ran on both strands (it said 1614
    // bases, twice the 807 scored; found in review).
    auto outcome = run_score(o, "test score both", JobControl{});
    MS_CHECK_MSG(outcome.ok() && outcome->summary.find(", 807 bases in ") != std::string::npos &&
                     outcome->summary.find(" Mbp/s, each base on both strands)") != std::string::npos,
                 (outcome.ok() ? outcome->summary : outcome.error().message));
    auto model = Model::load(model_dir);
    auto fa = FastaFile::open(fasta);
    auto db = ResultsStore::open(db_path, ResultsStore::Mode::read_only);
    MS_CHECK(model.ok() && fa.ok() && db.ok());
    auto runs = db->list_runs();
    auto seqs = db->list_sequences((*runs)[0].id);
    MS_CHECK(seqs.ok() && seqs->size() == 2);
    const std::vector<std::tuple<std::string, int64_t, int64_t>> regions = {{"rec1", 50, 600}, {"rec2", 0, 257}};
    for (size_t i = 0; i < 2; ++i) {
        const auto& [name, b, e] = regions[i];
        const auto f = expected(*model, fasta, name, b, e), r = expected(*model, fasta, name, b, e, Strand::Reverse);
        check_track(*db, (*runs)[0].id, (*seqs)[i], strand_mean(f, r, *fa->fetch(name, b, e)), b);
        for (const char* t : {"loglik_fwd", "loglik_rev"}) {
            auto id = db->find_track((*runs)[0].id, t);
            MS_CHECK_MSG(id.ok(), id.error().message);
            auto got = db->read_values(*id, (*seqs)[i].id, b, e);
            const auto& ref = std::string(t) == "loglik_fwd" ? f : r;
            for (size_t k = 0; k < ref.size(); ++k)
                MS_CHECK_MSG(std::isnan(ref[k].log2_lik) ? std::isnan((*got)[k])
                                                         : std::abs((*got)[k] - ref[k].log2_lik) <= 1e-3f * std::max(1.0f, std::abs(ref[k].log2_lik)),
                             t << " at " << b + int64_t(k));
        }
    }
}

// Lanes (what cuda:all gives each GPU) on two CPU engines of one thread each: targets run side by
// side and the database holds exactly what one lane of one thread writes.
MS_TEST(score_lanes_equal_one_lane) {
    const fs::path dir = scratch();
    ScoreOptions o;
    o.model = (kFixtures / "tied_k4_s16" / "hf").string();
    o.fasta = (dir / "in.fa").string();
    o.device = "cpu";
    o.chunk = 50;
    o.quiet = true;
    o.regions = {"rec1:1-300", "rec2",
                 "rec1:302-700"};  // two targets on one contig (apart: touching ones are joined), in two lanes
    o.db = (dir / "one.db").string();
    o.threads = 1;
    MS_CHECK_EQ(cmd_score(o, "one lane"), 0);
    o.db = (dir / "two.db").string();
    o.threads = 2;
    o.lanes = 2;
    MS_CHECK_EQ(cmd_score(o, "two lanes"), 0);
    const auto one = test::store_contents(dir / "one.db"), two = test::store_contents(dir / "two.db");
    MS_CHECK(one.sequences == two.sequences);
    MS_CHECK(one.values == two.values);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    MS_CHECK_EQ(db->list_runs()->at(0).info.device, std::string("cpu+cpu"));
    // More lanes than parts: one lane a part, said (64 lanes over six sequences held 12 GB of idle
    // engines; found in review).
    o.db = (dir / "many.db").string();
    o.lanes = 16;
    std::vector<std::string> notes;
    JobControl control;
    control.on_note = [&](const std::string& n) { notes.push_back(n); };
    MS_CHECK(run_score(o, "many lanes", control).ok());
    auto many = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    MS_CHECK_EQ(many->list_runs()->at(0).info.device, std::string("cpu+cpu+cpu"));
    bool said = false;
    for (const std::string& n : notes)
        said |= n.find("3 part(s) to score, so 3 lane(s) of the 16 asked for") != std::string::npos;
    MS_CHECK(said);
    MS_CHECK(test::store_contents(dir / "many.db").values == one.values);
}

// Short records side by side (what a GPU lane does with contigs of a few kbp), forced on the CPU:
// the database holds exactly what records run one at a time write, in the genome's order, on one
// strand and on both, with long records, a record cut into chunks and end markers between them.
MS_TEST(score_short_records_side_by_side_equal_records_alone) {
    const fs::path dir = scratch();
    ScoreOptions o = short_records_job(dir);
    for (const std::string strand : {"fwd", "both"}) {
        o.strand = strand;
        o.item_batch = 1;
        o.db = (dir / ("alone_" + strand + ".db")).string();
        MS_CHECK_EQ(cmd_score(o, "alone"), 0);
        o.item_batch = 5;
        o.db = (dir / ("side_" + strand + ".db")).string();
        MS_CHECK_EQ(cmd_score(o, "side by side"), 0);
        const auto alone = test::store_contents(dir / ("alone_" + strand + ".db")),
                   side = test::store_contents(dir / ("side_" + strand + ".db"));
        MS_CHECK_EQ(side.sequences.size(), size_t(16));
        MS_CHECK(alone.sequences == side.sequences);
        MS_CHECK(alone.encodings == side.encodings);
        check_within_a_step(alone, side, strand);
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        auto seqs = db->list_sequences(db->list_runs()->at(0).id);
        MS_CHECK(seqs.ok() && seqs->size() == 16);
        for (size_t r = 0; r < seqs->size(); ++r) MS_CHECK_EQ((*seqs)[r].info.name, "c" + std::to_string(r));
    }
}

// Short records side by side, stopped part-way (Ctrl-C) and resumed: the parts recorded finished
// when it stopped hold all their values, and the resumed run ends as one run alone would.
MS_TEST(score_short_records_side_by_side_resume_after_a_stop) {
    const fs::path dir = scratch();
    ScoreOptions o = short_records_job(dir);
    o.item_batch = 1;
    o.db = (dir / "alone.db").string();
    MS_CHECK_EQ(cmd_score(o, "alone"), 0);
    const auto alone = test::store_contents(dir / "alone.db");
    o.item_batch = 3;
    o.db = (dir / "stopped.db").string();
    std::atomic<bool> stop{false};
    JobControl control;
    control.cancel = &stop;
    control.on_progress = [&](const JobProgress& p) {
        if (p.done >= 600) stop = true;  // of 1,634 bases
    };
    auto outcome = run_score(o, "stopped", control);
    MS_CHECK(outcome.ok() && outcome->status == RunStatus::interrupted);
    {
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        const int64_t run = db->list_runs()->at(0).id;
        size_t complete = 0;
        const auto seqs = db->list_sequences(run);
        MS_CHECK(seqs.ok());
        for (const StoredSequence& s : *seqs) {
            if (!s.complete) continue;
            ++complete;
            auto track = db->find_track(run, "loglik");
            auto got = db->read_values(*track, s.id, 0, s.info.length);
            MS_CHECK(got.ok());
            std::vector<uint32_t> bits(got->size());
            std::memcpy(bits.data(), got->data(), got->size() * 4);
            test::StoreContents one, want;
            one.values[s.info.name] = bits;
            want.values[s.info.name] = alone.values.at(s.info.name + "/loglik");
            check_within_a_step(want, one, "finished when stopped");
        }
        MS_CHECK_MSG(complete > 0 && complete < 16, complete << " of 16 records finished when stopped");
    }
    o.resume = true;
    MS_CHECK_EQ(cmd_score(o, "resumed"), 0);
    check_within_a_step(alone, test::store_contents(dir / "stopped.db"), "resumed");
}

// Short records of two lengths in turn run in batches of one length each (a window of the
// genome's order sorted by length), so no position runs padding, and a long record between them
// does not cut the window; the store still lists the records in the FASTA's order, with what
// records run alone store. In the FASTA's order they ran as 4 batches of 10 + 90 bases a strand:
// 720 positions for 400 bases.
MS_TEST(score_short_records_batched_by_length) {
    const fs::path dir = scratch();
    // t4 is long (short parts: at most --chunk / 4 = 100 bases)
    ScoreOptions o = records_job(dir / "turns.fa", "t", {10, 90, 10, 90, 150, 10, 90, 10, 90});
    ::setenv("MAMBASCOPE_STAGE_TIMES", "1", 1);
    for (const std::string strand : {"fwd", "both"}) {
        o.strand = strand;
        o.item_batch = 1;
        o.db = (dir / ("alone_" + strand + ".db")).string();
        MS_CHECK_EQ(cmd_score(o, "alone"), 0);
        o.item_batch = 4;
        o.db = (dir / ("side_" + strand + ".db")).string();
        std::vector<std::string> notes;
        JobControl control;
        control.on_note = [&](const std::string& n) { notes.push_back(n); };
        MS_CHECK(run_score(o, "side by side", control).ok());
        std::string line;
        for (const std::string& n : notes)
            if (n.find("short parts:") != std::string::npos) line = n.substr(n.find("short parts:"));
        const int strands = strand == "both" ? 2 : 1;
        long items = 0, batches = 0, bases = 0, positions = 0;
        MS_CHECK_MSG(
            std::sscanf(line.c_str(), "short parts: %ld strand(s) in %ld batch(es), %ld bases in %ld positions", &items,
                        &batches, &bases, &positions) == 4,
            "note: '" << line << "'");
        MS_CHECK_EQ(items, 8L * strands);
        MS_CHECK_EQ(batches, 2L * strands);
        MS_CHECK_EQ(bases, 400L * strands);
        MS_CHECK_EQ(positions, bases);
        check_within_a_step(test::store_contents(dir / ("alone_" + strand + ".db")),
                            test::store_contents(dir / ("side_" + strand + ".db")), strand);
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        auto seqs = db->list_sequences(db->list_runs()->at(0).id);
        MS_CHECK(seqs.ok() && seqs->size() == 9);
        for (size_t r = 0; r < seqs->size(); ++r) {
            MS_CHECK_EQ((*seqs)[r].info.name, "t" + std::to_string(r));
            MS_CHECK((*seqs)[r].complete);
        }
    }
    ::unsetenv("MAMBASCOPE_STAGE_TIMES");
}

// MAMBASCOPE_STAGE_TIMES: score says how long each stage worked, each within the job's time (the
// engine summed over lanes), and says nothing of it otherwise.
MS_TEST(score_stage_times_on_request) {
    const fs::path dir = scratch();
    {
        std::ofstream f(dir / "long.fa");  // ~0.2 s of work on this model: times of two decimals
        uint32_t x = 5;
        for (int r = 0; r < 4; ++r) {
            f << ">s" << r << "\n";
            for (int i = 0; i < 50000; ++i) f << "ACGT"[(x = x * 1664525u + 1013904223u) >> 30];
            f << "\n";
        }
    }
    ScoreOptions o;
    o.model = (kFixtures / "tied_k4_s16" / "hf").string();
    o.fasta = (dir / "long.fa").string();
    o.device = "cpu";
    o.chunk = 4096;
    o.quiet = true;
    o.lanes = 2;
    o.threads = 2;
    for (const bool want : {true, false}) {
        if (want)
            ::setenv("MAMBASCOPE_STAGE_TIMES", "1", 1);
        else
            ::setenv("MAMBASCOPE_STAGE_TIMES", "0", 1);
        o.db = (dir / (want ? "times.db" : "quiet.db")).string();
        std::vector<std::string> notes;
        JobControl control;
        control.on_note = [&](const std::string& n) { notes.push_back(n); };
        MS_CHECK(run_score(o, "stage times", control).ok());
        std::string line;
        for (const std::string& n : notes)
            if (n.find("busy:") != std::string::npos) line = n;
        MS_CHECK_MSG(line.empty() != want, "note: '" << line << "'");
        if (!want) continue;
        double wall = -1, reading = -1, engine = -1, writing = -1;
        int lanes = 0;
        MS_CHECK_MSG(
            std::sscanf(line.c_str(), "score: %lf s; busy: reading %lf s, engine %lf s (%d lanes), writing %lf s",
                        &wall, &reading, &engine, &lanes, &writing) == 5,
            line);
        MS_CHECK_EQ(lanes, 2);
        MS_CHECK_MSG(wall > 0 && reading >= 0 && reading <= 2 * wall && engine > 0 && engine <= 2 * wall &&
                         writing > 0 && writing <= wall,
                     line);
    }
    ::unsetenv("MAMBASCOPE_STAGE_TIMES");
}

// --bed: the file's regions (0-based half-open) scored as --region would score them.
MS_TEST(score_bed_regions) {
    const fs::path dir = scratch();
    std::ofstream(dir / "r.bed") << "# regions\nrec1\t100\t350\tfirst\nrec2\t0\t257\n";
    ScoreOptions o;
    o.model = (kFixtures / "untied_bias_k3_s4" / "hf").string();
    o.fasta = (dir / "in.fa").string();
    o.db = (dir / "bed.db").string();
    o.device = "cpu";
    o.quiet = true;
    o.bed = (dir / "r.bed").string();
    MS_CHECK_EQ(cmd_score(o, "score bed"), 0);
    auto model = Model::load(o.model);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    auto runs = db->list_runs();
    auto seqs = db->list_sequences((*runs)[0].id);
    MS_CHECK(seqs.ok() && seqs->size() == 2);
    check_track(*db, (*runs)[0].id, (*seqs)[0], expected(*model, o.fasta, "rec1", 100, 350), 100);
    check_track(*db, (*runs)[0].id, (*seqs)[1], expected(*model, o.fasta, "rec2", 0, 257), 0);
    // Overlapping regions (genes on both strands, a BED of features): the bases they cover are
    // scored once, as their union. The later region, run from a fresh state, replaced the earlier's
    // values, leaving a NaN inside the first (found in review).
    std::ofstream(dir / "overlap.bed") << "rec1\t100\t300\nrec2\t0\t50\nrec1\t250\t400\nrec1\t380\t420\n";
    o.bed = (dir / "overlap.bed").string();
    o.db = (dir / "overlap.db").string();
    MS_CHECK_EQ(cmd_score(o, "score overlapping bed"), 0);
    auto odb = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    auto oseqs = odb->list_sequences((*odb->list_runs())[0].id);
    MS_CHECK(oseqs.ok() && oseqs->size() == 2);
    check_track(*odb, (*odb->list_runs())[0].id, (*oseqs)[0], expected(*model, o.fasta, "rec1", 100, 420), 100);
    std::ofstream(dir / "bad.bed") << "rec1\t300\t100\n";   // end before start
    o.bed = (dir / "bad.bed").string();
    o.db = (dir / "bad.db").string();
    MS_CHECK(cmd_score(o, "score bad bed") != 0);
    MS_CHECK(!fs::exists(dir / "bad.db"));
}

// A BED6 with '-' regions under --strand fwd: every region is scored on the forward strand, and
// the job says so (the strand column was ignored without a word; found in review).
MS_TEST(score_bed_minus_strand_regions_are_noted) {
    const fs::path dir = scratch();
    std::ofstream(dir / "s.bed") << "rec1\t100\t200\tgeneA\t0\t-\nrec1\t300\t350\tgeneB\t0\t+\nrec2\t0\t50\tx\t0\t-\n";
    ScoreOptions o;
    o.model = (kFixtures / "untied_bias_k3_s4" / "hf").string();
    o.fasta = (dir / "in.fa").string();
    o.device = "cpu";
    o.bed = (dir / "s.bed").string();
    for (const std::string strand : {"fwd", "both"}) {
        o.strand = strand;
        o.db = (dir / ("strand_" + strand + ".db")).string();
        std::vector<std::string> notes;
        JobControl control;
        control.on_note = [&](const std::string& n) { notes.push_back(n); };
        auto outcome = run_score(o, "score strands", control);
        MS_CHECK_MSG(outcome.ok(), outcome.error().message);
        bool noted = false;
        for (const std::string& n : notes)
            noted |= n.find("2 region(s) of --bed") != std::string::npos &&
                     n.find("'-' strand; --strand fwd scores every region on the forward") != std::string::npos;
        MS_CHECK_MSG(noted == (strand == "fwd"), strand << ": " << notes.size() << " notes");
    }
}

// The model checksum a run records, and that --resume and merge compare, covers config.json and
// tokenizer_config.json as well as the weights: a config edited between a run and its resume (a
// class list reordered, another epsilon) gave the same checksum, so the two halves were joined.
MS_TEST(model_checksum_covers_config_and_tokenizer) {
    const fs::path dir = scratch() / "model_copy";
    fs::remove_all(dir);
    fs::copy(kFixtures / "untied_bias_k3_s4" / "hf", dir);
    auto original = model_sha256((kFixtures / "untied_bias_k3_s4" / "hf").string());
    auto copy = model_sha256(dir.string());
    MS_CHECK_MSG(original.ok() && copy.ok(), (original.ok() ? copy.error().message : original.error().message));
    MS_CHECK_EQ(*copy, *original);
    std::ofstream(dir / "config.json", std::ios::app) << "\n";
    const std::string config_changed = *model_sha256(dir.string());
    MS_CHECK(config_changed != *original);
    std::ofstream(dir / "tokenizer_config.json", std::ios::app) << "\n";
    MS_CHECK(*model_sha256(dir.string()) != config_changed);
}

MS_TEST(score_refuses_bad_input_without_a_run) {
    const fs::path dir = scratch();
    ScoreOptions o;
    o.model = (kFixtures / "untied_bias_k3_s4" / "hf").string();
    o.fasta = (dir / "in.fa").string();
    o.db = (dir / "r.db").string();
    o.device = "cpu";
    o.quiet = true;
    o.regions = {"rec1:500-9000"};   // past the record's end (700 bp)
    MS_CHECK(cmd_score(o, "x") != 0);
    o.regions = {};
    o.model = dir.string();          // no config.json
    MS_CHECK(cmd_score(o, "x") != 0);
    MS_CHECK(!fs::exists(dir / "r.db"));   // nothing was created for a job that could not start
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

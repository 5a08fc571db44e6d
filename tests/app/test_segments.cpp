// `score --segment-length` with --shard and --lanes, and `merge` of shards holding parts of one
// sequence. What is exact, and so tested bit for bit:
//   - a warm-up that reaches back to the sequence's start makes every segment's run the whole
//     run's prefix: sharded segments merged equal an unsegmented run, every value and every zoom
//     summary (tiles assembled from parts of several shards), on one strand and on both;
//   - with a shorter warm-up W, a segment [s, e) holds exactly what a run over [s - W, e) holds
//     there (the definition of the warm-up), also when two lanes run the segments of one sequence;
//   - --resume of an interrupted segmented shard ends with what an uninterrupted one writes.
// How close a finite warm-up comes to the whole run depends on the model: docs/cluster.md measures
// it for the bundled model on the demo genome. The merge refuses parts that leave a gap or overlap.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "app/merge_command.h"
#include "app/score_command.h"
#include "genomics/results_store.h"
#include "tests/app/store_contents.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MS_TEST_DATA_DIR) / "fixtures";

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::current_path() / ("segments_tmp_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Records of the given lengths, random bases with some soft-masking and Ns, 60 a line.
void write_genome(const fs::path& path, const std::vector<int>& lengths, uint32_t seed) {
    std::mt19937 rng(seed);
    std::ofstream fa(path);
    for (size_t r = 0; r < lengths.size(); ++r) {
        fa << ">seq" << r << "\n";
        for (int i = 0; i < lengths[r]; ++i) {
            fa << "ACGTACGTacgtN"[rng() % 13];
            if (i % 60 == 59 || i + 1 == lengths[r]) fa << "\n";
        }
    }
}

ScoreOptions options(const fs::path& dir, const std::string& db) {
    ScoreOptions o;
    o.model = (kFixtures / "tied_k4_s16" / "hf").string();
    o.fasta = (dir / "genome.fa").string();
    o.db = (dir / db).string();
    o.device = "cpu";
    o.chunk = 1000;
    o.threads = 1;   // the same BLAS threading in every run, whatever the lanes
    o.quiet = true;
    return o;
}

void check_same_values(const fs::path& got_db, const fs::path& want_db) {
    const auto got = test::store_contents(got_db), want = test::store_contents(want_db);
    MS_CHECK(got.sequences == want.sequences);
    MS_CHECK(got.encodings == want.encodings);
    MS_CHECK_EQ(got.values.size(), want.values.size());
    for (const auto& [key, bits] : want.values) MS_CHECK_MSG(got.values.at(key) == bits, key << " differs");
}

// The zoom summaries a viewer reads, at every zoom: bins of 16, 256 and 4096 positions.
void check_same_zooms(const fs::path& got_db, const fs::path& want_db) {
    auto got = ResultsStore::open(got_db.string(), ResultsStore::Mode::read_only);
    auto want = ResultsStore::open(want_db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(got.ok() && want.ok());
    const int64_t grun = (*got->list_runs())[0].id, wrun = (*want->list_runs())[0].id;
    const std::vector<StoredSequence> want_seqs = *want->list_sequences(wrun);
    const std::vector<StoredTrack> want_tracks = *want->list_tracks(wrun);
    for (const StoredSequence& ws : want_seqs) {
        const auto gseqs = *got->list_sequences(grun);
        const auto gs = std::find_if(gseqs.begin(), gseqs.end(), [&](const StoredSequence& s) { return s.info.name == ws.info.name; });
        MS_CHECK(gs != gseqs.end());
        for (const StoredTrack& wt : want_tracks) {
            const int64_t gt = *got->find_track(grun, wt.name);
            for (int zoom = 1; zoom <= kMaxZoom; ++zoom) {
                const int bins = int(std::max<int64_t>(1, ws.info.length / zoom_bin_size(zoom)));
                auto a = got->read_track(gt, gs->id, 0, ws.info.length, bins);
                auto b = want->read_track(wt.id, ws.id, 0, ws.info.length, bins);
                MS_CHECK(a.ok() && b.ok() && a->size() == b->size());
                for (size_t i = 0; i < b->size(); ++i) {
                    const TrackBin &x = (*a)[i], &y = (*b)[i];
                    const auto same = [](float p, float q) { return std::memcmp(&p, &q, 4) == 0; };
                    MS_CHECK_MSG(x.begin == y.begin && x.end == y.end && same(x.mean, y.mean) && same(x.min, y.min) &&
                                     same(x.max, y.max),
                                 ws.info.name << "/" << wt.name << " zoom " << zoom << " bin " << i << " differs");
                }
            }
        }
    }
}

std::vector<std::string> shards(const fs::path& dir, const std::string& stem, int n) {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) out.push_back((dir / cat(stem, i, ".db")).string());
    return out;
}

// A shard database like `from` but whose run records other parts: a shard of the same analysis
// that lost a part, or holds one too many bases.
void forge_shard(const std::string& from, const std::string& to, const std::function<void(nlohmann::json&)>& edit_parts) {
    auto src = ResultsStore::open(from, ResultsStore::Mode::read_only);
    MS_CHECK(src.ok());
    const RunRecord run = (*src->list_runs())[0];
    RunInfo info = run.info;
    nlohmann::json params = nlohmann::json::parse(info.params_json);
    edit_parts(params["parts"]);
    info.params_json = params.dump();
    fs::remove(to);
    auto dst = ResultsStore::open(to);
    MS_CHECK(dst.ok());
    const int64_t id = *dst->begin_run(info);
    const std::vector<StoredSequence> seqs = *src->list_sequences(run.id);
    for (const StoredSequence& s : seqs) MS_CHECK(dst->mark_sequence_complete(*dst->add_sequence(id, s.info)).ok());
    MS_CHECK(dst->finish_run(id, RunStatus::finished).ok());
}

}  // namespace

MS_TEST(cut_segments_near_equal_with_warmups_inside_the_target) {
    const std::vector<Region> targets = {{"a", 0, 100}, {"b", 10, 40}, {"a", 200, 230}};
    // 100 bases at most 30 a segment: four of 25; b and the second region of a stay whole.
    const std::vector<ScorePart> parts = cut_segments(targets, 30, 40);
    MS_CHECK_EQ(parts.size(), size_t(6));
    const int64_t want[4][4] = {{0, 25, 0, 40}, {25, 50, 25, 40}, {50, 75, 40, 25}, {75, 100, 40, 0}};
    for (int k = 0; k < 4; ++k) {
        MS_CHECK(parts[size_t(k)].region == (Region{"a", want[k][0], want[k][1]}));
        MS_CHECK(parts[size_t(k)].target == targets[0]);
        MS_CHECK_EQ(parts[size_t(k)].warmup_before, want[k][2]);
        MS_CHECK_EQ(parts[size_t(k)].warmup_after, want[k][3]);
        MS_CHECK(!parts[size_t(k)].whole());
    }
    MS_CHECK(parts[4].whole() && parts[4].region == targets[1] && parts[4].warmup_before == 0);
    MS_CHECK(parts[5].whole() && parts[5].region == targets[2]);
    // No segment length: every target whole.
    for (const ScorePart& p : cut_segments(targets, 0, 40)) MS_CHECK(p.whole() && p.warmup_before == 0 && p.warmup_after == 0);
    // A length that divides unevenly: 100 in at most 33 → four parts, none longer than 33, none empty.
    const auto uneven = cut_segments({{"a", 0, 100}}, 33, 0);
    MS_CHECK_EQ(uneven.size(), size_t(4));
    int64_t at = 0;
    for (const ScorePart& p : uneven) {
        MS_CHECK(p.region.begin == at && p.region.length() <= 33 && p.region.length() > 0);
        at = p.region.end;
    }
    MS_CHECK_EQ(at, int64_t(100));
}

MS_TEST(segment_length_parsing_and_auto) {
    MS_CHECK_EQ(*parse_segment_length(""), int64_t(0));
    MS_CHECK_EQ(*parse_segment_length("0"), int64_t(0));
    MS_CHECK_EQ(*parse_segment_length("auto"), int64_t(-1));
    MS_CHECK_EQ(*parse_segment_length("250000"), int64_t(250000));
    MS_CHECK_EQ(*parse_segment_length("5M"), int64_t(5000000));
    MS_CHECK_EQ(*parse_segment_length("10k"), int64_t(10000));
    for (const char* bad : {"-5", "5MB", "M", "1.5M", "auto2", "99999999999999999999"}) {
        auto r = parse_segment_length(bad);
        MS_CHECK_MSG(!r.ok(), bad << " was accepted");
        MS_CHECK(r.error().message.find("expected auto, 0") != std::string::npos);
    }
    const std::vector<Region> targets = {{"a", 0, 1000}, {"b", 0, 200}};
    MS_CHECK_EQ(auto_segment_length(targets, 1), int64_t(0));   // one worker: nothing to spread
    MS_CHECK_EQ(auto_segment_length(targets, 4), int64_t(300));
}

// Touching targets are joined too (bedtools merge does the same): apart, each restarted the model's
// state and left its first base without a value (found in review).
MS_TEST(overlapping_and_touching_targets_are_joined) {
    std::vector<Region> t = {{"a", 0, 100},   {"a", 50, 150},  {"b", 0, 10}, {"a", 300, 400},
                             {"a", 400, 500}, {"a", 140, 200}, {"b", 5, 8}};
    MS_CHECK_EQ(merge_overlapping_targets(t), size_t(4));
    const std::vector<Region> want = {{"a", 0, 200}, {"b", 0, 10}, {"a", 300, 500}};
    MS_CHECK(t == want);
    std::vector<Region> apart = {{"a", 0, 10}, {"b", 0, 10}, {"a", 11, 20}};
    MS_CHECK_EQ(merge_overlapping_targets(apart), size_t(0));
    MS_CHECK_EQ(apart.size(), size_t(3));
    std::vector<Region> touching = {{"a", 10, 20}, {"b", 0, 10}, {"a", 0, 10}};
    MS_CHECK_EQ(merge_overlapping_targets(touching), size_t(1));
    MS_CHECK(touching == (std::vector<Region>{{"a", 0, 20}, {"b", 0, 10}}));
}

MS_TEST(shard_parts_keep_whole_targets_of_a_contig_together) {
    // a: 4 segments of 250 (+ warm-up), b and c whole; c's two regions go to one shard.
    const std::vector<Region> targets = {{"a", 0, 1000}, {"b", 0, 300}, {"c", 0, 100}, {"c", 500, 600}};
    const auto parts = cut_segments(targets, 250, 50);
    std::vector<int> seen(parts.size(), 0);
    int64_t most = 0, least = INT64_MAX;
    for (int i = 1; i <= 3; ++i) {
        int64_t load = 0;
        bool c_here = false, c_all = true;
        const auto mine = shard_parts(parts, i, 3);
        for (const ScorePart& p : mine) {
            ++seen[size_t(std::find(parts.begin(), parts.end(), p) - parts.begin())];
            load += p.region.length() + p.warmup_before;
            if (p.region.contig == "c") c_here = true;
        }
        for (const ScorePart& p : parts)
            if (p.region.contig == "c") c_all = c_all && std::find(mine.begin(), mine.end(), p) != mine.end();
        MS_CHECK(!c_here || c_all);
        most = std::max(most, load), least = std::min(least, load);
    }
    for (int n : seen) MS_CHECK_EQ(n, 1);   // every part in exactly one shard
    MS_CHECK_MSG(most - least <= 300, "shards unbalanced: " << least << " .. " << most << " bases");
}

MS_TEST(segments_with_a_warmup_to_the_start_merge_to_the_unsegmented_run) {
    const fs::path dir = scratch("exact");
    // seq0 spans three tiles (65,536 positions each), so tiles are assembled from parts of
    // different shards; seq1 and seq2 are shorter than a segment and stay whole.
    write_genome(dir / "genome.fa", {150000, 9000, 30001}, 11);
    for (const std::string strand : {"fwd", "both"}) {
        ScoreOptions o = options(dir, strand + "_full.db");
        o.strand = strand;
        MS_CHECK_EQ(cmd_score(o, "score"), 0);
        const auto names = shards(dir, strand + "_s", 3);
        for (int i = 1; i <= 3; ++i) {
            ScoreOptions s = options(dir, fs::path(names[size_t(i - 1)]).filename().string());
            s.strand = strand;
            s.shard = cat(i, "/3");
            s.segment_length = "40000";
            s.warmup = int64_t(1) << 30;   // longer than any sequence: every segment runs from the start
            MS_CHECK_EQ(cmd_score(s, "score shard"), 0);
        }
        // seq0 is in four segments; more than one shard holds part of it.
        int holding = 0;
        for (const std::string& n : names) holding += test::store_contents(n).sequences.count("seq0") ? 1 : 0;
        MS_CHECK_MSG(holding >= 2, "seq0 is in " << holding << " shard(s)");
        MergeOptions m;
        m.out = (dir / (strand + "_all.db")).string();
        m.shards = {names[2], names[0], names[1]};
        auto r = run_merge(m, "merge");
        MS_CHECK_MSG(r.ok(), r.error().message);
        check_same_values(m.out, dir / (strand + "_full.db"));
        check_same_zooms(m.out, dir / (strand + "_full.db"));
        auto merged = ResultsStore::open(m.out, ResultsStore::Mode::read_only);
        MS_CHECK(merged.ok() && *merged->integrity_check() == "ok");
        // The merged run says how it was made.
        const auto params = nlohmann::json::parse((*merged->list_runs())[0].info.params_json);
        MS_CHECK_EQ(params.value("segment_length", int64_t(0)), int64_t(40000));
        MS_CHECK_EQ(params.value("warmup", int64_t(0)), int64_t(1) << 30);
        MS_CHECK(!params.contains("parts") && !params.contains("shard"));
    }
}

// Segments shorter than their warm-up multiply the work; the job says by how much (a 10-base
// --segment-length with the default 100 kbp warm-up was taken without a word).
MS_TEST(segments_shorter_than_the_warmup_are_noted) {
    const fs::path dir = scratch("short");
    write_genome(dir / "genome.fa", {50000}, 5);
    ScoreOptions o = options(dir, "short.db");
    o.segment_length = "1000";
    o.warmup = 5000;  // 50 segments; warm-ups 0, 1000, 2000, 3000, 4000, then 45 × 5000: 285 kbp run for 50 kbp
    std::vector<std::string> notes;
    JobControl control;
    control.on_note = [&](const std::string& n) { notes.push_back(n); };
    auto r = run_score(o, "score", control);
    MS_CHECK_MSG(r.ok(), r.error().message);
    bool said = false;
    for (const std::string& n : notes) said |= n.find("each run 5.7× the bases they score") != std::string::npos;
    MS_CHECK_MSG(said, (notes.empty() ? std::string("no notes") : notes.back()));
    o.db = (dir / "long.db").string();
    o.segment_length = "50000";  // one segment: nothing to say
    notes.clear();
    MS_CHECK(run_score(o, "score", control).ok());
    for (const std::string& n : notes) MS_CHECK_MSG(n.find("bases they score") == std::string::npos, n);
}

MS_TEST(a_segment_holds_what_a_run_over_its_warmup_and_itself_holds) {
    const fs::path dir = scratch("warmup");
    write_genome(dir / "genome.fa", {120000}, 12);
    constexpr int64_t kWarmup = 3000;
    ScoreOptions o = options(dir, "seg.db");
    o.segment_length = "40000";
    o.warmup = kWarmup;
    o.lanes = 2;   // the segments of one sequence side by side, as cuda:all runs them on GPUs
    MS_CHECK_EQ(cmd_score(o, "score lanes"), 0);
    const auto seg = test::store_contents(dir / "seg.db");
    ScoreOptions z = options(dir, "zero.db");
    z.segment_length = "40000";
    z.warmup = 0;
    MS_CHECK_EQ(cmd_score(z, "score no warm-up"), 0);
    const auto zero = test::store_contents(dir / "zero.db");
    MS_CHECK_EQ(cmd_score(options(dir, "full.db"), "score"), 0);
    const auto full = test::store_contents(dir / "full.db");
    for (int k = 0; k < 3; ++k) {
        const int64_t s = 40000 * k, e = s + 40000, from = std::max<int64_t>(0, s - kWarmup);
        ScoreOptions r = options(dir, cat("region", k, ".db"));
        r.regions = {cat("seq0:", from + 1, "-", e)};
        MS_CHECK_EQ(cmd_score(r, "score region"), 0);
        const auto region = test::store_contents(dir / cat("region", k, ".db"));
        for (const char* track : {"prob_A", "prob_C", "prob_G", "prob_T", "loglik", "entropy"}) {
            const std::string key = cat("seq0/", track);
            const auto &a = seg.values.at(key), &b = region.values.at(key);
            for (int64_t i = s; i < e; ++i)
                MS_CHECK_MSG(a[size_t(i)] == b[size_t(i)], key << " at " << i << " differs from the run over its warm-up");
            // Without a warm-up a segment starts like a new sequence: its first base has no context.
            float first;
            std::memcpy(&first, &zero.values.at(key)[size_t(s)], 4);
            MS_CHECK_MSG(std::isnan(first) == true, key << " at " << s << " has a value without context");
        }
    }
    // And a warm-up is not a no-op: just after a segment start its values are closer to the whole
    // run's than those of a segment without one.
    const auto value = [](const test::StoreContents& c, int64_t i) {
        float f;
        std::memcpy(&f, &c.values.at("seq0/loglik")[size_t(i)], 4);
        return double(f);
    };
    double off_warm = 0, off_zero = 0;
    for (int64_t i = 40001; i < 40033; ++i) {
        if (std::isnan(value(full, i))) continue;   // an N: no log-likelihood
        off_warm += std::abs(value(seg, i) - value(full, i));
        off_zero += std::abs(value(zero, i) - value(full, i));
    }
    MS_CHECK_MSG(off_zero > 0 && off_warm < off_zero, "warm-up " << off_warm << " vs none " << off_zero);
}

MS_TEST(resume_of_an_interrupted_segmented_shard) {
    const fs::path dir = scratch("resume");
    write_genome(dir / "genome.fa", {200000, 50000}, 13);
    ScoreOptions o = options(dir, "ref.db");
    o.shard = "1/2";
    o.segment_length = "60000";
    o.warmup = 5000;
    MS_CHECK_EQ(cmd_score(o, "score"), 0);
    o.db = (dir / "r.db").string();
    std::atomic<bool> stop{false};
    JobControl control;
    control.cancel = &stop;
    control.on_progress = [&](const JobProgress& p) {
        if (p.done > 70000) stop = true;   // inside the shard's second part
    };
    auto first = run_score(o, "score", control);
    MS_CHECK_MSG(first.ok(), first.error().message);
    MS_CHECK(first->status == RunStatus::interrupted);
    o.resume = true;
    stop = false;
    control.on_progress = nullptr;
    auto again = run_score(o, "score --resume", control);
    MS_CHECK_MSG(again.ok(), again.error().message);
    MS_CHECK(again->status == RunStatus::finished);
    check_same_values(dir / "r.db", dir / "ref.db");
}

MS_TEST(merge_refuses_parts_that_leave_a_gap_or_overlap) {
    const fs::path dir = scratch("refuse");
    write_genome(dir / "genome.fa", {100000, 7000}, 14);
    const auto names = shards(dir, "s", 2);
    for (int i = 1; i <= 2; ++i) {
        ScoreOptions s = options(dir, fs::path(names[size_t(i - 1)]).filename().string());
        s.shard = cat(i, "/2");
        s.segment_length = "30000";
        s.warmup = 2000;
        MS_CHECK_EQ(cmd_score(s, "score shard"), 0);
    }
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = names;
    auto ok = run_merge(m, "merge");
    MS_CHECK_MSG(ok.ok(), ok.error().message);

    const std::string forged = (dir / "forged.db").string();
    const auto merge_with_forged = [&](int replaced) {
        MergeOptions f;
        f.out = (dir / "never.db").string();
        f.shards = names;
        f.shards[size_t(replaced)] = forged;
        auto r = run_merge(f, "merge");
        MS_CHECK(!fs::exists(f.out) && !fs::exists(f.out + ".partial"));
        return r;
    };
    // Which shard holds a segment of seq0 that does not start the sequence?
    int with_inner = -1;
    for (int i = 0; i < 2 && with_inner < 0; ++i) {
        auto st = ResultsStore::open(names[size_t(i)], ResultsStore::Mode::read_only);
        const nlohmann::json params = nlohmann::json::parse((*st->list_runs())[0].info.params_json);
        for (const auto& p : params["parts"])
            if (p[0] == "seq0" && p[1].get<int64_t>() > 0) with_inner = i;
    }
    MS_CHECK(with_inner >= 0);
    // A lost part: the first inner segment of seq0 is gone.
    forge_shard(names[size_t(with_inner)], forged, [](nlohmann::json& parts) {
        for (size_t k = 0; k < parts.size(); ++k)
            if (parts[k][0] == "seq0" && parts[k][1].get<int64_t>() > 0) {
                parts.erase(k);
                return;
            }
    });
    auto gap = merge_with_forged(with_inner);
    MS_CHECK(!gap.ok());
    MS_CHECK_MSG(gap.error().message.find("is in no shard: a part is missing") != std::string::npos, gap.error().message);
    MS_CHECK_MSG(gap.error().message.find("seq0:") != std::string::npos, gap.error().message);
    // An overlap: the same inner segment reaches 500 bases into the one before it.
    forge_shard(names[size_t(with_inner)], forged, [](nlohmann::json& parts) {
        for (auto& p : parts)
            if (p[0] == "seq0" && p[1].get<int64_t>() > 0) {
                p[1] = p[1].get<int64_t>() - 500;
                return;
            }
    });
    auto overlap = merge_with_forged(with_inner);
    MS_CHECK(!overlap.ok());
    MS_CHECK_MSG(overlap.error().message.find("overlap") != std::string::npos, overlap.error().message);
    // A whole target lost: seq1 vanishes from the shard that holds it; nothing else names it.
    int with_seq1 = -1;
    for (int i = 0; i < 2; ++i)
        if (test::store_contents(names[size_t(i)]).sequences.count("seq1")) with_seq1 = i;
    forge_shard(names[size_t(with_seq1)], forged, [](nlohmann::json& parts) {
        for (size_t k = 0; k < parts.size(); ++k)
            if (parts[k][0] == "seq1") {
                parts.erase(k);
                return;
            }
    });
    auto lost = merge_with_forged(with_seq1);
    MS_CHECK(!lost.ok());
    MS_CHECK_MSG(lost.error().message.find("the analysis selected 2 of 107000 bases: a part is missing") != std::string::npos,
                 lost.error().message);
    // Shards cut with another segment length are another analysis: refused by their parameters.
    ScoreOptions other = options(dir, "other2.db");
    other.shard = "2/2";
    other.segment_length = "25000";
    other.warmup = 2000;
    MS_CHECK_EQ(cmd_score(other, "score shard"), 0);
    m.out = (dir / "never.db").string();
    m.shards = {names[0], (dir / "other2.db").string()};
    auto params = run_merge(m, "merge");
    MS_CHECK(!params.ok());
    MS_CHECK_MSG(params.error().message.find("other parameters") != std::string::npos, params.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// `score --shard I/N` + `merge`: three shards of a seven-record genome merged equal an unsharded run
// value for value; shards are length-balanced whole sequences; a merge refuses parts that do not
// make one analysis (missing or repeated shard, another model, an existing output); a shard left
// empty says so and still merges.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
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

ScoreOptions score_options(const fs::path& dir, const std::string& db, const std::string& shard,
                           const std::string& model = "tied_k4_s16") {
    ScoreOptions o;
    o.model = (kFixtures / model / "hf").string();
    o.fasta = (dir / "genome.fa").string();
    o.db = (dir / db).string();
    o.device = "cpu";
    o.chunk = 1000;
    o.quiet = true;
    o.shard = shard;
    return o;
}

}  // namespace

MS_TEST(shard_members_balance_whole_sequences) {
    // Longest first, each to the lightest shard: 50 → 1, 40 → 2, 30 → 3, 20 → 3, 10 → 2.
    const std::vector<int64_t> lengths = {10, 50, 20, 40, 30};
    MS_CHECK(shard_members(lengths, 1, 3) == (std::vector<bool>{false, true, false, false, false}));
    MS_CHECK(shard_members(lengths, 2, 3) == (std::vector<bool>{true, false, false, true, false}));
    MS_CHECK(shard_members(lengths, 3, 3) == (std::vector<bool>{false, false, true, false, true}));
    MS_CHECK(shard_members(lengths, 1, 1) == std::vector<bool>(5, true));
}

MS_TEST(merged_shards_equal_an_unsharded_run) {
    const fs::path dir = fs::current_path() / "merge_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::mt19937 rng(5);
        std::ofstream fa(dir / "genome.fa");
        for (int r = 0; r < 7; ++r) {
            fa << ">seq" << r << "\n";
            const int lines = 40 + int(rng() % 200);
            for (int l = 0; l < lines; ++l) {
                for (int i = 0; i < 60; ++i) fa << "ACGTacgtN"[rng() % 9];
                fa << "\n";
            }
        }
    }
    MS_CHECK_EQ(cmd_score(score_options(dir, "full.db", ""), "score"), 0);
    for (int i = 1; i <= 3; ++i)
        MS_CHECK_EQ(cmd_score(score_options(dir, cat("s", i, ".db"), cat(i, "/3")), cat("score shard ", i)), 0);
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = {(dir / "s2.db").string(), (dir / "s1.db").string(), (dir / "s3.db").string()};
    MS_CHECK_EQ(cmd_merge(m, "merge"), 0);
    const auto full = test::store_contents(dir / "full.db"), all = test::store_contents(dir / "all.db");
    MS_CHECK(all.sequences == full.sequences);
    MS_CHECK(all.encodings == full.encodings);
    MS_CHECK_EQ(all.values.size(), full.values.size());
    for (const auto& [key, bits] : full.values) MS_CHECK_MSG(all.values.at(key) == bits, key << " differs after the merge");
    // Each shard holds whole sequences, none twice (the merge checked), together all seven.
    size_t n = 0;
    for (int i = 1; i <= 3; ++i) n += test::store_contents(dir / cat("s", i, ".db")).sequences.size();
    MS_CHECK_EQ(n, size_t(7));

    // Refusals, each before anything is written.
    m.out = (dir / "again.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // 3/3 missing
    m.shards = {(dir / "s1.db").string(), (dir / "s1.db").string(), (dir / "s3.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // 1/3 twice
    MS_CHECK_EQ(cmd_score(score_options(dir, "other.db", "2/3", "untied_bias_k3_s4"), "score other"), 0);
    m.shards = {(dir / "s1.db").string(), (dir / "other.db").string(), (dir / "s3.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // another model
    for (const auto& e : fs::directory_iterator(dir))  // nor a temporary of it
        MS_CHECK_MSG(e.path().filename().string().find("again.db") == std::string::npos, e.path());
    m.out = (dir / "all.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2.db").string(), (dir / "s3.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // the output exists
    m.out = (dir / "x.db").string();
    m.shards = {(dir / "full.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // not a shard
    {   // the same file name, one base changed: another genome
        std::fstream fa(dir / "genome.fa", std::ios::in | std::ios::out);
        fa.seekp(10);
        const char c = fa.peek() == 'G' ? 'C' : 'G';
        fa.seekp(10);
        fa.put(c);
    }
    MS_CHECK_EQ(cmd_score(score_options(dir, "edited.db", "2/3"), "score edited"), 0);
    m.out = (dir / "y.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "edited.db").string(), (dir / "s3.db").string()};
    MS_CHECK(cmd_merge(m, "merge") != 0);   // the genome's SHA-256 differs
    MS_CHECK(!fs::exists(dir / "y.db"));
}

// More shards than sequences: a shard left with nothing says so in its summary (not "1 target(s),
// 0 bases" alone), and its empty run still merges with the others into the unsharded result.
MS_TEST(an_empty_shard_says_so_and_still_merges) {
    const fs::path dir = fs::current_path() / "merge_empty_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream fa(dir / "genome.fa");
        fa << ">only\n";
        for (int l = 0; l < 30; ++l) fa << "ACGTTGCAACGGTTCAGTCAAGCTTGCAGTCCGATTACGGATCAGTCAGGCTAGCTAGCTAG\n";
    }
    MS_CHECK_EQ(cmd_score(score_options(dir, "full.db", ""), "score"), 0);
    std::vector<std::string> summaries;
    for (int i = 1; i <= 2; ++i) {
        auto outcome = run_score(score_options(dir, cat("s", i, ".db"), cat(i, "/2")), "score", JobControl{});
        MS_CHECK_MSG(outcome.ok(), outcome.error().message);
        summaries.push_back(outcome->summary);
    }
    int empty = 0;
    for (const std::string& s : summaries) {
        MS_CHECK_MSG(s.find("shard ") != std::string::npos, s);
        if (s.find("got nothing to score") != std::string::npos) ++empty;
    }
    MS_CHECK_MSG(empty == 1, summaries[0] << " | " << summaries[1]);
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2.db").string()};
    MS_CHECK_EQ(cmd_merge(m, "merge"), 0);
    const auto full = test::store_contents(dir / "full.db"), all = test::store_contents(dir / "all.db");
    MS_CHECK(all.sequences == full.sequences);
    MS_CHECK(all.values == full.values);
}

// Shards agree by content, not by path: the genome staged to another folder (node-local disk on a
// cluster) merges (it was refused as "other parameters", with two JSON dumps); a BED edited between
// shards is refused, naming what differs (its contents were not recorded, so the merge mixed two
// region lists; found in review). A failed merge leaves no temporary file.
MS_TEST(shards_agree_by_content_not_path) {
    const fs::path dir = fs::current_path() / "merge_content_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir / "staged");
    {
        std::ofstream fa(dir / "genome.fa");
        for (const char* name : {"a", "b"}) {
            fa << ">" << name << "\n";
            for (int l = 0; l < 10; ++l) fa << "ACGTTGCAACGGTTCAGTCAAGCTTGCAGTCCGATTACGGATCAGTCAGGCTAGCTAGCTAG\n";
        }
    }
    fs::copy_file(dir / "genome.fa", dir / "staged" / "genome.fa");
    std::ofstream(dir / "r.bed") << "a\t0\t300\nb\t0\t300\n";
    auto shard = [&](const std::string& db, const std::string& which, const fs::path& fasta) {
        ScoreOptions o = score_options(dir, db, which);
        o.fasta = fasta.string();
        o.bed = (dir / "r.bed").string();
        return cmd_score(o, "score");
    };
    MS_CHECK_EQ(shard("s1.db", "1/2", dir / "genome.fa"), 0);
    MS_CHECK_EQ(shard("s2.db", "2/2", dir / "staged" / "genome.fa"), 0);
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2.db").string()};
    MS_CHECK_EQ(cmd_merge(m, "merge"), 0);
    std::ofstream(dir / "r.bed") << "a\t0\t300\nb\t0\t200\n";
    MS_CHECK_EQ(shard("s2e.db", "2/2", dir / "genome.fa"), 0);
    m.out = (dir / "mixed.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2e.db").string()};
    auto r = run_merge(m, "merge");
    MS_CHECK(!r.ok() && r.error().message.find("other parameters") != std::string::npos &&
             r.error().message.find("bed_sha256: ") != std::string::npos);
    for (const auto& e : fs::directory_iterator(dir))
        MS_CHECK_MSG(e.path().filename().string().find("mixed.db") == std::string::npos, e.path());
}

// Loci agree whatever their thousands separators: `1,100` is `1100` (shards given the same regions
// spelled otherwise were refused as "other parameters", and so was a --resume; found in review).
// The run keeps the text as typed: runs recorded before compare the same way.
MS_TEST(shards_agree_on_loci_however_written) {
    const fs::path dir = fs::current_path() / "merge_loci_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream fa(dir / "genome.fa");
        for (const char* name : {"a", "b"}) {
            fa << ">" << name << "\n";
            for (int l = 0; l < 20; ++l) fa << "ACGTTGCAACGGTTCAGTCAAGCTTGCAGTCCGATTACGGATCAGTCAGGCTAGCTAGCTAG\n";
        }
    }
    ScoreOptions s1 = score_options(dir, "s1.db", "1/2"), s2 = score_options(dir, "s2.db", "2/2");
    s1.regions = {"a:1-1240", "b:101-1100"};  // a is 1,240 bases
    s2.regions = {"a:1-1,240", "b:101-1,100"};
    MS_CHECK_EQ(cmd_score(s1, "score"), 0);
    MS_CHECK_EQ(cmd_score(s2, "score"), 0);
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = {s1.db, s2.db};
    auto r = run_merge(m, "merge");
    MS_CHECK_MSG(r.ok(), r.error().message);
    auto db = ResultsStore::open(s2.db, ResultsStore::Mode::read_only);
    auto runs = db->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 1);
    const auto params = nlohmann::json::parse((*runs)[0].info.params_json);
    MS_CHECK_EQ(params["regions"].dump(), std::string(R"(["a:1-1,240","b:101-1,100"])"));
    // Other regions are still other parameters.
    ScoreOptions s3 = score_options(dir, "s3.db", "2/2");
    s3.regions = {"a:1-1,200", "b:101-1,100"};
    MS_CHECK_EQ(cmd_score(s3, "score"), 0);
    m.out = (dir / "mixed.db").string();
    m.shards = {s1.db, s3.db};
    r = run_merge(m, "merge");
    MS_CHECK(!r.ok() && r.error().message.find("regions: ") != std::string::npos);
}

// A shard job stopped and run again into the same database without --resume leaves an interrupted
// run beside the finished one: the merge takes the finished run (it refused the file as holding
// "2 runs"); two finished ones are refused, naming them.
MS_TEST(a_shard_database_with_an_earlier_attempt_merges) {
    const fs::path dir = fs::current_path() / "merge_attempts_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream fa(dir / "genome.fa");
        for (const char* name : {"a", "b", "c"}) {
            fa << ">" << name << "\n";
            for (int l = 0; l < 10; ++l) fa << "ACGTTGCAACGGTTCAGTCAAGCTTGCAGTCCGATTACGGATCAGTCAGGCTAGCTAGCTAG\n";
        }
    }
    MS_CHECK_EQ(cmd_score(score_options(dir, "full.db", ""), "score"), 0);
    std::atomic<bool> stop{true};
    JobControl stopped;
    stopped.cancel = &stop;
    auto first = run_score(score_options(dir, "s1.db", "1/2"), "score", stopped);
    MS_CHECK_MSG(first.ok() && first->status == RunStatus::interrupted,
                 (first.ok() ? "not interrupted" : first.error().message));
    MS_CHECK_EQ(cmd_score(score_options(dir, "s1.db", "1/2"), "score"), 0);
    MS_CHECK_EQ(cmd_score(score_options(dir, "s2.db", "2/2"), "score"), 0);
    MergeOptions m;
    m.out = (dir / "all.db").string();
    m.shards = {(dir / "s1.db").string(), (dir / "s2.db").string()};
    auto merged = run_merge(m, "merge");
    MS_CHECK_MSG(merged.ok(), merged.error().message);
    const auto full = test::store_contents(dir / "full.db"), all = test::store_contents(dir / "all.db");
    MS_CHECK(all.sequences == full.sequences);
    MS_CHECK(all.values == full.values);
    // The merged run names each shard's own run, with where and when it ran.
    {
        auto store = ResultsStore::open(m.out, ResultsStore::Mode::read_only);
        MS_CHECK(store.ok());
        const RunRecord run = (*store->list_runs()).at(0);
        MS_CHECK_EQ(run.info.device, std::string("cpu"));
        const auto from = nlohmann::json::parse(run.info.params_json).at("merged_from");
        MS_CHECK_EQ(from.size(), size_t(2));
        MS_CHECK_EQ(from[0].at("shard").get<std::string>(), std::string("1/2"));
        MS_CHECK_EQ(from[0].at("run").get<int64_t>(), int64_t(2));  // the finished attempt
        MS_CHECK_EQ(from[1].at("run").get<int64_t>(), int64_t(1));
        MS_CHECK_EQ(from[0].at("device").get<std::string>(), std::string("cpu"));
        MS_CHECK(!from[0].at("finished").get<std::string>().empty());
        MS_CHECK(from[0].at("path").get<std::string>().ends_with("s1.db"));
    }
    MS_CHECK_EQ(cmd_score(score_options(dir, "s2.db", "2/2"), "score"), 0);  // a second finished run
    m.out = (dir / "again.db").string();
    auto twice = run_merge(m, "merge");
    MS_CHECK(!twice.ok() && twice.error().message.find("holds 2 finished shard runs (1, 2)") != std::string::npos);
    MS_CHECK(!fs::exists(dir / "again.db"));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

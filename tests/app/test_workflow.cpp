// The Snakemake workflow (tools/workflow/Snakefile) run locally with two parallel jobs: three shards
// of a small genome scored and merged; the merged database equals an unsharded `score` run value for
// value, with whole sequences and with sequences cut into segments whose warm-up reaches back to
// their start (exact too: docs/cluster.md, "Segments"). Needs Debian's snakemake
// (scripts/install-deps installs it): a missing one fails the test.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "app/score_command.h"
#include "tests/app/store_contents.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

MS_TEST(snakemake_shards_and_merges_like_one_run) {
    const char* cli = std::getenv("CLI");
    MS_CHECK_MSG(cli, "CLI (the mambascope-cli path) is not set");
    const fs::path dir = fs::current_path() / "workflow_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::mt19937 rng(11);
        std::ofstream fa(dir / "genome.fa");
        for (int r = 0; r < 5; ++r) {
            fa << ">contig" << r << "\n";
            const int lines = 30 + int(rng() % 150);
            for (int l = 0; l < lines; ++l) {
                for (int i = 0; i < 70; ++i) fa << "ACGTN"[rng() % 5];
                fa << "\n";
            }
        }
    }
    const fs::path model = fs::path(MS_TEST_DATA_DIR) / "fixtures" / "tied_k4_s16" / "hf";
    const auto workflow = [&](const std::string& out, const std::string& more) {
        const std::string cmd = cat("snakemake --quiet -s '", MS_SOURCE_DIR, "/tools/workflow/Snakefile' --cores 2 --jobs 2 ",
                                    "--directory '", dir.string(), "' --config genome=genome.fa model='", model.string(),
                                    "' out=", out, " shards=3 device=cpu cli='", cli, "'", more, " > '",
                                    (dir / "snakemake.log").string(), "' 2>&1");
        const int rc = std::system(cmd.c_str());
        if (rc != 0) {
            std::ifstream log(dir / "snakemake.log");
            std::string text((std::istreambuf_iterator<char>(log)), {});
            MS_CHECK_MSG(false, "snakemake failed (" << rc << "):\n" << text);
        }
    };
    // The index rule alone builds the .fai (it ran plain `info`, which builds none; found in review).
    workflow("all.db", " --forceall all.db.shards/index.done");
    MS_CHECK(fs::exists(dir / "genome.fa.fai"));
    workflow("all.db", "");
    // Contigs of 2.1-12.6 kbp in segments of at most 3 kbp, spread over the three shards.
    workflow("segments.db", " segment_length=3000 warmup=1000000000");
    {   // the shards were cut: they say so, and some sequence is held by two of them
        std::map<std::string, int> holders;
        for (int i = 1; i <= 3; ++i) {
            const fs::path shard = dir / "segments.db.shards" / cat("shard_", i, "_of_3.db");
            auto store = ResultsStore::open(shard.string(), ResultsStore::Mode::read_only);
            MS_CHECK_MSG(store.ok(), store.error().message);
            MS_CHECK((*store->list_runs())[0].info.params_json.find("\"segment_length\":3000") != std::string::npos);
            for (const auto& [name, facts] : test::store_contents(shard).sequences) ++holders[name];
        }
        int shared = 0;
        for (const auto& [name, n] : holders) shared += n > 1;
        MS_CHECK_MSG(shared > 0, "no sequence was cut across shards");
    }
    // Shard jobs stopped before (a time limit): shard 1's database holds an interrupted run, shard 2's
    // one created but without a run. Run again, the workflow resumes the first (Snakemake removed
    // shard databases of failed jobs, so a part always started afresh) and starts the second.
    {
        const fs::path parts = dir / "resumed.db.shards";
        fs::create_directories(parts);
        std::atomic<bool> stop{true};
        JobControl stopped;
        stopped.cancel = &stop;
        ScoreOptions s;
        s.model = model.string();
        s.fasta = (dir / "genome.fa").string();
        s.db = (parts / "shard_1_of_3.db").string();
        s.device = "cpu";
        s.threads = 1;
        s.quiet = true;
        s.shard = "1/3";
        auto first = run_score(s, "score", stopped);
        MS_CHECK_MSG(first.ok() && first->status == RunStatus::interrupted,
                     (first.ok() ? "not interrupted" : first.error().message));
        MS_CHECK(ResultsStore::open((parts / "shard_2_of_3.db").string()).ok());
    }
    workflow("resumed.db", "");
    for (int i = 1; i <= 2; ++i) {
        std::ifstream log(dir / "resumed.db.shards" / cat("shard_", i, "_of_3.log"));
        const std::string text((std::istreambuf_iterator<char>(log)), {});
        MS_CHECK_MSG(text.find(i == 1 ? "resuming run 1" : "holds no run yet; starting one") != std::string::npos,
                     text);
    }
    ScoreOptions o;
    o.model = model.string();
    o.fasta = (dir / "genome.fa").string();
    o.db = (dir / "one.db").string();
    o.device = "cpu";
    o.threads = 1;   // as the workflow's jobs: the same row split, so the same floats
    o.quiet = true;
    MS_CHECK_EQ(cmd_score(o, "score"), 0);
    const auto one = test::store_contents(dir / "one.db");
    for (const char* merged : {"all.db", "segments.db", "resumed.db"}) {
        const auto all = test::store_contents(dir / merged);
        MS_CHECK_EQ(all.sequences.size(), size_t(5));
        MS_CHECK(all.sequences == one.sequences);
        MS_CHECK_MSG(all.values == one.values, merged << " differs from one run");
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// Measurement, not a test: how close segments with a warm-up come to a whole-sequence run
// (docs/cluster.md, "Segments"). Scores a genome once whole, then cut into segments of
// --segment-length for each warm-up of --warmups, and compares every stored value of every
// track with the whole run's: max and mean absolute difference, split by the distance of a base
// from the start of its segment, and the share of bases stored bit for bit the same.
//
//   build/release/tests/app/bench_segments                       # the demo E. coli genome, bundled model
//   build/release/tests/app/bench_segments --fasta G.fa --model DIR --segment-length 300000
//       --warmups 0,1000,10000,100000 [--strand both] [--threads N] [--keep DIR]   (one line)
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "app/bundled_model.h"
#include "app/score_command.h"
#include "app/score_segments.h"
#include "genomics/fasta.h"
#include "genomics/results_store.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

// Every track of the one run in a database, per sequence: name → track → values.
using Values = std::map<std::string, std::map<std::string, std::vector<float>>>;

Values load(const std::string& db) {
    Values out;
    auto store = ResultsStore::open(db, ResultsStore::Mode::read_only);
    if (!store) throw std::runtime_error(store.error().message);
    const int64_t run = (*store->list_runs()).back().id;
    const std::vector<StoredSequence> seqs = *store->list_sequences(run);
    const std::vector<StoredTrack> tracks = *store->list_tracks(run);
    for (const StoredSequence& s : seqs)
        for (const StoredTrack& t : tracks) out[s.info.name][t.name] = *store->read_values(t.id, s.id, 0, s.info.length);
    return out;
}

// Distance bands from the start of a segment: where the warm-up's shortfall shows.
constexpr int kBands = 5;
const int64_t kBandEnd[kBands] = {100, 1000, 10000, 100000, INT64_MAX};
const char* kBandName[kBands] = {"<100", "100-1k", "1k-10k", "10k-100k", ">=100k"};

struct Stats {
    double max = 0, sum = 0;
    int64_t n = 0, same = 0;
    void add(float a, float b) {
        ++n;
        if (std::memcmp(&a, &b, 4) == 0) {
            ++same;
            return;
        }
        if (std::isnan(a) != std::isnan(b)) return;   // counted as differing, no distance (first base)
        const double d = std::abs(double(a) - double(b));
        max = std::max(max, d);
        sum += d;
    }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"segments with a warm-up against a whole-sequence run"};
    std::string fasta = (fs::path(bundled_model_dir()).parent_path().parent_path() / "demo" / "ecoli_k12_mg1655.fa").string();
    std::string model = bundled_model_dir(), warmups_text = "0,1000,10000,100000", strand = "fwd", keep, segment = "300000";
    int threads = 0, chunk = 65536;
    app.add_option("--fasta", fasta)->capture_default_str();
    app.add_option("--model", model)->capture_default_str();
    app.add_option("--segment-length", segment)->capture_default_str();
    app.add_option("--warmups", warmups_text, "comma-separated warm-ups in bases")->capture_default_str();
    app.add_option("--strand", strand)->capture_default_str();
    app.add_option("--threads", threads);
    app.add_option("--chunk", chunk)->capture_default_str();
    app.add_option("--keep", keep, "keep the databases in this folder (and reuse a whole run found there)");
    CLI11_PARSE(app, argc, argv);
    std::vector<int64_t> warmups;
    std::stringstream ws(warmups_text);
    for (std::string w; std::getline(ws, w, ',');) warmups.push_back(std::stoll(w));

    const fs::path dir = keep.empty() ? fs::temp_directory_path() / "bench_segments" : fs::path(keep);
    if (keep.empty()) fs::remove_all(dir);
    fs::create_directories(dir);
    ScoreOptions base;
    base.model = model;
    base.fasta = fasta;
    base.device = "cpu";
    base.threads = threads;
    base.chunk = chunk;
    base.strand = strand;
    base.quiet = true;
    const auto timed = [](const ScoreOptions& o) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = run_score(o, "bench_segments", JobControl{});
        if (!r || r->status != RunStatus::finished) {
            std::fprintf(stderr, "score: %s\n", r ? "did not finish" : r.error().message.c_str());
            std::exit(1);
        }
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    ScoreOptions whole = base;
    whole.db = (dir / "whole.db").string();
    double whole_s = 0;
    if (!fs::exists(whole.db)) whole_s = timed(whole);
    const Values want = load(whole.db);

    auto fa = FastaFile::open(fasta);
    if (!fa) return std::fprintf(stderr, "%s\n", fa.error().message.c_str()), 1;
    std::vector<Region> targets;
    for (const SequenceRecord& r : fa->records()) targets.push_back({r.name, 0, r.length});
    const int64_t seg_len = *parse_segment_length(segment);
    const std::vector<ScorePart> parts = cut_segments(targets, seg_len, 0);
    std::printf("# %s, model %s, %zu sequence(s) cut into %zu segments of at most %lld bases, strand %s\n",
                fasta.c_str(), fs::path(model).filename().c_str(), targets.size(), parts.size(), (long long)seg_len,
                strand.c_str());
    if (whole_s > 0) std::printf("# whole run: %.1f s\n", whole_s);
    std::printf("%-8s %-9s %-9s %11s %11s %8s", "warmup", "seconds", "track", "max|d|", "mean|d|", "same%");
    for (const char* b : kBandName) std::printf(" %10s", (std::string("max ") + b).c_str());
    std::printf("\n");
    for (int64_t w : warmups) {
        ScoreOptions o = base;
        o.db = (dir / ("warmup_" + std::to_string(w) + ".db")).string();
        o.segment_length = segment;
        o.warmup = w;
        fs::remove(o.db);
        const double s = timed(o);
        const Values got = load(o.db);
        // prob_* as one row (the largest of the four), then loglik and entropy.
        std::map<std::string, std::pair<Stats, std::vector<Stats>>> rows;
        for (const auto& [seq, tracks] : want) {
            for (const auto& [track, ref] : tracks) {
                const std::string row = track.rfind("prob_", 0) == 0 ? "prob_*" : track;
                auto& [all, bands] = rows[row];
                bands.resize(kBands);
                const std::vector<float>& v = got.at(seq).at(track);
                for (const ScorePart& p : parts) {
                    if (p.region.contig != seq) continue;
                    for (int64_t i = p.region.begin; i < p.region.end; ++i) {
                        all.add(v[size_t(i)], ref[size_t(i)]);
                        const int64_t d = i - p.region.begin;
                        int b = 0;
                        while (d >= kBandEnd[b]) ++b;
                        bands[size_t(b)].add(v[size_t(i)], ref[size_t(i)]);
                    }
                }
            }
        }
        for (const auto& [row, st] : rows) {
            const auto& [all, bands] = st;
            std::printf("%-8lld %-9.1f %-9s %11.3g %11.3g %8.3f", (long long)w, s, row.c_str(), all.max,
                        all.sum / double(std::max<int64_t>(1, all.n)), 100.0 * double(all.same) / double(std::max<int64_t>(1, all.n)));
            for (const Stats& b : bands) std::printf(" %10.3g", b.max);
            std::printf("\n");
        }
        std::fflush(stdout);
    }
    if (keep.empty()) fs::remove_all(dir);
    return 0;
}

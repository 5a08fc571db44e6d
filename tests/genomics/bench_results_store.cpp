// Benchmark of the results store against issue 6's targets (not a test: figures depend on the
// machine). Prints one table row per figure with its target; docs/performance.md records a run.
//
//   bench_results_store [--dir DIR] [--length 63000000] [--embeddings 1000000]
//
// Data: per-base probabilities of A/C/G/T as a DNA language model gives them — a softmax of four
// logits, the base of a random genome favoured by a margin that drifts along the sequence, plus
// per-position noise — so the values have the entropy of real output (not runs of constants that
// zstd would erase). Stored as q8[0,1] (error <= 1/508). Embeddings are random 256-d vectors.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "genomics/embeddings_knn.h"
#include "genomics/results_store.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void die(const ms::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message.c_str());
    std::exit(1);
}
template <class T>
T ok(ms::Result<T> r) {
    if (!r) die(r.error());
    return std::move(*r);
}
void ok(ms::Result<void> r) {
    if (!r) die(r.error());
}

void row(const char* what, double value, const char* unit, const char* target, bool met) {
    std::printf("| %-52s | %10.3f %-12s | %-16s | %-4s |\n", what, value, unit, target, met ? "yes" : "NO");
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = (fs::temp_directory_path() / "mambascope_bench_results").string();
    int64_t length = 63'000'000, n_embeddings = 1'000'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--length"))
            length = std::atoll(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--embeddings"))
            n_embeddings = std::atoll(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: %s [--dir DIR] [--length N] [--embeddings N]\n", argv[0]);
            return 2;
        }
    }
    fs::create_directories(dir);
    const std::string path = dir + "/bench.db";
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);

    // A pool of 4 Mbp of probabilities, generated before timing; the writer takes chunks from it
    // at shifting offsets (each tile is compressed alone, so reuse does not help zstd).
    const int64_t pool = 4 << 20, chunk = 1 << 20;
    std::vector<std::vector<float>> probs(4, std::vector<float>(size_t(pool + chunk)));
    {
        std::mt19937 rng(42);
        std::normal_distribution<float> noise(0.0f, 0.6f);
        std::uniform_int_distribution<int> base(0, 3);
        float margin = 2.0f;
        for (int64_t i = 0; i < pool + chunk; ++i) {
            margin = std::clamp(margin + 0.05f * noise(rng), 0.0f, 4.0f);
            const int b = base(rng);
            float logit[4], sum = 0;
            for (int c = 0; c < 4; ++c) sum += logit[c] = std::exp((c == b ? margin : 0.0f) + noise(rng));
            for (int c = 0; c < 4; ++c) probs[size_t(c)][size_t(i)] = logit[c] / sum;
        }
    }
    const char* names[4] = {"prob_A", "prob_C", "prob_G", "prob_T"};

    std::printf("results store benchmark: %lld positions x 4 channels, %s, %u hardware threads\n\n",
                static_cast<long long>(length), path.c_str(), std::thread::hardware_concurrency());
    std::printf("| %-52s | %-23s | %-16s | met  |\n", "figure", "measured", "target");
    std::printf("|%s|%s|%s|%s|\n", std::string(54, '-').c_str(), std::string(25, '-').c_str(),
                std::string(18, '-').c_str(), std::string(6, '-').c_str());

    int64_t run = 0, seq = 0;
    {
        auto store = ok(ms::ResultsStore::open(path));
        const auto t0 = Clock::now();
        run = ok(store.begin_run({"bench", "-", "bench_results_store", "{}", "synthetic", "", "cpu", "fp32", {}}));
        seq = ok(store.add_sequence(run, {"chr_bench", length, "", "synthetic"}));
        for (const char* n : names) ok(store.create_track(run, n, ms::TrackEncoding::quantized8(0, 1)));
        for (int64_t p = 0, k = 0; p < length; p += chunk, ++k) {
            const int64_t n = std::min(chunk, length - p), at = (k * 1'000'003) % pool;
            for (int c = 0; c < 4; ++c) ok(store.write_track(run, names[c], seq, p, probs[size_t(c)].data() + at, n));
        }
        ok(store.finish_run(run, ms::RunStatus::finished));
        const double s = seconds_since(t0);
        row("write 4 channels, positions per second", double(length) / s / 1e6, "M pos/s", ">= 20 M pos/s",
            double(length) / s >= 20e6);
    }
    // Many short sequences of 2 kbp (contigs, transcripts: what `score` writes for a draft assembly),
    // each with the tracks given; a sequence's completion recorded alone (a flush and two commits a
    // sequence, the writer until the twenty-first session) or 256 at a time
    // (ResultsStore::mark_complete). Sequences a second.
    const auto short_sequences = [&](int n_short, const std::vector<const char*>& tracks,
                                     const ms::TrackEncoding& encoding, bool alone) {
        const int64_t short_len = 2000;
        const std::string p = dir + "/short.db";
        for (const char* x : {"", "-wal", "-shm"}) fs::remove(p + x);
        auto store = ok(ms::ResultsStore::open(p));
        const auto t0 = Clock::now();
        const int64_t r =
            ok(store.begin_run({"bench", "-", "bench_results_store", "{}", "synthetic", "", "cpu", "fp32", {}}));
        for (const char* n : tracks) ok(store.create_track(r, n, encoding));
        std::vector<ms::CompletedPart> done;
        // Together, sequences are added as score's window of short records adds them: ~1,000 at once.
        constexpr int kWindow = 1024;
        std::vector<int64_t> ids;
        const auto info = [&](int i) {
            std::string name = "c";  // not "c" + to_string: GCC 12 warns falsely (-Wrestrict)
            name += std::to_string(i);
            return ms::SequenceInfo{name, short_len, "", "synthetic"};
        };
        for (int i = 0; i < n_short; ++i) {
            if (!alone && i % kWindow == 0) {
                std::vector<ms::SequenceInfo> infos;
                for (int k = i; k < std::min(n_short, i + kWindow); ++k) infos.push_back(info(k));
                ids = ok(store.add_sequences(r, infos));
            }
            const int64_t id = alone ? ok(store.add_sequence(r, info(i))) : ids[size_t(i % kWindow)];
            const int64_t at = (int64_t(i) * 1'000'003) % pool;
            for (size_t c = 0; c < tracks.size(); ++c)  // tracks past the fourth: shifted copies
                ok(store.write_track(r, tracks[c], id, 0, probs[c % 4].data() + at + int64_t(c / 4), short_len));
            if (alone) {
                ok(store.mark_part_complete(id, 0, short_len));
                ok(store.mark_sequence_complete(id));
            } else {
                done.push_back({id, 0, short_len, true});
                if (done.size() == 256 || i + 1 == n_short) ok(store.mark_complete(done)), done.clear();
            }
        }
        ok(store.finish_run(r, ms::RunStatus::finished));
        return n_short / seconds_since(t0);
    };
    {
        const std::vector<const char*> four(names, names + 4);
        const double alone = short_sequences(4000, four, ms::TrackEncoding::quantized8(0, 1), true);
        const double together = short_sequences(4000, four, ms::TrackEncoding::quantized8(0, 1), false);
        row("4,000 sequences of 2 kbp, each completed alone", alone, "seq/s", "-", true);
        row("same, completions recorded together", together, "seq/s", "> alone", together > alone);
        // As `score` writes them: the four probabilities, log-likelihood and entropy, in f16.
        const double as_score = short_sequences(8000, {"prob_A", "prob_C", "prob_G", "prob_T", "loglik", "entropy"},
                                                ms::TrackEncoding::float16(), false);
        row("8,000 sequences of 2 kbp as score writes them", as_score, "seq/s", "-", true);
    }
    {
        auto store = ok(ms::ResultsStore::open(path, ms::ResultsStore::Mode::read_only));
        const ms::StoreCounts c = ok(store.counts());
        const double per = double(c.tile_bytes) / double(length * 4);
        row("tile bytes per position per channel (all zooms)", per, "B", "<= 1.5 B", per <= 1.5);
        const double file_per = double(c.file_bytes) / double(length * 4);
        row("whole file bytes per position per channel", file_per, "B", "(<= 1.5 B)", file_per <= 1.5);

        // Windows of log-uniform length from 10 kbp to the whole sequence, into 2000 bins, each read
        // by a fresh read-only connection (as a viewer that was just opened; no cache of ours).
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> lg(std::log(1e4), std::log(double(length)));
        std::vector<double> ms_each;
        const int64_t track = ok(store.find_track(run, "prob_A"));
        for (int i = 0; i < 200; ++i) {
            const int64_t w = std::min<int64_t>(length, int64_t(std::exp(lg(rng))));
            const int64_t b = std::uniform_int_distribution<int64_t>(0, length - w)(rng);
            auto reader = ok(ms::ResultsStore::open(path, ms::ResultsStore::Mode::read_only));
            const auto t0 = Clock::now();
            const auto bins = ok(reader.read_track(track, seq, b, b + w, 2000));
            ms_each.push_back(seconds_since(t0) * 1e3);
            if (bins.empty() || bins.size() > 2000) die({"a window read returned a wrong number of bins"});
        }
        const double med = median(ms_each);
        row("window 10 kbp..63 Mbp into 2000 bins, median", med, "ms", "<= 20 ms", med <= 20);
        row("same, slowest of 200", *std::max_element(ms_each.begin(), ms_each.end()), "ms", "-", true);
        const auto t0 = Clock::now();
        const auto whole = ok(store.read_track(track, seq, 0, length, 2000));
        row("whole sequence into 2000 bins", seconds_since(t0) * 1e3, "ms", "<= 20 ms", seconds_since(t0) * 1e3 <= 20);
        (void)whole;
    }
    if (n_embeddings > 0) {
        const int dim = 256;
        ms::EmbeddingIndex index(dim);
        index.reserve(n_embeddings);
        std::mt19937 rng(3);
        std::normal_distribution<float> g;
        std::vector<float> v(dim);
        // A fast generator for the bulk (normal variates for 256 M components take longer than the bench).
        uint32_t x = 12345;
        for (int64_t i = 0; i < n_embeddings; ++i) {
            for (float& c : v) {
                x = x * 1664525u + 1013904223u;
                c = float(int32_t(x)) * (1.0f / 2147483648.0f);
            }
            ok(index.add(i + 1, v));
        }
        std::vector<double> each;
        for (int q = 0; q < 20; ++q) {
            for (float& c : v) c = g(rng);
            const auto t0 = Clock::now();
            const auto top = ok(index.nearest(v, 10));
            each.push_back(seconds_since(t0) * 1e3);
            if (top.size() != 10) die({"kNN returned fewer than 10 neighbours"});
        }
        const double med = median(each);
        char what[96];
        std::snprintf(what, sizeof what, "top-10 cosine among %lld x %d-d, median of 20",
                      static_cast<long long>(n_embeddings), dim);
        row(what, med, "ms", "<= 200 ms", med <= 200);
    }
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);
    return 0;
}

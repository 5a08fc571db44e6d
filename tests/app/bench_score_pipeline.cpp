// Benchmark (not a test): the whole `score` job (FASTA read through htslib → engine → results store,
// three threads) against the engine alone on the same bases in the same run; issue 7's target is a
// ratio ≥ 0.90. Beside them the runner alone and the runner with each chunk scored in turn, against
// which the session's pipeline (ModelRunner::start) is measured. The model is random (engine/random_model.h) of the
// shape asked for, saved to disk first so the job loads it as a user's model; the genome is random bases.
//
//   bench_score_pipeline [--shape 128x8] [--mbp 4] [--records 4] [--chunk 65536] [--device cpu]
//                        [--precision auto]
// Both sides compute in the same precision: --precision as the job resolves it on the device
// (auto: bf16 on a GPU, fp32 on the CPU).
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "app/score_command.h"
#include "engine/backend_registry.h"
#include "engine/cli/engine_commands.h"
#include "engine/heads.h"
#include "engine/model_writer.h"
#include "engine/random_model.h"
#include "engine/session.h"

using namespace ms;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    std::string shape = "128x8", device = "cpu", precision = "auto";
    double mbp = 4;
    int records = 4, chunk = 65536;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--shape") shape = v;
        else if (k == "--mbp") mbp = std::atof(v.c_str());
        else if (k == "--records") records = std::atoi(v.c_str());
        else if (k == "--chunk") chunk = std::atoi(v.c_str());
        else if (k == "--device") device = v;
        else if (k == "--precision")
            precision = v;
        else return std::fprintf(stderr, "unknown option %s\n", k.c_str()), 2;
    }
    RandomModelShape rs;
    if (std::sscanf(shape.c_str(), "%dx%d", &rs.d_model, &rs.n_layer) != 2) return std::fprintf(stderr, "bad --shape\n"), 2;
    const fs::path dir = fs::temp_directory_path() / "mambascope_bench_pipeline";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const Model random = make_random_model(rs);
    if (auto r = save_model(random, (dir / "model").string()); !r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
    const int64_t per = int64_t(mbp * 1e6 / records);
    std::vector<std::string> genome;
    {
        std::mt19937 rng(1);
        std::ofstream fa(dir / "genome.fa");
        for (int r = 0; r < records; ++r) {
            std::string s(size_t(per), 'A');
            for (char& c : s) c = "ACGT"[rng() % 4];
            fa << ">chr" << r << "\n";
            for (int64_t i = 0; i < per; i += 60) fa << s.substr(size_t(i), 60) << "\n";
            genome.push_back(std::move(s));
        }
    }
    auto model = Model::load((dir / "model").string());
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    auto choice = open_backend(device);
    if (!choice) return std::fprintf(stderr, "%s\n", choice.error().message.c_str()), 1;
    const auto asked = parse_precision(precision);
    if (!asked) return std::fprintf(stderr, "%s\n", asked.error().message.c_str()), 2;
    SessionOptions so;
    so.chunk = chunk;
    so.scores = true;
    so.precision = precision_for(*asked, *choice->backend);
    auto session = open_session(*model, *choice, so, device, 0);
    if (!session) return std::fprintf(stderr, "%s\n", session.error().message.c_str()), 1;

    // The engine alone: bases already in memory and tokenised, outputs dropped.
    std::vector<std::vector<int32_t>> tokens(genome.size());
    for (size_t r = 0; r < genome.size(); ++r) model->tokenizer.encode(genome[r], tokens[r]);

    // The runner alone (forward() chunk after chunk, base probabilities out), then the same with
    // each chunk scored in turn after it — what the session did before it started the next chunk
    // ahead (ModelRunner::start) — to hold the session's pipeline against both in the same run.
    RunnerLimits lim{1, chunk, so.precision};
    lim.acgt_ids = model->tokenizer.acgt_ids();
    auto runner = choice->backend->create_runner(model->config, model->weights, lim);
    if (!runner) return std::fprintf(stderr, "%s\n", runner.error().message.c_str()), 1;
    std::vector<float> next(size_t(chunk) * 4);
    std::vector<BaseScores> scored(static_cast<size_t>(chunk));
    std::vector<int32_t> padded;
    double runner_s[2] = {0, 0};
    for (int scoring = 0; scoring < 2; ++scoring) {
        const auto t = std::chrono::steady_clock::now();
        for (const auto& rec : tokens) {
            (void)(*runner)->reset(1);
            std::array<float, 4> carried{NAN, NAN, NAN, NAN};
            for (size_t at = 0; at < rec.size(); at += size_t(chunk)) {
                const int T = int(std::min(rec.size() - at, size_t(chunk)));
                const int run = at + size_t(T) == rec.size() ? (*runner)->final_chunk_length(T) : T;
                padded.assign(rec.begin() + std::ptrdiff_t(at), rec.begin() + std::ptrdiff_t(at) + T);
                padded.resize(size_t(run), padded.back());
                ForwardOutputs o;
                o.next_base = next.data();
                if (auto r = (*runner)->forward(padded.data(), run, o); !r)
                    return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
                if (scoring) score_chunk(&rec[at], next.data(), T, lim.acgt_ids, carried, scored.data());
            }
        }
        runner_s[scoring] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
    runner->reset();

    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& t : tokens) {
        (void)(*session)->reset();
        // Each record is a whole sequence, as the job feeds it (its last chunk at the runner's length).
        if (auto r = (*session)->feed(
                t.data(), int64_t(t.size()), [](const ChunkView&) -> Result<void> { return {}; }, true);
            !r)
            return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
    }
    const double engine_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    session->reset();

    // The whole job, as a user runs it (model load and checksum, FASTA index, MD5s, store).
    ScoreOptions o;
    o.model = (dir / "model").string();
    o.fasta = (dir / "genome.fa").string();
    o.db = (dir / "results.db").string();
    o.device = device;
    o.precision = precision;
    o.chunk = chunk;
    o.quiet = true;
    const auto t1 = std::chrono::steady_clock::now();
    if (cmd_score(o, "bench") != 0) return 1;
    const double job_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    const double bases = double(per) * records;
    std::printf("# score pipeline vs engine alone: %s, %s, %s, chunk %d\n", choice->backend->description().c_str(),
                precision_name(so.precision), shape.c_str(), chunk);
    // runner: forward() alone; + scores in turn: each chunk scored before the next starts; engine:
    // the session (next chunk started ahead, scored, sunk); pipeline: the whole job; ratio: engine
    // time over job time (issue 7's ≥ 0.90); overlap: runner time over session time.
    std::printf("%-10s %8s %13s %15s %14s %16s %8s %8s\n", "shape", "Mbp", "runner Mbp/s", "+scores Mbp/s",
                "engine Mbp/s", "pipeline Mbp/s", "ratio", "overlap");
    std::printf("%-10s %8.2f %13.4f %15.4f %14.4f %16.4f %8.2f %8.2f\n", shape.c_str(), bases / 1e6,
                bases / runner_s[0] / 1e6, bases / runner_s[1] / 1e6, bases / engine_s / 1e6, bases / job_s / 1e6,
                engine_s / job_s, runner_s[0] / engine_s);
    fs::remove_all(dir);
    return 0;
}

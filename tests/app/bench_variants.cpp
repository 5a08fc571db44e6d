// Benchmark (not a test): variant effects (app/variant_effects.h) with prefix-state reuse against
// the naive way (every allele's whole window from zero state), same sites, same model, same run;
// prints variants per second of each and their ratio, after checking that both give the same LLRs.
// The model is random (engine/random_model.h) of the shape asked for; the genome is random bases
// with biallelic SNVs every --spacing bases.
//
//   bench_variants [--shape 128x8] [--variants 200] [--spacing 500] [--context 2048]
//                  [--downstream 512] [--batch 16] [--device cpu]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "app/variant_effects.h"
#include "engine/backend_registry.h"
#include "engine/random_model.h"

using namespace ms;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    std::string shape = "128x8", device = "cpu";
    int variants = 200, batch = 16;
    int64_t spacing = 500, context = 2048, downstream = 512;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--shape")
            shape = v;
        else if (k == "--variants")
            variants = std::atoi(v.c_str());
        else if (k == "--spacing")
            spacing = std::atoll(v.c_str());
        else if (k == "--context")
            context = std::atoll(v.c_str());
        else if (k == "--downstream")
            downstream = std::atoll(v.c_str());
        else if (k == "--batch")
            batch = std::atoi(v.c_str());
        else if (k == "--device")
            device = v;
        else
            return std::fprintf(stderr, "unknown option %s\n", k.c_str()), 2;
    }
    RandomModelShape rs;
    if (std::sscanf(shape.c_str(), "%dx%d", &rs.d_model, &rs.n_layer) != 2)
        return std::fprintf(stderr, "bad --shape\n"), 2;
    const Model model = make_random_model(rs);
    const fs::path fa_path = fs::temp_directory_path() / "mambascope_bench_variants.fa";
    const int64_t length = 2 * context + int64_t(variants) * spacing + downstream + 1;
    std::mt19937 rng(7);
    std::string genome(size_t(length), 'A');
    for (char& c : genome) c = "ACGT"[rng() % 4];
    {
        std::ofstream f(fa_path);
        f << ">chrB\n" << genome << "\n";
    }
    fs::remove(fa_path.string() + ".fai");
    auto fasta = FastaFile::open(fa_path.string());
    if (!fasta) return std::fprintf(stderr, "%s\n", fasta.error().message.c_str()), 1;
    std::vector<EffectSite> sites;
    for (int v = 0; v < variants; ++v) {
        const int64_t pos = 2 * context + int64_t(v) * spacing;
        const char ref = genome[size_t(pos)];
        sites.push_back({pos, std::string(1, ref), {std::string(1, ref == 'A' ? 'G' : 'A')}});
    }
    auto choice = open_backend(device);
    if (!choice) return std::fprintf(stderr, "%s\n", choice.error().message.c_str()), 1;
    std::printf("model %s (random), %s, %d SNVs every %lld bp, context %lld, downstream %lld, batch %d\n",
                shape.c_str(), choice->backend->description().c_str(), variants, static_cast<long long>(spacing),
                static_cast<long long>(context), static_cast<long long>(downstream), batch);
    std::vector<std::vector<double>> results[2];
    double rate[2] = {0, 0};
    for (int reuse : {1, 0}) {
        AlleleScorerOptions o;
        o.batch = batch;
        o.reuse_prefix = reuse;
        auto scorer = AlleleScorer::create(model, *choice->backend, o);
        if (!scorer) return std::fprintf(stderr, "%s\n", scorer.error().message.c_str()), 1;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = score_effects(**scorer, *fasta, "chrB", sites, EffectWindow{context, downstream}, false);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
        results[reuse] = std::move(*r);
        rate[reuse] = variants / s;
        std::printf("%-14s %8.1f variants/s  %8.2f s  %10lld positions run  %8.1f positions/variant\n",
                    reuse ? "prefix reuse" : "naive windows", rate[reuse], s,
                    static_cast<long long>((*scorer)->positions_run()), double((*scorer)->positions_run()) / variants);
    }
    double worst = 0;
    for (int v = 0; v < variants; ++v)
        worst = std::max(worst, std::abs(results[0][size_t(v)][0] - results[1][size_t(v)][0]));
    std::printf("ratio %.2fx (largest LLR difference between the two: %.2e)\n", rate[1] / rate[0], worst);
    fs::remove(fa_path);
    fs::remove(fa_path.string() + ".fai");
    return worst < 1e-3 ? 0 : 1;
}

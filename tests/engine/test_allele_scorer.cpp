// AlleleScorer: the prefix-reuse scores (walker snapshots, batched suffixes) equal a naive
// recomputation of every whole window through a plain Session (independent of the scorer), for
// SNVs, insertions, deletions, multi-allelic sites, sites sharing an offset, N bases, a site at
// offset 0, several batch sizes and chunkings — and the reuse runs fewer positions.
#include <cmath>
#include <random>
#include <string>

#include "engine/allele_scorer.h"
#include "engine/cpu_backend.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "tests/common/harness.h"
#include "tests/engine/padding_backend.h"

using namespace ms;

namespace {

const Model& small_model() {
    static const Model m = [] {
        RandomModelShape s;
        s.d_model = 32;
        s.n_layer = 2;
        s.d_state = 8;
        s.d_conv = 4;
        s.vocab_size = 12;
        s.seed = 5;
        return make_random_model(s);
    }();
    return m;
}

std::string random_dna(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, 'A');
    for (char& c : s) c = "ACGTacgt"[rng() % 8];
    return s;
}

// Σ log2 P over window[from, end) from one straight Session run of the whole window.
double naive(Backend& b, const std::string& window, size_t from) {
    SessionOptions o;
    o.chunk = 97;
    auto session = Session::create(small_model(), b, o);
    if (!session) throw test::Failure{session.error().message};
    auto out = run_sequence(**session, small_model(), window, o);
    if (!out) throw test::Failure{out.error().message};
    double sum = 0;
    for (size_t i = from; i < window.size(); ++i)
        if (std::isfinite(out->scores[i].log2_lik)) sum += out->scores[i].log2_lik;
    return sum;
}

std::vector<AlleleSite> test_sites(const std::string& ref) {
    auto site = [&](int64_t offset, int64_t ref_len, std::vector<std::string> alts, size_t down) {
        AlleleSite s;
        s.offset = offset;
        s.alleles.push_back(ref.substr(size_t(offset), size_t(ref_len)));
        for (auto& a : alts) s.alleles.push_back(a);
        s.downstream = ref.substr(size_t(offset + ref_len), down);
        return s;
    };
    return {
        site(0, 1, {"G"}, 40),               // no upstream: the first base is not scored
        site(150, 1, {"T", "C", "G"}, 60),   // multi-allelic SNV
        site(150, 3, {"A"}, 60),             // a deletion at the same offset (shares the snapshot)
        site(400, 1, {"ATTTG", "N"}, 25),    // insertion, and an N allele (not summed)
        site(401, 4, {"C", "CGTAGTAA"}, 0),  // no downstream
        site(1203, 2, {"GA"}, 300),          // a long suffix, several chunks
    };
}

}  // namespace

MS_TEST(prefix_reuse_equals_naive_windows) {
    auto b = make_cpu_backend(2);
    const std::string ref = random_dna(1600, 9);
    const std::vector<AlleleSite> sites = test_sites(ref);
    std::vector<std::vector<double>> want(sites.size());
    for (size_t k = 0; k < sites.size(); ++k)
        for (const std::string& a : sites[k].alleles) {
            const size_t from = size_t(sites[k].offset);
            want[k].push_back(naive(*b, ref.substr(0, from) + a + sites[k].downstream, from));
        }
    // The same through runners that pad the rows' last chunk (as the CUDA runner does).
    test::PaddingBackend padding(make_cpu_backend(2), 8);
    for (Backend* backend : {static_cast<Backend*>(b.get()), static_cast<Backend*>(&padding)})
        for (bool reuse : {true, false})
            for (int batch : {1, 3, 16})
                for (int chunk : {13, 4096}) {
                    AlleleScorerOptions o;
                    o.batch = batch;
                    o.chunk = chunk;
                    o.reuse_prefix = reuse;
                    auto scorer = AlleleScorer::create(small_model(), *backend, o);
                    MS_CHECK_MSG(scorer.ok(), scorer.error().message);
                    auto got = (*scorer)->score(ref, sites);
                    MS_CHECK_MSG(got.ok(), got.error().message);
                    for (size_t k = 0; k < sites.size(); ++k)
                        for (size_t j = 0; j < sites[k].alleles.size(); ++j)
                            // Sums of a few hundred float32 log-probabilities, computed in other
                            // chunk and batch groupings: rounding-level differences only.
                            MS_CHECK_MSG(std::abs((*got)[k][j] - want[k][j]) < 1e-4,
                                         backend->name() << " reuse " << reuse << " batch " << batch << " chunk "
                                                         << chunk << " site " << k << " allele " << j << ": "
                                                         << (*got)[k][j] << " vs " << want[k][j]);
                }
    // The padded runners did run longer last chunks than the rows needed.
    int64_t cost[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
        AlleleScorerOptions o;
        o.batch = 3;
        auto scorer = AlleleScorer::create(small_model(), k ? static_cast<Backend&>(padding) : *b, o);
        MS_CHECK(scorer.ok() && (*scorer)->score(ref, sites).ok());
        cost[k] = (*scorer)->positions_run();
    }
    MS_CHECK_MSG(cost[1] > cost[0], "padded " << cost[1] << " positions against " << cost[0]);
    // Scores that differ between alleles: the check above is not comparing zeros.
    MS_CHECK(std::abs(want[1][0] - want[1][1]) > 1e-3 && std::abs(want[3][0] - want[3][1]) > 1e-3);
}

MS_TEST(prefix_reuse_runs_fewer_positions) {
    auto b = make_cpu_backend(2);
    const std::string ref = random_dna(3000, 3);
    std::vector<AlleleSite> sites;
    for (int64_t p = 2000; p < 2900; p += 100)
        sites.push_back({p,
                         {ref.substr(size_t(p), 1), "A" == ref.substr(size_t(p), 1) ? "C" : "A"},
                         ref.substr(size_t(p) + 1, 50)});
    int64_t cost[2] = {0, 0};
    for (int reuse : {0, 1}) {
        AlleleScorerOptions o;
        o.reuse_prefix = reuse;
        auto scorer = AlleleScorer::create(small_model(), *b, o);
        MS_CHECK(scorer.ok() && (*scorer)->score(ref, sites).ok());
        cost[reuse] = (*scorer)->positions_run();
    }
    // Walker to the last site (2800) + 18 suffixes of 50 positions, against 18 whole windows.
    MS_CHECK_EQ(cost[1], int64_t(2800 + 18 * 50));
    MS_CHECK(cost[0] > 10 * cost[1]);
}

MS_TEST(unsorted_sites_are_refused) {
    auto b = make_cpu_backend(1);
    auto scorer = AlleleScorer::create(small_model(), *b, AlleleScorerOptions{});
    MS_CHECK(scorer.ok());
    const std::vector<AlleleSite> sites{{10, {"A"}, ""}, {5, {"C"}, ""}};
    MS_CHECK(!(*scorer)->score(std::string(20, 'A'), sites).ok());
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

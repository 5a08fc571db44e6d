// The CUDA backend end to end: every fixture model (both checkpoint layouts) through `cuda`, chunked
// and unchunked, against the transformers reference (fp32: ≤ 1e-4) and against the CPU backend; a
// batch of streams against the streams alone — each with the runner's activations position-major
// and channel-major (MAMBASCOPE_CUDA_LAYOUT; the device picks one, the other must stay right too).
// Skips (77) where no GPU can be used.
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/npy.h"
#include "engine/backend_registry.h"
#include "engine/cli/engine_commands.h"
#include "engine/cli/plain_fasta.h"
#include "engine/cpu_backend.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MS_TEST_DATA_DIR) / "fixtures";

std::unique_ptr<Backend> gpu() {
    auto choice = open_backend("cuda:0");
    if (!choice) MS_SKIP(choice.error().message);
    return std::move(choice->backend);
}

// An environment variable set while the scope lives (runners read theirs when created).
struct EnvScope {
    EnvScope(const char* var, const char* value) : name(var) {
        if (const char* v = std::getenv(var)) saved = v, had = true;
        setenv(var, value, 1);
    }
    ~EnvScope() {
        if (had)
            setenv(name, saved.c_str(), 1);
        else
            unsetenv(name);
    }
    const char* name;
    std::string saved;
    bool had = false;
};

// The runner's activation layouts; runners created while a LayoutScope lives use `layout`.
constexpr const char* kLayouts[] = {"position", "channel"};
struct LayoutScope : EnvScope {
    explicit LayoutScope(const char* layout) : EnvScope("MAMBASCOPE_CUDA_LAYOUT", layout) {}
};

// Random ids 7 … 10 (the test models' A/C/G/T), as many as chunks of `sizes` hold together.
std::vector<int32_t> tokens_for(const std::vector<int>& sizes, uint32_t seed) {
    size_t total = 0;
    for (int T : sizes) total += size_t(T);
    std::vector<int32_t> tokens(total);
    std::mt19937 rng(seed);
    for (int32_t& t : tokens) t = 7 + int32_t(rng() % 4);
    return tokens;
}

// The logits [Σ sizes, vocab] of `tokens` run through a new runner as chunks of `sizes`, the state
// carried from chunk to chunk (runners read their environment switches when created).
std::vector<float> logits_of_chunks(Backend& backend, const Model& m, const RunnerLimits& lim,
                                    const std::vector<int32_t>& tokens, const std::vector<int>& sizes) {
    auto runner = backend.create_runner(m.config, m.weights, lim);
    if (!runner) throw test::Failure{runner.error().message};
    std::vector<float> out(tokens.size() * size_t(m.config.vocab_size));
    size_t at = 0;
    for (int T : sizes) {
        ForwardOutputs o;
        o.logits = &out[at * size_t(m.config.vocab_size)];
        if (const Result<void> r = (*runner)->forward(&tokens[at], T, o); !r) throw test::Failure{r.error().message};
        at += size_t(T);
    }
    return out;
}

// A random model of 64 × 2, the size of the runner tests that need no fixture.
Model small_random_model() {
    RandomModelShape s;
    s.d_model = 64;
    s.n_layer = 2;
    return make_random_model(s);
}

NpyArray load(const fs::path& p) {
    auto a = read_npy(p.string());
    if (!a) throw test::Failure{a.error().message};
    return std::move(*a);
}

}  // namespace

MS_TEST(cuda_matches_transformers_and_cpu) {
    auto cuda = gpu();
    auto cpu = make_cpu_backend(0);
    std::ifstream in(kFixtures / "manifest.json");
    const nlohmann::json m = nlohmann::json::parse(in);
    double worst = 0;
    for (const auto& entry : m["models"]) {
        const std::string name = entry["name"];
        for (const std::string layout : entry["layouts"]) {
            auto model = Model::load((kFixtures / name / layout).string());
            MS_CHECK_MSG(model.ok(), model.error().message);
            for (const auto& [rec, length] : m["records"].items()) {
                auto fa = read_plain_fasta_record((kFixtures / "input.fa").string(), rec);
                MS_CHECK(fa.ok());
                const NpyArray ref = load(kFixtures / name / "expected" / (rec + ".logits.npy"));
                const NpyArray ref_h = load(kFixtures / name / "expected" / (rec + ".hidden.npy"));
                SessionOptions o;
                o.logits = o.hidden = true;
                o.scores = false;
                o.chunk = 4096;
                auto cpu_session = Session::create(*model, *cpu, o);
                auto cpu_out = run_sequence(**cpu_session, *model, fa->sequence, o);
                MS_CHECK(cpu_out.ok());
                for (const char* act_layout : kLayouts)
                for (int chunk : {7, 64, 4096}) {
                    const LayoutScope scope(act_layout);
                    o.chunk = chunk;
                    auto session = Session::create(*model, *cuda, o);
                    MS_CHECK_MSG(session.ok(), session.error().message);
                    auto out = run_sequence(**session, *model, fa->sequence, o);
                    MS_CHECK_MSG(out.ok(), out.error().message);
                    const double el = test::rel_error(out->logits.data(), ref.data.data(), ref.data.size());
                    const double eh = test::rel_error(out->hidden.data(), ref_h.data.data(), ref_h.data.size());
                    const double ec = test::rel_error(out->logits.data(), cpu_out->logits.data(), ref.data.size());
                    worst = std::max({worst, el, eh});
                    // fp32 on both sides: the reference bound, and CPU vs GPU within rounding.
                    MS_CHECK_MSG(el <= 1e-4 && eh <= 1e-4 && ec <= 1e-4,
                                 name << "/" << layout << " " << rec << " chunk " << chunk << ", " << act_layout
                                      << "-major: vs reference " << el
                                      << " (hidden " << eh << "), vs CPU " << ec);
                }
            }
        }
    }
    std::printf("worst relative error against transformers on CUDA: %.3g\n", worst);
}

// The fused ACGT head on the GPU (final norm, four LM-head rows, softmax; no full logits) against
// the CPU's scores, with and without the hidden states asked for too, at several chunk sizes.
MS_TEST(cuda_base_scores_match_cpu) {
    auto cuda = gpu();
    auto cpu = make_cpu_backend(0);
    for (const char* name : {"tied_k4_s16", "untied_bias_k3_s4"}) {
        auto model = Model::load((kFixtures / name / "hf").string());
        MS_CHECK_MSG(model.ok(), model.error().message);
        auto fa = read_plain_fasta_record((kFixtures / "input.fa").string(), "rec2");
        MS_CHECK(fa.ok());
        SessionOptions o;
        o.scores = true;
        o.chunk = 4096;
        auto cpu_session = Session::create(*model, *cpu, o);
        auto ref = run_sequence(**cpu_session, *model, fa->sequence, o);
        MS_CHECK(ref.ok());
        for (int chunk : {7, 100, 4096})
            for (bool hidden : {false, true}) {
                o.chunk = chunk;
                o.hidden = hidden;
                auto session = Session::create(*model, *cuda, o);
                MS_CHECK_MSG(session.ok(), session.error().message);
                auto out = run_sequence(**session, *model, fa->sequence, o);
                MS_CHECK_MSG(out.ok(), out.error().message);
                double worst = 0;
                for (size_t i = 1; i < fa->sequence.size(); ++i) {
                    for (int b = 0; b < 4; ++b) {
                        const float p = out->scores[i].p[b];
                        MS_CHECK_MSG(std::isfinite(p), name << " pos " << i << ": probability not finite");
                        worst = std::max(worst, double(std::abs(p - ref->scores[i].p[b])));
                    }
                }
                MS_CHECK_MSG(worst <= 1e-5, name << " chunk " << chunk << (hidden ? " +hidden" : "")
                                                 << ": largest probability difference to the CPU " << worst);
            }
    }
}

// Short items of different lengths side by side (score's short records, Session::run_items) on the
// GPU, padded to a captured length and not: each item's scores as the GPU gives them alone, and
// near the CPU's.
MS_TEST(cuda_short_items_side_by_side_match_cpu) {
    auto cuda = gpu();
    auto cpu = make_cpu_backend(0);
    auto model = Model::load((kFixtures / "tied_k4_s16" / "hf").string());
    MS_CHECK_MSG(model.ok(), model.error().message);
    std::string seq(1100, 'A');
    std::mt19937 rng(17);
    for (char& c : seq) c = "ACGT"[rng() % 4];
    const std::vector<std::string_view> items = {
        std::string_view(seq).substr(0, 700), std::string_view(seq).substr(700, 333),
        std::string_view(seq).substr(1033, 64), std::string_view(seq).substr(1097, 1)};
    SessionOptions o;
    o.scores = true;
    o.chunk = 700;
    auto cpu_session = Session::create(*model, *cpu, o);
    auto gpu_alone = Session::create(*model, *cuda, o);
    MS_CHECK(cpu_session.ok() && gpu_alone.ok());
    o.batch = 4;
    for (int64_t rows : {int64_t(2800), int64_t(2816)}) {  // 4 × 700; 4 × 704, the graph length of 700
        o.rows = rows;
        auto session = Session::create(*model, *cuda, o);
        MS_CHECK_MSG(session.ok(), session.error().message);
        for (int pass = 0; pass < 3; ++pass) {  // launched, captured, replayed
            size_t seen = 0;
            auto r = (*session)->run_items(items, [&](size_t i, const ChunkView& v) -> Result<void> {
                ++seen;
                auto ref = run_sequence(**cpu_session, *model, items[i], o);
                auto alone = run_sequence(**gpu_alone, *model, items[i], o);
                MS_CHECK(ref.ok() && alone.ok());
                MS_CHECK_EQ(v.T, int(items[i].size()));
                MS_CHECK(std::isnan(v.scores[0].p[0]));
                double worst = 0, worst_alone = 0;
                for (int t = 1; t < v.T; ++t)
                    for (int b = 0; b < 4; ++b) {
                        const float p = v.scores[t].p[size_t(b)];
                        MS_CHECK_MSG(std::isfinite(p), "item " << i << " pos " << t << ": probability not finite");
                        worst = std::max(worst, double(std::abs(p - ref->scores[size_t(t)].p[size_t(b)])));
                        worst_alone =
                            std::max(worst_alone, double(std::abs(p - alone->scores[size_t(t)].p[size_t(b)])));
                    }
                // In fp32 over 700 positions the CPU's order of additions moves a probability by
                // ~1e-5 (1.4e-5 measured); the GPU alone runs the same kernels over fewer rows.
                MS_CHECK_MSG(worst <= 5e-5 && worst_alone <= 1e-5,
                             "rows " << rows << " item " << i << ": largest probability difference to the CPU " << worst
                                     << ", to the GPU alone " << worst_alone);
                return {};
            });
            MS_CHECK_MSG(r.ok(), r.error().message);
            MS_CHECK_EQ(seen, items.size());
        }
    }
}

// Batches of items started behind the batch before (Session::start_items: the runner zeroes the
// state on its stream behind the chunk in flight) give exactly what each batch gives run alone,
// batch sizes changing from one to the next, each batch of a new size launched, then captured.
MS_TEST(cuda_items_started_behind_the_batch_before_equal_batches_alone) {
    auto cuda = gpu();
    auto model = Model::load((kFixtures / "tied_k4_s16" / "hf").string());
    MS_CHECK_MSG(model.ok(), model.error().message);
    std::string seq(3000, 'A');
    std::mt19937 rng(29);
    for (char& c : seq) c = "ACGT"[rng() % 4];
    const std::string_view s(seq);
    const std::vector<std::vector<std::string_view>> batches = {
        {s.substr(0, 700), s.substr(700, 333)},
        {s.substr(1033, 64), s.substr(1097, 1), s.substr(1098, 512), s.substr(1610, 700)},
        {s.substr(2310, 690)},
        {s.substr(0, 700), s.substr(700, 333)}};
    SessionOptions o;
    o.scores = true;
    o.chunk = 700;
    o.batch = 4;
    o.rows = 2816;
    auto ahead = Session::create(*model, *cuda, o), alone = Session::create(*model, *cuda, o);
    MS_CHECK(ahead.ok() && alone.ok());
    using Probs = std::vector<std::array<float, 4>>;
    for (int pass = 0; pass < 3; ++pass) {  // launched, captured, replayed
        std::vector<std::vector<Probs>> want(batches.size());
        for (size_t k = 0; k < batches.size(); ++k) {
            auto r = (*alone)->run_items(batches[k], [&](size_t, const ChunkView& v) -> Result<void> {
                Probs p(size_t(v.T));
                for (int t = 0; t < v.T; ++t) p[size_t(t)] = v.scores[t].p;
                want[k].push_back(std::move(p));
                return {};
            });
            MS_CHECK_MSG(r.ok(), r.error().message);
        }
        size_t seen = 0;
        for (size_t k = 0; k < batches.size(); ++k) {
            auto r = (*ahead)->start_items(batches[k], [&, k](size_t i, const ChunkView& v) -> Result<void> {
                ++seen;
                MS_CHECK_EQ(v.T, int(batches[k][i].size()));
                for (int t = 1; t < v.T; ++t)
                    MS_CHECK_MSG(v.scores[t].p == want[k][i][size_t(t)],
                                 "pass " << pass << " batch " << k << " item " << i << " position " << t);
                return {};
            });
            MS_CHECK_MSG(r.ok(), r.error().message);
        }
        MS_CHECK_EQ(seen, size_t(7));  // the last batch is still in flight
        MS_CHECK((*ahead)->finish_items().ok());
        MS_CHECK_EQ(seen, size_t(9));
    }
}

MS_TEST(cuda_bf16_within_bf16_tolerance) {
    auto cuda = gpu();
    std::ifstream in(kFixtures / "manifest.json");
    const nlohmann::json m = nlohmann::json::parse(in);
    double worst = 0;
    for (const auto& entry : m["models"]) {
        const std::string name = entry["name"];
        const std::string layout = entry["layouts"][0];
        auto model = Model::load((kFixtures / name / layout).string());
        MS_CHECK(model.ok());
        for (const auto& [rec, length] : m["records"].items()) {
            auto fa = read_plain_fasta_record((kFixtures / "input.fa").string(), rec);
            const NpyArray ref = load(kFixtures / name / "expected" / (rec + ".logits.npy"));
            for (const char* act_layout : kLayouts)
            for (int chunk : {64, 4096}) {
                const LayoutScope scope(act_layout);
                SessionOptions o;
                o.logits = true;
                o.scores = false;
                o.chunk = chunk;
                o.precision = Precision::BF16;
                auto session = Session::create(*model, *cuda, o);
                MS_CHECK_MSG(session.ok(), session.error().message);
                auto out = run_sequence(**session, *model, fa->sequence, o);
                MS_CHECK_MSG(out.ok(), out.error().message);
                const double el = test::rel_error(out->logits.data(), ref.data.data(), ref.data.size());
                worst = std::max(worst, el);
                // bf16 activations and products (8-bit mantissa) through a few layers: ≤ 2e-2.
                MS_CHECK_MSG(el <= 2e-2, name << " " << rec << " bf16 chunk " << chunk << ", " << act_layout
                                               << "-major: vs reference " << el);
            }
        }
    }
    std::printf("worst relative error against transformers on CUDA in bf16: %.3g\n", worst);
}

// `forward --device cuda:0` as a user runs it: --precision auto computes in bf16 there (the same
// bits as --precision bf16, within the bf16 tolerance and not the fp32 result), fp32 when asked,
// chunked and unchunked.
MS_TEST(cuda_forward_command_auto_is_bf16) {
    (void)gpu();
    std::ifstream in(kFixtures / "manifest.json");
    const nlohmann::json m = nlohmann::json::parse(in);
    const std::string name = m["models"][0]["name"];
    const NpyArray ref = load(kFixtures / name / "expected" / "rec2.logits.npy");
    for (int chunk : {100, 4096}) {
        std::map<std::string, NpyArray> got;
        for (const char* precision : {"auto", "bf16", "fp32"}) {
            ForwardOptions o;
            o.model = (kFixtures / name / "hf").string();
            o.fasta = (kFixtures / "input.fa").string();
            o.record = "rec2";
            o.device = "cuda:0";
            o.precision = precision;
            o.chunk = chunk;
            o.logits = std::string(MS_TEST_BINARY_DIR) + "/cuda_forward_" + precision + ".npy";
            MS_CHECK_EQ(cmd_forward(o, read_plain_fasta_record), 0);
            got.emplace(precision, load(o.logits));
            MS_CHECK(got.at(precision).shape == ref.shape);
        }
        const size_t n = ref.data.size();
        MS_CHECK(got.at("auto").data == got.at("bf16").data);
        const double e32 = test::rel_error(got.at("fp32").data.data(), ref.data.data(), n);
        const double e16 = test::rel_error(got.at("auto").data.data(), ref.data.data(), n);
        const double apart = test::rel_error(got.at("auto").data.data(), got.at("fp32").data.data(), n);
        std::printf("forward --device cuda:0 chunk %d: fp32 %.3g, auto %.3g against transformers; auto vs fp32 %.3g\n",
                    chunk, e32, e16, apart);
        MS_CHECK_MSG(e32 <= 1e-4, "fp32 vs reference " << e32);
        MS_CHECK_MSG(e16 <= 2e-2, "auto (bf16) vs reference " << e16);
        MS_CHECK_MSG(apart > 1e-5, "auto computed in fp32 (" << apart << " from the fp32 run)");
    }
}

// A batch on one GPU, and on every GPU of the host (cuda:all cuts it into parts that run at the
// same time), against each stream alone on cuda:0.
MS_TEST(cuda_batch_equals_streams_alone) {
    auto cuda = gpu();
    for (const char* act_layout : kLayouts)
    for (const char* device : {"cuda:0", "cuda:all"}) {
        const LayoutScope scope(act_layout);
        auto choice = open_backend(device);
        MS_CHECK_MSG(choice.ok(), choice.error().message);
        std::printf("%s: %s\n", device, choice->backend->description().c_str());
        const Model m = small_random_model();
        const int B = 3, T = 300, V = m.config.vocab_size;
        std::vector<int32_t> tokens(size_t(B) * T);
        std::mt19937 rng(5);
        for (int32_t& t : tokens) t = 7 + int32_t(rng() % 4);
        auto batched = choice->backend->create_runner(m.config, m.weights, RunnerLimits{B, T});
        MS_CHECK_MSG(batched.ok(), batched.error().message);
        MS_CHECK((*batched)->reset(B).ok());
        std::vector<float> all(size_t(B) * T * V);
        ForwardOutputs out;
        out.logits = all.data();
        MS_CHECK((*batched)->forward(tokens.data(), T, out).ok());
        MS_CHECK((*batched)->forward(tokens.data(), T, out).ok());
        for (int b = 0; b < B; ++b) {
            auto single = cuda->create_runner(m.config, m.weights, RunnerLimits{1, T});
            std::vector<float> one(size_t(T) * V);
            ForwardOutputs o1;
            o1.logits = one.data();
            MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
            MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
            MS_CHECK_MSG(test::rel_error(&all[size_t(b) * T * V], one.data(), one.size()) < 1e-5,
                         device << " stream " << b << ", " << act_layout << "-major");
        }
    }
}

// A chunk shape runs kernel by kernel the first time, from a captured graph after (engine/cuda/
// graph_cache.h), and the graphs are kept by last use: over a stream of chunks whose shapes are
// launched, captured, replayed and dropped, with the carried state running through, the logits
// are the bits of a runner that launches every chunk (MAMBASCOPE_CUDA_GRAPHS=0).
MS_TEST(cuda_graphs_replay_the_bits_of_launches) {
    auto cuda = gpu();
    const Model m = small_random_model();
    // 300 and 77 alternate (a tail between full chunks); 11 more shapes, each twice, push 300 and
    // 77 out of the eight kept graphs before they come back.
    std::vector<int> sizes{300, 300, 77, 300, 77, 300, 1};
    for (int k = 0; k < 11; ++k) sizes.insert(sizes.end(), {100 + k, 100 + k});
    sizes.insert(sizes.end(), {300, 77, 300, 300});
    const std::vector<int32_t> tokens = tokens_for(sizes, 12);
    RunnerLimits lim{1, 300};
    lim.acgt_ids = m.tokenizer.acgt_ids();
    for (const char* precision : {"bf16", "fp32"})
        for (const char* act_layout : kLayouts) {
            const LayoutScope scope(act_layout);
            lim.precision = std::strcmp(precision, "bf16") == 0 ? Precision::BF16 : Precision::FP32;
            std::vector<float> out[2];
            for (int graphs = 0; graphs < 2; ++graphs) {
                const EnvScope env("MAMBASCOPE_CUDA_GRAPHS", graphs ? "1" : "0");
                out[graphs] = logits_of_chunks(*cuda, m, lim, tokens, sizes);
            }
            for (float v : out[0]) MS_CHECK(std::isfinite(v));
            MS_CHECK_MSG(std::memcmp(out[0].data(), out[1].data(), out[0].size() * sizeof(float)) == 0,
                         precision << ", " << act_layout << "-major: replayed graphs changed the logits");
        }
}

// bf16 products are tuned per chunk size of ≥ 16,384 rows (engine/cuda/lt_gemm.h), when the size
// comes a second time (engine/cuda/graph_cache.h): a tuned runner must give the same bits as
// runners held to cuBLASLt's first and last candidates, over chunks of 18,000, 20,000, 18,000 and
// 20,000 positions — each size is tuned between chunks, with the carried state live, at its
// second chunk.
MS_TEST(cuda_tuned_products_change_no_bits) {
    auto cuda = gpu();
    RandomModelShape s;
    s.n_layer = 2;  // d_model 256: the bundled models' and the benchmark's shapes
    const Model m = make_random_model(s);
    const std::vector<int> sizes{18000, 20000, 18000, 20000};
    const std::vector<int32_t> tokens = tokens_for(sizes, 11);
    RunnerLimits lim{1, 20000};
    lim.precision = Precision::BF16;
    const char* modes[] = {"first", "last", "tuned"};
    for (const char* act_layout : kLayouts) {
        const LayoutScope scope(act_layout);
        std::vector<float> out[3];
        for (int mode = 0; mode < 3; ++mode) {
            const EnvScope gemm("MAMBASCOPE_CUDA_GEMM", modes[mode]);
            out[mode] = logits_of_chunks(*cuda, m, lim, tokens, sizes);
        }
        for (float v : out[0]) MS_CHECK(std::isfinite(v));
        for (int mode = 1; mode < 3; ++mode)
            MS_CHECK_MSG(std::memcmp(out[0].data(), out[mode].data(), out[0].size() * sizeof(float)) == 0,
                         act_layout << "-major: products on cuBLASLt's " << modes[mode]
                                    << " algorithms changed the logits against its first");
    }
    const EnvScope bad("MAMBASCOPE_CUDA_GEMM", "fastest");
    auto refused = cuda->create_runner(m.config, m.weights, lim);
    MS_CHECK(!refused.ok() && refused.error().message.find("MAMBASCOPE_CUDA_GEMM='fastest'") != std::string::npos);
}

// State snapshots on the GPU (variants' prefix reuse): a stream's state saved after a prefix and
// loaded into another stream of a batch continues exactly as the straight run; a snapshot taken on
// the CPU loads into the GPU runner too (one layout everywhere) and continues within fp32 rounding.
MS_TEST(cuda_state_snapshots_continue_runs) {
    auto cuda = gpu();
    auto cpu = make_cpu_backend(0);
    const Model m = small_random_model();
    const int T = 200, V = m.config.vocab_size;
    RunnerLimits lim{3, T};
    lim.acgt_ids = m.tokenizer.acgt_ids();
    std::vector<int32_t> prefix(T), suffix(T);
    std::mt19937 rng(8);
    for (int32_t& t : prefix) t = 7 + int32_t(rng() % 4);
    for (int32_t& t : suffix) t = 7 + int32_t(rng() % 4);
    // Straight: prefix then suffix on one GPU stream.
    auto straight = cuda->create_runner(m.config, m.weights, lim);
    MS_CHECK_MSG(straight.ok(), straight.error().message);
    std::vector<float> want(size_t(T) * V), scratch(size_t(3) * T * V);
    ForwardOutputs o;
    o.logits = want.data();
    MS_CHECK((*straight)->forward(prefix.data(), T, o).ok());
    RunnerState gpu_state;
    MS_CHECK((*straight)->save_state(0, gpu_state).ok());
    MS_CHECK((*straight)->forward(suffix.data(), T, o).ok());
    // CPU snapshot of the same prefix.
    auto on_cpu = cpu->create_runner(m.config, m.weights, lim);
    o.logits = scratch.data();
    MS_CHECK((*on_cpu)->forward(prefix.data(), T, o).ok());
    RunnerState cpu_state;
    MS_CHECK((*on_cpu)->save_state(0, cpu_state).ok());
    MS_CHECK_EQ(gpu_state.values.size(), cpu_state.values.size());
    MS_CHECK(test::rel_error(gpu_state.values.data(), cpu_state.values.data(), cpu_state.values.size()) < 1e-4);
    // A batch of 3 on the GPU: stream 1 from the GPU snapshot, stream 2 from the CPU one, stream 0 fresh.
    auto batched = cuda->create_runner(m.config, m.weights, lim);
    MS_CHECK((*batched)->reset(3).ok());
    MS_CHECK((*batched)->load_state(1, gpu_state).ok());
    MS_CHECK((*batched)->load_state(2, cpu_state).ok());
    std::vector<int32_t> three(size_t(3) * T);
    for (int b = 0; b < 3; ++b) std::copy(suffix.begin(), suffix.end(), three.begin() + b * T);
    o.logits = scratch.data();
    MS_CHECK((*batched)->forward(three.data(), T, o).ok());
    const double e_gpu = test::rel_error(&scratch[size_t(T) * V], want.data(), want.size());
    const double e_cpu = test::rel_error(&scratch[size_t(2) * T * V], want.data(), want.size());
    MS_CHECK_MSG(e_gpu < 1e-5 && e_cpu < 1e-4, "from the GPU snapshot " << e_gpu << ", from the CPU snapshot " << e_cpu);
    // Stream 0 started from zero: it must differ from the continued ones.
    MS_CHECK(test::rel_error(scratch.data(), want.data(), want.size()) > 1e-3);
    RunnerState wrong;
    wrong.values.resize(3);
    MS_CHECK(!(*batched)->load_state(0, wrong).ok());
    MS_CHECK(!(*batched)->save_state(3, wrong).ok());
}

// The pipelined forward (ModelRunner::start/finish, what Session runs): chunk k + 1 started before
// chunk k is finished — captured, tuned-for and replayed shapes among them, graphs on and off —
// gives forward()'s bits, logits and base probabilities both; the runner refuses what would race
// with a started chunk, and reset() drops started chunks.
MS_TEST(cuda_pipelined_chunks_give_the_bits_of_forward) {
    auto cuda = gpu();
    const Model m = small_random_model();
    const int V = m.config.vocab_size;
    const std::vector<int> sizes{300, 300, 77, 300, 300, 300, 120, 300};
    const std::vector<int32_t> tokens = tokens_for(sizes, 21);
    RunnerLimits lim{1, 300};
    lim.acgt_ids = m.tokenizer.acgt_ids();
    const size_t n = tokens.size();
    // Every chunk's outputs into its own rows: `pipelined` starts the next chunk before finishing one.
    const auto run = [&](bool pipelined, std::vector<float>& logits, std::vector<float>& next) {
        auto r = cuda->create_runner(m.config, m.weights, lim);
        if (!r) throw test::Failure{r.error().message};
        logits.assign(n * size_t(V), 0.0f);
        next.assign(n * 4, 0.0f);
        std::vector<size_t> at{0};
        for (int T : sizes) at.push_back(at.back() + size_t(T));
        const auto out = [&](size_t k) {
            ForwardOutputs o;
            o.logits = &logits[at[k] * size_t(V)];
            o.next_base = &next[at[k] * 4];
            return o;
        };
        for (size_t k = 0; k < sizes.size(); ++k) {
            if (!pipelined) {
                MS_CHECK((*r)->forward(&tokens[at[k]], sizes[k], out(k)).ok());
                continue;
            }
            if (k == 0) MS_CHECK((*r)->start(&tokens[0], sizes[0], out(0)).ok());
            if (k + 1 < sizes.size()) MS_CHECK((*r)->start(&tokens[at[k + 1]], sizes[k + 1], out(k + 1)).ok());
            MS_CHECK((*r)->finish(out(k)).ok());
        }
        MS_CHECK_EQ((*r)->in_flight(), 0);
    };
    for (const char* precision : {"bf16", "fp32"})
        for (const char* act_layout : kLayouts)
            for (const char* graphs : {"1", "0"}) {
                const LayoutScope scope(act_layout);
                const EnvScope env("MAMBASCOPE_CUDA_GRAPHS", graphs);
                lim.precision = std::strcmp(precision, "bf16") == 0 ? Precision::BF16 : Precision::FP32;
                std::vector<float> l0, n0, l1, n1;
                run(false, l0, n0);
                run(true, l1, n1);
                for (float v : l0) MS_CHECK(std::isfinite(v));
                MS_CHECK_MSG(std::memcmp(l0.data(), l1.data(), l0.size() * sizeof(float)) == 0 &&
                                 std::memcmp(n0.data(), n1.data(), n0.size() * sizeof(float)) == 0,
                             precision << ", " << act_layout << "-major, graphs " << graphs
                                       << ": pipelined chunks changed the outputs");
            }
    // What would race with a started chunk is refused; reset() drops started chunks.
    auto r = cuda->create_runner(m.config, m.weights, lim);
    MS_CHECK(r.ok());
    std::vector<float> a(size_t(300) * V), b(a.size()), c(a.size());
    ForwardOutputs oa, ob, oc;
    oa.logits = a.data(), ob.logits = b.data(), oc.logits = c.data();
    MS_CHECK((*r)->forward(&tokens[0], 300, oa).ok());
    MS_CHECK((*r)->reset(1).ok());
    MS_CHECK((*r)->start(&tokens[0], 300, ob).ok() && (*r)->start(&tokens[300], 300, oc).ok());
    const Result<void> third = (*r)->start(&tokens[0], 300, oc);
    MS_CHECK(!third.ok() && third.error().message.find("already started") != std::string::npos);
    RunnerState st;
    const Result<void> saved = (*r)->save_state(0, st);
    MS_CHECK(!saved.ok() && saved.error().message.find("unfinished") != std::string::npos);
    const Result<void> fw = (*r)->forward(&tokens[0], 300, oa);
    MS_CHECK(!fw.ok() && fw.error().message.find("unfinished") != std::string::npos);
    MS_CHECK((*r)->reset(1).ok() && (*r)->in_flight() == 0);
    const Result<void> none = (*r)->finish(ob);
    MS_CHECK(!none.ok() && none.error().message.find("no chunk") != std::string::npos);
    MS_CHECK((*r)->forward(&tokens[0], 300, oc).ok());  // from a zero state again
    MS_CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) == 0);
}

// Pooled embeddings summed on the GPU (ChunkView::row_sums) against the CPU's, fp32: whole records
// and windows of 1, 333 and 1,000 bases and one longer than the sequence, chunk edges inside
// windows, padded last chunks, both strands; and against the GPU's own hidden rows when those are
// asked for too.
MS_TEST(cuda_pooled_embeddings_match_cpu) {
    auto cuda = gpu();
    auto cpu = make_cpu_backend(0);
    const Model m = small_random_model();
    const int dm = m.config.d_model;
    std::string seq(2500, 'A');
    std::mt19937 rng(31);
    for (char& c : seq) c = "ACGT"[rng() % 4];
    for (Strand strand : {Strand::Forward, Strand::Reverse})
        for (int64_t window : {int64_t(0), int64_t(1), int64_t(333), int64_t(1000), int64_t(100000)}) {
            SessionOptions o;
            o.scores = false;
            o.pool_window = window;
            o.chunk = 4096;
            auto cpu_session = Session::create(m, *cpu, o);
            auto ref = run_sequence(**cpu_session, m, seq, o, strand);
            MS_CHECK(ref.ok());
            for (int chunk : {7, 300, 4096})
                for (bool hidden : {false, true}) {
                    o.chunk = chunk;
                    o.hidden = hidden;
                    auto session = Session::create(m, *cuda, o);
                    MS_CHECK_MSG(session.ok(), session.error().message);
                    auto out = run_sequence(**session, m, seq, o, strand);
                    MS_CHECK_MSG(out.ok(), out.error().message);
                    MS_CHECK(out->window_starts == ref->window_starts);
                    MS_CHECK_EQ(out->embeddings.size(), ref->embeddings.size());
                    for (float v : out->embeddings) MS_CHECK(std::isfinite(v));
                    const double e =
                        test::rel_error(out->embeddings.data(), ref->embeddings.data(), ref->embeddings.size());
                    MS_CHECK_MSG(e < 1e-5, "window " << window << ", chunk " << chunk << (hidden ? " +hidden" : "")
                                                     << ": embeddings " << e << " from the CPU's");
                    if (!hidden) continue;
                    for (size_t w = 0; w < out->window_starts.size(); ++w) {  // the means of its own rows
                        const int64_t b = out->window_starts[w];
                        const int64_t end =
                            w + 1 < out->window_starts.size() ? out->window_starts[w + 1] : int64_t(seq.size());
                        for (int i = 0; i < dm; ++i) {
                            double mean = 0;
                            for (int64_t p = b; p < end; ++p) mean += out->hidden[size_t(p) * dm + size_t(i)];
                            mean /= double(end - b);
                            MS_CHECK_MSG(
                                std::abs(out->embeddings[w * size_t(dm) + size_t(i)] - mean) <
                                    1e-5 * (1 + std::abs(mean)),
                                "window " << window << " chunk " << chunk << ": embedding " << w << " dim " << i);
                        }
                    }
                }
        }
    // Items of one length side by side (Session::pool_items, classify's windows): each item's
    // embedding as the CPU gives it alone, over chunks, the last one padded.
    {
        std::vector<std::string> seqs;
        for (int i = 0; i < 3; ++i) seqs.push_back(seq.substr(size_t(i) * 700, 700));
        SessionOptions o;
        o.scores = false;
        o.pool_window = 0;
        o.chunk = 300;
        o.batch = 3;
        auto gs = Session::create(m, *cuda, o);
        MS_CHECK_MSG(gs.ok(), gs.error().message);
        auto got = (*gs)->pool_items({seqs[0], seqs[1], seqs[2]});
        MS_CHECK_MSG(got.ok(), got.error().message);
        auto cs = Session::create(m, *cpu, o);
        for (size_t i = 0; i < seqs.size(); ++i) {
            auto ref = run_sequence(**cs, m, seqs[i], o);
            MS_CHECK(ref.ok());
            const double e = test::rel_error(&got->embeddings[i * size_t(dm)], ref->embeddings.data(), size_t(dm));
            MS_CHECK_MSG(e < 1e-5, "item " << i << " of a batch: " << e << " from the CPU's alone");
        }
        // Items of different lengths (reads), each pooled over its own positions, twice (launched,
        // then captured: the rows of each stream are read by the graph's kernels, not baked in).
        const std::vector<std::string> reads = {seq.substr(0, 700), seq.substr(700, 613), seq.substr(1400, 601)};
        for (int run = 0; run < 3; ++run) {
            auto uneven = (*gs)->pool_items({reads[0], reads[1], reads[2]});
            MS_CHECK_MSG(uneven.ok(), uneven.error().message);
            for (size_t i = 0; i < reads.size(); ++i) {
                auto ref = run_sequence(**cs, m, reads[i], o);
                MS_CHECK(ref.ok());
                const double e =
                    test::rel_error(&uneven->embeddings[i * size_t(dm)], ref->embeddings.data(), size_t(dm));
                MS_CHECK_MSG(e < 1e-5, "run " << run << ", read " << i << " of " << reads[i].size()
                                              << " bases beside longer ones: " << e << " from the CPU's alone");
            }
        }
        // Reads started behind the batch before (Session::start_items, classify/embed of reads):
        // each item's summed rows handed over with its batch, batches of other sizes and lengths
        // in flight behind it, three passes (launched, captured, replayed).
        SessionOptions so = o;
        so.chunk = 700;
        so.rows = 2100;
        auto ahead = Session::create(m, *cuda, so);
        MS_CHECK_MSG(ahead.ok(), ahead.error().message);
        const std::vector<std::vector<std::string>> batches = {
            reads,
            {seq.substr(100, 37), seq.substr(200, 1)},
            {seq.substr(900, 512), seq.substr(1500, 480), seq.substr(2000, 499)}};
        for (int pass = 0; pass < 3; ++pass) {
            size_t seen = 0;
            for (size_t k = 0; k < batches.size(); ++k) {
                const std::vector<std::string_view> views(batches[k].begin(), batches[k].end());
                auto r = (*ahead)->start_items(views, [&, k, pass](size_t i, const ChunkView& v) -> Result<void> {
                    ++seen;
                    auto ref = run_sequence(**cs, m, batches[k][i], o);
                    MS_CHECK(ref.ok() && v.row_sums && v.segments == 1);
                    std::vector<float> mean(v.row_sums, v.row_sums + dm);
                    for (float& x : mean) x = float(double(x) / double(v.T));
                    const double e = test::rel_error(mean.data(), ref->embeddings.data(), size_t(dm));
                    MS_CHECK_MSG(e < 1e-5, "pass " << pass << ", batch " << k << ", read " << i << " of " << v.T
                                                   << " bases started behind: " << e << " from the CPU's alone");
                    return {};
                });
                MS_CHECK_MSG(r.ok(), r.error().message);
            }
            MS_CHECK((*ahead)->finish_items().ok());
            MS_CHECK_EQ(seen, size_t(8));
        }
    }
    // One runner cut at one window, then another, then the first again, each shape three times
    // (launched, captured, replayed): a new window drops the graphs made for the last one.
    RunnerLimits lim{1, 300};
    auto gr = cuda->create_runner(m.config, m.weights, lim);
    auto cr = cpu->create_runner(m.config, m.weights, lim);
    MS_CHECK(gr.ok() && cr.ok() && (*gr)->reset(1).ok() && (*cr)->reset(1).ok());
    std::vector<int32_t> tokens(300);
    for (int32_t& t : tokens) t = 7 + int32_t(rng() % 4);
    int64_t at = 0;
    for (int64_t window : {int64_t(70), int64_t(0), int64_t(70), int64_t(1)})
        for (int k = 0; k < 3; ++k, at += 300) {
            ForwardOutputs o;
            o.segments.window = window;
            o.segments.offset = window ? at % window : 0;
            o.segments.rows = 290;
            const size_t n = size_t(kernels::segment_count(o.segments)) * size_t(dm);
            std::vector<float> g(n), c(n);
            o.row_sums = g.data();
            MS_CHECK((*gr)->forward(tokens.data(), 300, o).ok());
            o.row_sums = c.data();
            MS_CHECK((*cr)->forward(tokens.data(), 300, o).ok());
            const double e = test::rel_error(g.data(), c.data(), n);
            MS_CHECK_MSG(e < 1e-5, "window " << window << ", chunk " << k << ": row sums " << e << " from the CPU's");
        }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

#include "engine/cli/engine_commands.h"

#include <cblas.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "common/atomic_file.h"
#include "common/npy.h"
#include "common/parse_count.h"
#include "engine/backend_registry.h"
#include "engine/cpu_backend.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/session.h"

namespace ms {

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

// The first option on the command line that the command given does not have, with the nearest
// one it has. CLI11 checks required options before it reports unknown ones, so `score --fatsa
// x.fa` said "--fasta is required" and hid the typo (found in review). Only options are looked at:
// not a value an option takes (`--item -r1`), a number (`--below -.5`), or anything after `--`.
std::string unknown_option(CLI::App& app, int argc, char** argv) {
    CLI::App* command = nullptr;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") break;
        if (!command) {
            if (arg.starts_with("-")) continue;  // the program's own options (--version)
            for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
                if (sub->check_name(arg)) command = sub;
            if (!command) return {};  // not a command: CLI11's own message names it
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-' || std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.')
            continue;
        const std::string name = arg.substr(0, arg.find('='));
        if (const CLI::Option* known = command->get_option_no_throw(name)) {
            // Its value is the next argument, whatever it looks like.
            if (name.size() == arg.size() && known->get_items_expected_min() > 0) ++i;
            continue;
        }
        if (app.get_option_no_throw(name)) continue;
        std::string nearest;
        size_t best = 3;  // at most two edits away: a typo, not another word
        for (const CLI::Option* o : command->get_options())
            for (const std::string& l : o->get_lnames())
                if (const size_t d = edit_distance(name, "--" + l); d < best) {
                    best = d;
                    nearest = "--" + l;
                }
        return cat("unknown option '", name, "' of ", command->get_name(),
                   nearest.empty() ? std::string() : cat(" (did you mean ", nearest, "?)"));
    }
    return {};
}

}  // namespace

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help: printed, success
        // Only where CLI11 stopped at a missing option: its other messages name the fault themselves.
        const std::string unknown = dynamic_cast<const CLI::RequiredError*>(&e) ? unknown_option(app, argc, argv) : "";
        std::fprintf(stderr, "error: %s\nRun with --help for more information.\n",
                     unknown.empty() ? e.what() : unknown.c_str());
        return 1;
    }
    return std::nullopt;
}

void add_forward_options(CLI::App* sub, ForwardOptions& o, bool with_model) {
    if (with_model)
        sub->add_option("--model", o.model, "model directory (config.json + model.safetensors)")->required();
    sub->add_option("--fasta", o.fasta, "FASTA file")->required();
    sub->add_option("--record", o.record, "record name (default: the first record)");
    sub->add_option("--device", o.device, "auto | cpu | cuda | cuda:N | cuda:all (independent sequences spread over every GPU)")->capture_default_str();
    sub->add_option("--precision", o.precision, kPrecisionHelp)->capture_default_str();
    sub->add_option("--logits", o.logits, "write float32 logits [L, vocab] to this .npy file");
    sub->add_option("--hidden", o.hidden, "write float32 final hidden states [L, d_model] to this .npy file");
    sub->add_option(
           "--chunk", o.chunk,
           "positions per forward call (state carried across; another size changes outputs by float rounding only)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 22));
    sub->add_option("--threads", o.threads, "CPU threads (0: all)")->capture_default_str()->check(CLI::Range(0, 1024));
    sub->add_flag("--reverse", o.reverse, "run the reverse-complement strand, outputs in forward coordinates");
}

// A real number in [lo, hi]. CLI::Range lets NaN through (every comparison with it is false),
// and an infinite --seconds never ends.
static CLI::Validator real_in(double lo, double hi, const std::string& what, const std::string& name) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            return end != text.c_str() && *end == 0 && v >= lo && v <= hi
                       ? ""
                       : cat("expected ", what, " from ", lo, " to ", hi);
        },
        name);
}

void add_bench_options(CLI::App* sub, BenchOptions& o) {
    sub->add_option("--shape", o.shapes, "model shapes as d_model x layers, e.g. 256x16")->capture_default_str();
    sub->add_option("--chunk", o.chunks, "chunk sizes")->capture_default_str();
    sub->add_option("--device", o.device, "auto | cpu | cuda | cuda:N | cuda:all (independent sequences spread over every GPU)")->capture_default_str();
    sub->add_option("--precision", o.precision, kPrecisionHelp)->capture_default_str();
    sub->add_option("--threads", o.threads, "CPU threads (0: all)")->capture_default_str()->check(CLI::Range(0, 1024));
    sub->add_option("--seconds", o.seconds, "time per measurement (at least one pass)")
        ->capture_default_str()
        ->check(real_in(0, 3600, "seconds", "SECONDS"));
    sub->add_option("--batch", o.batch, "independent sequences run together (cuda:all spreads them over the GPUs)")
        ->capture_default_str()->check(CLI::Range(1, 4096));
    sub->add_option("--length", o.lengths, "sequence lengths streamed chunk by chunk (0: one chunk)")->capture_default_str();
    sub->add_option("--spread", o.spread,
                    "each sequence's length drawn at random from [L x (1 - F), L]: sequences ending at many "
                    "lengths, as a genome's records or a run's reads (0: every sequence L long)")
        ->capture_default_str()
        ->check(real_in(0, 1, "a fraction", "F"));
    sub->add_flag("--logits", o.logits, "hand out the full logits too (default: the per-base A/C/G/T probabilities only)");
    sub->add_option("--runners", o.runners,
                    "runners working side by side on the device, each its own sequences (on a GPU each its own "
                    "stream, so one's kernels can fill the SMs another's leave idle); Mbp/s is their sum")
        ->capture_default_str()
        ->check(CLI::Range(1, 16));
    sub->add_flag("--in-turn", o.in_turn,
                  "run each chunk to the end before the next (default: the next chunk started before the last one's "
                  "outputs are taken, as a session runs)");
}

int cmd_model_info(const std::string& dir) {
    auto m = Model::load(dir);
    if (!m) return fail(m.error().message);
    std::fputs(m->summary().c_str(), stdout);
    return 0;
}

int cmd_forward(const ForwardOptions& o, const SequenceLoader& load) {
    if (o.logits.empty() && o.hidden.empty()) return fail("forward: nothing to write; give --logits and/or --hidden");
    for (const std::string& out : {o.logits, o.hidden})
        if (auto r = refuse_overwriting_inputs(out, {o.fasta, o.model}); !r) return fail(r.error().message);
    if (!o.logits.empty() && o.logits == o.hidden)
        return fail("forward: --logits and --hidden name the same file '" + o.logits + "'");
    auto model = Model::load(o.model);
    if (!model) return fail(model.error().message);
    auto rec = load(o.fasta, o.record);
    if (!rec) return fail(rec.error().message);
    auto precision = parse_precision(o.precision);
    if (!precision) return fail(precision.error().message);
    auto choice = open_backend(o.device, o.threads);
    if (!choice) return fail(choice.error().message);
    std::fprintf(stderr, "%s\n", choice->note.c_str());
    SessionOptions so;
    so.chunk = int(
        std::min<int64_t>(o.chunk, std::max<int64_t>(1, int64_t(rec->sequence.size()))));  // no buffer past the record
    so.precision = precision_for(*precision, *choice->backend);
    so.logits = !o.logits.empty();
    so.hidden = !o.hidden.empty();
    so.scores = false;
    std::string fallback;
    auto session = open_session(*model, *choice, so, o.device, o.threads, &fallback);
    if (!fallback.empty()) std::fprintf(stderr, "%s\n", fallback.c_str());
    if (!session) return fail(session.error().message);
    const auto t0 = std::chrono::steady_clock::now();
    auto out = run_sequence(**session, *model, rec->sequence, so, o.reverse ? Strand::Reverse : Strand::Forward);
    if (!out) return fail(out.error().message);
    const double secs = seconds_since(t0);
    if (out->unknown_bases)
        std::fprintf(stderr, "warning: %zu bases of '%s' are not in the model's alphabet and were read as [UNK]\n",
                     out->unknown_bases, rec->name.c_str());
    const int64_t L = out->length;
    if (!o.logits.empty()) {
        auto r = write_npy(o.logits, out->logits.data(), {L, model->config.vocab_size});
        if (!r) return fail(r.error().message);
    }
    if (!o.hidden.empty()) {
        auto r = write_npy(o.hidden, out->hidden.data(), {L, model->config.d_model});
        if (!r) return fail(r.error().message);
    }
    std::fprintf(stderr, "%s: %lld bases in %.3f s (%.3f Mbp/s) on %s in %s\n", rec->name.c_str(),
                 static_cast<long long>(L), secs, secs > 0 ? double(L) / secs / 1e6 : 0.0,
                 choice->backend->name().c_str(), precision_name(so.precision));
    return 0;
}

namespace {

struct GemmShape {
    int n, k;   // C[M, n] = A[M, k] · B[n, k]ᵀ, with M the chunk length
};

// GFLOP/s that OpenBLAS reaches on the model's own matrix shapes at M = chunk rows with its own
// threading on `threads` cores: the yardstick the whole model's rate is compared with.
double blas_rate(const Model& m, int chunk, int threads, double seconds) {
    const ModelConfig& c = m.config;
    const std::vector<GemmShape> shapes = {{2 * c.d_inner, c.d_model}, {c.dt_rank + 2 * c.d_state, c.d_inner},
                                           {c.d_inner, c.dt_rank},     {c.d_model, c.d_inner},
                                           {c.vocab_size, c.d_model}};
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0, 1);
    std::vector<std::vector<float>> A, B, C;
    for (const GemmShape& s : shapes) {
        A.emplace_back(size_t(chunk) * s.k);
        B.emplace_back(size_t(s.n) * s.k);
        C.emplace_back(size_t(chunk) * s.n);
        for (float& x : A.back()) x = nd(rng);
        for (float& x : B.back()) x = nd(rng);
    }
    auto pass = [&] {
        double flops = 0;
        for (size_t i = 0; i < shapes.size(); ++i) {
            const GemmShape& s = shapes[i];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, chunk, s.n, s.k, 1.0f, A[i].data(), s.k, B[i].data(), s.k,
                        0.0f, C[i].data(), s.n);
            flops += 2.0 * chunk * s.n * s.k;
        }
        return flops;
    };
    const int saved_threads = openblas_get_num_threads();
    openblas_set_num_threads(threads);
    pass();   // warm-up: thread start-up and page faults stay out of the figure
    double flops = 0;
    const auto t0 = std::chrono::steady_clock::now();
    do flops += pass();
    while (seconds_since(t0) < seconds);
    const double rate = flops / seconds_since(t0) / 1e9;
    openblas_set_num_threads(saved_threads);
    return rate;
}

}  // namespace

int cmd_bench(const BenchOptions& o) {
    auto asked = parse_precision(o.precision);
    if (!asked) return fail(asked.error().message);
    auto choice = open_backend(o.device, o.threads);
    if (!choice) return fail(choice.error().message);
    const Precision precision = precision_for(*asked, *choice->backend);
    // Every argument checked before the table starts, so a typo is not found half-way through.
    std::vector<RandomModelShape> shapes;
    for (const std::string& shape : o.shapes) {
        RandomModelShape rs;
        const auto dims = parse_count_pair(shape, 'x');
        if (!dims || dims->first < 1 || dims->second < 1)
            return fail(cat("--shape '", shape, "': expected D_MODELxLAYERS, e.g. 256x16"));
        rs.d_model = dims->first;
        rs.n_layer = dims->second;
        shapes.push_back(rs);
    }
    for (int chunk : o.chunks)
        if (chunk < 1) return fail(cat("--chunk ", chunk, ": must be at least 1"));
    for (int64_t length : o.lengths)
        if (length < 0) return fail(cat("--length ", length, ": must be 0 (one chunk) or more"));
    std::printf("# MambaScope engine benchmark: %s, %s\n# %s\n", choice->backend->description().c_str(),
                precision_name(precision), choice->note.c_str());
    std::printf("# batch %d\n", o.batch);
    if (o.runners > 1) std::printf("# %d runners side by side, each on a thread of its own\n", o.runners);
    if (o.spread > 0) std::printf("# sequence lengths drawn from [L x %.3g, L]\n", 1.0 - o.spread);
    std::printf("# %s\n", o.in_turn
                              ? "each chunk run to the end before the next (--in-turn)"
                              : "the next chunk started before the last one's outputs are taken, as a session runs");
    std::printf("%-10s %7s %11s %10s %12s %10s %10s %14s %8s\n", "shape", "chunk", "length", "Mbp/s", "FLOP/base",
                "GFLOP/s", "dev MiB", "BLAS GFLOP/s", "ratio");
    for (size_t si = 0; si < shapes.size(); ++si) {
        const std::string& shape = o.shapes[si];
        const Model model = make_random_model(shapes[si]);
        const int V = model.config.vocab_size;
        for (int chunk : o.chunks) {
            const int B = o.batch;
            RunnerLimits lim{B, chunk, precision};
            lim.acgt_ids = model.tokenizer.acgt_ids();
            std::vector<std::unique_ptr<ModelRunner>> runners;
            for (int k = 0; k < o.runners; ++k) {
                auto runner = choice->backend->create_runner(model.config, model.weights, lim);
                if (!runner) return fail(runner.error().message);
                runners.push_back(std::move(*runner));
            }
            std::vector<int32_t> tokens(size_t(B) * chunk);
            std::mt19937 rng(3);
            for (int32_t& t : tokens) t = lim.acgt_ids[rng() % 4];
            // Each runner its own outputs: they run at once.
            std::vector<std::vector<float>> logits(runners.size()), next(runners.size());
            std::vector<ForwardOutputs> outs(runners.size());
            for (size_t k = 0; k < runners.size(); ++k) {
                logits[k].resize(o.logits ? size_t(B) * chunk * V : 0);
                next[k].resize(size_t(B) * chunk * 4);
                outs[k].logits = o.logits ? logits[k].data() : nullptr;
                outs[k].next_base = next[k].data();
            }
            // Warm-up: first-touch allocations, graph capture (a chunk shape's second run) and
            // clocks stay out of the figure.
            for (size_t k = 0; k < runners.size(); ++k) {
                if (auto r = runners[k]->reset(B); !r) return fail(r.error().message);
                for (int i = 0; i < 2; ++i)
                    if (auto r = runners[k]->forward(tokens.data(), chunk, outs[k]); !r) return fail(r.error().message);
            }
            for (int64_t length : o.lengths) {
                const int64_t L = length == 0 ? chunk : length;
                // Whole sequences, one after another, until the time is up; the bases they held.
                auto sequences = [&](ModelRunner& runner, ForwardOutputs& out, uint64_t seed,
                                     std::chrono::steady_clock::time_point t0) -> Result<int64_t> {
                    std::mt19937_64 lengths_rng{uint64_t(L) + seed};
                    std::uniform_int_distribution<int64_t> draw(
                        std::max<int64_t>(1, int64_t(double(L) * (1.0 - o.spread))), L);
                    int64_t bases = 0;
                    do {
                        MS_TRY(runner.reset(B));
                        const int64_t n = o.spread > 0 ? draw(lengths_rng) : L;
                        for (int64_t done = 0; done < n;) {  // one sequence, chunk by chunk, state carried
                            const int T = int(std::min<int64_t>(chunk, n - done));
                            // The last chunk at the runner's length for it, as a session runs a whole
                            // sequence (the padding's bases are not counted).
                            const int run = done + T == n ? std::min(runner.final_chunk_length(T), chunk) : T;
                            if (o.in_turn) {
                                MS_TRY(runner.forward(tokens.data(), run, out));
                            } else {  // one chunk ahead, as Session::feed runs them
                                MS_TRY(runner.start(tokens.data(), run, out));
                                if (runner.in_flight() == ModelRunner::kMaxInFlight) MS_TRY(runner.finish(out));
                            }
                            done += T;
                        }
                        while (runner.in_flight() > 0) MS_TRY(runner.finish(out));
                        bases += n * B;
                    } while (seconds_since(t0) < o.seconds);
                    return bases;
                };
                const auto t0 = std::chrono::steady_clock::now();
                std::vector<Result<int64_t>> done(runners.size(), int64_t(0));
                {
                    std::vector<std::jthread> threads;
                    for (size_t k = 1; k < runners.size(); ++k)
                        threads.emplace_back([&, k] { done[k] = sequences(*runners[k], outs[k], k, t0); });
                    done[0] = sequences(*runners[0], outs[0], 0, t0);
                }
                int64_t bases = 0;
                for (const Result<int64_t>& d : done) {
                    if (!d) return fail(d.error().message);
                    bases += *d;
                }
                const double secs = seconds_since(t0);
                const double bps = double(bases) / secs;
                const double fpb = model.flops_per_base(o.logits);
                const double gflops = bps * fpb / 1e9;
                double mib = 0;
                for (const auto& runner : runners) mib += double(runner->device_bytes()) / (1024.0 * 1024.0);
                if (!choice->backend->on_cpu()) {
                    // The BLAS yardstick is the CPU's; a GPU run is compared in docs/performance.md
                    // with the reference figures of the same card instead.
                    std::printf("%-10s %7d %11lld %10.4f %12.0f %10.2f %10.0f %14s %8s\n", shape.c_str(), chunk,
                                static_cast<long long>(L), bps / 1e6, fpb, gflops, mib, "-", "-");
                } else {
                    const double blas = blas_rate(model, chunk,
                                                  o.threads > 0 ? o.threads : int(std::thread::hardware_concurrency()), o.seconds);
                    std::printf("%-10s %7d %11lld %10.4f %12.0f %10.2f %10s %14.2f %8.2f\n", shape.c_str(), chunk,
                                static_cast<long long>(L), bps / 1e6, fpb, gflops, "-", blas, gflops / blas);
                }
                std::fflush(stdout);
            }
        }
    }
    return 0;
}

}  // namespace ms

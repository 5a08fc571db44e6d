// Streaming with carried state: chunked output equals one-shot output (chunk sizes 1, 7, 4096),
// a batch of streams equals the streams run alone, and the reverse strand maps back correctly.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu_backend.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "engine/split_backend.h"
#include "tests/common/harness.h"
#include "tests/engine/padding_backend.h"
#include "tests/engine/small_model.h"

using namespace ms;

namespace {

const Model& small_model() { return test::small_model(11); }

std::string random_dna(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    const char* bases = "ACGTacgtN";
    std::string s(n, 'A');
    for (char& c : s) c = bases[rng() % 9];
    return s;
}

SequenceOutputs run(Backend& backend, const std::string& seq, int chunk, Strand strand = Strand::Forward) {
    SessionOptions o;
    o.chunk = chunk;
    o.logits = o.hidden = o.scores = true;
    auto session = Session::create(small_model(), backend, o);
    if (!session) throw test::Failure{session.error().message};
    auto out = run_sequence(**session, small_model(), seq, o, strand);
    if (!out) throw test::Failure{out.error().message};
    return std::move(*out);
}

// cuda:all's mechanism on the CPU: a backend whose batches are cut into two parts that run at once.
std::unique_ptr<Backend> split_of_two_cpus(const std::string& name = "split") {
    std::vector<std::unique_ptr<Backend>> parts;
    parts.push_back(make_cpu_backend(1));
    parts.push_back(make_cpu_backend(1));
    return make_split_backend(name, std::move(parts));
}

// The runners items side by side must give the same on: one whose calls are padded (as the CUDA
// runner's last chunks), cuda:all's split, and the plain CPU runner.
struct ItemBackends {
    std::unique_ptr<Backend> cpu = make_cpu_backend(1);
    test::PaddingBackend padding{make_cpu_backend(1), 64};
    std::unique_ptr<Backend> split = split_of_two_cpus();
    std::vector<Backend*> all() { return {&padding, split.get(), cpu.get()}; }
};

}  // namespace

MS_TEST(chunked_output_equals_one_shot) {
    auto backend = make_cpu_backend(2);
    const std::string seq = random_dna(5000, 1);
    const SequenceOutputs whole = run(*backend, seq, 8192);
    for (int chunk : {1, 7, 4096}) {
        const SequenceOutputs part = run(*backend, seq, chunk);
        // The same float operations in a different grouping of matrix rows: BLAS may block rows
        // differently, so allow rounding-level differences only.
        const double el = test::rel_error(part.logits.data(), whole.logits.data(), whole.logits.size());
        const double eh = test::rel_error(part.hidden.data(), whole.hidden.data(), whole.hidden.size());
        MS_CHECK_MSG(el < 1e-5 && eh < 1e-5, "chunk " << chunk << ": logits " << el << ", hidden " << eh);
        for (size_t i = 1; i < seq.size(); ++i)
            MS_CHECK_MSG(std::abs(part.scores[i].entropy - whole.scores[i].entropy) < 1e-4, "chunk " << chunk << " pos " << i);
    }
}

// A row's bits depend neither on where its call ends nor on the thread count: a sequence cut short
// gives the whole one's rows bit for bit (a segment scored after a warm-up from its sequence's
// start is the whole run's, docs/cluster.md). OpenBLAS rounded a product's last rows, past a
// multiple of its kernel's unroll, otherwise: before the CPU runner's row blocks (gemm_rows), the
// last 1–11 rows of a short last chunk differed.
MS_TEST(a_rows_bits_do_not_depend_on_where_its_call_ends) {
    auto one = make_cpu_backend(1), two = make_cpu_backend(2);
    const std::string seq = random_dna(1100, 5);
    const SequenceOutputs whole = run(*one, seq, 512);
    const SequenceOutputs whole2 = run(*two, seq, 512);
    MS_CHECK(whole2.logits == whole.logits && whole2.hidden == whole.hidden);
    const size_t V = whole.logits.size() / seq.size(), D = whole.hidden.size() / seq.size();
    for (size_t n : {1, 2, 11, 12, 13, 47, 48, 100, 513, 524, 560, 1023}) {
        const SequenceOutputs part = run(n % 2 ? *one : *two, seq.substr(0, n), 512);
        MS_CHECK_MSG(
            std::equal(part.logits.begin(), part.logits.end(), whole.logits.begin()) && part.logits.size() == n * V &&
                std::equal(part.hidden.begin(), part.hidden.end(), whole.hidden.begin()) && part.hidden.size() == n * D,
            "the first " << n << " positions differ from the whole sequence's");
    }
}

MS_TEST(scores_are_probabilities_aligned_to_bases) {
    auto backend = make_cpu_backend(1);
    const std::string seq = "ACGTNACGTTTGCA";
    const SequenceOutputs o = run(*backend, seq, 5);
    MS_CHECK(std::isnan(o.scores[0].log2_lik));   // the first base has no context
    MS_CHECK(std::isnan(o.scores[4].log2_lik));   // N is not scored
    for (size_t i = 1; i < seq.size(); ++i) {
        const auto& s = o.scores[i];
        MS_CHECK(std::abs(s.p[0] + s.p[1] + s.p[2] + s.p[3] - 1.0f) < 1e-5);
        MS_CHECK(s.entropy >= 0 && s.entropy <= 2.0f + 1e-5f);
        const int b = std::string("ACGT").find(seq[i]);
        if (b >= 0) MS_CHECK(std::abs(s.log2_lik - std::log2(s.p[size_t(b)])) < 1e-5);
    }
}

// Per-base scores asked for alone come from the LM head's four base rows (ForwardOutputs::next_base
// without logits); they must equal the scores derived from the full logits.
MS_TEST(scores_without_logits_equal_scores_from_logits) {
    auto backend = make_cpu_backend(2);
    const std::string seq = random_dna(700, 5);
    const SequenceOutputs full = run(*backend, seq, 64);
    SessionOptions o;
    o.chunk = 64;
    o.scores = true;
    auto session = Session::create(small_model(), *backend, o);
    MS_CHECK_MSG(session.ok(), session.error().message);
    auto lean = run_sequence(**session, small_model(), seq, o);
    MS_CHECK_MSG(lean.ok(), lean.error().message);
    MS_CHECK(lean->logits.empty() && lean->scores.size() == seq.size());
    for (size_t i = 1; i < seq.size(); ++i)
        for (int b = 0; b < 4; ++b)
            MS_CHECK_MSG(std::abs(lean->scores[i].p[b] - full.scores[i].p[b]) < 1e-6f, "pos " << i << " base " << b);
}

MS_TEST(batch_of_streams_equals_streams_alone) {
    auto backend = make_cpu_backend(2);
    const Model& m = small_model();
    const int T = 33, B = 3, V = m.config.vocab_size;
    std::vector<int32_t> tokens(size_t(B) * T);
    std::mt19937 rng(4);
    for (int32_t& t : tokens) t = 7 + int32_t(rng() % 5);
    auto batched = backend->create_runner(m.config, m.weights, RunnerLimits{B, T});
    MS_CHECK(batched.ok() && (*batched)->reset(B).ok());
    std::vector<float> all(size_t(B) * T * V);
    ForwardOutputs out;
    out.logits = all.data();
    // Two chunks, so the carried state of each stream matters too.
    MS_CHECK((*batched)->forward(tokens.data(), T, out).ok());
    MS_CHECK((*batched)->forward(tokens.data(), T, out).ok());
    for (int b = 0; b < B; ++b) {
        auto single = backend->create_runner(m.config, m.weights, RunnerLimits{1, T});
        std::vector<float> one(size_t(T) * V);
        ForwardOutputs o1;
        o1.logits = one.data();
        MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
        MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
        MS_CHECK_MSG(test::rel_error(&all[size_t(b) * T * V], one.data(), one.size()) < 1e-5, "stream " << b);
    }
}

// cuda:all's mechanism on two CPU backends: a batch cut into parts that run at the same time gives
// each stream exactly what it gets alone, for batches smaller than, equal to and larger than the
// number of parts, across chunks (state carried per part).
MS_TEST(split_backend_equals_streams_alone) {
    const Model& m = small_model();
    const int T = 17, V = m.config.vocab_size;
    auto split = split_of_two_cpus();
    auto alone = make_cpu_backend(1);
    RunnerLimits lim{5, T};
    lim.acgt_ids = m.tokenizer.acgt_ids();
    auto runner = split->create_runner(m.config, m.weights, lim);
    MS_CHECK_MSG(runner.ok(), runner.error().message);
    for (int B : {1, 2, 5}) {
        std::vector<int32_t> tokens(size_t(B) * T);
        std::mt19937 rng{static_cast<uint32_t>(B)};
        for (int32_t& t : tokens) t = 7 + int32_t(rng() % 5);
        MS_CHECK((*runner)->reset(B).ok());
        std::vector<float> logits(size_t(B) * T * V), next(size_t(B) * T * 4);
        ForwardOutputs out;
        out.logits = logits.data();
        out.next_base = next.data();
        MS_CHECK((*runner)->forward(tokens.data(), T, out).ok());
        const std::vector<float> first = logits;
        MS_CHECK((*runner)->forward(tokens.data(), T, out).ok());
        // The same two chunks pipelined (each part starts its rows, then finishes them).
        std::vector<float> p1(logits.size()), p2(logits.size()), m1(next.size()), m2(next.size());
        ForwardOutputs q1, q2;
        q1.logits = p1.data(), q1.next_base = m1.data(), q2.logits = p2.data(), q2.next_base = m2.data();
        MS_CHECK((*runner)->reset(B).ok());
        MS_CHECK((*runner)->start(tokens.data(), T, q1).ok() && (*runner)->start(tokens.data(), T, q2).ok());
        MS_CHECK_EQ((*runner)->in_flight(), 2);
        MS_CHECK((*runner)->finish(q1).ok() && (*runner)->finish(q2).ok());
        MS_CHECK_MSG(p1 == first && p2 == logits && m2 == next, "batch " << B << ": pipelined chunks differ");
        for (int b = 0; b < B; ++b) {
            auto single = alone->create_runner(m.config, m.weights, lim);
            std::vector<float> l1(size_t(T) * V), n1(size_t(T) * 4);
            ForwardOutputs o1;
            o1.logits = l1.data();
            o1.next_base = n1.data();
            MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
            MS_CHECK((*single)->forward(&tokens[size_t(b) * T], T, o1).ok());
            MS_CHECK_MSG(test::rel_error(&logits[size_t(b) * T * V], l1.data(), l1.size()) < 1e-6, "batch " << B << " stream " << b);
            MS_CHECK_MSG(test::rel_error(&next[size_t(b) * T * 4], n1.data(), n1.size()) < 1e-6, "batch " << B << " stream " << b);
        }
    }
    MS_CHECK(!(*runner)->reset(6).ok());   // beyond the limit given at creation
}

MS_TEST(reverse_strand_maps_back_to_forward_coordinates) {
    auto backend = make_cpu_backend(1);
    const std::string seq = random_dna(300, 2);
    const SequenceOutputs rev = run(*backend, seq, 64, Strand::Reverse);
    const SequenceOutputs on_rc = run(*backend, reverse_complement(seq), 64);
    const size_t L = seq.size();
    for (size_t i = 0; i < L; ++i) {
        const auto& a = rev.scores[i];
        const auto& b = on_rc.scores[L - 1 - i];
        for (int k = 0; k < 4; ++k)
            if (!std::isnan(b.p[size_t(k)])) MS_CHECK(a.p[size_t(k)] == b.p[size_t(3 - k)]);   // A↔T, C↔G
        MS_CHECK((std::isnan(a.log2_lik) && std::isnan(b.log2_lik)) || a.log2_lik == b.log2_lik);
    }
    // Logits in forward letters too: row i is the reverse complement's row L-1-i with its A/T and
    // C/G columns swapped (they were left as the reverse strand's; found in review).
    const Tokenizer& tok = small_model().tokenizer;
    const size_t V = rev.logits.size() / L;
    const int32_t ids[4] = {tok.id_of('A'), tok.id_of('C'), tok.id_of('G'), tok.id_of('T')};
    for (size_t i = 0; i < L; ++i) {
        for (size_t v = 0; v < V; ++v) {
            size_t from = v;
            for (int k = 0; k < 4; ++k)
                if (int32_t(v) == ids[k]) from = size_t(ids[3 - k]);
            MS_CHECK(rev.logits[i * V + v] == on_rc.logits[(L - 1 - i) * V + from]);
        }
    }
    MS_CHECK_EQ(reverse_complement("ACGTNacgtRY"), std::string("RYacgtNACGT"));
}

MS_TEST(pooled_embeddings_are_window_means_of_hidden_states) {
    auto backend = make_cpu_backend(1);
    const Model& m = small_model();
    const int dm = m.config.d_model;
    const std::string seq = random_dna(250, 3);
    for (Strand strand : {Strand::Forward, Strand::Reverse})
        for (int64_t window : {int64_t(0), int64_t(1), int64_t(7), int64_t(100), int64_t(1000)}) {
            SessionOptions o;
            o.chunk = 37;   // chunk edges fall inside windows
            o.hidden = true;
            o.scores = false;
            o.pool_window = window;
            auto session = Session::create(m, *backend, o);
            auto out = run_sequence(**session, m, seq, o, strand);
            MS_CHECK(out.ok());
            const std::vector<int64_t> starts = window ? std::vector<int64_t>{0, 100, 200} : std::vector<int64_t>{0};
            const std::vector<int64_t> rev_starts = window ? std::vector<int64_t>{0, 50, 150} : std::vector<int64_t>{0};
            if (window == 0 || window == 100)
                MS_CHECK(out->window_starts == (strand == Strand::Forward ? starts : rev_starts));
            MS_CHECK_EQ(out->window_starts.size(), size_t(window == 0 ? 1 : (250 + window - 1) / window));
            MS_CHECK_EQ(out->embeddings.size(), out->window_starts.size() * size_t(dm));
            for (size_t w = 0; w < out->window_starts.size(); ++w) {
                const int64_t b = out->window_starts[w];
                const int64_t e = w + 1 < out->window_starts.size() ? out->window_starts[w + 1] : 250;
                for (int i = 0; i < dm; ++i) {
                    double mean = 0;
                    for (int64_t p = b; p < e; ++p) mean += out->hidden[size_t(p) * dm + i];
                    mean /= double(e - b);
                    MS_CHECK_MSG(std::abs(out->embeddings[w * dm + i] - mean) < 1e-5, "window " << w << " dim " << i);
                }
            }
        }
}

// Embeddings alone (no hidden states asked for, as `embed` runs): the same vectors, and no per-base
// output is kept (this wrote hidden rows into an unsized vector once).
MS_TEST(pooled_embeddings_without_hidden_states) {
    auto backend = make_cpu_backend(1);
    const Model& m = small_model();
    const std::string seq = random_dna(250, 3);
    SessionOptions o;
    o.chunk = 37;
    o.scores = false;
    o.pool_window = 100;
    auto session = Session::create(m, *backend, o);
    auto lean = run_sequence(**session, m, seq, o);
    MS_CHECK_MSG(lean.ok(), lean.error().message);
    MS_CHECK(lean->hidden.empty() && lean->logits.empty());
    o.hidden = true;
    auto s2 = Session::create(m, *backend, o);
    auto full = run_sequence(**s2, m, seq, o);
    MS_CHECK(full.ok());
    MS_CHECK(lean->embeddings == full->embeddings);
}

MS_TEST(classifier_head_is_softmax_of_affine_map) {
    ClassifierWeights head;
    head.weight = {1, 0, 0, 1, -1, -1};   // 3 labels × d_model 2
    head.bias = {0, 0.5f, 0};
    const float x[2] = {2, 1};
    const std::vector<float> p = classify(head, x, 2);
    const double z[3] = {2, 1.5, -3}, e0 = std::exp(z[0]), e1 = std::exp(z[1]), e2 = std::exp(z[2]);
    MS_CHECK_EQ(p.size(), size_t(3));
    MS_CHECK(std::abs(p[0] - e0 / (e0 + e1 + e2)) < 1e-6);
    MS_CHECK(std::abs(p[1] - e1 / (e0 + e1 + e2)) < 1e-6);
    MS_CHECK(std::abs(p[2] - e2 / (e0 + e1 + e2)) < 1e-6);
}

// --precision auto resolves per backend: fp32 on the CPU (and on devices made of CPUs), bf16 on a
// GPU (tested with the CUDA backend in test_cuda_conformance); an explicit word always wins.
MS_TEST(precision_auto_resolves_per_backend) {
    auto auto_ = parse_precision("auto"), fp32 = parse_precision("fp32"), bf16 = parse_precision("bf16");
    MS_CHECK(auto_.ok() && fp32.ok() && bf16.ok());
    MS_CHECK(!auto_->has_value());
    auto cpu = make_cpu_backend(1);
    MS_CHECK(precision_for(*auto_, *cpu) == Precision::FP32);
    MS_CHECK(precision_for(*fp32, *cpu) == Precision::FP32);
    MS_CHECK(precision_for(*bf16, *cpu) == Precision::BF16);  // asked for: the runner then refuses it
    auto split = split_of_two_cpus("cpu+cpu");
    MS_CHECK(precision_for(*auto_, *split) == Precision::FP32);
    auto bad = parse_precision("fp16");
    MS_CHECK(!bad.ok());
    MS_CHECK(bad.error().message.find("auto, fp32, bf16") != std::string::npos);
}

// A whole sequence's last chunk may run padded (Session::feed with `ends`): every output of the
// real positions — logits, hidden states, scores, window means — is the unpadded run's, and the
// padding's are dropped; the session then refuses to continue the sequence until it is reset.
MS_TEST(padded_last_chunk_changes_no_output) {
    const std::string seq = random_dna(5000, 3);
    for (int chunk : {4096, 8192}) {
        auto cpu = make_cpu_backend(2);
        test::PaddingBackend padding(make_cpu_backend(2), 512);
        SessionOptions o;
        o.chunk = chunk;
        o.logits = o.hidden = o.scores = true;
        o.pool_window = 1000;
        auto plain = Session::create(small_model(), *cpu, o);
        auto padded = Session::create(small_model(), padding, o);
        MS_CHECK(plain.ok() && padded.ok());
        auto a = run_sequence(**plain, small_model(), seq, o);
        auto b = run_sequence(**padded, small_model(), seq, o);
        MS_CHECK(a.ok() && b.ok());
        const std::vector<int> expect = chunk == 4096 ? std::vector<int>{4096, 1024} : std::vector<int>{5120};
        MS_CHECK_MSG(padding.lengths == expect, "chunk " << chunk << ": ran " << padding.lengths.size() << " chunks");
        MS_CHECK_EQ(b->scores.size(), seq.size());
        MS_CHECK_EQ(b->logits.size(), a->logits.size());
        // The same operations on each real row; BLAS may block a padded chunk's rows differently.
        MS_CHECK(test::rel_error(b->logits.data(), a->logits.data(), a->logits.size()) < 1e-5);
        MS_CHECK(test::rel_error(b->hidden.data(), a->hidden.data(), a->hidden.size()) < 1e-5);
        MS_CHECK(test::rel_error(b->embeddings.data(), a->embeddings.data(), a->embeddings.size()) < 1e-5);
        for (size_t i = 0; i < seq.size(); ++i)
            MS_CHECK_MSG(std::abs(b->scores[i].log2_lik - a->scores[i].log2_lik) < 1e-4 ||
                             (std::isnan(b->scores[i].log2_lik) && std::isnan(a->scores[i].log2_lik)),
                         "chunk " << chunk << " pos " << i);
        // The state is a padded chunk's: continuing the sequence is refused until a reset.
        std::vector<int32_t> more(10, small_model().tokenizer.acgt_ids()[0]);
        const auto sink = [](const ChunkView&) -> Result<void> { return {}; };
        MS_CHECK((*padded)->feed(more.data(), 0, sink).ok());  // nothing to run: no error, and no reopening
        const Result<void> cont = (*padded)->feed(more.data(), 10, sink);
        MS_CHECK(!cont.ok() && cont.error().message.find("reset()") != std::string::npos);
        MS_CHECK((*padded)->reset().ok());
        MS_CHECK((*padded)->feed(more.data(), 10, sink).ok());
    }
}

// The session hands chunk k + 1 to the runner before it scores and sinks chunk k (so a GPU
// computes while the host works), and the outputs are those of a plain run.
MS_TEST(session_starts_the_next_chunk_before_sinking_this_one) {
    const std::string seq = random_dna(3500, 5);
    auto cpu = make_cpu_backend(2);
    test::PaddingBackend logged(make_cpu_backend(2), 1);
    SessionOptions o;
    o.chunk = 1000;
    o.logits = o.scores = true;
    auto plain = Session::create(small_model(), *cpu, o);
    auto piped = Session::create(small_model(), logged, o);
    MS_CHECK(plain.ok() && piped.ok());
    auto a = run_sequence(**plain, small_model(), seq, o);
    MS_CHECK(a.ok());
    std::vector<int32_t> tokens;
    small_model().tokenizer.encode(seq, tokens);
    std::vector<float> logits;
    std::vector<BaseScores> scores;
    MS_CHECK((*piped)->reset().ok());
    const Result<void> fed =
        (*piped)->feed(tokens.data(), int64_t(tokens.size()), [&](const ChunkView& v) -> Result<void> {
            logged.calls.push_back("sink");
            MS_CHECK_EQ(v.start, int64_t(logits.size() / size_t(small_model().config.vocab_size)));
            logits.insert(logits.end(), v.logits, v.logits + size_t(v.T) * size_t(small_model().config.vocab_size));
            scores.insert(scores.end(), v.scores, v.scores + v.T);
            return {};
        });
    MS_CHECK_MSG(fed.ok(), fed.error().message);
    const std::vector<std::string> expect = {"start", "start", "finish", "sink", "start",  "finish",
                                             "sink",  "start", "finish", "sink", "finish", "sink"};
    MS_CHECK(logged.calls == expect);
    MS_CHECK(logged.lengths == (std::vector<int>{1000, 1000, 1000, 500}));
    MS_CHECK_EQ(logits.size(), a->logits.size());
    MS_CHECK(test::rel_error(logits.data(), a->logits.data(), a->logits.size()) < 1e-6);
    for (size_t i = 0; i < seq.size(); ++i)
        MS_CHECK_MSG(std::abs(scores[i].entropy - a->scores[i].entropy) < 1e-5 ||
                         (std::isnan(scores[i].entropy) && std::isnan(a->scores[i].entropy)),
                     "pos " << i);
}

// A feed that fails — in the sink or in the runner — finishes the chunk it had started ahead
// (none stays in the runner), and the session refuses to go on until reset(): its runner's state
// is past the last chunk sunk. After the reset the sequence runs as on a fresh session.
MS_TEST(failed_feed_finishes_what_it_started_and_needs_a_reset) {
    const std::string seq = random_dna(3500, 6);
    test::PaddingBackend logged(make_cpu_backend(2), 1);
    SessionOptions o;
    o.chunk = 1000;
    o.scores = true;
    auto fresh = Session::create(small_model(), logged, o);
    auto s = Session::create(small_model(), logged, o);
    MS_CHECK(fresh.ok() && s.ok());
    std::vector<int32_t> tokens;
    small_model().tokenizer.encode(seq, tokens);
    const auto balanced = [&] {
        return std::count(logged.calls.begin(), logged.calls.end(), "start") ==
               std::count(logged.calls.begin(), logged.calls.end(), "finish");
    };
    std::vector<float> want, got;
    const auto keep = [](std::vector<float>& into) {
        return [&into](const ChunkView& v) -> Result<void> {
            for (int i = 0; i < v.T; ++i) into.push_back(v.scores[i].log2_lik);
            return {};
        };
    };
    MS_CHECK((*fresh)->reset().ok() && (*fresh)->feed(tokens.data(), int64_t(tokens.size()), keep(want)).ok());

    int sunk = 0;
    MS_CHECK((*s)->reset().ok());
    const Result<void> e = (*s)->feed(tokens.data(), int64_t(tokens.size()), [&](const ChunkView&) -> Result<void> {
        return ++sunk == 2 ? make_error("disk full") : Result<void>{};
    });
    MS_CHECK(!e.ok() && e.error().message == "disk full");
    MS_CHECK(balanced());
    const Result<void> again = (*s)->feed(tokens.data(), 10, keep(got));
    MS_CHECK(!again.ok() && again.error().message.find("reset()") != std::string::npos);

    // The runner's error: a token outside the vocabulary in the third chunk.
    std::vector<int32_t> bad = tokens;
    bad[2500] = 9999;
    MS_CHECK((*s)->reset().ok());
    const Result<void> r = (*s)->feed(bad.data(), int64_t(bad.size()), keep(got));
    MS_CHECK(!r.ok() && r.error().message.find("9999") != std::string::npos);
    MS_CHECK(balanced());
    MS_CHECK_EQ(got.size(), size_t(2000));  // the two chunks before it were sunk

    got.clear();
    MS_CHECK((*s)->reset().ok() && (*s)->feed(tokens.data(), int64_t(tokens.size()), keep(got)).ok());
    MS_CHECK_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
        MS_CHECK_MSG(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])), "pos " << i);
}

// ModelRunner's pipeline contract on the CPU runner (the default: the chunk runs in finish()).
MS_TEST(runner_start_and_finish_keep_their_contract) {
    auto backend = make_cpu_backend(1);
    const Model& m = small_model();
    const int T = 9, V = m.config.vocab_size;
    auto r = backend->create_runner(m.config, m.weights, RunnerLimits{1, T});
    MS_CHECK(r.ok() && (*r)->reset(1).ok());
    std::vector<int32_t> tokens(T);
    std::mt19937 rng(8);
    for (int32_t& t : tokens) t = 7 + int32_t(rng() % 5);
    std::vector<float> l1(size_t(T) * V), l2(size_t(T) * V), p1(l1.size()), p2(l1.size());
    ForwardOutputs o1, o2, q1, q2, none;
    o1.logits = l1.data(), o2.logits = l2.data(), q1.logits = p1.data(), q2.logits = p2.data();
    MS_CHECK((*r)->forward(tokens.data(), T, o1).ok() && (*r)->forward(tokens.data(), T, o2).ok());
    MS_CHECK((*r)->reset(1).ok());
    const Result<void> early = (*r)->finish(q1);
    MS_CHECK(!early.ok() && early.error().message.find("no chunk") != std::string::npos);
    MS_CHECK((*r)->start(tokens.data(), T, q1).ok() && (*r)->start(tokens.data(), T, q2).ok());
    MS_CHECK_EQ((*r)->in_flight(), 2);
    const Result<void> third = (*r)->start(tokens.data(), T, q1);
    MS_CHECK(!third.ok() && third.error().message.find("already started") != std::string::npos);
    const Result<void> other = (*r)->finish(none);  // started with logits, finished without
    MS_CHECK(!other.ok() && other.error().message.find("differ") != std::string::npos);
    // That chunk is gone, the next is still there: a fresh pipelined pair gives forward()'s outputs.
    MS_CHECK((*r)->finish(q2).ok() && (*r)->in_flight() == 0);
    MS_CHECK((*r)->reset(1).ok());
    MS_CHECK((*r)->start(tokens.data(), T, q1).ok() && (*r)->start(tokens.data(), T, q2).ok());
    MS_CHECK((*r)->finish(q1).ok() && (*r)->finish(q2).ok());
    MS_CHECK(p1 == l1 && p2 == l2);
}

// The options of a session that pools whole items in chunks of 100 positions, one at a time.
SessionOptions pooled_in_chunks_of_100() {
    SessionOptions o;
    o.scores = false;
    o.pool_window = 0;
    o.chunk = 100;
    return o;
}

// Items of one length pooled side by side (classify/embed windows) give each item's embedding as
// it has run alone, over several chunks, with the last chunk padded; what a batch cannot hold is
// refused, and the session is fed again only after a reset.
MS_TEST(pooled_items_side_by_side_equal_items_alone) {
    const Model& m = small_model();
    const int dm = m.config.d_model;
    auto cpu = make_cpu_backend(1);
    test::PaddingBackend padding(make_cpu_backend(1), 64);
    std::vector<std::string> seqs;
    for (uint32_t i = 0; i < 5; ++i) seqs.push_back(random_dna(230, 40 + i));
    const std::vector<std::string_view> items(seqs.begin(), seqs.end());
    const SessionOptions alone = pooled_in_chunks_of_100();
    auto one = Session::create(m, *cpu, alone);
    MS_CHECK(one.ok());
    SessionOptions o = alone;
    o.batch = 5;
    auto batched = Session::create(m, padding, o);
    MS_CHECK(batched.ok());
    auto got = (*batched)->pool_items(items);
    MS_CHECK_MSG(got.ok(), got.error().message);
    MS_CHECK(padding.lengths == (std::vector<int>{100, 100, 64}));  // 30 positions padded to 64
    MS_CHECK_EQ(got->embeddings.size(), size_t(5) * dm);
    for (size_t i = 0; i < seqs.size(); ++i) {
        auto ref = run_sequence(**one, m, seqs[i], alone);
        MS_CHECK(ref.ok());
        MS_CHECK_MSG(test::rel_error(&got->embeddings[i * size_t(dm)], ref->embeddings.data(), size_t(dm)) < 1e-5,
                     "item " << i);
        MS_CHECK_EQ(got->unknown_bases[i], ref->unknown_bases);
    }
    // A batch of one and a partial batch give the same vectors as the full one.
    auto single = (*batched)->pool_items({items[2]});
    auto pair = (*batched)->pool_items({items[3], items[4]});
    MS_CHECK(single.ok() && pair.ok());
    MS_CHECK(test::rel_error(single->embeddings.data(), &got->embeddings[2 * size_t(dm)], size_t(dm)) < 1e-5);
    MS_CHECK(test::rel_error(pair->embeddings.data(), &got->embeddings[3 * size_t(dm)], 2 * size_t(dm)) < 1e-5);
    const std::string shorter = seqs[0].substr(0, 200);  // two chunks of 100 against three
    auto mixed = (*batched)->pool_items({items[0], shorter});
    MS_CHECK_MSG(
        !mixed.ok() && mixed.error().message.find("different numbers of 100-position chunks") != std::string::npos,
        (mixed.ok() ? std::string("accepted") : mixed.error().message));
    const std::vector<std::string_view> six(6, items[0]);
    auto many = (*batched)->pool_items(six);
    MS_CHECK(!many.ok() && many.error().message.find("at most 5") != std::string::npos);
    std::vector<int32_t> tokens;
    m.tokenizer.encode(seqs[0], tokens);
    const auto sink = [](const ChunkView&) -> Result<void> { return {}; };
    MS_CHECK(!(*batched)->feed(tokens.data(), int64_t(tokens.size()), sink).ok());
    MS_CHECK((*batched)->reset().ok() && (*batched)->feed(tokens.data(), int64_t(tokens.size()), sink).ok());
}

// Scores of one base against another's: equal within `tol`, NaN where the other is NaN.
bool same_scores(const BaseScores& a, const BaseScores& b, float tol) {
    const auto near = [&](float x, float y) {
        return std::isnan(x) ? std::isnan(y) : std::abs(x - y) <= tol * (1 + std::abs(y));
    };
    for (int k = 0; k < 4; ++k)
        if (!near(a.p[size_t(k)], b.p[size_t(k)])) return false;
    return near(a.log2_lik, b.log2_lik) && near(a.entropy, b.entropy);
}

// Items of different lengths pooled side by side (classify/embed of reads) give each item's
// embedding as it has run alone, over its own positions only: on a runner whose last chunks are
// padded, on two runners splitting the streams, and on the plain CPU runner. The chunks' row counts
// per stream reach the runner at start(), and a pipelined runner keeps them until finish().
MS_TEST(pooled_items_of_different_lengths_equal_items_alone) {
    const Model& m = small_model();
    const int dm = m.config.d_model;
    ItemBackends backends;
    Backend& cpu = *backends.cpu;
    std::vector<std::string> seqs;
    const int lengths[] = {230, 201, 277, 299, 210};  // three chunks of 100 each; their ends differ
    for (uint32_t i = 0; i < 5; ++i) seqs.push_back(random_dna(lengths[i], 70 + i));
    const std::vector<std::string_view> items(seqs.begin(), seqs.end());
    const SessionOptions alone = pooled_in_chunks_of_100();
    auto one = Session::create(m, cpu, alone);
    MS_CHECK(one.ok());
    SessionOptions o = alone;
    o.batch = 5;
    for (Backend* b : backends.all()) {
        auto batched = Session::create(m, *b, o);
        MS_CHECK(batched.ok());
        auto got = (*batched)->pool_items(items);
        MS_CHECK_MSG(got.ok(), got.error().message);
        MS_CHECK_EQ(got->embeddings.size(), size_t(5) * dm);
        for (size_t i = 0; i < seqs.size(); ++i) {
            auto ref = run_sequence(**one, m, seqs[i], alone);
            MS_CHECK(ref.ok());
            MS_CHECK_MSG(test::rel_error(&got->embeddings[i * size_t(dm)], ref->embeddings.data(), size_t(dm)) < 1e-5,
                         b->name() << ": item " << i << " of " << seqs[i].size() << " bases");
        }
    }
    MS_CHECK(backends.padding.lengths == (std::vector<int>{100, 100, 100}));  // the last chunk: 99 positions padded
    // A runner refuses a stream's rows outside 1 … the chunk's, and with windows of rows.
    RunnerLimits lim{2, 16};
    auto r = cpu.create_runner(m.config, m.weights, lim);
    MS_CHECK(r.ok() && (*r)->reset(2).ok());
    std::vector<int32_t> tokens(32, m.tokenizer.id_of('A'));
    std::vector<float> sums(2 * size_t(dm));
    ForwardOutputs out;
    out.row_sums = sums.data();
    out.segments.rows = 16;
    const int32_t good[2] = {16, 3}, zero[2] = {16, 0}, past[2] = {17, 3};
    out.stream_rows = good;
    MS_CHECK((*r)->forward(tokens.data(), 16, out).ok());
    for (const int32_t* bad : {zero, past}) {
        out.stream_rows = bad;
        const Result<void> e = (*r)->forward(tokens.data(), 16, out);
        MS_CHECK(!e.ok() && e.error().message.find("expected 1 to 16") != std::string::npos);
    }
    out.stream_rows = good;
    out.segments.window = 8;
    const Result<void> w = (*r)->forward(tokens.data(), 16, out);
    MS_CHECK(!w.ok() && w.error().message.find("window 0") != std::string::npos);
}

// Whole short items started behind the batch before (Session::start_items, classify/embed of
// reads on a GPU) hand over each item's summed rows with pool_window 0: divided by its length, its
// embedding as it has run alone, on a runner whose calls are padded, on a split runner and on the
// plain CPU runner; the batch in flight holds its rows until it is handed over.
MS_TEST(pooled_items_started_behind_equal_items_alone) {
    const Model& m = small_model();
    const int dm = m.config.d_model;
    ItemBackends backends;
    Backend& cpu = *backends.cpu;
    const std::vector<std::vector<std::string>> batches = {
        {random_dna(37, 90), random_dna(100, 91), random_dna(1, 92)},
        {random_dna(64, 93), random_dna(99, 94)},
        {random_dna(5, 95), random_dna(70, 96), random_dna(71, 97), random_dna(12, 98)}};
    const SessionOptions alone = pooled_in_chunks_of_100();
    auto one = Session::create(m, cpu, alone);
    MS_CHECK(one.ok());
    SessionOptions o = alone;
    o.batch = 4;
    o.rows = 400;
    for (Backend* b : backends.all()) {
        auto ahead = Session::create(m, *b, o);
        MS_CHECK(ahead.ok());
        size_t seen = 0;
        for (size_t k = 0; k < batches.size(); ++k) {
            const std::vector<std::string_view> items(batches[k].begin(), batches[k].end());
            auto r = (*ahead)->start_items(items, [&, k](size_t i, const ChunkView& v) -> Result<void> {
                ++seen;
                MS_CHECK(v.row_sums != nullptr && v.segments == 1);
                auto ref = run_sequence(**one, m, batches[k][i], alone);
                MS_CHECK(ref.ok());
                std::vector<float> mean(v.row_sums, v.row_sums + dm);
                for (float& x : mean) x /= float(v.T);
                MS_CHECK_MSG(test::rel_error(mean.data(), ref->embeddings.data(), size_t(dm)) < 1e-5,
                             b->name() << ": batch " << k << " item " << i << " of " << v.T << " bases");
                return {};
            });
            MS_CHECK_MSG(r.ok(), r.error().message);
        }
        MS_CHECK((*ahead)->finish_items().ok());
        MS_CHECK_EQ(seen, size_t(9));
    }
    // The padded runner ran every batch at 100 positions (its longest, 100, 99 and 71 bases, rounded
    // up to 64 and held to the chunk): the padding was left out of the sums.
    MS_CHECK(backends.padding.lengths == (std::vector<int>{100, 100, 100}));
}

// A runner's rows (RunnerLimits::max_rows) bound batch · T, not the chunk alone: one stream takes
// the whole chunk, several share it, and what is more is refused, on one runner and on a split one.
MS_TEST(runner_rows_bound_streams_times_positions) {
    const Model& m = small_model();
    auto cpu = make_cpu_backend(1);
    auto split = split_of_two_cpus();
    for (Backend* b : {cpu.get(), split.get()}) {
        RunnerLimits lim{4, 64};
        lim.max_rows = 128;
        lim.acgt_ids = m.tokenizer.acgt_ids();
        auto r = b->create_runner(m.config, m.weights, lim);
        MS_CHECK_MSG(r.ok(), r.error().message);
        std::vector<int32_t> tokens(256, m.tokenizer.id_of('A'));
        std::vector<float> next(256 * 4);
        ForwardOutputs o;
        o.next_base = next.data();
        MS_CHECK((*r)->reset(1).ok() && (*r)->forward(tokens.data(), 64, o).ok());
        MS_CHECK((*r)->reset(4).ok() && (*r)->forward(tokens.data(), 32, o).ok());
        const Result<void> over = (*r)->forward(tokens.data(), 33, o);
        MS_CHECK_MSG(!over.ok() && over.error().message.find("4 streams of 33 positions are more than the 128") !=
                                       std::string::npos,
                     b->name() << ": " << (over.ok() ? std::string("accepted") : over.error().message));
        MS_CHECK((*r)->reset(2).ok() && (*r)->forward(tokens.data(), 64, o).ok());
        MS_CHECK(!(*r)->forward(tokens.data(), 65, o).ok());  // past the chunk
        lim.max_rows = -1;
        MS_CHECK(!b->create_runner(m.config, m.weights, lim).ok());
    }
}

// Short items of different lengths side by side (score's short records) give each item's scores
// and logits as it gives them run alone; the padding to the longest (a captured length where the
// rows hold it) changes nothing; what the session cannot hold is refused.
// Batches started behind the batch before (start_items: a batch's outputs come at the next call)
// give exactly what each gives run alone; the session refuses other work while one is in flight,
// and after a sink's error it holds nothing and runs the next batch right.
MS_TEST(items_started_behind_the_batch_before_equal_batches_run_alone) {
    const Model& m = small_model();
    const int V = m.config.vocab_size;
    auto cpu = make_cpu_backend(1);
    SessionOptions o;
    o.logits = true;
    o.chunk = 256;
    o.batch = 4;
    o.rows = 1024;
    auto ahead = Session::create(m, *cpu, o), alone = Session::create(m, *cpu, o);
    MS_CHECK(ahead.ok() && alone.ok());
    std::vector<std::vector<std::string>> batches = {
        {random_dna(230, 60), random_dna(100, 61)},
        {random_dna(57, 62), random_dna(1, 63), random_dna(200, 64), random_dna(256, 65)},
        {random_dna(3, 66)}};
    batches[1][2][17] = 'N';
    std::vector<std::vector<std::vector<float>>> want(batches.size());  // [batch][item] logits
    for (size_t k = 0; k < batches.size(); ++k) {
        const std::vector<std::string_view> items(batches[k].begin(), batches[k].end());
        auto r = (*alone)->run_items(items, [&](size_t, const ChunkView& v) -> Result<void> {
            want[k].emplace_back(v.logits, v.logits + size_t(v.T) * V);
            return {};
        });
        MS_CHECK_MSG(r.ok(), r.error().message);
    }
    std::vector<std::pair<size_t, size_t>> seen;  // (batch, item) as handed over
    const auto sink_of = [&](size_t k) {
        return [&, k](size_t i, const ChunkView& v) -> Result<void> {
            seen.emplace_back(k, i);
            MS_CHECK_EQ(v.T, int(batches[k][i].size()));
            MS_CHECK(want[k][i].size() == size_t(v.T) * V &&
                     std::equal(want[k][i].begin(), want[k][i].end(), v.logits));
            return {};
        };
    };
    std::vector<std::vector<std::string_view>> items;
    for (const auto& b : batches) items.emplace_back(b.begin(), b.end());
    MS_CHECK((*ahead)->start_items(items[0], sink_of(0)).ok());
    MS_CHECK(seen.empty());  // batch 0 comes at the next call
    std::vector<int32_t> tokens;
    m.tokenizer.encode(batches[0][0], tokens);
    const auto chunk_sink = [](const ChunkView&) -> Result<void> { return {}; };
    for (const Result<void>& busy : {(*ahead)->feed(tokens.data(), int64_t(tokens.size()), chunk_sink),
                                     (*ahead)->reset(), (*ahead)->run_items(items[2], sink_of(2))})
        MS_CHECK_MSG(!busy.ok() && busy.error().message.find("finish_items()") != std::string::npos,
                     (busy.ok() ? "ran" : busy.error().message));
    MS_CHECK((*ahead)->start_items(items[1], sink_of(1)).ok());
    MS_CHECK(seen == (std::vector<std::pair<size_t, size_t>>{{0, 0}, {0, 1}}));
    MS_CHECK((*ahead)->start_items(items[2], sink_of(2)).ok());
    MS_CHECK_EQ(seen.size(), size_t(6));
    MS_CHECK((*ahead)->finish_items().ok());
    MS_CHECK((*ahead)->finish_items().ok());  // nothing in flight: nothing to do
    MS_CHECK(seen == (std::vector<std::pair<size_t, size_t>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 0}}));
    // A sink's error comes from the call that hands its batch over; the batch behind is dropped.
    const auto failing = [](size_t i, const ChunkView&) -> Result<void> {
        if (i == 1) return make_error("sink full");
        return {};
    };
    MS_CHECK((*ahead)->start_items(items[0], failing).ok());
    auto stop = (*ahead)->start_items(items[1], sink_of(1));
    MS_CHECK(!stop.ok() && stop.error().message == "sink full");
    seen.clear();
    MS_CHECK((*ahead)->finish_items().ok() && seen.empty());
    MS_CHECK((*ahead)->start_items(items[1], sink_of(1)).ok() && (*ahead)->finish_items().ok());
    MS_CHECK_EQ(seen.size(), size_t(4));
    MS_CHECK((*ahead)->reset().ok() && (*ahead)->feed(tokens.data(), int64_t(tokens.size()), chunk_sink).ok());
}

MS_TEST(items_of_any_length_side_by_side_equal_items_alone) {
    const Model& m = small_model();
    const int V = m.config.vocab_size;
    auto cpu = make_cpu_backend(1);
    test::PaddingBackend padding(make_cpu_backend(1), 64);
    std::vector<std::string> seqs = {random_dna(230, 50), random_dna(100, 51), random_dna(57, 52), random_dna(1, 53)};
    seqs[1][40] = 'N';
    const std::vector<std::string_view> items(seqs.begin(), seqs.end());
    SessionOptions alone;
    alone.logits = true;
    alone.chunk = 256;
    auto one = Session::create(m, *cpu, alone);
    MS_CHECK(one.ok());
    for (int64_t rows : {int64_t(920), int64_t(1024)}) {  // 4 × 230: unpadded; 4 × 256: the padded length
        SessionOptions o = alone;
        o.batch = 4;
        o.rows = rows;
        auto batched = Session::create(m, padding, o);
        MS_CHECK(batched.ok());
        padding.lengths.clear();
        std::vector<size_t> seen;
        auto r = (*batched)->run_items(items, [&](size_t i, const ChunkView& v) -> Result<void> {
            seen.push_back(i);
            auto ref = run_sequence(**one, m, seqs[i], alone);
            MS_CHECK(ref.ok());
            MS_CHECK_EQ(v.start, 0);
            MS_CHECK_EQ(v.T, int(seqs[i].size()));
            for (int t = 0; t < v.T; ++t) {
                MS_CHECK_MSG(same_scores(v.scores[t], ref->scores[size_t(t)], 1e-5f), "item " << i << " base " << t);
                MS_CHECK(test::rel_error(v.logits + size_t(t) * V, &ref->logits[size_t(t) * V], size_t(V)) < 1e-5);
            }
            return {};
        });
        MS_CHECK_MSG(r.ok(), r.error().message);
        MS_CHECK(seen == (std::vector<size_t>{0, 1, 2, 3}));
        MS_CHECK(padding.lengths == (std::vector<int>{rows == 1024 ? 256 : 230}));
        // A sink's error ends the call with it.
        auto stop = (*batched)->run_items(items, [](size_t i, const ChunkView&) -> Result<void> {
            if (i == 1) return make_error("sink full");
            return {};
        });
        MS_CHECK(!stop.ok() && stop.error().message == "sink full");
        const auto none = [](size_t, const ChunkView&) -> Result<void> { return {}; };
        const std::vector<std::string_view> five(5, items[2]);
        auto many = (*batched)->run_items(five, none);
        MS_CHECK(!many.ok() && many.error().message.find("at most 4") != std::string::npos);
        const std::string too_long = random_dna(257, 54);
        auto longer = (*batched)->run_items({too_long}, none);
        MS_CHECK(!longer.ok() && longer.error().message.find("chunk (256)") != std::string::npos);
        const std::string wide = random_dna(240, 55);
        auto over = (*batched)->run_items(std::vector<std::string_view>(4, wide), none);  // 960 rows
        MS_CHECK(rows == 1024 ? over.ok() : !over.ok() && over.error().message.find("rows (920)") != std::string::npos);
        auto empty = (*batched)->run_items({std::string_view()}, none);
        MS_CHECK(!empty.ok() && empty.error().message.find("without bases") != std::string::npos);
        std::vector<int32_t> tokens;
        m.tokenizer.encode(seqs[0], tokens);
        const auto sink = [](const ChunkView&) -> Result<void> { return {}; };
        MS_CHECK(!(*batched)->feed(tokens.data(), int64_t(tokens.size()), sink).ok());
        MS_CHECK((*batched)->reset().ok() && (*batched)->feed(tokens.data(), int64_t(tokens.size()), sink).ok());
    }
}

// Row sums (pooled embeddings in the runner) against the hidden rows of the same chunk, and the
// cuts a runner refuses.
MS_TEST(runner_row_sums_are_window_sums_of_hidden_rows) {
    auto backend = make_cpu_backend(1);
    const Model& m = small_model();
    const int T = 50, dm = m.config.d_model;
    auto r = backend->create_runner(m.config, m.weights, RunnerLimits{2, T});
    MS_CHECK(r.ok() && (*r)->reset(2).ok());
    std::vector<int32_t> tokens(size_t(2) * T);
    std::mt19937 rng(9);
    for (int32_t& t : tokens) t = 7 + int32_t(rng() % 5);
    std::vector<float> hidden(size_t(2) * T * dm), sums(size_t(2) * 3 * dm);
    ForwardOutputs out;
    out.hidden = hidden.data();
    out.row_sums = sums.data();
    out.segments.window = 30;
    out.segments.offset = 20;  // rows 0-9 end a window, 10-39 are one, 40-44 start one; 45-49 are padding
    out.segments.rows = 45;
    MS_CHECK(kernels::segment_count(out.segments) == 3);
    MS_CHECK((*r)->forward(tokens.data(), T, out).ok());
    const int edges[4] = {0, 10, 40, 45};
    for (int b = 0; b < 2; ++b)
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < dm; ++i) {
                double want = 0;
                for (int p = edges[j]; p < edges[j + 1]; ++p)
                    want += hidden[(size_t(b) * T + size_t(p)) * dm + size_t(i)];
                MS_CHECK_MSG(
                    std::abs(sums[(size_t(b) * 3 + size_t(j)) * dm + size_t(i)] - want) < 1e-4 * (1 + std::abs(want)),
                    "stream " << b << " segment " << j << " dim " << i);
            }
    out.segments.rows = 51;
    const Result<void> long_ = (*r)->forward(tokens.data(), T, out);
    MS_CHECK(!long_.ok() && long_.error().message.find("51 rows") != std::string::npos);
    out.segments.rows = 45;
    out.segments.offset = 30;
    const Result<void> off = (*r)->forward(tokens.data(), T, out);
    MS_CHECK(!off.ok() && off.error().message.find("offset 30") != std::string::npos);
    MS_CHECK(!(*r)->start(tokens.data(), T, out).ok());  // start() checks the cut too
}

MS_TEST(runner_rejects_bad_tokens_and_chunks) {
    auto backend = make_cpu_backend(1);
    const Model& m = small_model();
    auto r = backend->create_runner(m.config, m.weights, RunnerLimits{1, 8});
    MS_CHECK(r.ok());
    const int32_t bad[2] = {7, 99};
    ForwardOutputs out;
    auto e = (*r)->forward(bad, 2, out);
    MS_CHECK(!e.ok() && e.error().message.find("99") != std::string::npos);
    const int32_t ok[9] = {7, 7, 7, 7, 7, 7, 7, 7, 7};
    MS_CHECK(!(*r)->forward(ok, 9, out).ok());
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

// ModelRunner::save_state / load_state: a prefix run, snapshotted and loaded into another runner
// (any stream of any batch layout), then continued, gives what the prefix and the continuation give
// run straight through — for several chunkings, batch layouts and the split backend (cuda:all's
// mechanism) — and leaves the other streams of the batch alone.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "engine/cpu_backend.h"
#include "engine/random_model.h"
#include "engine/split_backend.h"
#include "tests/common/harness.h"
#include "tests/engine/small_model.h"

using namespace ms;

namespace {

const Model& small_model() { return test::small_model(21); }

std::vector<int32_t> random_tokens(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(n);
    for (int32_t& x : t) x = 7 + int32_t(rng() % 5);  // A C G T N
    return t;
}

RunnerLimits limits(int batch, int chunk) {
    RunnerLimits lim{batch, chunk};
    lim.acgt_ids = small_model().tokenizer.acgt_ids();
    return lim;
}

std::unique_ptr<ModelRunner> runner(Backend& b, int batch, int chunk) {
    auto r = b.create_runner(small_model().config, small_model().weights, limits(batch, chunk));
    if (!r) throw test::Failure{r.error().message};
    return std::move(*r);
}

void check_ok(const Result<void>& r) {
    if (!r) throw test::Failure{r.error().message};
}

// Runs tokens [batch, n] (row-major per stream) chunk by chunk; returns logits [batch, n, vocab].
std::vector<float> run_chunked(ModelRunner& r, const std::vector<int32_t>& tokens, int batch, size_t n, int chunk) {
    const int V = small_model().config.vocab_size;
    std::vector<float> logits(size_t(batch) * n * V);
    std::vector<int32_t> tk;
    std::vector<float> part;
    for (size_t t0 = 0; t0 < n; t0 += size_t(chunk)) {
        const size_t T = std::min(size_t(chunk), n - t0);
        tk.resize(size_t(batch) * T);
        part.resize(size_t(batch) * T * V);
        for (int b = 0; b < batch; ++b) std::copy_n(&tokens[size_t(b) * n + t0], T, &tk[size_t(b) * T]);
        ForwardOutputs out;
        out.logits = part.data();
        check_ok(r.forward(tk.data(), int(T), out));
        for (int b = 0; b < batch; ++b) std::copy_n(&part[size_t(b) * T * V], T * V, &logits[(size_t(b) * n + t0) * V]);
    }
    return logits;
}

double max_abs_diff(const float* a, const float* b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::isfinite(a[i]) ? std::abs(double(a[i]) - b[i]) : INFINITY);
    return m;
}

// The continuation's logits from a straight run of prefix then suffix on one fresh single stream,
// cut into the same chunks as the snapshot's run, so the arithmetic is the same.
std::vector<float> straight(Backend& b, const std::vector<int32_t>& prefix, const std::vector<int32_t>& suffix,
                            int prefix_chunk, int suffix_chunk) {
    auto r = runner(b, 1, std::max(prefix_chunk, suffix_chunk));
    check_ok(r->reset(1));
    run_chunked(*r, prefix, 1, prefix.size(), prefix_chunk);
    return run_chunked(*r, suffix, 1, suffix.size(), suffix_chunk);
}

// Prefix on one runner, snapshot, loaded into stream `into` of a batch of `batch` streams whose
// other streams run their own tokens; each stream must match its own straight run.
void check_restore(Backend& b, int prefix_chunk, int suffix_chunk, int batch, int into) {
    const size_t V = size_t(small_model().config.vocab_size);
    const std::vector<int32_t> prefix = random_tokens(301, 1), suffix = random_tokens(203, 2);
    auto first = runner(b, 1, prefix_chunk);
    check_ok(first->reset(1));
    run_chunked(*first, prefix, 1, prefix.size(), prefix_chunk);
    RunnerState snap;
    check_ok(first->save_state(0, snap));
    MS_CHECK_EQ(snap.values.size(), runner_state_floats(small_model().config));

    // The other streams first run a stretch of their own, so their state is not zero when the
    // snapshot lands beside them and a copy to the wrong place would show.
    const std::vector<int32_t> warm = random_tokens(size_t(batch) * 50, 3);
    auto second = runner(b, batch, suffix_chunk);
    check_ok(second->reset(batch));
    run_chunked(*second, warm, batch, 50, suffix_chunk);
    check_ok(second->load_state(into, snap));
    std::vector<int32_t> rows(size_t(batch) * suffix.size());
    for (int s = 0; s < batch; ++s) {
        const std::vector<int32_t> own = s == into ? suffix : random_tokens(suffix.size(), 10 + uint32_t(s));
        std::copy(own.begin(), own.end(), &rows[size_t(s) * suffix.size()]);
    }
    const std::vector<float> got = run_chunked(*second, rows, batch, suffix.size(), suffix_chunk);
    for (int s = 0; s < batch; ++s) {
        const std::vector<int32_t> own(&rows[size_t(s) * suffix.size()], &rows[size_t(s + 1) * suffix.size()]);
        const std::vector<int32_t> head =
            s == into ? prefix : std::vector<int32_t>(&warm[size_t(s) * 50], &warm[size_t(s + 1) * 50]);
        const std::vector<float> want = straight(b, head, own, s == into ? prefix_chunk : suffix_chunk, suffix_chunk);
        // The same operations on the same values in the same chunks. A batch of one is the very
        // same arithmetic, so it must match bit for bit; in larger batches BLAS blocks the matrix
        // rows differently (M = batch · T), which moves float32 logits by rounding only.
        const float* g = &got[size_t(s) * suffix.size() * V];
        const double d =
            batch == 1 ? max_abs_diff(g, want.data(), want.size()) : test::rel_error(g, want.data(), want.size());
        MS_CHECK_MSG(batch == 1 ? d == 0 : d <= 1e-6, b.name() << " chunks " << prefix_chunk << "/" << suffix_chunk
                                                               << " batch " << batch << " into " << into << ": stream "
                                                               << s << " differs by " << d);
    }
}

}  // namespace

MS_TEST(restored_prefix_continues_like_a_straight_run_cpu) {
    auto b = make_cpu_backend(2);
    for (int pc : {1, 7, 301, 4096})
        for (int sc : {1, 64, 4096}) check_restore(*b, pc, sc, 1, 0);
    for (int batch : {2, 3, 5})
        for (int into = 0; into < batch; ++into) check_restore(*b, 64, 37, batch, into);
}

// The split backend (cuda:all on GPUs) routes a stream's state to the part that runs it.
MS_TEST(restored_prefix_continues_like_a_straight_run_split) {
    std::vector<std::unique_ptr<Backend>> parts;
    parts.push_back(make_cpu_backend(1));
    parts.push_back(make_cpu_backend(1));
    auto b = make_split_backend("cpu:split", std::move(parts));
    for (int batch : {1, 2, 3, 4})
        for (int into = 0; into < batch; ++into) check_restore(*b, 50, 64, batch, into);
}

// A state saved, loaded elsewhere and saved again comes back bit for bit.
MS_TEST(state_round_trip_is_exact) {
    auto b = make_cpu_backend(1);
    auto r = runner(*b, 1, 64);
    check_ok(r->reset(1));
    run_chunked(*r, random_tokens(100, 4), 1, 100, 64);
    RunnerState a, c;
    check_ok(r->save_state(0, a));
    MS_CHECK(std::any_of(a.values.begin(), a.values.end(), [](float v) { return v != 0.0f; }));
    auto other = runner(*b, 4, 64);
    check_ok(other->reset(4));
    check_ok(other->load_state(2, a));
    check_ok(other->save_state(2, c));
    MS_CHECK(a.values == c.values);
    RunnerState zero;
    check_ok(other->save_state(1, zero));
    MS_CHECK(std::all_of(zero.values.begin(), zero.values.end(), [](float v) { return v == 0.0f; }));
}

MS_TEST(bad_state_access_is_refused) {
    auto b = make_cpu_backend(1);
    auto r = runner(*b, 2, 16);
    check_ok(r->reset(2));
    RunnerState s;
    MS_CHECK(!r->save_state(2, s).ok());
    MS_CHECK(!r->save_state(-1, s).ok());
    check_ok(r->save_state(1, s));
    s.values.pop_back();
    const Result<void> e = r->load_state(0, s);
    MS_CHECK(!e.ok());
    MS_CHECK_MSG(e.error().message.find("cannot be loaded") != std::string::npos, e.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

#include "engine/split_backend.h"

#include <deque>
#include <future>
#include <utility>

namespace ms {

namespace {

class SplitRunner final : public ModelRunner {
public:
    SplitRunner(std::vector<std::unique_ptr<ModelRunner>> parts, const ModelConfig& c, const RunnerLimits& lim)
        : parts_(std::move(parts)), c_(c), lim_(lim) {}

    Result<void> reset(int batch) override {
        if (batch < 1 || batch > lim_.max_batch)
            return make_error("batch ", batch, " is outside 1..", lim_.max_batch, " set when the runner was created");
        // The parts would keep their started chunks (the CPU's default does): the caller finishes them first.
        if (!started_.empty()) return make_error("reset() while ", started_.size(), " started chunks are unfinished");
        // Streams [first_[i], first_[i] + count_[i]) run on part i; the sizes differ by at most one.
        const int n = int(parts_.size()), used = std::min(n, batch);
        first_.assign(size_t(n), 0);
        count_.assign(size_t(n), 0);
        for (int i = 0, next = 0; i < used; ++i) {
            first_[size_t(i)] = next;
            count_[size_t(i)] = batch / used + (i < batch % used ? 1 : 0);
            next += count_[size_t(i)];
            MS_TRY(parts_[size_t(i)]->reset(count_[size_t(i)]));
        }
        batch_ = batch;
        return {};
    }

    int batch() const override { return batch_; }

    Result<void> save_state(int stream, RunnerState& out) override {
        MS_TRY(check_state_access(c_, stream, batch_, nullptr));
        const size_t i = part_of(stream);
        return parts_[i]->save_state(stream - first_[i], out);
    }

    Result<void> load_state(int stream, const RunnerState& state) override {
        MS_TRY(check_state_access(c_, stream, batch_, &state));
        const size_t i = part_of(stream);
        return parts_[i]->load_state(stream - first_[i], state);
    }

    Result<void> forward(const int32_t* tokens, int T, const ForwardOutputs& out) override {
        if (batch_ == 0) return make_error("the runner was not reset before forward()");
        MS_TRY(check_chunk(lim_, batch_, T));  // the whole chunk: each part sees its share only
        auto run = [&](size_t i) {
            return parts_[i]->forward(tokens + size_t(first_[i]) * size_t(T), T, slice(out, i, T));
        };
        std::vector<std::future<Result<void>>> running;
        for (size_t i = 1; i < parts_.size(); ++i)
            if (count_[i] > 0) running.push_back(std::async(std::launch::async, run, i));
        Result<void> first = run(0);  // the calling thread runs part 0
        for (auto& f : running) {
            Result<void> r = f.get();
            if (!r && first) first = r;
        }
        return first;
    }

    // Each used part starts its rows of the chunk (on the GPU, start() returns at once, so the GPUs
    // run side by side) and finishes them in the same order.
    Result<void> start(const int32_t* tokens, int T, const ForwardOutputs& want) override {
        if (batch_ == 0) return make_error("the runner was not reset before start()");
        MS_TRY(check_chunk(lim_, batch_, T));
        if (started_.size() >= size_t(kMaxInFlight))
            return make_error("start(): ", kMaxInFlight, " chunks are already started and not finished");
        // Parts started before a failing one are finished here, so every part holds the same chunks.
        for (size_t i = 0; i < parts_.size() && count_[i] > 0; ++i)
            if (Result<void> r = parts_[i]->start(tokens + size_t(first_[i]) * size_t(T), T, slice(want, i, T)); !r) {
                for (size_t k = 0; k < i; ++k) (void)parts_[k]->finish(slice(want, k, T));  // into start()'s buffers
                return r;
            }
        started_.push_back({T, want.segments});
        return {};
    }
    Result<void> finish(const ForwardOutputs& out) override {
        if (started_.empty()) return make_error("finish(): no chunk was started");
        const auto [T, segments] = started_.front();
        started_.pop_front();
        ForwardOutputs o = out;
        o.segments = segments;  // the chunk's, as start() was given them
        Result<void> first;
        for (size_t i = 0; i < parts_.size() && count_[i] > 0; ++i)  // every part, even after an error
            if (Result<void> r = parts_[i]->finish(slice(o, i, T)); !r && first) first = r;
        return first;
    }
    int in_flight() const override { return int(started_.size()); }

    int64_t device_bytes() const override {
        int64_t n = 0;
        for (const auto& p : parts_) n += p->device_bytes();
        return n;
    }
    // The parts are runners of one kind (one per GPU): the first one's lengths are all of theirs.
    int final_chunk_length(int T) const override { return parts_.empty() ? T : parts_[0]->final_chunk_length(T); }

private:
    // Part i's rows of a chunk's outputs.
    ForwardOutputs slice(const ForwardOutputs& out, size_t i, int T) const {
        const size_t rows = size_t(first_[i]) * size_t(T);
        ForwardOutputs o;
        if (out.logits) o.logits = out.logits + rows * size_t(c_.vocab_size);
        if (out.hidden) o.hidden = out.hidden + rows * size_t(c_.d_model);
        if (out.next_base) o.next_base = out.next_base + rows * 4;
        if (out.row_sums)
            o.row_sums =
                out.row_sums + size_t(first_[i]) * size_t(kernels::segment_count(out.segments)) * size_t(c_.d_model);
        o.segments = out.segments;
        if (out.stream_rows) o.stream_rows = out.stream_rows + first_[i];
        return o;
    }

    // The part that runs stream `stream` (0 ≤ stream < batch_).
    size_t part_of(int stream) const {
        size_t i = 0;
        while (stream >= first_[i] + count_[i]) ++i;
        return i;
    }

    std::vector<std::unique_ptr<ModelRunner>> parts_;
    const ModelConfig c_;
    const RunnerLimits lim_;
    int batch_ = 0;
    std::vector<int> first_, count_;
    std::deque<std::pair<int, kernels::RowSegments>> started_;  // T and row segments of each started, unfinished chunk
};

class SplitBackend final : public Backend {
public:
    SplitBackend(std::string name, std::vector<std::unique_ptr<Backend>> parts)
        : name_(std::move(name)), parts_(std::move(parts)) {}
    std::string name() const override { return name_; }
    std::string description() const override {
        std::string d = cat(parts_.size(), " devices:");
        for (const auto& p : parts_) d += " [" + p->description() + "]";
        return d;
    }
    Result<void> supports(const ModelConfig& config) const override {
        for (const auto& p : parts_) MS_TRY(p->supports(config));
        return {};
    }
    Precision default_precision() const override {
        return parts_.empty() ? Precision::FP32 : parts_.front()->default_precision();
    }
    Result<std::unique_ptr<ModelRunner>> create_runner(const ModelConfig& config, const ModelWeights& weights,
                                                       const RunnerLimits& limits) override {
        if (limits.max_batch < 1 || limits.max_chunk < 1 || limits.max_rows < 0)
            return make_error("runner limits must be positive");
        // Only as many parts as the largest batch can use; each holds its share of it.
        const int n = std::min<int>(int(parts_.size()), limits.max_batch);
        RunnerLimits part = limits;
        part.max_batch = (limits.max_batch + n - 1) / n;  // rows: a part's streams never hold more than all of them
        std::vector<std::unique_ptr<ModelRunner>> runners;
        for (int i = 0; i < n; ++i) {
            auto r = parts_[size_t(i)]->create_runner(config, weights, part);
            if (!r) return make_error(parts_[size_t(i)]->name(), ": ", r.error().message);
            runners.push_back(std::move(*r));
        }
        auto split = std::make_unique<SplitRunner>(std::move(runners), config, limits);
        MS_TRY(split->reset(1));
        return std::unique_ptr<ModelRunner>(std::move(split));
    }

private:
    std::string name_;
    std::vector<std::unique_ptr<Backend>> parts_;
};

}  // namespace

std::unique_ptr<Backend> make_split_backend(std::string name, std::vector<std::unique_ptr<Backend>> parts) {
    return std::make_unique<SplitBackend>(std::move(name), std::move(parts));
}

}  // namespace ms

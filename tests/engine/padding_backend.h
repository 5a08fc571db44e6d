// A backend for tests whose runners ask for a sequence's last chunk rounded up to a multiple of
// `step` positions (ModelRunner::final_chunk_length), as the CUDA runner rounds it to the lengths
// of its kept graphs, and record every length they run — so that the padding of last chunks is
// tested on the CPU — and the order of their start/finish calls (the session's pipeline).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"

namespace ms::test {

class PaddingBackend final : public Backend {
public:
    PaddingBackend(std::unique_ptr<Backend> inner, int step) : inner_(std::move(inner)), step_(step) {}
    std::string name() const override { return "padding"; }
    std::string description() const override { return "the CPU, last chunks padded"; }
    Result<void> supports(const ModelConfig& c) const override { return inner_->supports(c); }
    Result<std::unique_ptr<ModelRunner>> create_runner(const ModelConfig& c, const ModelWeights& w,
                                                       const RunnerLimits& lim) override {
        auto r = inner_->create_runner(c, w, lim);
        if (!r) return r.error();
        return std::unique_ptr<ModelRunner>(new Runner(std::move(*r), lim.max_chunk, step_, lengths, calls));
    }
    std::vector<int> lengths;        // every forward's T, in order, over all runners
    std::vector<std::string> calls;  // "start", "finish" in call order, over all runners

private:
    struct Runner final : ModelRunner {
        Runner(std::unique_ptr<ModelRunner> r, int max, int s, std::vector<int>& seen, std::vector<std::string>& log)
            : inner(std::move(r)), max_chunk(max), step(s), lengths(seen), calls(log) {}
        Result<void> reset(int batch) override { return inner->reset(batch); }
        Result<void> forward(const int32_t* tokens, int T, const ForwardOutputs& out) override {
            lengths.push_back(T);
            return inner->forward(tokens, T, out);
        }
        // The default pipeline (the chunk runs in finish(), through forward() above), logged.
        Result<void> start(const int32_t* tokens, int T, const ForwardOutputs& want) override {
            calls.push_back("start");
            return ModelRunner::start(tokens, T, want);
        }
        Result<void> finish(const ForwardOutputs& out) override {
            calls.push_back("finish");
            return ModelRunner::finish(out);
        }
        int batch() const override { return inner->batch(); }
        Result<void> save_state(int stream, RunnerState& out) override { return inner->save_state(stream, out); }
        Result<void> load_state(int stream, const RunnerState& s) override { return inner->load_state(stream, s); }
        int final_chunk_length(int T) const override { return std::min(max_chunk, (T + step - 1) / step * step); }
        std::unique_ptr<ModelRunner> inner;
        int max_chunk, step;
        std::vector<int>& lengths;
        std::vector<std::string>& calls;
    };
    std::unique_ptr<Backend> inner_;
    int step_;
};

}  // namespace ms::test

#include "app/effect_engine.h"

#include <algorithm>
#include <cstdio>

#include "engine/cpu_backend.h"

namespace ms {

Result<EffectEngine> open_effect_engine(const std::string& model_dir, const EngineOptions& o, int batch) {
    EffectEngine e;
    auto model = Model::load(model_dir);
    if (!model) return model.error();
    e.model = std::make_unique<Model>(std::move(*model));
    auto precision = parse_precision(o.precision);
    if (!precision) return precision.error();
    auto choice = open_backend(o.device, o.threads);
    if (!choice) return choice.error();
    e.choice = std::move(*choice);
    if (!e.choice.note.empty()) e.notes.push_back(e.choice.note);
    AlleleScorerOptions so;
    so.batch = batch;
    // Suffixes are an allele plus the downstream flank, and the walker stops at every site: chunks
    // longer than a few thousand positions would only grow the batch's buffers (batch × chunk).
    so.chunk = std::min(job_chunk(o, !e.choice.backend->on_cpu(), false, {}, {}, {}), 4096);
    so.precision = precision_for(*precision, *e.choice.backend);
    auto scorer = AlleleScorer::create(*e.model, *e.choice.backend, so);
    if (!scorer && o.device == "auto" && !e.choice.backend->on_cpu()) {
        e.notes.push_back(cat("auto: ", e.choice.backend->name(), " cannot run this model: ", scorer.error().message,
                              "; using the CPU", so.precision != Precision::FP32 ? " (in fp32)" : ""));
        std::string fewer;
        e.choice.backend = make_cpu_backend(o.threads, &fewer);
        if (!fewer.empty()) e.notes.push_back(fewer);
        so.precision = Precision::FP32;
        scorer = AlleleScorer::create(*e.model, *e.choice.backend, so);
    }
    if (!scorer) return scorer.error();
    e.scorer = std::move(*scorer);
    e.device = e.choice.backend->name();
    e.precision = so.precision;
    return e;
}

}  // namespace ms

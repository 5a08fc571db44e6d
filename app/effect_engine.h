// The model, backend and AlleleScorer that `variants` and `mutagenesis` run on, chosen from the
// usual --device/--precision/--threads/--chunk options.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/job_common.h"
#include "engine/allele_scorer.h"
#include "engine/backend_registry.h"
#include "engine/model.h"

namespace ms {

struct EffectEngine {
    std::unique_ptr<Model> model;  // the scorer refers to it: kept at one address
    BackendChoice choice;
    std::unique_ptr<AlleleScorer> scorer;
    std::string device;  // the backend's name, for provenance
    Precision precision = Precision::FP32;
    std::vector<std::string> notes;  // which backend and why, for the job to report (control.note)
};

// `batch`: allele suffixes per forward call. With --device auto, a GPU that cannot run the model
// falls back to the CPU in fp32 (and says why), as `score` does.
Result<EffectEngine> open_effect_engine(const std::string& model_dir, const EngineOptions& o, int batch);

}  // namespace ms

#include "app/run_match.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace ms {

namespace {

nlohmann::json params_of(const RunInfo& r) {
    auto j = nlohmann::json::parse(r.params_json, nullptr, /*allow_exceptions=*/false);
    return j.is_object() ? j : nlohmann::json::object();
}

std::string command_of(const RunInfo& r) { return params_of(r).value("command", std::string()); }

std::string input_of(const RunInfo& r) { return r.inputs.empty() ? std::string() : r.inputs[0].path; }

bool same_job(const RunInfo& a, const RunInfo& b) {
    return a.params_json == b.params_json && a.model_sha256 == b.model_sha256 && a.precision == b.precision &&
           input_of(a) == input_of(b);
}

}  // namespace

std::string differing_params(const RunInfo& a, const RunInfo& b, const std::set<std::string>& ignored) {
    const nlohmann::json pa = params_of(a), pb = params_of(b);
    std::set<std::string> keys;
    for (auto it = pa.begin(); it != pa.end(); ++it) keys.insert(it.key());
    for (auto it = pb.begin(); it != pb.end(); ++it) keys.insert(it.key());
    std::string out;
    for (const std::string& k : keys) {
        if (ignored.count(k)) continue;
        const std::string va = pa.contains(k) ? pa[k].dump() : "(none)", vb = pb.contains(k) ? pb[k].dump() : "(none)";
        if (va != vb) out += cat(out.empty() ? "" : "; ", k, ": ", va, " vs ", vb);
    }
    if (a.precision != b.precision && !ignored.count("precision"))
        out += cat(out.empty() ? "" : "; ", "precision: ", a.precision, " vs ", b.precision);
    return out;
}

ResumeMatch find_resume_match(const std::vector<RunRecord>& runs, const RunInfo& info) {
    ResumeMatch m;
    for (const RunRecord& r : runs)
        if (same_job(r.info, info)) (r.status == RunStatus::finished ? m.finished : m.unfinished) = r.id;
    return m;
}

std::string resume_mismatch(const std::vector<RunRecord>& runs, const RunInfo& info) {
    const RunRecord* newest = nullptr;
    for (const RunRecord& r : runs)
        if (r.status != RunStatus::finished && command_of(r.info) == command_of(info)) newest = &r;
    if (!newest) return {};
    const RunInfo& r = newest->info;
    std::string diff = differing_params(r, info);
    if (r.model_sha256 != info.model_sha256)
        diff += cat(diff.empty() ? "" : "; ", "model: SHA-256 ", r.model_sha256.substr(0, 12), "… vs ",
                    info.model_sha256.substr(0, 12), "…");
    if (input_of(r) != input_of(info))
        diff += cat(diff.empty() ? "" : "; ", "input: '", input_of(r), "' vs '", input_of(info), "'");
    if (diff.empty()) return {};
    std::string out = cat("; unfinished run ", newest->id, " differs (run ", newest->id, " vs this job): ", diff);
    if (diff == cat("precision: ", r.precision, " vs ", info.precision))
        out += cat(" — give --precision ", r.precision, " to resume it");
    return out;
}

}  // namespace ms

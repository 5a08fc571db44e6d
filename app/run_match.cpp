#include "app/run_match.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace ms {

namespace {

nlohmann::json params_of(const RunInfo& r) {  // an object, whatever the text (a damaged database)
    auto j = nlohmann::json::parse(r.params_json, nullptr, /*allow_exceptions=*/false);
    return j.is_object() ? j : nlohmann::json::object();
}

// A parameter's value as a message shows it: a file's digest by its first 12 digits, as the model's
// (two 64-digit numbers side by side hid which parameter differed).
std::string shown(const nlohmann::json& p, const std::string& key) {
    const auto it = p.find(key);
    if (it == p.end()) return "(none)";
    if (key.ends_with("_sha256") && it->is_string() && it->get<std::string>().size() > 12)
        return cat("SHA-256 ", it->get<std::string>().substr(0, 12), "…");
    return it->dump();
}

std::string input_of(const RunInfo& r) { return r.inputs.empty() ? std::string() : r.inputs[0].path; }

// Jobs record their input as an absolute path. A run recorded with a relative one (before
// 2026-11-30), from a folder unknown now, is the same input where that path taken from here names
// the same file, or where the file name and size agree (a resume from another folder).
bool same_input(const RunInfo& a, const RunInfo& b) {
    const std::string pa = input_of(a), pb = input_of(b);
    if (pa == pb) return true;
    if (a.inputs.empty() || b.inputs.empty()) return false;
    std::error_code ea, eb;
    const auto fa = std::filesystem::absolute(pa, ea), fb = std::filesystem::absolute(pb, eb);
    if (!ea && !eb && fa.lexically_normal() == fb.lexically_normal()) return true;
    const bool relative = std::filesystem::path(pa).is_relative() || std::filesystem::path(pb).is_relative();
    return relative && fa.filename() == fb.filename() && a.inputs[0].bytes >= 0 && a.inputs[0].bytes == b.inputs[0].bytes;
}

// Parameters as two runs are compared. Region text without thousands separators: `chr1:1-1,000`
// is `chr1:1-1000` (found in review). The input digests only where both runs have them: runs
// recorded before 2026-12-01 have none, and resume as they did then, by path and size.
void make_comparable(nlohmann::json& pa, nlohmann::json& pb) {
    for (nlohmann::json* p : {&pa, &pb})
        if (auto it = p->find("regions"); it != p->end() && it->is_array())
            for (nlohmann::json& r : *it)
                if (r.is_string()) {
                    std::string t = r.get<std::string>();
                    std::erase(t, ',');
                    r = t;
                }
    for (const char* key : {"input_sha256", "reference_sha256"})
        if (pa.contains(key) != pb.contains(key)) pa.erase(key), pb.erase(key);
}

bool same_job(const RunInfo& a, const RunInfo& b, const std::set<std::string>& ignored) {
    return a.model_sha256 == b.model_sha256 && a.precision == b.precision && same_input(a, b) &&
           (a.params_json == b.params_json || differing_params(a, b, ignored).empty());
}

}  // namespace

std::string run_command(const RunInfo& r) {
    const nlohmann::json p = params_of(r);
    const auto it = p.find("command");
    return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string differing_params(const RunInfo& a, const RunInfo& b, const std::set<std::string>& ignored) {
    nlohmann::json pa = params_of(a), pb = params_of(b);
    make_comparable(pa, pb);
    std::set<std::string> keys;
    for (auto it = pa.begin(); it != pa.end(); ++it) keys.insert(it.key());
    for (auto it = pb.begin(); it != pb.end(); ++it) keys.insert(it.key());
    std::string out;
    for (const std::string& k : keys) {
        if (ignored.count(k)) continue;
        if (pa.contains(k) == pb.contains(k) && (!pa.contains(k) || pa[k] == pb[k])) continue;
        out += cat(out.empty() ? "" : "; ", k, ": ", shown(pa, k), " vs ", shown(pb, k));
        if (k.ends_with("_sha256") && pa.contains(k) && pb.contains(k)) out += " (the file's content changed)";
    }
    if (a.precision != b.precision && !ignored.count("precision"))
        out += cat(out.empty() ? "" : "; ", "precision: ", a.precision, " vs ", b.precision);
    return out;
}

ResumeMatch find_resume_match(const std::vector<RunRecord>& runs, const RunInfo& info,
                              const std::set<std::string>& ignored) {
    ResumeMatch m;
    for (const RunRecord& r : runs)
        if (same_job(r.info, info, ignored)) (r.status == RunStatus::finished ? m.finished : m.unfinished) = r.id;
    // A run finished after the unfinished one (the job run again without --resume) is the answer:
    // reviving the older would leave two finished runs of one job (a shard merge refuses that).
    if (m.finished > m.unfinished) m.unfinished = 0;
    return m;
}

int64_t unfinished_run_chunk(const std::vector<RunRecord>& runs, const RunInfo& info) {
    const std::string command = run_command(info);
    int64_t chunk = 0;
    for (const RunRecord& r : runs)  // oldest first: the newest one's chunk stays
        if (r.status != RunStatus::finished && run_command(r.info) == command && same_input(r.info, info)) {
            const nlohmann::json p = params_of(r.info);
            const auto it = p.find("chunk");
            chunk = it != p.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
        }
    return chunk;
}

std::string resume_mismatch(const std::vector<RunRecord>& runs, const RunInfo& info) {
    // The newest unfinished run of the command, else its newest run (a database of another
    // analysis, e.g. a workflow's shard left from an earlier configuration).
    const RunRecord* newest = nullptr;
    for (const RunRecord& r : runs)
        if (run_command(r.info) == run_command(info) &&
            (r.status != RunStatus::finished || !newest || newest->status == RunStatus::finished))
            newest = &r;
    if (!newest) return {};
    const RunInfo& r = newest->info;
    std::string diff = differing_params(r, info);
    if (r.model_sha256 != info.model_sha256)
        diff += cat(diff.empty() ? "" : "; ", "model: SHA-256 ", r.model_sha256.substr(0, 12), "… vs ",
                    info.model_sha256.substr(0, 12), "…");
    if (!same_input(r, info))
        diff += cat(diff.empty() ? "" : "; ", "input: '", input_of(r), "' vs '", input_of(info), "'");
    if (diff.empty()) return {};
    std::string out = cat("; ", newest->status == RunStatus::finished ? "finished" : "unfinished", " run ", newest->id,
                          " differs (run ", newest->id, " vs this job): ", diff);
    if (diff == cat("precision: ", r.precision, " vs ", info.precision))
        out += cat(" — give --precision ", r.precision, " to resume it");
    else if (diff.starts_with("chunk: ") && diff.find(';') == std::string::npos)  // an explicit --chunk
        out += cat(" — give --chunk ", shown(params_of(r), "chunk"), ", or no --chunk, to resume it");
    return out;
}

}  // namespace ms

#include "app/merge_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "app/job_common.h"
#include "common/version.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

struct Part {
    std::string path;
    ResultsStore store;
    RunRecord run;
    int index = 0, count = 0;
};

// One shard's database: exactly one finished `score` run made with --shard.
Result<Part> open_part(const std::string& path) {
    auto opened = ResultsStore::open(path, ResultsStore::Mode::read_only);
    if (!opened) return opened.error();
    ResultsStore store = std::move(*opened);
    std::vector<RunRecord> runs;
    MS_ASSIGN(runs, store.list_runs());
    if (runs.size() != 1) return make_error("'", path, "' holds ", runs.size(), " runs; a shard holds exactly one score run");
    const RunRecord& r = runs[0];
    const nlohmann::json params = nlohmann::json::parse(r.info.params_json, nullptr, false);
    if (params.is_discarded() || params.value("command", "") != "score")
        return make_error("'", path, "': run ", r.id, " is not a score run");
    if (!params.contains("shard")) return make_error("'", path, "': run ", r.id, " was not made with --shard");
    if (r.status != RunStatus::finished)
        return make_error("'", path, "': run ", r.id, " is ", to_string(r.status), "; finish it (score --resume) before merging");
    Part p{path, std::move(store), r, 0, 0};
    const std::string shard = params["shard"];
    if (std::sscanf(shard.c_str(), "%d/%d", &p.index, &p.count) != 2) return make_error("'", path, "': bad shard '", shard, "'");
    return p;
}

// The parameters without the shard: what must agree between the parts.
std::string shared_params(const RunRecord& r) {
    nlohmann::json params = nlohmann::json::parse(r.info.params_json);
    params.erase("shard");
    return params.dump();
}

Result<void> merge_into(const std::string& tmp, std::vector<Part>& parts, const std::string& command) {
    auto opened = ResultsStore::open(tmp);
    if (!opened) return opened.error();
    ResultsStore out = std::move(*opened);
    RunInfo info = parts[0].run.info;
    info.command = command;
    nlohmann::json params = nlohmann::json::parse(shared_params(parts[0].run));
    params["merged_from"] = nlohmann::json::array();
    for (const Part& p : parts) params["merged_from"].push_back(fs::absolute(p.path).lexically_normal().string());
    info.params_json = params.dump();
    info.tool_version = build::version;
    info.git_revision = build::git_revision;
    int64_t run = 0;
    MS_ASSIGN(run, out.begin_run(info));
    constexpr int64_t kBlock = int64_t(1) << 20;   // positions copied at a time
    for (Part& p : parts) {
        std::vector<StoredTrack> tracks;
        MS_ASSIGN(tracks, p.store.list_tracks(p.run.id));
        for (const StoredTrack& t : tracks) MS_TRY(out.create_track(run, t.name, t.encoding));
        std::vector<StoredSequence> seqs;
        MS_ASSIGN(seqs, p.store.list_sequences(p.run.id));
        for (const StoredSequence& s : seqs) {
            if (!s.complete) return make_error("'", p.path, "': sequence '", s.info.name, "' was not finished");
            int64_t id = 0;
            MS_ASSIGN(id, out.add_sequence(run, s.info));
            for (const StoredTrack& t : tracks) {
                // Values out as stored, in again under the same encoding: the same codes, and the
                // zoom summaries (computed from stored values) come out the same too.
                for (int64_t b = 0; b < s.info.length; b += kBlock) {
                    const int64_t e = std::min(s.info.length, b + kBlock);
                    std::vector<float> v;
                    MS_ASSIGN(v, p.store.read_values(t.id, s.id, b, e));
                    MS_TRY(out.write_track(run, t.name, id, b, v.data(), e - b));
                }
            }
            MS_TRY(out.mark_sequence_complete(id));
        }
    }
    return out.finish_run(run, RunStatus::finished);
}

}  // namespace

void add_merge_options(CLI::App* sub, MergeOptions& o) {
    sub->add_option("--out", o.out, "the merged results database (must not exist)")->required();
    sub->add_option("shards", o.shards, "the shards' results databases (score --shard I/N)")->required();
}

int cmd_merge(const MergeOptions& o, const std::string& command) {
    std::error_code ec;
    if (fs::exists(o.out, ec)) return fail(cat("--out '", o.out, "' exists; merge writes a new database"));
    std::vector<Part> parts;
    for (const std::string& path : o.shards) {
        auto p = open_part(path);
        if (!p) return fail(p.error().message);
        parts.push_back(std::move(*p));
    }
    // The parts of one analysis: the same everything but the shard, shards 1..N once each.
    const Part& first = parts[0];
    std::set<int> seen;
    std::set<std::string> names;
    for (const Part& p : parts) {
        if (p.run.info.model_sha256 != first.run.info.model_sha256)
            return fail(cat("'", p.path, "' was scored with another model (SHA-256 ", p.run.info.model_sha256.substr(0, 12),
                            "…) than '", first.path, "' (", first.run.info.model_sha256.substr(0, 12), "…)"));
        const auto genome = [](const RunRecord& r) {
            return nlohmann::json::parse(r.info.params_json).value("fasta_sha256", std::string());
        };
        if (genome(p.run) != genome(first.run))
            return fail(cat("'", p.path, "' was scored on another genome (FASTA SHA-256 ", genome(p.run).substr(0, 12),
                            "…) than '", first.path, "' (", genome(first.run).substr(0, 12), "…)"));
        if (shared_params(p.run) != shared_params(first.run) || p.run.info.precision != first.run.info.precision)
            return fail(cat("'", p.path, "' was scored with other parameters than '", first.path, "': ",
                            shared_params(p.run), " ", p.run.info.precision, " vs ", shared_params(first.run), " ",
                            first.run.info.precision));
        if (p.count != first.count)
            return fail(cat("'", p.path, "' is shard ", p.index, "/", p.count, " but '", first.path, "' is one of ", first.count));
        if (!seen.insert(p.index).second) return fail(cat("shard ", p.index, "/", p.count, " is given twice"));
        auto seqs = p.store.list_sequences(p.run.id);
        if (!seqs) return fail(seqs.error().message);
        for (const StoredSequence& s : *seqs)
            if (!names.insert(s.info.name).second)
                return fail(cat("sequence '", s.info.name, "' is in two shards (one of them '", p.path, "')"));
    }
    if (int(seen.size()) != first.count) {
        std::string missing;
        for (int i = 1; i <= first.count; ++i)
            if (!seen.count(i)) missing += cat(missing.empty() ? "" : ", ", i, "/", first.count);
        return fail(cat("shard(s) ", missing, " missing: a merge needs every part of the analysis"));
    }
    std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.index < b.index; });
    const std::string tmp = o.out + ".partial";
    fs::remove(tmp, ec);
    if (auto r = merge_into(tmp, parts, command); !r) {
        fs::remove(tmp, ec);
        fs::remove(tmp + "-wal", ec);
        fs::remove(tmp + "-shm", ec);
        return fail(cat("merge into '", o.out, "': ", r.error().message));
    }
    // The store was closed (checkpointed) when merge_into returned: one file to move into place.
    fs::remove(tmp + "-wal", ec);
    fs::remove(tmp + "-shm", ec);
    fs::rename(tmp, o.out, ec);
    if (ec) return fail(cat("cannot move '", tmp, "' to '", o.out, "': ", ec.message()));
    std::printf("merged %zu shards into %s\n", parts.size(), o.out.c_str());
    return 0;
}

}  // namespace ms

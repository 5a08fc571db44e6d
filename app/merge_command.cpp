#include "app/merge_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "app/job_common.h"
#include "app/run_match.h"
#include "common/atomic_file.h"
#include "common/version.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

// A stretch of a sequence one shard stored, and the selected target it is part of.
struct Held {
    std::string contig;
    int64_t begin = 0, end = 0, target_begin = 0, target_end = 0;
};

struct Part {
    std::string path;
    ResultsStore store;
    RunRecord run;
    int index = 0, count = 0;
    std::vector<Held> held;
};

std::string locus(const std::string& contig, int64_t begin, int64_t end) { return format_locus(Region{contig, begin, end}); }

// What a shard holds: its recorded parts, or (a shard made before segments existed) each of its
// sequences whole.
Result<std::vector<Held>> held_parts(const std::string& path, const nlohmann::json& params, const std::vector<StoredSequence>& seqs) {
    std::vector<Held> held;
    if (!params.contains("parts")) {
        for (const StoredSequence& s : seqs) held.push_back({s.info.name, 0, s.info.length, 0, s.info.length});
        return held;
    }
    const nlohmann::json& parts = params["parts"];
    const auto bad = [&] { return make_error("'", path, "': its run's \"parts\" are not [contig, begin, end, target begin, target end] lists"); };
    if (!parts.is_array()) return bad();
    for (const nlohmann::json& p : parts) {
        if (!p.is_array() || p.size() != 5 || !p[0].is_string()) return bad();
        for (size_t k = 1; k < 5; ++k)
            if (!p[k].is_number_integer()) return bad();
        Held h{p[0].get<std::string>(), p[1].get<int64_t>(), p[2].get<int64_t>(), p[3].get<int64_t>(), p[4].get<int64_t>()};
        if (!(h.target_begin <= h.begin && h.begin < h.end && h.end <= h.target_end)) return bad();
        const auto seq = std::find_if(seqs.begin(), seqs.end(), [&](const StoredSequence& s) { return s.info.name == h.contig; });
        if (seq == seqs.end() || h.end > seq->info.length)
            return make_error("'", path, "': part ", locus(h.contig, h.begin, h.end), " is not within a sequence the shard stored");
        held.push_back(std::move(h));
    }
    return held;
}

// One shard's database: its finished `score` run made with --shard. Earlier attempts that did not
// finish (a job killed, then run again into the same database without --resume) are passed over.
Result<Part> open_part(const std::string& path) {
    auto opened = ResultsStore::open(path, ResultsStore::Mode::read_only);
    if (!opened) return opened.error();
    ResultsStore store = std::move(*opened);
    std::vector<RunRecord> runs;
    MS_ASSIGN(runs, store.list_runs());
    if (runs.empty()) return make_error("'", path, "' holds no runs; a shard holds a finished score run");
    std::vector<const RunRecord*> shard_runs, finished;
    for (const RunRecord& r : runs) {
        const nlohmann::json params = nlohmann::json::parse(r.info.params_json, nullptr, false);
        if (run_command(r.info) != "score" || !params.is_object() || !params.contains("shard")) continue;
        shard_runs.push_back(&r);
        if (r.status == RunStatus::finished) finished.push_back(&r);
    }
    if (shard_runs.empty()) {
        const RunRecord& r = runs.back();
        if (run_command(r.info) != "score") return make_error("'", path, "': run ", r.id, " is not a score run");
        return make_error("'", path, "': run ", r.id, " was not made with --shard");
    }
    if (finished.size() > 1) {
        std::string ids;
        for (const RunRecord* r : finished) ids += cat(ids.empty() ? "" : ", ", r->id);
        return make_error("'", path, "' holds ", finished.size(), " finished shard runs (", ids,
                          "); merge takes one run from each database (score each shard into a database of its own)");
    }
    if (finished.empty()) {
        const RunRecord& r = *shard_runs.back();
        return make_error("'", path, "': run ", r.id, " is ", to_string(r.status), "; finish it (score --resume) before merging");
    }
    const RunRecord& r = *finished[0];
    const nlohmann::json params = nlohmann::json::parse(r.info.params_json);
    Part p{path, std::move(store), r, 0, 0, {}};
    if (!params["shard"].is_string())
        return make_error("'", path, "': run ", r.id, " has a bad shard ", params["shard"].dump());
    const std::string shard = params["shard"];
    auto parsed = parse_shard(shard);
    if (!parsed) return make_error("'", path, "': run ", r.id, " has a bad shard ", parsed.error().message);
    std::tie(p.index, p.count) = *parsed;
    std::vector<StoredSequence> seqs;
    MS_ASSIGN(seqs, p.store.list_sequences(r.id));
    MS_ASSIGN(p.held, held_parts(path, params, seqs));
    return p;
}

// The parameters without the shard and what it holds: what must agree between the parts.
std::string shared_params(const RunRecord& r) {
    nlohmann::json params = nlohmann::json::parse(r.info.params_json);
    params.erase("shard");
    params.erase("parts");
    return params.dump();
}

// The parameters two shards must agree on, as "key: value vs value" for each that differs: all but
// the shard and what it holds. Input files count by their checksums, not their paths: a genome
// staged to node-local disk is the same genome (it was refused as "other parameters").
std::string shard_differences(const RunRecord& a, const RunRecord& b) {
    return differing_params(a.info, b.info, {"shard", "parts", "fasta", "bed"});
}

// Every target's parts, over all shards, must cover it exactly once: no base in two parts (a shard
// given under two names, or shards cut differently), none in no part (a shard's part lost). The
// targets themselves are checked against the count and bases every shard recorded.
Result<void> check_coverage(const std::vector<Part>& parts) {
    struct Piece {
        int64_t begin, end;
        const std::string* path;
    };
    std::map<std::tuple<std::string, int64_t, int64_t>, std::vector<Piece>> by_target;
    for (const Part& p : parts)
        for (const Held& h : p.held) by_target[{h.contig, h.target_begin, h.target_end}].push_back({h.begin, h.end, &p.path});
    int64_t bases = 0;
    for (auto& [target, pieces] : by_target) {
        const auto& [contig, tb, te] = target;
        bases += te - tb;
        std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.begin < b.begin; });
        int64_t at = tb;
        const Piece* last = nullptr;
        for (const Piece& q : pieces) {
            if (q.begin < at)
                return make_error("'", *last->path, "' and '", *q.path, "' both hold bases of ", contig, ": ",
                                  locus(contig, last->begin, last->end), " and ", locus(contig, q.begin, q.end),
                                  " overlap (shards of different analyses?)");
            if (q.begin > at)
                return make_error(locus(contig, at, q.begin), " (part of target ", locus(contig, tb, te),
                                  ") is in no shard: a part is missing");
            at = q.end;
            last = &q;
        }
        if (at < te)
            return make_error(locus(contig, at, te), " (part of target ", locus(contig, tb, te), ") is in no shard: a part is missing");
    }
    const nlohmann::json params = nlohmann::json::parse(parts[0].run.info.params_json);
    if (params.contains("targets")) {
        const int64_t want_n = params["targets"].value("count", int64_t(-1)), want_bases = params["targets"].value("bases", int64_t(-1));
        if (int64_t(by_target.size()) != want_n || bases != want_bases)
            return make_error("the shards hold ", by_target.size(), " target(s) of ", bases, " bases; the analysis selected ",
                              want_n, " of ", want_bases, " bases: a part is missing");
    }
    return {};
}

Result<void> merge_into(const std::string& tmp, std::vector<Part>& parts, const std::string& command) {
    auto opened = ResultsStore::open(tmp);
    if (!opened) return opened.error();
    ResultsStore out = std::move(*opened);
    RunInfo info = parts[0].run.info;
    info.command = command;
    nlohmann::json params = nlohmann::json::parse(shared_params(parts[0].run));
    // Each shard's own provenance (where and when it ran, by which command and build): the merged
    // run's own fields hold the merge's command and time, and a device only where all shards agree.
    params["merged_from"] = nlohmann::json::array();
    std::set<std::string> devices;
    for (const Part& p : parts) {
        const RunRecord& r = p.run;
        params["merged_from"].push_back({{"path", fs::absolute(p.path).lexically_normal().string()},
                                         {"shard", cat(p.index, "/", p.count)},
                                         {"run", r.id},
                                         {"command", r.info.command},
                                         {"version", r.info.tool_version},
                                         {"device", r.info.device},
                                         {"started", r.started_at},
                                         {"finished", r.finished_at}});
        devices.insert(r.info.device);
    }
    info.device.clear();
    for (const std::string& d : devices) info.device += (info.device.empty() ? "" : ", ") + d;
    info.params_json = params.dump();
    info.tool_version = build::version;
    info.git_revision = build::git_revision;
    int64_t run = 0;
    MS_ASSIGN(run, out.begin_run(info));
    constexpr int64_t kBlock = int64_t(1) << 20;   // positions copied at a time
    std::map<std::string, int64_t> out_ids;
    for (Part& p : parts) {
        std::vector<StoredTrack> tracks;
        MS_ASSIGN(tracks, p.store.list_tracks(p.run.id));
        for (const StoredTrack& t : tracks) MS_TRY(out.create_track(run, t.name, t.encoding));
        std::vector<StoredSequence> seqs;
        MS_ASSIGN(seqs, p.store.list_sequences(p.run.id));
        std::map<std::string, const StoredSequence*> by_name;
        for (const StoredSequence& s : seqs) {
            if (!s.complete) return make_error("'", p.path, "': sequence '", s.info.name, "' was not finished");
            by_name[s.info.name] = &s;
            // A sequence cut into segments is added once, by the first shard holding part of it.
            if (!out_ids.count(s.info.name)) MS_ASSIGN(out_ids[s.info.name], out.add_sequence(run, s.info));
        }
        // Only the shard's own parts: elsewhere its tiles hold nothing (NaN), which must not cover
        // another shard's values. Values go out as stored and in again under the same encoding: the
        // same codes; a tile whose parts come from several shards is assembled in the store's tile
        // buffer and its zoom summaries are computed from the assembled values, as one run's are.
        for (const Held& h : p.held) {
            const StoredSequence& s = *by_name.at(h.contig);
            for (const StoredTrack& t : tracks) {
                for (int64_t b = h.begin; b < h.end; b += kBlock) {
                    const int64_t e = std::min(h.end, b + kBlock);
                    std::vector<float> v;
                    MS_ASSIGN(v, p.store.read_values(t.id, s.id, b, e));
                    MS_TRY(out.write_track(run, t.name, out_ids[h.contig], b, v.data(), e - b));
                }
            }
        }
    }
    for (const auto& [name, id] : out_ids) MS_TRY(out.mark_sequence_complete(id));
    MS_TRY(out.finish_run(run, RunStatus::finished));
    // The temporary is moved into place without its -wal file, so everything must be in the file
    // itself: a checkpoint that fails (a full disk) fails the merge instead of losing the log. No
    // other connection has the new file open, so it cannot be kept from finishing.
    bool folded = false;
    MS_ASSIGN(folded, out.checkpoint());
    if (!folded) return make_error("the new database's write-ahead log could not be folded into it");
    return {};
}

}  // namespace

void add_merge_options(CLI::App* sub, MergeOptions& o) {
    refuse_empty_path(sub->add_option("--out", o.out, "the merged results database (must not exist)")->required());
    sub->add_option("shards", o.shards, "the shards' results databases (score --shard I/N)")->required();
}

Result<std::string> run_merge(const MergeOptions& o, const std::string& command) {
    std::error_code ec;
    if (o.shards.empty()) return make_error("merge: no shard databases given");
    if (fs::exists(o.out, ec)) return make_error(cat("--out '", o.out, "' exists; merge writes a new database"));
    std::vector<Part> parts;
    for (const std::string& path : o.shards) {
        auto p = open_part(path);
        if (!p) return p.error();
        parts.push_back(std::move(*p));
    }
    // The parts of one analysis: the same everything but the shard, shards 1..N once each.
    const Part& first = parts[0];
    std::set<int> seen;
    std::map<std::string, std::pair<SequenceInfo, std::string>> sequences;   // name → facts, first shard holding it
    for (const Part& p : parts) {
        if (p.run.info.model_sha256 != first.run.info.model_sha256)
            return make_error(cat("'", p.path, "' was scored with another model (SHA-256 ", p.run.info.model_sha256.substr(0, 12),
                            "…) than '", first.path, "' (", first.run.info.model_sha256.substr(0, 12), "…)"));
        const auto genome = [](const RunRecord& r) {
            return nlohmann::json::parse(r.info.params_json).value("fasta_sha256", std::string());
        };
        if (genome(p.run) != genome(first.run))
            return make_error(cat("'", p.path, "' was scored on another genome (FASTA SHA-256 ", genome(p.run).substr(0, 12),
                            "…) than '", first.path, "' (", genome(first.run).substr(0, 12), "…)"));
        if (const std::string diff = shard_differences(p.run, first.run); !diff.empty())
            return make_error(cat("'", p.path, "' was scored with other parameters than '", first.path, "': ", diff));
        if (p.count != first.count)
            return make_error(cat("'", p.path, "' is shard ", p.index, "/", p.count, " but '", first.path, "' is one of ", first.count));
        if (!seen.insert(p.index).second) return make_error(cat("shard ", p.index, "/", p.count, " is given twice"));
        auto seqs = p.store.list_sequences(p.run.id);
        if (!seqs) return seqs.error();
        // A sequence in several shards (its segments) must be the same sequence in each.
        for (const StoredSequence& s : *seqs) {
            auto [it, added] = sequences.emplace(s.info.name, std::make_pair(s.info, p.path));
            if (!added && (it->second.first.length != s.info.length || it->second.first.md5 != s.info.md5))
                return make_error(cat("sequence '", s.info.name, "' differs between '", it->second.second, "' (", it->second.first.length,
                                " bp, MD5 ", it->second.first.md5, ") and '", p.path, "' (", s.info.length, " bp, MD5 ",
                                s.info.md5, ")"));
        }
    }
    if (int(seen.size()) != first.count) {
        std::string missing;
        for (int i = 1; i <= first.count; ++i)
            if (!seen.count(i)) missing += cat(missing.empty() ? "" : ", ", i, "/", first.count);
        return make_error(cat("shard(s) ", missing, " missing: a merge needs every part of the analysis"));
    }
    MS_TRY(check_coverage(parts));
    std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.index < b.index; });
    // Named for this process: two merges into one --out each build their own, and the first to
    // finish takes the name (the other is told it exists) instead of both failing on one file.
    remove_stale_temporaries(o.out);
    const std::string tmp = cat(o.out, ".partial-", ::getpid());
    fs::remove(tmp, ec);
    if (auto r = merge_into(tmp, parts, command); !r) {
        fs::remove(tmp, ec);
        fs::remove(tmp + "-wal", ec);
        fs::remove(tmp + "-shm", ec);
        return make_error(cat("merge into '", o.out, "' failed, and nothing of it is kept: ", r.error().message,
                              "; run merge again once the cause is fixed"));
    }
    // merge_into folded the log into the file and closed the store: one file to move into place.
    fs::remove(tmp + "-wal", ec);
    fs::remove(tmp + "-shm", ec);
    // link() then unlink(): into place only where nothing took the name meanwhile. File systems
    // without hard links (SMB, exFAT, object-store mounts) get a check and a rename instead.
    if (::link(tmp.c_str(), o.out.c_str()) != 0) {
        const int err = errno;
        const bool no_links = err == EPERM || err == ENOTSUP || err == ENOSYS || err == EOPNOTSUPP;
        if (err == EEXIST || (no_links && fs::exists(o.out, ec))) {
            fs::remove(tmp, ec);
            return make_error(
                cat("--out '", o.out, "' was created meanwhile (another merge?); merge writes a new database"));
        }
        if (!no_links) {
            fs::remove(tmp, ec);
            return make_error(cat("cannot move '", tmp, "' to '", o.out, "': ", std::strerror(err)));
        }
        fs::rename(tmp, o.out, ec);
        if (ec) {
            const std::string why = ec.message();
            fs::remove(tmp, ec);
            return make_error(cat("cannot move '", tmp, "' to '", o.out, "': ", why));
        }
        return cat("merged ", parts.size(), " shards into ", o.out);
    }
    fs::remove(tmp, ec);
    return cat("merged ", parts.size(), " shards into ", o.out);
}

int cmd_merge(const MergeOptions& o, const std::string& command) {
    auto r = run_merge(o, command);
    if (!r) return fail(r.error().message);
    std::printf("%s\n", r->c_str());
    return 0;
}

}  // namespace ms

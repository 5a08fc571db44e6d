#include "app/export_source.h"

namespace ms {

std::string ExportSource::describe_run() const { return cat("run ", run.id, " of results database '", db_path, "'"); }

const StoredSequence* ExportSource::sequence(int64_t id) const {
    const auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &sequences[it->second];
}

const StoredSequence* ExportSource::sequence(const std::string& name) const {
    for (const StoredSequence& s : sequences)
        if (s.info.name == name) return &s;
    return nullptr;
}

namespace {

// "1 (finished; mambascope-cli score ...)": enough to tell the runs apart.
std::string run_summary(const RunRecord& r) {
    std::string command = r.info.command;
    if (command.size() > 80) command = command.substr(0, 77) + "...";
    return cat(r.id, " (", to_string(r.status), ", started ", r.started_at, ": ", command, ")");
}

// Every run when there are a few; the newest eight and a count otherwise (a database of 150 runs
// made a 19 KB error line).
std::string list_runs_text(const std::vector<RunRecord>& runs, const std::string& db) {
    constexpr size_t kShown = 8;
    std::string s;
    const size_t first = runs.size() > kShown + 2 ? runs.size() - kShown : 0;
    for (size_t i = first; i < runs.size(); ++i) s += (s.empty() ? "" : "; ") + run_summary(runs[i]);
    if (first > 0) s += cat("; and ", first, " older (`mambascope-cli info ", db, "` lists every run)");
    return s;
}

}  // namespace

Result<ExportSource> open_export_source(const std::string& db_path, std::optional<int64_t> run_id,
                                        const std::string& region, const std::string& region_option) {
    auto opened = ResultsStore::open(db_path, ResultsStore::Mode::read_only);
    if (!opened) return opened.error();
    ExportSource src{db_path, std::move(*opened), {}, {}, {}, {}};
    std::vector<RunRecord> runs;
    MS_ASSIGN(runs, src.store.list_runs());
    if (runs.empty()) return make_error("results database '", db_path, "' holds no runs; nothing to export");
    if (run_id) {
        bool found = false;
        for (const RunRecord& r : runs)
            if (r.id == *run_id) {
                src.run = r;
                found = true;
            }
        if (!found)
            return make_error("results database '", db_path, "' has no run ", *run_id,
                              "; its runs: ", list_runs_text(runs, db_path));
    } else if (runs.size() == 1) {
        src.run = runs[0];
    } else {
        return make_error("results database '", db_path, "' holds ", runs.size(),
                          " runs; choose one with --run ID: ", list_runs_text(runs, db_path));
    }
    MS_ASSIGN(src.sequences, src.store.list_sequences(src.run.id));
    for (size_t i = 0; i < src.sequences.size(); ++i) src.by_id[src.sequences[i].id] = i;
    if (!region.empty()) {
        std::vector<SequenceRecord> contigs;
        for (const StoredSequence& s : src.sequences) contigs.push_back({s.info.name, s.info.length});
        if (contigs.empty())
            return make_error(region_option, " '", region, "': ", src.describe_run(),
                              " holds no sequences to place it on");
        auto r = parse_locus(region, ContigList(std::move(contigs)));
        if (!r) return make_error(region_option, " for ", src.describe_run(), ": ", r.error().message);
        src.region = *r;
    }
    return src;
}

Result<std::string> track_names(const ExportSource& src) {
    std::vector<StoredTrack> tracks;
    MS_ASSIGN(tracks, src.store.list_tracks(src.run.id));
    std::string s;
    for (const StoredTrack& t : tracks) s += (s.empty() ? "" : ", ") + t.name;
    return s.empty() ? std::string("none") : s;
}

}  // namespace ms

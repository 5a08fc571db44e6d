// The `info` report of a results database (see results_info.h).
#include "app/results_info.h"

#include <cstdio>

#include "app/job_common.h"
#include "app/run_lock.h"
#include "app/run_match.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

// Long lists (a run over a scaffold-level assembly has thousands of sequences) are cut here.
constexpr size_t kListed = 10;

}  // namespace

bool is_results_database_path(const std::string& path) {
    return (path.size() >= 3 && path.compare(path.size() - 3, 3, ".db") == 0) || looks_like_sqlite(path);
}

Result<std::string> describe_results_database(const std::string& path) {
    auto opened = ResultsStore::open(path, ResultsStore::Mode::read_only);
    if (!opened) return opened.error();
    ResultsStore& store = *opened;
    // Where the counts or the runs do not read (pages damaged), the integrity check is what the
    // user asked `info` for: run and reported, rather than the error that stopped the summary.
    auto c_read = store.counts();
    auto runs_read = c_read ? store.list_runs() : Result<std::vector<RunRecord>>(c_read.error());
    if (!runs_read) {
        // This is `info`: its own advice to run `info` is left out of the message.
        std::string said = runs_read.error().message;
        const std::string hint = ResultsStore::damaged_hint(path);
        if (runs_read.error().damaged && said.ends_with(hint)) said.resize(said.size() - hint.size());
        auto integrity = store.integrity_check();
        if (!integrity) return make_error(said);
        if (*integrity == "ok") return make_error(said, "; SQLite's page check finds nothing more to name");
        return make_error(said, "\nintegrity PROBLEMS:\n", *integrity);
    }
    const StoreCounts c = *c_read;
    const std::vector<RunRecord> runs = std::move(*runs_read);

    std::string out = cat("results database '", path, "': ", human_bytes(c.file_bytes), ", schema version ",
                          ResultsStore::kSchemaVersion, "\n");
    out += cat("runs ", c.runs, ", sequences ", c.sequences, ", tracks ", c.tracks, ", tiles ", c.tiles, " (",
               human_bytes(c.tile_bytes), "), predictions ", c.predictions, ", variants ", c.variants, ", embeddings ",
               c.embeddings, "\n");
    // SQLite's page check plus a decode of every tile: what a user wants to know before trusting a
    // file that a crashed job or a copy may have damaged.
    std::string integrity;
    MS_ASSIGN(integrity, store.integrity_check());
    out += cat("integrity ", integrity == "ok" ? std::string("ok") : "PROBLEMS:\n" + integrity, "\n");
    for (const RunRecord& r : runs) {
        // "running" is what a job that is writing and a job that was killed both leave: the run's
        // lock tells them apart.
        std::string state = to_string(r.status);
        if (r.status == RunStatus::running) {
            // Only score, embed and classify can continue a run; variants and mutagenesis start over.
            const std::string command = run_command(r.info);
            const bool resumable = command == "score" || command == "embed" || command == "classify";
            const std::optional<long> pid = RunLock::holder(path, r.id);
            state += pid ? cat(" (a job is writing it: process ", *pid, ")")
                         : cat(" (no job is writing it: it was stopped without a word, e.g. killed; ",
                               resumable ? "--resume continues it)" : "run the job again for a complete run)");
        }
        out += cat("\nrun ", r.id, "  ", state, "  ", r.started_at,
                   r.finished_at.empty() ? std::string() : cat(" .. ", r.finished_at), "\n");
        out += cat("  command   ", r.info.command, "\n");
        out += cat("  tool      ", r.info.tool_version, " (revision ", r.info.git_revision, ")\n");
        if (!r.info.model_name.empty() || !r.info.model_sha256.empty())
            out += cat("  model     ", r.info.model_name,
                       r.info.model_sha256.empty() ? std::string() : cat(" (sha256 ", r.info.model_sha256, ")"), "\n");
        if (!r.info.device.empty() || !r.info.precision.empty())
            out += cat("  device    ", r.info.device, " ", r.info.precision, "\n");
        if (r.info.params_json != "{}" && !r.info.params_json.empty())
            out += cat("  params    ", r.info.params_json, "\n");
        for (const RunInput& in : r.info.inputs)
            out += cat("  input     ", in.path, in.format.empty() ? std::string() : cat(" (", in.format, ")"),
                       in.bytes >= 0 ? cat(", ", human_bytes(in.bytes)) : std::string(), "\n");
        std::vector<StoredSequence> seqs;
        MS_ASSIGN(seqs, store.list_sequences(r.id));
        out += cat("  sequences ", seqs.size(), "\n");
        for (size_t i = 0; i < seqs.size() && i < kListed; ++i)
            out += cat("    ", seqs[i].info.name, "  ", seqs[i].info.length, " bp",
                       seqs[i].info.md5.empty() ? std::string() : cat("  md5 ", seqs[i].info.md5), "\n");
        if (seqs.size() > kListed) out += cat("    ... and ", seqs.size() - kListed, " more\n");
        std::vector<StoredTrack> tracks;
        MS_ASSIGN(tracks, store.list_tracks(r.id));
        out += cat("  tracks    ", tracks.size(), tracks.empty() ? "" : ":");
        for (const StoredTrack& t : tracks) out += cat(" ", t.name, " (", describe(t.encoding), ")");
        out += "\n";
    }
    return out;
}

}  // namespace ms

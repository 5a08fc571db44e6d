#include "app/delete_run_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "app/job_common.h"
#include "app/run_lock.h"
#include "genomics/results_store.h"

namespace ms {

void add_delete_run_options(CLI::App* sub, DeleteRunOptions& o) {
    sub->add_option("--db", o.db, "results database")->required()->check(CLI::ExistingFile);
    // No range check here: CLI11's said "Value 0 not in range 0.000000 to 1797…(300 digits)"; a run
    // the database does not hold is answered with the runs it does.
    sub->add_option("--run", o.run, "the run to remove, with everything it holds (`mambascope-cli info DB` lists them)")
        ->required();
    sub->add_flag("--vacuum", o.vacuum,
                  "then rewrite the file without the freed pages, so it shrinks (needs about twice the file's size "
                  "free, and no other program using the database); without it later runs reuse the space");
}

Result<std::string> run_delete_run(const DeleteRunOptions& o) {
    // Read first: opened for writing, an empty file (or one another job has just created) was given
    // the schema of a new database, and then the error said it held no runs (found in review). Other
    // refusals of the reader (an older schema, which the writer upgrades) are left to the writer.
    if (auto r = ResultsStore::open(o.db, ResultsStore::Mode::read_only); !r) {
        std::error_code ec;
        if (r.error().retryable || std::filesystem::file_size(o.db, ec) == 0) return r.error();
    }
    auto store = ResultsStore::open(o.db);
    if (!store) return store.error();
    std::vector<RunRecord> runs;
    MS_ASSIGN(runs, store->list_runs());
    const RunRecord* run = nullptr;
    std::string ids;
    for (const RunRecord& r : runs) {
        if (r.id == o.run) run = &r;
        ids += cat(ids.empty() ? "" : ", ", r.id);
    }
    if (!run)
        return make_error("results database '", o.db, "' has no run ", o.run,
                          runs.empty() ? std::string("; it holds no runs") : cat("; it holds run(s) ", ids));
    // A job writing the run would go on writing rows of a run that is gone.
    auto lock = RunLock::acquire(o.db, o.run);
    if (!lock) return lock.error();
    // The lock waits up to a second for a job that holds it; one that finished in that second had
    // its run deleted right after it reported its results (found in review). Its run changed under
    // the request, so it is left for the user to ask again.
    std::vector<RunRecord> now;
    MS_ASSIGN(now, store->list_runs());
    const auto still = std::find_if(now.begin(), now.end(), [&](const RunRecord& r) { return r.id == o.run; });
    if (still == now.end()) return make_error("run ", o.run, " of '", o.db, "' was removed meanwhile");
    if (still->status != run->status)
        return make_error("run ", o.run, " of '", o.db, "' was ", to_string(run->status), " when asked and is now ",
                          to_string(still->status), " (its job ended meanwhile); nothing was deleted: ask again to ",
                          "remove it");
    StoreCounts before, after;
    MS_ASSIGN(before, store->counts());
    MS_TRY(store->delete_run(o.run));
    MS_ASSIGN(after, store->counts());
    std::string out =
        cat("delete-run: removed run ", o.run, " (", to_string(run->status), ", started ", run->started_at, ") of '",
            o.db, "': ", plural(before.sequences - after.sequences, "sequence"), ", ",
            plural(before.tracks - after.tracks, "track"), " (", plural(before.tiles - after.tiles, "tile"), "), ",
            plural(before.predictions - after.predictions, "prediction"), ", ",
            plural(before.variants - after.variants, "variant"), ", ",
            plural(before.embeddings - after.embeddings, "embedding"), "\n");
    // Sizes with the write-ahead log folded in: VACUUM writes the whole new file through the log,
    // and only a log folded in completely (no other program reading the database) leaves the file
    // at its new size.
    auto fold = [&]() -> std::string {
        auto folded = store->checkpoint();
        if (!folded)
            return cat("delete-run: warning: ", folded.error().message, "; run ", o.run, " is removed, and the ",
                       "change is in '", o.db, "-wal' beside the database: keep the two files together\n");
        if (!*folded && o.caller_has_it_open)
            return cat("delete-run: '", o.db, "' is open here, so the file keeps its size until it is closed; ",
                       "later runs reuse the space\n");
        if (!*folded)
            return cat("delete-run: another program has '", o.db, "' open (the desktop application?): the file ",
                       "keeps its size until it closes", o.vacuum ? "; --vacuum was not run" : "", "\n");
        return {};
    };
    std::string note = fold();
    if (o.vacuum && note.empty()) {
        MS_ASSIGN(after, store->counts());
        if (auto v = store->vacuum(); !v)
            return make_error(v.error().message, " (run ", o.run,
                              " is removed; the file keeps its size until a vacuum with room on the disk: VACUUM ",
                              "needs about twice the file's size free)");
        note = fold();
        StoreCounts vacuumed;
        MS_ASSIGN(vacuumed, store->counts());
        out += cat("delete-run: vacuumed '", o.db, "': ", human_bytes(after.file_bytes), " -> ",
                   human_bytes(vacuumed.file_bytes), "\n");
    } else if (note.empty()) {
        MS_ASSIGN(after, store->counts());
        out +=
            cat("delete-run: '", o.db, "' keeps its size (", human_bytes(after.file_bytes), "); later runs reuse the ",
                "space", o.vacuum || o.caller_has_it_open ? "" : ", or --vacuum gives it back to the disk", "\n");
    }
    return out + note;
}

int cmd_delete_run(const DeleteRunOptions& o) { return print_or_fail(run_delete_run(o)); }

}  // namespace ms

// The results store's runs and sequences (see results_store.h): beginning, finishing, reopening and
// deleting runs, the sequences and parts a run has completed, counts and the integrity check. The
// per-position tracks are in results_tracks.cpp. Every SQL text here is a literal; values always
// travel as bound parameters, so no user text (names, commands, JSON) ever becomes SQL.
#include "genomics/results_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "genomics/results_store_impl.h"
#include "genomics/track_tiles.h"

namespace ms {

namespace {

Result<RunStatus> parse_status(const std::string& s) {
    for (RunStatus st : {RunStatus::running, RunStatus::finished, RunStatus::interrupted, RunStatus::failed})
        if (s == to_string(st)) return st;
    return make_error("unknown run status '", s, "'");
}

template <class T>
Result<void> as_void(const Result<T>& r) {
    if (!r) return r.error();
    return {};
}

}  // namespace

const char* to_string(RunStatus s) {
    switch (s) {
        case RunStatus::running:
            return "running";
        case RunStatus::finished:
            return "finished";
        case RunStatus::interrupted:
            return "interrupted";
        case RunStatus::failed:
            return "failed";
    }
    return "failed";
}

void ResultsStore::set_batch_tiles(int tiles) { impl_->batch_tiles = std::max(1, tiles); }

Result<int64_t> ResultsStore::begin_run(const RunInfo& info) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    // The id is past every run id ever given (store_ids: a deleted run's id is not given again)
    // and past every run id any row names: rows of a run deleted by hand with foreign keys off
    // (SQLite's default) stay behind, and a new run taking that id inherited them — another
    // region's values in its export (found in review).
    static const char* sql =
        "INSERT INTO runs (id, tool_version, git_revision, command, params_json, model_name, model_sha256, device, "
        "precision, started_at, status) VALUES ((SELECT 1 + max(ifnull((SELECT max(id) FROM runs), 0), "
        "ifnull((SELECT last FROM store_ids WHERE name = 'runs'), 0), "
        "ifnull((SELECT max(run_id) FROM sequences), 0), ifnull((SELECT max(run_id) FROM tracks), 0), "
        "ifnull((SELECT max(run_id) FROM predictions), 0), ifnull((SELECT max(run_id) FROM embeddings), 0), "
        "ifnull((SELECT max(run_id) FROM variants), 0), ifnull((SELECT max(run_id) FROM run_inputs), 0), "
        "ifnull((SELECT max(run_id) FROM prediction_classes), 0))), "
        "?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'running')";
    for (const RunInput& in : info.inputs)
        if (in.path.empty()) return make_error("run input files need a path (command '", info.command, "')");
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    int64_t run_id = 0;
    {
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(info.tool_version, info.git_revision, info.command, info.params_json, info.model_name,
                       info.model_sha256, info.device, info.precision));
        MS_TRY(q->run());
        run_id = int64_t(sqlite3_last_insert_rowid(d.db.get()));
    }
    {
        static const char* ids_sql =
            "INSERT INTO store_ids (name, last) VALUES ('runs', ?) ON CONFLICT (name) DO UPDATE SET last = "
            "excluded.last";
        auto q = d.prepare(ids_sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id));
        MS_TRY(q->run());
    }
    static const char* input_sql =
        "INSERT OR REPLACE INTO run_inputs (run_id, path, format, bytes) VALUES (?, ?, ?, ?)";
    for (const RunInput& in : info.inputs) {
        auto q = d.prepare(input_sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, in.path, in.format, in.bytes));
        MS_TRY(q->run());
    }
    MS_TRY(t.commit());
    return run_id;
}

Result<int64_t> ResultsStore::add_sequence(int64_t run_id, const SequenceInfo& seq) {
    std::vector<int64_t> ids;
    MS_ASSIGN(ids, add_sequences(run_id, std::span<const SequenceInfo>(&seq, 1)));
    return ids[0];
}

Result<std::vector<int64_t>> ResultsStore::add_sequences(int64_t run_id, std::span<const SequenceInfo> seqs) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    for (const SequenceInfo& seq : seqs)
        if (seq.length < 0) return make_error("sequence '", seq.name, "' has a negative length (", seq.length, ")");
    // One transaction: a genome of short records adds thousands, ~25 µs a commit each alone. The
    // caches learn the new rows only once they are committed.
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    std::vector<int64_t> ids(seqs.size());
    std::vector<bool> fresh(seqs.size(), false);
    for (size_t i = 0; i < seqs.size(); ++i) {
        const SequenceInfo& seq = seqs[i];
        // A resumed job adds its sequences again: an existing row of the same length is reused.
        static const char* insert_sql =
            "INSERT INTO sequences (run_id, name, length, md5, source) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, name) DO NOTHING";
        auto q = d.prepare(insert_sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, seq.name, seq.length, seq.md5, seq.source));
        auto r = q->run();
        if (!r) {
            if ((sqlite3_extended_errcode(d.db.get())) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "': no run ", run_id, " to add sequence '", seq.name,
                                  "' to");
            return r.error();
        }
        if (sqlite3_changes(d.db.get()) == 1) {  // a new row: its facts are known, it holds no tiles
            ids[i] = sqlite3_last_insert_rowid(d.db.get());
            fresh[i] = true;
            continue;
        }
        static const char* find_sql = "SELECT id, length FROM sequences WHERE run_id = ? AND name = ?";
        auto f = d.prepare(find_sql);
        if (!f) return f.error();
        MS_TRY(f->bind(run_id, seq.name));
        bool row = false;
        MS_ASSIGN(row, f->step());
        if (!row)
            return make_error("results database '", d.path, "': sequence '", seq.name, "' of run ", run_id,
                              " was not stored");
        if (f->i64(1) != seq.length)
            return make_error("results database '", d.path, "': run ", run_id, " already has sequence '", seq.name,
                              "' with length ", f->i64(1), ", not ", seq.length);
        ids[i] = f->i64(0);
    }
    MS_TRY(t.commit());
    for (size_t i = 0; i < seqs.size(); ++i)
        if (fresh[i]) {
            d.sequences.insert_or_assign(ids[i], Impl::SequenceFacts{run_id, seqs[i].length, seqs[i].name});
            d.fresh_sequences.insert(ids[i]);
        }
    return ids;
}

Result<void> ResultsStore::flush() {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    MS_TRY(d.store_tiles(d.buffered_keys()));
    d.forget_stored_full_tiles();
    return {};
}

Result<bool> ResultsStore::checkpoint() {
    Impl& d = *impl_;
    MS_TRY(flush());
    int log = 0, folded = 0;
    const int rc = sqlite3_wal_checkpoint_v2(d.db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &folded);
    if (rc == SQLITE_BUSY) return false;
    if (rc != SQLITE_OK) return d.error("folding the write-ahead log into the file (checkpoint)");
    return true;
}

Result<void> ResultsStore::finish_run(int64_t run_id, RunStatus status) {
    Impl& d = *impl_;
    MS_TRY(flush());
    std::erase_if(d.buffers, [&](const auto& kv) { return d.track_run[kv.first.track] == run_id; });
    static const char* sql =
        "UPDATE runs SET status = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(to_string(status), run_id));
    MS_TRY(q->run());
    if (sqlite3_changes(d.db.get()) != 1) return make_error("results database '", d.path, "' has no run ", run_id);
    return {};
}

Result<void> ResultsStore::delete_run(int64_t run_id) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    MS_TRY(flush());  // no buffered tile may outlive its track (erasing them left keys in `full`)
    // One statement: the schema's ON DELETE CASCADE (foreign keys are on in every connection the
    // store opens) removes the run's sequences, tracks and tiles, parts, predictions and classes,
    // variants and their scores, embeddings and inputs with it, or nothing.
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    MS_TRY(d.change_run("DELETE FROM runs WHERE id = ?", run_id));
    MS_TRY(t.commit());
    // What the store caches of tracks and sequences by id: SQLite may give a deleted row's id to
    // the next row made.
    d.track_ids.clear();
    d.track_run.clear();
    d.track_encodings.clear();
    d.sequences.clear();
    d.fresh_sequences.clear();
    return {};
}

Result<void> ResultsStore::vacuum() {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    MS_TRY(flush());
    return d.exec("VACUUM");
}

Result<void> ResultsStore::reopen_run(int64_t run_id) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    return d.change_run("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?", run_id);
}

// The completion rows themselves; callers store the tiles first (a flush, or earlier in the same
// transaction): completion must never be recorded before the tiles it vouches for.
Result<void> ResultsStore::Impl::record_sequence_complete(int64_t sequence_id) {
    static const char* sql =
        "UPDATE sequences SET completed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(sequence_id));
    MS_TRY(q->run());
    if (sqlite3_changes(db.get()) != 1)
        return make_error("results database '", path, "' has no sequence ", sequence_id);
    return {};
}

Result<void> ResultsStore::Impl::record_part_complete(int64_t sequence_id, int64_t begin, int64_t end) {
    const SequenceFacts* seq = nullptr;
    MS_ASSIGN(seq, sequence(sequence_id));
    if (begin < 0 || end <= begin || end > seq->length)
        return make_error("results database '", path, "': part ", begin, "-", end, " is outside sequence '", seq->name,
                          "' (0-", seq->length, ")");
    static const char* sql =
        "INSERT OR REPLACE INTO sequence_parts (sequence_id, begin, end, completed_at) "
        "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(sequence_id, begin, end));
    return q->run();
}

Result<void> ResultsStore::mark_sequence_complete(int64_t sequence_id) {
    MS_TRY(flush());
    return impl_->record_sequence_complete(sequence_id);
}

Result<void> ResultsStore::mark_part_complete(int64_t sequence_id, int64_t begin, int64_t end) {
    MS_TRY(flush());
    return impl_->record_part_complete(sequence_id, begin, end);
}

Result<void> ResultsStore::mark_complete(std::span<const CompletedPart> parts) {
    if (parts.empty()) return {};
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    // The buffered tiles and the completions in one transaction: a part is never recorded without
    // its tiles, and a batch of short records costs one commit, not two.
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    MS_TRY(d.insert_tiles(d.buffered_keys()));
    for (const CompletedPart& p : parts) {
        MS_TRY(d.record_part_complete(p.sequence_id, p.begin, p.end));
        if (p.sequence_done) MS_TRY(d.record_sequence_complete(p.sequence_id));
    }
    MS_TRY(t.commit());
    d.forget_stored_full_tiles();
    return {};
}

Result<std::vector<StoredPart>> ResultsStore::list_complete_parts(int64_t run_id) const {
    auto q = impl_->prepare(
        "SELECT p.sequence_id, p.begin, p.end FROM sequence_parts p JOIN sequences s ON s.id = p.sequence_id "
        "WHERE s.run_id = ? ORDER BY p.sequence_id, p.begin, p.end");
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    std::vector<StoredPart> out;
    while (true) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        out.push_back({q->i64(0), q->i64(1), q->i64(2)});
    }
    return out;
}

Result<int64_t> ResultsStore::count_embeddings(int64_t run_id) const {
    auto q = impl_->prepare("SELECT count(*) FROM embeddings WHERE run_id = ?");
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    bool row = false;
    MS_ASSIGN(row, q->step());
    return row ? q->i64(0) : int64_t(0);
}

Result<std::vector<RunRecord>> ResultsStore::list_runs() const {
    Impl& d = *impl_;
    static const char* sql =
        "SELECT id, tool_version, git_revision, command, params_json, model_name, model_sha256, device, precision, "
        "started_at, coalesce(finished_at, ''), status FROM runs ORDER BY id";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    std::vector<RunRecord> runs;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        RunRecord r;
        r.id = q->i64(0);
        r.info = {q->text(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6), q->text(7), q->text(8), {}};
        r.started_at = q->text(9);
        r.finished_at = q->text(10);
        MS_ASSIGN(r.status, parse_status(q->text(11)));
        runs.push_back(std::move(r));
    }
    static const char* inputs_sql = "SELECT path, format, bytes FROM run_inputs WHERE run_id = ? ORDER BY id";
    for (RunRecord& r : runs) {
        auto qi = d.prepare(inputs_sql);
        if (!qi) return qi.error();
        MS_TRY(qi->bind(r.id));
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, qi->step());
            if (!row) break;
            r.info.inputs.push_back({qi->text(0), qi->text(1), qi->i64(2)});
        }
    }
    return runs;
}

Result<std::vector<StoredSequence>> ResultsStore::list_sequences(int64_t run_id) const {
    static const char* sql =
        "SELECT id, name, length, md5, source, completed_at IS NOT NULL FROM sequences WHERE run_id = ? ORDER BY id";
    auto q = impl_->prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    std::vector<StoredSequence> out;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        out.push_back({q->i64(0), run_id, {q->text(1), q->i64(2), q->text(3), q->text(4)}, q->i64(5) != 0});
    }
    return out;
}

Result<StoreCounts> ResultsStore::counts() const {
    Impl& d = *impl_;
    static const char* sql =
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM sequences), (SELECT count(*) FROM tracks), "
        "(SELECT count(*) FROM track_tiles), (SELECT coalesce(sum(length(data)), 0) FROM track_tiles), "
        "(SELECT count(*) FROM predictions), (SELECT count(*) FROM embeddings), (SELECT count(*) FROM variants)";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", d.path, "': the counts query returned no row");
    StoreCounts c;
    c.runs = q->i64(0);
    c.sequences = q->i64(1);
    c.tracks = q->i64(2);
    c.tiles = q->i64(3);
    c.tile_bytes = q->i64(4);
    c.predictions = q->i64(5);
    c.embeddings = q->i64(6);
    c.variants = q->i64(7);
    c.file_bytes = file_size(d.path) + file_size(d.path + "-wal");
    return c;
}

std::string ResultsStore::damaged_hint(const std::string& path) {
    return cat(" (`mambascope-cli info ", path, "` lists what is damaged)");
}

Result<std::string> ResultsStore::integrity_check() const {
    Impl& d = *impl_;
    // The report names at most kMaxProblems problems, as SQLite's own integrity_check does: a
    // damaged file can make every row a problem (the fuzzer found a 24 KB file whose tile scan
    // grew the report past 2 GB), and a hundred are enough to say it is damaged and how.
    constexpr int kMaxProblems = 100;
    std::string problems;
    int count = 0;
    bool stopped = false;
    auto note = [&](const std::string& line) {
        ++count;
        problems += line + "\n";
    };
    // Each row of `sql` to `check`, until the rows end or the report is full.
    auto each_row = [&](const char* sql, auto&& check) -> Result<void> {
        auto q = d.prepare(sql);
        if (!q) return q.error();
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, q->step());
            if (!row) return {};
            if (count >= kMaxProblems) {
                stopped = true;
                return {};
            }
            check(*q);
        }
    };
    // A step that fails on a damaged page is itself a problem found, and the next steps still run:
    // the report is what `info` shows of a damaged file (it failed on the first broken read and
    // showed only that; found in review).
    // Only damage is a finding; a lock or a full disk is the check's own failure, returned as such.
    std::optional<Error> failed;
    auto step = [&](const char* what, Result<void> done) {
        if (done || failed) return;
        if (!done.error().damaged)
            failed = done.error();
        else
            note(cat(what, " stopped: a damaged page"));
    };
    step("SQLite's page check", each_row("PRAGMA integrity_check", [&](Query& q) {
             if (q.text(0) != "ok") note(q.text(0));
         }));
    // Rows whose run, sequence, track or variant is gone: deleted by hand with foreign keys off
    // (SQLite's default), where the store's own deletion (delete_run) takes them along.
    step("the check of rows against their runs",
         each_row("SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check GROUP BY 1, 2 ORDER BY 1, 2",
                  [&](Query& q) {
                      note(cat(q.i64(2), " row(s) of ", q.text(0), " belong to a missing row of ", q.text(1),
                               " (deleted without its rows: `mambascope-cli delete-run` removes a run with "
                               "everything it holds)"));
                  }));
    // Every tile must have the length its sequence implies and decode to it.
    step("the decode of every tile",
         each_row("SELECT t.track_id, t.sequence_id, t.zoom, t.tile_index, t.n, t.data, s.length "
                  "FROM track_tiles AS t JOIN sequences AS s ON s.id = t.sequence_id",
                  [&](Query& q) {
                      const int64_t track = q.i64(0), zoom = q.i64(2), tile = q.i64(3), n = q.i64(4), length = q.i64(6);
                      const std::string where =
                          cat("track ", track, " sequence ", q.i64(1), " zoom ", zoom, " tile ", tile);
                      // Checked before any arithmetic on them: a hostile file may hold any integers here.
                      if (zoom < 0 || zoom > kMaxZoom)
                          return note(cat(where, ": zoom level out of range 0..", kMaxZoom));
                      if (length < 0 || tile < 0 || tile > length / kTilePositions)
                          return note(cat(where, ": tile index beyond the sequence's ", length, " positions"));
                      const int64_t expect = std::min(kTilePositions, length - tile * kTilePositions);
                      if (n != expect) return note(cat(where, ": holds ", n, " positions, expected ", expect));
                      const Blob b = q.blob(5);
                      auto enc = d.track_encoding(track);
                      if (!enc) return note(cat(where, ": ", enc.error().message));
                      const Result<void> ok =
                          zoom == 0 ? as_void(d.codec.decode_values(*enc, b.data, b.bytes, n))
                                    : as_void(d.codec.decode_summary(*enc, b.data, b.bytes, zoom_bins(n, int(zoom))));
                      if (!ok) note(cat(where, ": does not decode (", ok.error().message, ")"));
                  }));
    if (failed) return *failed;
    if (stopped) problems += cat("(stopped after ", kMaxProblems, " problems)\n");
    if (problems.empty()) return std::string("ok");
    problems.pop_back();
    return problems;
}

}  // namespace ms

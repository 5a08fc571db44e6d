// The results store's schema versions: a version-1 file (built here from its own copy of the
// version-1 DDL, as MambaScope 0.1 wrote it) migrates to the current schema with its data intact and
// ends with the same schema as a new file; a newer version is refused clearly; and readers browse
// while another process writes.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "genomics/results_store.h"
#include "genomics/track_tiles.h"
#include "tests/common/harness.h"
#include "tests/genomics/store_test_util.h"

namespace fs = std::filesystem;
using ms::ResultsStore;

namespace {

using ms::test::contains;
using ms::test::ok;

// Version 1 exactly as released; never edit (that is the point of the test).
constexpr const char* kV1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  tool_version TEXT NOT NULL,
  git_revision TEXT NOT NULL,
  command TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  model_name TEXT NOT NULL DEFAULT '',
  model_sha256 TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  precision TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed'))
);
CREATE TABLE sequences (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  length INTEGER NOT NULL CHECK (length >= 0),
  md5 TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  UNIQUE (run_id, name)
);
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  UNIQUE (run_id, name)
);
-- A rowid table (not WITHOUT ROWID): tiles are blobs of kilobytes, which SQLite stores better out
-- of the primary-key b-tree. The key makes rewrites idempotent through INSERT OR REPLACE.
CREATE TABLE track_tiles (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  sequence_id INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  zoom INTEGER NOT NULL CHECK (zoom BETWEEN 0 AND 3),
  tile_index INTEGER NOT NULL CHECK (tile_index >= 0),
  n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 65536),
  data BLOB NOT NULL,
  PRIMARY KEY (track_id, sequence_id, zoom, tile_index)
);
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sequence_id INTEGER REFERENCES sequences(id) ON DELETE CASCADE,
  "begin" INTEGER NOT NULL,
  "end" INTEGER NOT NULL,
  label TEXT NOT NULL,
  score REAL,
  probs BLOB,
  CHECK ("begin" <= "end")
);
CREATE INDEX predictions_by_position ON predictions (run_id, sequence_id, "begin");
CREATE TABLE embeddings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  item_kind TEXT NOT NULL CHECK (item_kind IN ('sequence', 'window', 'read', 'variant')),
  item_id TEXT NOT NULL DEFAULT '',
  sequence_id INTEGER REFERENCES sequences(id) ON DELETE CASCADE,
  "begin" INTEGER,
  "end" INTEGER,
  dim INTEGER NOT NULL CHECK (dim > 0),
  dtype TEXT NOT NULL CHECK (dtype IN ('f32', 'f16')),
  vector BLOB NOT NULL,
  CHECK (length(vector) = dim * (CASE dtype WHEN 'f32' THEN 4 ELSE 2 END))
);
CREATE INDEX embeddings_by_run ON embeddings (run_id, item_kind);
)sql";

std::string fresh_db(const std::string& name) { return ms::test::fresh_db("results_schema_tmp", name); }


struct Db {
    sqlite3* db = nullptr;
    explicit Db(const std::string& path) { MS_CHECK(sqlite3_open(path.c_str(), &db) == SQLITE_OK); }
    ~Db() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* msg = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
        const std::string m = msg ? msg : "";
        sqlite3_free(msg);
        MS_CHECK_MSG(rc == SQLITE_OK, sql << ": " << m);
    }
    int64_t value(const char* sql) {
        sqlite3_stmt* s = nullptr;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return v;
    }
    std::vector<std::string> schema() {
        std::vector<std::string> out;
        sqlite3_stmt* s = nullptr;
        MS_CHECK(sqlite3_prepare_v2(db,
                                    "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema "
                                    "ORDER BY type, name",
                                    -1, &s, nullptr) == SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW)
            out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
        sqlite3_finalize(s);
        return out;
    }
    void insert_blob(const char* sql, const std::vector<uint8_t>& blob) {
        sqlite3_stmt* s = nullptr;
        MS_CHECK(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
        sqlite3_bind_blob(s, 1, blob.data(), int(blob.size()), SQLITE_TRANSIENT);
        MS_CHECK_MSG(sqlite3_step(s) == SQLITE_DONE, sql << ": " << sqlite3_errmsg(db));
        sqlite3_finalize(s);
    }
};

constexpr int64_t kLength = 70000;  // one full tile and a partial one
float value_at(int64_t i) { return i % 1001 == 0 ? NAN : float(i % 977) / 977.0f; }

// A version-1 database as MambaScope 0.1 left it: a finished run, a sequence, a float16 track of two
// tiles at four zooms, three predictions (two of them the same window written twice: version 1 had
// no key to stop that) and two embeddings.
void make_v1(const std::string& path) {
    Db d(path);
    d.exec("PRAGMA journal_mode = WAL");
    d.exec(std::string("BEGIN; ") + kV1 + "PRAGMA application_id = 1297306195; PRAGMA user_version = 1; COMMIT;");
    d.exec(
        "INSERT INTO runs VALUES (1, '0.1.0', 'abc123', 'mambascope-cli score g.fa', '{\"chunk\": 4096}', 'tiny', "
        "'ff00', 'cpu', 'fp32', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', 'finished')");
    d.exec("INSERT INTO sequences VALUES (1, 1, 'chrM', 70000, '0123456789abcdef0123456789abcdef', 'g.fa')");
    d.exec("INSERT INTO tracks VALUES (1, 1, 'loglik')");
    ms::TileCodec codec;
    std::vector<float> v(kLength);
    for (int64_t i = 0; i < kLength; ++i) v[size_t(i)] = value_at(i);
    for (int64_t tile = 0; tile < 2; ++tile) {
        const int64_t b = tile * ms::kTilePositions, n = std::min(ms::kTilePositions, kLength - b);
        const auto blobs = ok(codec.encode_tile(ms::TrackEncoding::float16(), v.data() + b, n));
        for (int zoom = 0; zoom <= ms::kMaxZoom; ++zoom)
            d.insert_blob(ms::cat("INSERT INTO track_tiles VALUES (1, 1, ", zoom, ", ", tile, ", ", n, ", ?)").c_str(),
                          blobs[size_t(zoom)]);
    }
    const float probs[2] = {0.75f, 0.25f};
    const std::vector<uint8_t> probs_blob(reinterpret_cast<const uint8_t*>(probs),
                                          reinterpret_cast<const uint8_t*>(probs) + sizeof probs);
    d.insert_blob("INSERT INTO predictions VALUES (1, 1, 1, 0, 1000, 'promoter', 0.5, ?)", probs_blob);
    d.insert_blob("INSERT INTO predictions VALUES (2, 1, 1, 0, 1000, 'promoter', 0.75, ?)", probs_blob);
    d.insert_blob("INSERT INTO predictions VALUES (3, 1, 1, 1000, 2000, 'background', 0.125, ?)", probs_blob);
    const float e1[4] = {1, 0, 0, 0}, e2[4] = {0.6f, 0.8f, 0, 0};
    int64_t begin = 0;
    for (const float* e : {e1, e2}) {
        d.insert_blob(
            ms::cat("INSERT INTO embeddings (run_id, item_kind, item_id, sequence_id, \"begin\", \"end\", "
                    "dim, dtype, vector) VALUES (1, 'window', '', 1, ",
                    begin, ", ", begin + 1000, ", 4, 'f32', ?)")
                .c_str(),
            std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(e), reinterpret_cast<const uint8_t*>(e) + 16));
        begin += 1000;
    }
}

}  // namespace

// Version 2 → 3 (sequence completion for resumable jobs): a version-2 file made from a version-1 one
// migrated by this build and then stripped of versions 3 to 5 keeps its sequences, which come
// back unfinished, and a job can mark them finished.
MS_TEST(a_version_2_database_gains_sequence_completion) {
    const std::string path = fresh_db("v2");
    make_v1(path);
    ok(ResultsStore::open(path));   // now the current version
    {
        Db d(path);
        d.exec(
            "DROP TABLE store_ids; DROP INDEX track_tiles_by_sequence; DROP INDEX predictions_by_sequence; DROP INDEX "
            "embeddings_by_sequence; DROP TABLE sequence_parts; ALTER TABLE sequences DROP COLUMN completed_at; PRAGMA "
            "user_version = 2;");
    }
    auto store = ok(ResultsStore::open(path));   // migrates 2 → 3
    MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion));
    auto seqs = ok(store.list_sequences(1));
    MS_CHECK(seqs.size() == 1 && seqs[0].info.name == "chrM" && !seqs[0].complete);
    ok(store.mark_sequence_complete(seqs[0].id));
    MS_CHECK(ok(store.list_sequences(1))[0].complete);
    MS_CHECK(!store.mark_sequence_complete(999));
    ok(store.reopen_run(1));
    MS_CHECK(ok(store.list_runs())[0].status == ms::RunStatus::running);
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
}

// Version 3 → 4 (finished parts of a sequence, for resuming segmented jobs): a version-3 file keeps
// its sequences and their completion, starts with no finished parts, and then records them —
// idempotently, only inside the sequence, listed per run.
MS_TEST(a_version_3_database_gains_sequence_parts) {
    const std::string path = fresh_db("v3");
    make_v1(path);
    {
        auto store = ok(ResultsStore::open(path));   // now the current version
        ok(store.mark_sequence_complete(ok(store.list_sequences(1))[0].id));
    }
    {
        Db d(path);
        d.exec(
            "DROP TABLE store_ids; DROP INDEX track_tiles_by_sequence; DROP INDEX predictions_by_sequence; DROP INDEX "
            "embeddings_by_sequence; DROP TABLE sequence_parts; PRAGMA user_version = 3;");
    }
    auto store = ok(ResultsStore::open(path));   // migrates 3 → 4
    MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion));
    const auto seqs = ok(store.list_sequences(1));
    MS_CHECK(seqs.size() == 1 && seqs[0].complete);
    MS_CHECK(ok(store.list_complete_parts(1)).empty());
    const int64_t id = seqs[0].id, len = seqs[0].info.length;
    ok(store.mark_part_complete(id, 0, len / 2));
    ok(store.mark_part_complete(id, len / 2, len));
    ok(store.mark_part_complete(id, 0, len / 2));   // again: no second row
    MS_CHECK(ok(store.list_complete_parts(1)) == (std::vector<ms::StoredPart>{{id, 0, len / 2}, {id, len / 2, len}}));
    MS_CHECK(ok(store.list_complete_parts(2)).empty());
    MS_CHECK(!store.mark_part_complete(id, 0, len + 1));   // past the sequence's end
    MS_CHECK(!store.mark_part_complete(id, 5, 5));         // empty
    MS_CHECK(!store.mark_part_complete(999, 0, 1));        // no such sequence
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
}

MS_TEST(a_version_1_database_migrates_with_its_data_intact) {
    const std::string path = fresh_db("v1");
    make_v1(path);
    // A reader cannot migrate; it says what to do.
    auto ro = ResultsStore::open(path, ResultsStore::Mode::read_only);
    MS_CHECK(!ro);
    MS_CHECK_MSG(contains(ro.error().message, "has schema version 1; open it once for writing to upgrade it"),
                 ro.error().message);

    ok(ResultsStore::open(path));  // migrates
    auto store = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion));
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));

    const auto runs = ok(store.list_runs());
    MS_CHECK_EQ(runs.size(), 1u);
    MS_CHECK_EQ(runs[0].info.params_json, std::string("{\"chunk\": 4096}"));
    MS_CHECK_EQ(runs[0].info.model_sha256, std::string("ff00"));
    MS_CHECK(runs[0].status == ms::RunStatus::finished && runs[0].info.inputs.empty());
    const auto seqs = ok(store.list_sequences(1));
    MS_CHECK(seqs.size() == 1 && seqs[0].info.md5 == "0123456789abcdef0123456789abcdef");
    const auto tracks = ok(store.list_tracks(1));
    MS_CHECK(tracks.size() == 1 && tracks[0].encoding == ms::TrackEncoding::float16());
    const auto values = ok(store.read_values(1, 1, 0, kLength));
    for (int64_t i = 0; i < kLength; ++i) {
        const float want = ms::round_to_half(value_at(i));
        MS_CHECK_MSG(std::isnan(want) ? std::isnan(values[size_t(i)]) : values[size_t(i)] == want, "position " << i);
    }
    const auto bins = ok(store.read_track(1, 1, 0, kLength, 10));
    MS_CHECK(bins.size() <= 10 && bins.back().end == kLength);

    // The duplicate window kept its last row; version-1 rows are windows.
    ms::PredictionQuery q;
    q.run_id = 1;
    const auto preds = ok(store.query_predictions(q));
    MS_CHECK_EQ(preds.size(), 2u);
    MS_CHECK(preds[0].id == 2 && preds[0].p.score == 0.75 && preds[0].p.kind == ms::ItemKind::window);
    MS_CHECK(preds[0].p.probs == (std::vector<float>{0.75f, 0.25f}));
    const auto index = ok(store.load_embedding_index(1));
    MS_CHECK_EQ(index.size(), 2);
    const auto nn = ok(index.nearest(std::vector<float>{0, 1, 0, 0}, 1));
    MS_CHECK(nn[0].id == 2 && std::fabs(nn[0].cosine - 0.8f) < 1e-6f);

    // The new tables work on the migrated file, and its schema is exactly a new file's.
    {
        auto w = ok(ResultsStore::open(path));
        ok(w.write_variants(1, std::vector{ms::Variant{"chrM", 3243, "A", "G", "", {{"llr", -4}}}}));
        ok(w.write_predictions(1, std::vector<ms::Prediction>(1, preds[0].p)));  // now keyed: replaces
    }
    MS_CHECK_EQ(Db(path).value("SELECT count(*) FROM predictions"), 2);
    const std::string fresh = fresh_db("fresh");
    ok(ResultsStore::open(fresh));
    const auto migrated_schema = Db(path).schema(), fresh_schema = Db(fresh).schema();
    MS_CHECK_EQ(migrated_schema.size(), fresh_schema.size());
    for (size_t i = 0; i < fresh_schema.size(); ++i) MS_CHECK_EQ(migrated_schema[i], fresh_schema[i]);
}

MS_TEST(an_empty_file_is_version_0_and_gets_every_step) {
    const std::string path = fresh_db("v0");
    { std::ofstream(path, std::ios::binary); }  // zero bytes: what SQLite makes of a touched file
    ok(ResultsStore::open(path));
    Db d(path);
    MS_CHECK_EQ(d.value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion));
    MS_CHECK_EQ(d.value("PRAGMA application_id"), 0x4D535253);
    MS_CHECK_EQ(d.value("SELECT count(*) FROM sqlite_schema WHERE name = 'variants'"), 1);
}

// A reader that opens a database before its writer has created the schema (the file exists, empty)
// gets a retryable error; open_when_ready waits for the schema, and gives up on anything else at once.
MS_TEST(a_reader_before_the_schema_gets_a_retryable_error) {
    const std::string path = fresh_db("before_schema");
    { std::ofstream(path, std::ios::binary); }   // what the writer's open leaves for a moment
    auto r = ResultsStore::open(path, ResultsStore::Mode::read_only);
    MS_CHECK(!r);
    MS_CHECK(r.error().retryable);
    MS_CHECK_MSG(contains(r.error().message, "its schema has not been created (a job may be creating it; try again"),
                 r.error().message);
    const auto t0 = std::chrono::steady_clock::now();
    auto timed_out = ResultsStore::open_when_ready(path, std::chrono::milliseconds(300));
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MS_CHECK(!timed_out && timed_out.error().retryable);
    MS_CHECK_MSG(waited > 0.1 && waited < 2.0, "waited " << waited << " s");
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ok(ResultsStore::open(path));
    });
    auto waited_for = ResultsStore::open_when_ready(path, std::chrono::seconds(10));
    writer.join();
    MS_CHECK_MSG(waited_for.ok(), waited_for.error().message);
    // Not retryable: garbage, a missing file.
    const std::string garbage = fresh_db("garbage_now");
    std::ofstream(garbage, std::ios::binary) << std::string(4096, 'x');
    const auto t1 = std::chrono::steady_clock::now();
    auto g = ResultsStore::open_when_ready(garbage, std::chrono::seconds(10));
    MS_CHECK(!g && !g.error().retryable);
    MS_CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::seconds(2));
    auto missing = ResultsStore::open_when_ready(fresh_db("never_made"), std::chrono::seconds(10));
    MS_CHECK(!missing && !missing.error().retryable);
}

// Version 4 → 5: the highest run id is kept from the runs there, so a run deleted afterwards —
// the newest included — never gives its id to a later run.
MS_TEST(a_version_4_database_never_reuses_a_run_id) {
    const std::string path = fresh_db("v4");
    {
        auto store = ok(ResultsStore::open(path));
        for (int i = 0; i < 3; ++i) ok(store.begin_run({"0.1.0", "x", "score"}));
    }
    Db(path).exec(
        "DROP TABLE store_ids; DROP INDEX track_tiles_by_sequence; DROP INDEX predictions_by_sequence; "
        "DROP INDEX embeddings_by_sequence; PRAGMA user_version = 4;");
    auto store = ok(ResultsStore::open(path));  // migrates 4 → 5
    MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion));
    ok(store.delete_run(3));
    MS_CHECK_EQ(ok(store.begin_run({"0.1.0", "x", "score"})), int64_t(4));
    ok(store.delete_run(4));
    ok(store.delete_run(2));
    MS_CHECK_EQ(ok(store.begin_run({"0.1.0", "x", "score"})), int64_t(5));
    MS_CHECK_EQ(Db(path).value("SELECT last FROM store_ids WHERE name = 'runs'"), int64_t(5));
}

MS_TEST(a_newer_schema_is_refused_with_both_versions) {
    const std::string path = fresh_db("newer");
    ok(ResultsStore::open(path));
    Db(path).exec(ms::cat("PRAGMA user_version = ", ResultsStore::kSchemaVersion + 1));
    for (auto mode : {ResultsStore::Mode::read_write, ResultsStore::Mode::read_only}) {
        auto r = ResultsStore::open(path, mode);
        MS_CHECK(!r);
        MS_CHECK_MSG(
            contains(r.error().message, ms::cat("has schema version ", ResultsStore::kSchemaVersion + 1,
                                                "; this MambaScope reads up to ", ResultsStore::kSchemaVersion)),
            r.error().message);
    }
    MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), int64_t(ResultsStore::kSchemaVersion + 1));  // untouched
}

// A negative schema version (or 0 on a file of ours) is damage or a hand edit: refused in both modes
// before anything is written. Migrating from it ran SQL from outside the migration table (a crash at
// INT_MIN, garbage SQL at -5) and rewrote the version.
MS_TEST(a_negative_schema_version_is_refused_untouched) {
    for (int64_t bad : {int64_t(-1), int64_t(-5), int64_t(-2147483648LL), int64_t(0)}) {
        const std::string path = fresh_db(ms::cat("negative", bad < 0 ? -bad : 0).c_str());
        ok(ResultsStore::open(path));
        Db(path).exec(ms::cat("PRAGMA user_version = ", bad));
        for (auto mode : {ResultsStore::Mode::read_write, ResultsStore::Mode::read_only}) {
            auto r = ResultsStore::open(path, mode);
            MS_CHECK(!r);
            MS_CHECK_MSG(contains(r.error().message, ms::cat("is damaged: its schema version is ", bad)),
                         r.error().message);
        }
        MS_CHECK_EQ(Db(path).value("PRAGMA user_version"), bad);   // untouched
    }
}

// A job in another process writes in many small transactions while this process opens read-only
// connections and reads, over and over: no read may fail ("database is locked" or otherwise), and
// what a reader sees only grows.
MS_TEST(readers_browse_while_another_process_writes) {
    const std::string path = fresh_db("browse");
    const int64_t length = 40 * ms::kTilePositions;
    {
        auto store = ok(ResultsStore::open(path));
        const int64_t run = ok(store.begin_run({"0.1.0", "x", "score"}));
        ok(store.add_sequence(run, {"chr1", length}));
    }
    const pid_t pid = fork();
    MS_CHECK(pid >= 0);
    if (pid == 0) {
        auto store = ResultsStore::open(path);
        if (!store) _exit(2);
        store->set_batch_tiles(1);  // a commit per tile: as many lock hand-overs as possible
        std::vector<float> chunk(ms::kTilePositions);
        for (int pass = 0; pass < 3; ++pass)
            for (int64_t p = 0; p < length; p += ms::kTilePositions) {
                for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = float((p + int64_t(i) + pass) % 100) / 100.0f;
                if (!store->write_track(1, ms::cat("t", pass % 2), 1, p, chunk.data(), int64_t(chunk.size()))) _exit(3);
                if (!store->write_predictions(
                        1, std::vector{ms::Prediction{ms::ItemKind::window, "", 1, p, p + 10, "x", double(pass), {}}}))
                    _exit(4);
            }
        _exit(store->finish_run(1, ms::RunStatus::finished) ? 0 : 5);
    }
    int reads = 0, status = 0;
    int64_t last_tiles = 0;
    std::string failure;
    for (;;) {
        const bool done = waitpid(pid, &status, WNOHANG) == pid;
        auto store = ResultsStore::open(path, ResultsStore::Mode::read_only);
        if (!store) {
            failure = store.error().message;
        } else {
            auto note = [&](const auto& r) {
                if (!r && failure.empty()) failure = r.error().message;
            };
            auto c = store->counts();
            note(c);
            note(store->list_runs());
            auto tracks = store->list_tracks(1);
            note(tracks);
            if (tracks && !tracks->empty()) note(store->read_track(tracks->front().id, 1, 0, length, 2000));
            ms::PredictionQuery q;
            q.run_id = 1;
            note(store->query_predictions(q));
            if (c) {
                if (c->tiles < last_tiles && failure.empty()) failure = "the tile count went down";
                last_tiles = c->tiles;
            }
        }
        if (!failure.empty()) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            throw ms::test::Failure{"read " + std::to_string(reads) + " failed: " + failure};
        }
        ++reads;
        if (done) break;
    }
    MS_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status " << status);
    std::printf("      (%d read rounds while the writer ran; %lld tiles at the end)\n", reads,
                static_cast<long long>(last_tiles));
    MS_CHECK(reads > 1);
    MS_CHECK_EQ(last_tiles, 2 * 40 * 4);
}

// A damaged file can make every tile a problem: the report stops after a hundred and says so (the
// fuzzer's 24 KB file grew an unbounded report past 2 GB; it is in tests/fuzz/corpus).
MS_TEST(integrity_report_stops_after_a_hundred_problems) {
    const std::string path = fresh_db("many_problems");
    make_v1(path);
    ok(ResultsStore::open(path));   // migrated to the current schema
    Db(path).exec(
        "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < 149) "
        "INSERT INTO track_tiles (track_id, sequence_id, zoom, tile_index, n, data) "
        "SELECT 1, 1, 0, 100000 + k, 1, x'00' FROM i;");
    auto store = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    const std::string report = ok(store.integrity_check());
    size_t lines = 0;
    for (char ch : report) lines += ch == '\n';
    MS_CHECK_EQ(lines, size_t(100));   // 100 problems, then the closing line without a newline
    MS_CHECK_MSG(contains(report, "tile index beyond the sequence's"), report.substr(0, 200));
    MS_CHECK_MSG(report.size() > 30 && report.substr(report.size() - 28) == "(stopped after 100 problems)",
                 report.substr(report.size() > 60 ? report.size() - 60 : 0));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

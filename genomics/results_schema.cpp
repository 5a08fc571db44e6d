// Opening a results database: what the file is (ours, empty, another application's, garbage, newer),
// WAL and the pragmas, and the schema with its forward migrations (docs/formats.md). Also the
// statement cache shared by the store's other source files.
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "genomics/results_store.h"
#include "genomics/results_store_impl.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

// PRAGMA application_id: "MSRS" (MambaScope results store). Tells our files from any other SQLite
// file, as file(1) does with the same field.
constexpr int32_t kApplicationId = 0x4D535253;

// Waiting up to 5 s for a lock covers a writer's commit or checkpoint; a reader in WAL mode never
// waits for a writer's open transaction at all.
constexpr int kBusyTimeoutMs = 5000;

// Schema 1, as first released. Never edit a released step: a database made by it must migrate to the
// same schema as a new one. A new database runs every step in order, so each step is exercised on
// every fresh file, and tests/genomics/test_results_schema.cpp builds a version-1 file from its own
// copy of this text and migrates it.
constexpr const char* kSchemaV1 = R"sql(
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

// Schema 2: run inputs, per-track value encoding, what a prediction is about (window, record, read)
// and the names of its classes, variants with named scores, and unique keys that make rewrites of
// predictions and embeddings idempotent. Schema 1 had no key on predictions or embeddings; a
// duplicate (same item written twice) keeps its last row before the key goes on.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE run_inputs (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  format TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT -1,
  UNIQUE (run_id, path)
);
ALTER TABLE tracks ADD COLUMN encoding TEXT NOT NULL DEFAULT 'f16' CHECK (encoding IN ('f16', 'q8', 'q16'));
ALTER TABLE tracks ADD COLUMN range_lo REAL NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN range_hi REAL NOT NULL DEFAULT 1;
ALTER TABLE predictions ADD COLUMN item_kind TEXT NOT NULL DEFAULT 'window'
  CHECK (item_kind IN ('sequence', 'window', 'read', 'variant'));
ALTER TABLE predictions ADD COLUMN item TEXT NOT NULL DEFAULT '';
DELETE FROM predictions WHERE id NOT IN (SELECT max(id) FROM predictions
  GROUP BY run_id, item_kind, item, coalesce(sequence_id, 0), "begin", "end");
CREATE UNIQUE INDEX predictions_by_item
  ON predictions (run_id, item_kind, item, coalesce(sequence_id, 0), "begin", "end");
CREATE INDEX predictions_by_score ON predictions (run_id, score);
CREATE INDEX predictions_by_label ON predictions (run_id, label);
CREATE TABLE prediction_classes (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  class_index INTEGER NOT NULL CHECK (class_index >= 0),
  name TEXT NOT NULL,
  PRIMARY KEY (run_id, class_index)
) WITHOUT ROWID;
DELETE FROM embeddings WHERE id NOT IN (SELECT max(id) FROM embeddings
  GROUP BY run_id, item_kind, item_id, coalesce(sequence_id, 0), coalesce("begin", -1));
CREATE UNIQUE INDEX embeddings_by_item
  ON embeddings (run_id, item_kind, item_id, coalesce(sequence_id, 0), coalesce("begin", -1));
CREATE TABLE variants (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  chrom TEXT NOT NULL,
  pos INTEGER NOT NULL CHECK (pos >= 1),
  ref TEXT NOT NULL,
  alt TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  UNIQUE (run_id, chrom, pos, ref, alt)
);
CREATE TABLE variant_scores (
  variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (variant_id, name)
) WITHOUT ROWID;
CREATE INDEX variant_scores_by_name ON variant_scores (name, value);
)sql";

// Schema 3: when a job finished each sequence (all its tiles committed), so a resumed job skips
// the finished ones. NULL: not finished (or written before version 3).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE sequences ADD COLUMN completed_at TEXT;
)sql";

// Schema 4: the parts of a sequence a job finished (the segments of a long one, every tile of
// [begin, end) committed), so a resumed job skips finished segments, not only finished sequences.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE sequence_parts (
  sequence_id INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  begin INTEGER NOT NULL CHECK (begin >= 0),
  end INTEGER NOT NULL CHECK (end > begin),
  completed_at TEXT NOT NULL,
  PRIMARY KEY (sequence_id, begin, end)
) WITHOUT ROWID;
)sql";

// Schema 5: the highest run id ever given, so a deleted run's id is never given again (a saved
// session or a note naming "run 3" would silently mean another run), and indexes by sequence, so
// deleting a run's sequences does not scan every other run's tiles, predictions and embeddings
// (17–33 s for 3,000 contigs, holding the write lock that running jobs then timed out on).
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE store_ids (
  name TEXT PRIMARY KEY,
  last INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_ids (name, last) SELECT 'runs', ifnull(max(id), 0) FROM runs;
CREATE INDEX track_tiles_by_sequence ON track_tiles (sequence_id);
CREATE INDEX predictions_by_sequence ON predictions (sequence_id);
CREATE INDEX embeddings_by_sequence ON embeddings (sequence_id);
)sql";

// Step i takes a database from version i to version i + 1.
constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5};
static_assert(std::size(kMigrations) == ResultsStore::kSchemaVersion, "one migration step per schema version");

// A full disk as SQLite reports it: SQLITE_FULL when the database or its log cannot grow, an I/O
// error with ENOSPC when its -shm file cannot be made or grown.
bool disk_full(sqlite3* db) {
    const int primary = sqlite3_extended_errcode(db) & 0xff;
    return primary == SQLITE_FULL || (primary == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

// The database's -wal and -shm files that this user cannot write, with their owners: another
// user's (their reader or job made them), or this user's own left write-protected (see
// give_back_log_modes).
struct LogFile {
    std::string path;
    uid_t owner = 0;
};
std::vector<LogFile> unwritable_log_files(const std::string& path) {
    std::vector<LogFile> out;
    for (const char* suffix : {"-wal", "-shm"}) {
        const std::string f = path + suffix;
        struct stat st {};
        if (::stat(f.c_str(), &st) == 0 && ::access(f.c_str(), W_OK) != 0) out.push_back({f, st.st_uid});
    }
    return out;
}

// A reader of the database while its file was write-protected left the -wal and -shm with the
// file's mode of then (SQLite gives them the database's permissions), so this user's own files
// refused this user's later writes once the database was writable again (found in review). They
// are this user's: they get the database's mode now. Best effort; write_failure names what is left.
void give_back_log_modes(const std::string& path, mode_t db_mode) {
    for (const LogFile& f : unwritable_log_files(path))
        if (f.owner == ::geteuid()) ::chmod(f.path.c_str(), (db_mode & 0666) | S_IWUSR);
}

// SQLite's words for a failed write, turned into what a biologist can act on.
Error write_failure(const std::string& path, sqlite3* db, std::string_view what) {
    const int ext = sqlite3_extended_errcode(db);
    if (is_readonly_code(ext)) {
        const std::vector<LogFile> logs = unwritable_log_files(path);
        const auto own =
            std::find_if(logs.begin(), logs.end(), [](const LogFile& f) { return f.owner == ::geteuid(); });
        if (own != logs.end())
            return make_error("cannot write results database '", path, "': its '", own->path,
                              "' is write-protected (SQLite: ", sqlite3_errmsg(db), "); make it writable: chmod u+w '",
                              path, "-wal' '", path, "-shm'");
        if (!logs.empty()) {
            const passwd* pw = ::getpwuid(logs.front().owner);
            return make_error("cannot write results database '", path, "': its '", logs.front().path, "' belongs to ",
                              pw ? cat("user ", pw->pw_name) : cat("user id ", logs.front().owner),
                              ", which this user cannot write (SQLite: ", sqlite3_errmsg(db), "); when nobody has ",
                              "the database open, that user can remove '", path, "-wal' and '", path,
                              "-shm' if the -wal file is empty (a non-empty one holds commits: copy the three ",
                              "files elsewhere and open the copy)");
        }
        return make_error("cannot write results database '", path,
                          "': its file or folder is read-only (SQLite: ", sqlite3_errmsg(db),
                          "); open it read-only to browse, or copy it somewhere writable");
    }
    if (disk_full(db))
        return make_error("cannot write results database '", path,
                          "': the disk is full; what was being written was not stored, earlier commits are intact ",
                          "(free some space)");
    if (const int primary = sqlite3_extended_errcode(db) & 0xff; primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        return damaged_database(path, db);
    return make_error("results database '", path, "': ", what, " failed: ", sqlite3_errmsg(db));
}

}  // namespace

int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

bool is_readonly_code(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
}

bool looks_like_sqlite(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    char header[16] = {};
    if (!f.read(header, sizeof header)) return false;
    return std::memcmp(header, "SQLite format 3", 16) == 0;  // includes the trailing NUL
}

Result<Query> ResultsStore::Impl::prepare(const char* sql) {
    auto it = stmts.find(sql);
    if (it == stmts.end()) {
        sqlite3_stmt* s = nullptr;
        const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
        if (rc != SQLITE_OK) return error(cat("preparing \"", sql, "\""));
        it = stmts.emplace(sql, StmtPtr(s)).first;
    }
    return Query(it->second.get(), db.get(), &path);
}

Result<Query> ResultsStore::Impl::prepare_composed(const std::string& sql) {
    auto it = composed.find(sql);
    if (it == composed.end()) {
        sqlite3_stmt* s = nullptr;
        const int rc = sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
        if (rc != SQLITE_OK) return error(cat("preparing \"", sql, "\""));
        it = composed.emplace(sql, StmtPtr(s)).first;
    }
    return Query(it->second.get(), db.get(), &path);
}

Result<void> ResultsStore::Impl::exec(const char* sql) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return {};
    sqlite3_free(msg);  // sqlite3_errmsg says the same, and write_failure words it for people
    return write_failure(path, db.get(), cat("\"", sql, "\""));
}

Result<void> ResultsStore::Impl::change_run(const char* sql, int64_t run_id) {
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    MS_TRY(q->run());
    if (sqlite3_changes(db.get()) != 1) return make_error("results database '", path, "' has no run ", run_id);
    return {};
}

Result<bool> Query::step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return write_failure(*path_, db_, cat("\"", sqlite3_sql(s_), "\""));
}

Result<void> Query::check(int rc, int i) {
    if (rc == SQLITE_OK) return {};
    return make_error("results database '", *path_, "': binding parameter ", i, " of \"", sqlite3_sql(s_),
                      "\" failed: ", sqlite3_errmsg(db_));
}

Result<void> ResultsStore::Impl::identify_and_prepare() {
    // The first read is where SQLite looks at the file: garbage fails here with SQLITE_NOTADB.
    int64_t app_id = 0, version = 0, objects = 0;
    std::string first_table;
    {
        sqlite3_stmt* raw = nullptr;
        const char* sql =
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM "
            "pragma_user_version), "
            "(SELECT count(*) FROM sqlite_schema), (SELECT name FROM sqlite_schema WHERE type = 'table' LIMIT 1)";
        int rc = sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr);
        StmtPtr s(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
        if (rc != SQLITE_ROW) {
            const int primary = sqlite3_extended_errcode(db.get()) & 0xff;
            if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
                return make_error(
                    "'", path, "' is not a MambaScope results database (SQLite: ", sqlite3_errmsg(db.get()),
                    primary == SQLITE_CORRUPT ? "; the file is damaged" : "; it is not an SQLite file", ")");
            if (primary == SQLITE_CANTOPEN)
                return make_error("cannot open results database '", path, "' (SQLite: ", sqlite3_errmsg(db.get()),
                                  "); is its folder present and readable?");
            return error("reading the schema");
        }
        app_id = sqlite3_column_int64(s.get(), 0);
        version = sqlite3_column_int64(s.get(), 1);
        objects = sqlite3_column_int64(s.get(), 2);
        if (const unsigned char* t = sqlite3_column_text(s.get(), 3)) first_table = reinterpret_cast<const char*>(t);
    }

    const bool empty = objects == 0 && app_id == 0 && version == 0;
    if (!empty && app_id != kApplicationId) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08llx", static_cast<unsigned long long>(uint32_t(app_id)));
        return make_error("'", path, "' is not a MambaScope results database (it is an SQLite database of another ",
                          "application: application_id ", hex, ", ", objects, " schema objects",
                          first_table.empty() ? std::string() : cat(" such as table '", first_table, "'"), ")");
    }
    if (version > kSchemaVersion)
        return make_error("results database '", path, "' has schema version ", version,
                          "; this MambaScope reads up to ", kSchemaVersion, " (it was written by a newer MambaScope)");
    // Versions run 1 … kSchemaVersion, set together with the application id in the first step: a
    // negative one, or none beside ours, was set by hand or by damage. Refused before any write —
    // migrating from a negative version ran SQL from outside the steps' table (a crash, and the
    // file changed).
    if (version < 0 || (!empty && version == 0))
        return make_error("results database '", path, "' is damaged: its schema version is ", version,
                          " (MambaScope writes 1 to ", kSchemaVersion, "), so it cannot be read or upgraded");
    if (mode == Mode::read_only) {
        // A job creating the database has made the file but not yet committed its schema (which a
        // new file gets in one transaction, see migrate): a reader may try again in a moment.
        if (empty) {
            // A job commits a new file's schema within a second of creating it: an empty file older
            // than a minute is no database in the making (a `touch`, a copy that failed), and
            // "try again in a moment" sent the user waiting for nothing.
            struct stat st {};
            const bool stale = ::stat(path.c_str(), &st) == 0 && st.st_size == 0 && ::time(nullptr) - st.st_mtime > 60;
            if (stale)
                return make_error("'", path, "' is an empty file (0 bytes), not a MambaScope results database: ",
                                  "delete it, or name it as a job's --db, which then creates the database there");
            Error e = make_error("'", path, "' holds no results yet: its schema has not been created (a job may be ",
                                 "creating it; try again in a moment), so it is not yet a MambaScope results database");
            e.retryable = true;
            return e;
        }
        if (version < kSchemaVersion)
            return make_error("results database '", path, "' has schema version ", version,
                              "; open it once for writing to upgrade it");
        return {};
    }

    // Only now, knowing the file is ours or empty, does the writer change it.
    {
        sqlite3_stmt* raw = nullptr;
        int rc = sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
        StmtPtr s(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
        // Switching needs the file to itself, which the busy timeout does not wait for: a second
        // job creating the same database failed here with "database is locked". Tried again.
        for (int tries = 0; (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; ++tries) {
            if (tries * 50 >= kBusyTimeoutMs) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            sqlite3_reset(s.get());
            rc = sqlite3_step(s.get());
        }
        if (rc != SQLITE_ROW) {
            if (is_readonly_code(sqlite3_extended_errcode(db.get())))
                return make_error("cannot write results database '", path,
                                  "': its file or folder is read-only (SQLite: ", sqlite3_errmsg(db.get()),
                                  "); open it read-only to browse, or copy it somewhere writable");
            return error("switching to WAL");
        }
        const unsigned char* m = sqlite3_column_text(s.get(), 0);
        if (!m || std::strcmp(reinterpret_cast<const char*>(m), "wal") != 0)
            return make_error("results database '", path, "': SQLite refused WAL mode (journal mode '",
                              m ? reinterpret_cast<const char*>(m) : "?",
                              "'); is it on a network file system without shared memory?");
    }
    // NORMAL in WAL mode: commits survive a killed process; only a power cut can lose the last ones.
    MS_TRY(exec("PRAGMA synchronous = NORMAL"));
    // Debian's SQLite zeroes every freed page (SECURE_DELETE), which made a run's deletion write
    // its whole size again through the log — on the nearly full disk people delete runs to relieve.
    // FAST zeroes only what costs no extra I/O.
    MS_TRY(exec("PRAGMA secure_delete = FAST"));
    return migrate(version);
}

Result<void> ResultsStore::Impl::migrate(int64_t from_version) {
    // An existing file: one transaction per step, so a crash between steps leaves a valid older
    // version that the next open continues from. A new file: every step in one transaction, so a
    // reader beside the creating job sees an empty file (retryable) or the current schema, never a
    // version in between (which it would refuse as an old file to upgrade).
    // The version read at open may be stale by now: two jobs creating one new database at once both
    // saw an empty file, and the second failed on "table runs already exists" (found in review).
    // Inside each write transaction the version is read again, and steps another job made skipped.
    auto current_version = [&]() -> Result<int64_t> {
        sqlite3_stmt* raw = nullptr;
        int rc = sqlite3_prepare_v2(db.get(), "PRAGMA user_version", -1, &raw, nullptr);
        StmtPtr st(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
        if (rc != SQLITE_ROW) return error("reading the schema version");
        return int64_t(sqlite3_column_int64(st.get(), 0));
    };
    const bool fresh = from_version == 0;
    Transaction all(*this);
    if (fresh) {
        MS_TRY(all.begin());
        MS_ASSIGN(from_version, current_version());
        if (from_version > kSchemaVersion)   // made meanwhile by a newer MambaScope
            return make_error("results database '", path, "' has schema version ", from_version,
                              ", newer than this MambaScope reads (", kSchemaVersion, "); use a newer version");
    }
    if (from_version < 0) return make_error("results database '", path, "': schema version ", from_version, " is not one MambaScope writes");
    for (int64_t v = from_version; v < kSchemaVersion; ++v) {
        Transaction t(*this);
        if (!fresh) {
            MS_TRY(t.begin());
            int64_t now = 0;
            MS_ASSIGN(now, current_version());
            if (now > v) continue;  // another job made this step meanwhile
        }
        auto r = exec(kMigrations[v]);
        if (!r)
            return make_error("results database '", path, "': upgrading the schema from version ", v, " to ", v + 1,
                              " failed: ", r.error().message);
        if (v == 0) MS_TRY(exec(cat("PRAGMA application_id = ", kApplicationId).c_str()));
        MS_TRY(exec(cat("PRAGMA user_version = ", v + 1).c_str()));
        if (!fresh) MS_TRY(t.commit());
    }
    if (fresh) MS_TRY(all.commit());
    return {};
}

Result<ResultsStore> ResultsStore::open(const std::string& path, Mode mode) {
    if (path.empty()) return make_error("no results database given (the path is empty)");
    ResultsStore store;
    Impl& d = *store.impl_;
    d.path = path;
    d.mode = mode;
    d.encode_threads = int(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (mode == Mode::read_only && !exists)
        return make_error("cannot open results database '", path, "': ", std::strerror(errno));
    // SQLite said "disk I/O error" of a folder, and the message asked whether its folder was there.
    if (exists && S_ISDIR(st.st_mode))
        return make_error("results database '", path, "' is a folder; a results database is a file (a job ",
                          "creates it when missing): name another path");
    // SQLite said "disk I/O error" of /dev/null and of a named pipe, and asked about the folder.
    if (exists && !S_ISREG(st.st_mode))
        return make_error("results database '", path, "' is not a regular file (a device, pipe or socket); a ",
                          "results database is a file (a job creates it when missing): name another path");
    bool read_only_fs = false;
    if (mode == Mode::read_write) {
        // SQLite would silently open a write-protected file read-only and fail later with "unable to
        // open database file"; saying so up front names the real cause. (access() also sees
        // read-only mounts, which even root cannot write.)
        const std::string folder = fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
        const bool writable = exists ? ::access(path.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0
                                     : ::access(folder.c_str(), W_OK) == 0 || errno == ENOENT;
        if (!writable)
            return make_error("cannot write results database '", path, "': its file or folder is read-only (",
                              std::strerror(errno), "); open it read-only to browse, or copy it somewhere writable");
        if (exists) give_back_log_modes(path, st.st_mode);
    } else {
        struct statvfs vfs {};
        read_only_fs = ::statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
        // Commits still in the write-ahead log (a job stopped before folding it in, or a checkpoint
        // that failed on a full disk) must be read with the file: opened as immutable, SQLite reads
        // the file alone and those runs were missing without a word, or the file read as damaged
        // (found in review). With the -shm file there, a plain read-only open reads the log even on
        // read-only media; without it, no open can, so that is said.
        std::error_code wec;
        const auto wal_bytes = fs::file_size(path + "-wal", wec);
        if (read_only_fs && !wec && wal_bytes > 0) {
            if (!fs::exists(path + "-shm", wec))
                return make_error("cannot read results database '", path, "': its last commits are in '", path,
                                  "-wal' beside it, and on this read-only file system SQLite can read them only ",
                                  "with its '-shm' file, which is missing; copy '", path, "' and '", path,
                                  "-wal' together to a writable folder and open the copy");
            read_only_fs = false;
        }
        // A write-protected folder (a shared lab folder, another user's results) is the same for a
        // reader when no -wal or -shm file is there: SQLite cannot create its -shm, and with no -wal
        // no writer is at work, so everything committed is in the file itself. (Not so a file this
        // user cannot write in a folder they can: read as immutable, a reader kept open — the GUI's —
        // saw a later job's changes as damage; a plain open may leave a -wal and -shm of this user,
        // which write_failure names with their owner when the owner's job cannot write them.)
        const std::string folder = fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
        std::error_code ec;
        if (!read_only_fs && ::access(folder.c_str(), W_OK) != 0 && !fs::exists(path + "-wal", ec) &&
            !fs::exists(path + "-shm", ec))
            read_only_fs = true;
    }
    // NOMUTEX: a store is used by one thread at a time (see the header), so SQLite's own locking
    // per call is not needed.
    int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    // A reader that may write the file and its folder reopens it read-write, once it is known to be
    // a results database (below), and is held to reading by `PRAGMA query_only`: SQLite folds and
    // removes the -wal and -shm files when the last connection closes, which a read-only connection
    // never does — every `info` or `export` left 'RESULTS.db-wal' and '-shm' beside the database,
    // the first of which the tool's own messages say must travel with it (found in review). Another
    // program's SQLite file given to `info` is only ever opened read-only; where this user may not
    // write (another user's file, a protected folder), the open stays read-only, as the cases above
    // need.
    bool held_to_reading = false;
    if (mode == Mode::read_only && !read_only_fs) {
        const std::string folder = fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
        held_to_reading = ::access(path.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
    }
    std::string name = path;
    if (read_only_fs) {
        // A WAL database needs its -shm file, which cannot be created on read-only media (a DVD, a
        // read-only share) or in a write-protected folder. Nothing changes the file there (or, in
        // the folder, nothing is writing it now), so SQLite may treat it as immutable and read it
        // without any lock or -shm.
        flags |= SQLITE_OPEN_URI;
        name = "file:";
        for (char c : fs::absolute(path).string()) {
            if (c == '%' || c == '?' || c == '#') {
                char esc[4];
                std::snprintf(esc, sizeof esc, "%%%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
                name += esc;
            } else {
                name += c;
            }
        }
        name += "?immutable=1";
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
    d.db.reset(raw);  // sqlite3_open_v2 returns a handle even on failure; it must be closed
    if (rc != SQLITE_OK) {
        if (!raw)
            return make_error("cannot open results database '", path, "': SQLite could not allocate a connection");
        return make_error(mode == Mode::read_only ? "cannot open" : "cannot create or open", " results database '",
                          path, "' (SQLite: ", sqlite3_errmsg(raw), "); is its folder present and ",
                          mode == Mode::read_only ? "readable?" : "writable?");
    }
    auto prepare = [&]() -> Result<void> {
        if (sqlite3_extended_result_codes(d.db.get(), 1) != SQLITE_OK) return d.error("enabling extended result codes");
        if (sqlite3_busy_timeout(d.db.get(), kBusyTimeoutMs) != SQLITE_OK) return d.error("setting the busy timeout");
        MS_TRY(d.exec("PRAGMA foreign_keys = ON"));
        if (mode == Mode::read_only && sqlite3_db_readonly(d.db.get(), "main") == 0)
            MS_TRY(d.exec("PRAGMA query_only = ON"));
        return d.identify_and_prepare();
    };
    MS_TRY(prepare());
    if (held_to_reading) {
        sqlite3* rw = nullptr;
        if (sqlite3_open_v2(name.c_str(), &rw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (flags & SQLITE_OPEN_URI),
                            nullptr) == SQLITE_OK) {
            d.stmts.clear();
            d.composed.clear();
            d.db.reset(rw);  // the read-only connection closes; the new one keeps the file open
            MS_TRY(prepare());
        } else {
            sqlite3_close(rw);  // the read-only connection serves
        }
    }
    return store;
}

Result<void> ResultsStore::check_writable(const std::string& path) {
    if (path.empty()) return make_error("no results database given (the path is empty)");
    std::error_code ec;
    if (fs::exists(path, ec)) {
        auto store = open(path);
        if (!store) return store.error();
        return {};
    }
    const fs::path folder = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
    if (!fs::is_directory(folder, ec))
        return make_error("cannot create results database '", path, "': its folder '", folder.string(),
                          "' does not exist");
    if (::access(folder.c_str(), W_OK) != 0)
        return make_error("cannot create results database '", path, "': its folder '", folder.string(),
                          "' is read-only (", std::strerror(errno), ")");
    return {};
}

Result<ResultsStore> ResultsStore::open_when_ready(const std::string& path, std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    for (auto pause = std::chrono::milliseconds(20);; pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
        auto store = open(path, Mode::read_only);
        if (store || !store.error().retryable || std::chrono::steady_clock::now() + pause > until) return store;
        std::this_thread::sleep_for(pause);
    }
}

ResultsStore::ResultsStore() : impl_(std::make_unique<Impl>()) {}
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;

ResultsStore::~ResultsStore() {
    if (impl_ && impl_->db && impl_->mode == Mode::read_write && !impl_->buffers.empty()) {
        auto r = flush();  // errors cannot leave a destructor; callers who care call flush() first
        (void)r;
    }
}

const std::string& ResultsStore::path() const { return impl_->path; }

}  // namespace ms
